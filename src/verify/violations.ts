// A violation: which invariant broke, in words a person can act on, with the minimal
// slice of history that shows it (the operations touching the offending keys, or the
// operation itself and those that ran beside it) and the seed that replays the run.
import type { History, Op } from './history.js';

export const violationKinds = [
  // data (stories 1, 4, 5)
  'lost-write', 'resurrected', 'phantom', 'duplicate-key', 'count-mismatch', 'stale-read', 'corrupt-row',
  'search-non-live', 'search-order', 'search-score', 'search-inexact', 'iterator-order',
  // catalog and files (stories 1, 2, 4)
  'catalog-mismatch', 'orphan-files',
  // requests (every story)
  'unexpected-failure', 'unexpected-success', 'crash',
  // the log's consumer groups (story 3)
  'notified-after-close', 'commit-after-destroy', 'position-regressed', 'record-missed',
] as const;
export type ViolationKind = (typeof violationKinds)[number];

export interface Violation {
  readonly kind: ViolationKind;
  readonly message: string;
  readonly keys?: readonly number[];
  /** Operations that observed or caused it. */
  readonly ops?: readonly number[];
  /** How many times the same kind was seen for the same subject (the first is kept). */
  occurrences: number;
  readonly atMs: number;
  /** The history that shows it, oldest first. */
  readonly history: readonly Op[];
  /** Anything else that shows it (a schedule, a listing of files). */
  readonly evidence?: unknown;
}

export interface ViolationInput {
  readonly kind: ViolationKind;
  readonly message: string;
  readonly keys?: readonly number[];
  readonly ops?: readonly Op[];
  /** Extra operations to include in the slice (e.g. those that ran during a count). */
  readonly related?: (op: Op) => boolean;
  /** Same kind + subject is counted, not stored again. Default: the keys, or the message. */
  readonly subject?: string;
  readonly evidence?: unknown;
}

/** Violations kept in full per kind; further ones are counted. */
export const violationsKeptPerKindMax = 50;

export class ViolationLog {
  private readonly list: Violation[] = [];
  private readonly bySubject = new Map<string, Violation>();
  private readonly perKind = new Map<ViolationKind, number>();

  constructor(private readonly history: History | undefined, private readonly now: () => number) {}

  add(v: ViolationInput): void {
    this.perKind.set(v.kind, (this.perKind.get(v.kind) ?? 0) + 1);
    const subject = `${v.kind}|${v.subject ?? (v.keys?.length ? v.keys.join(',') : v.message)}`;
    const seen = this.bySubject.get(subject);
    if (seen) {
      seen.occurrences++;
      return;
    }
    if (this.list.filter((x) => x.kind === v.kind).length >= violationsKeptPerKindMax) return;
    const opIds = new Set((v.ops ?? []).map((o) => o.id));
    const history = this.history
      ? this.history.slice(v.keys ?? [], (op) => opIds.has(op.id) || (v.related?.(op) ?? false))
      : [];
    const out: Violation = {
      kind: v.kind, message: v.message, occurrences: 1, atMs: this.now(), history,
      ...(v.keys ? { keys: v.keys.slice(0, 20) } : {}),
      ...(v.ops ? { ops: v.ops.map((o) => o.id) } : {}),
      ...(v.evidence !== undefined ? { evidence: v.evidence } : {}),
    };
    this.list.push(out);
    this.bySubject.set(subject, out);
  }

  all(): readonly Violation[] {
    return this.list;
  }

  /** Every violation seen, by kind, including those counted but not stored. */
  totals(): Partial<Record<ViolationKind, number>> {
    return Object.fromEntries(this.perKind);
  }

  count(): number {
    let n = 0;
    for (const c of this.perKind.values()) n += c;
    return n;
  }
}
