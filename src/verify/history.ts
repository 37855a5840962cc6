// Every operation a client performs is recorded twice: when it is invoked and when its
// outcome is known — ok, fail (a coded error: it did not take effect), or unknown (a
// timeout or a lost connection: it may have taken effect, or may still). The checker
// reads these records; a violation carries the slice of them that shows it.
//
// The history keeps the most recent `opsKeptMax` operations (a soak runs for hours);
// a violation copies its slice when it is found, so nothing it needs is ever dropped.
import type { Clock } from './clock.js';

export type Outcome = 'pending' | 'ok' | 'fail' | 'unknown';

export interface Op {
  readonly id: number;
  /** The logical client (worker) that issued it. */
  readonly client: number;
  readonly kind: string;
  readonly invokeMs: number;
  /** The server incarnation it was sent to (0 for a --target endpoint, +1 per restart). */
  readonly incarnation: number;
  /** Primary keys it wrote or read, when it names them. */
  readonly keys?: readonly number[];
  /** The collection and partition it addressed. */
  readonly collection?: string;
  readonly partition?: string;
  /** A short summary of its arguments (a filter, a version, a batch size). */
  readonly args?: Readonly<Record<string, unknown>>;
  completeMs: number | undefined;
  outcome: Outcome;
  /** The error code of a failed operation (e.g. PARTITION_NOT_FOUND). */
  code?: string;
  message?: string;
  /** A short summary of what it returned (a count, the number of rows). */
  result?: Readonly<Record<string, unknown>>;
}

export interface InvokeSpec {
  readonly keys?: readonly number[];
  readonly collection?: string;
  readonly partition?: string;
  readonly args?: Readonly<Record<string, unknown>>;
}

export const opsKeptMaxDefault = 100_000;

export class History {
  private readonly kept: Op[] = [];
  private first = 0;
  private nextId = 1;
  private readonly open = new Map<number, Op>();
  incarnation = 0;

  constructor(private readonly clock: Clock, private readonly opsKeptMax = opsKeptMaxDefault) {}

  invoke(client: number, kind: string, spec: InvokeSpec = {}): Op {
    const op: Op = {
      id: this.nextId++, client, kind, invokeMs: this.clock.now(), incarnation: this.incarnation,
      ...spec, completeMs: undefined, outcome: 'pending',
    };
    this.open.set(op.id, op);
    this.kept.push(op);
    if (this.kept.length - this.first > this.opsKeptMax) this.first++;
    // Compact the array now and then instead of shifting it on every push.
    if (this.first > 65_536 && this.first * 2 > this.kept.length) {
      this.kept.splice(0, this.first);
      this.first = 0;
    }
    return op;
  }

  complete(op: Op, outcome: Exclude<Outcome, 'pending'>, extra: { code?: string; message?: string; result?: Record<string, unknown> } = {}): void {
    if (op.outcome !== 'pending') throw new Error(`operation ${op.id} completed twice`);
    op.completeMs = this.clock.now();
    op.outcome = outcome;
    if (extra.code !== undefined) op.code = extra.code;
    if (extra.message !== undefined) op.message = extra.message.length > 300 ? `${extra.message.slice(0, 300)}…` : extra.message;
    if (extra.result !== undefined) op.result = extra.result;
    this.open.delete(op.id);
  }

  /** Operations invoked and not completed yet. */
  inFlight(): IterableIterator<Op> {
    return this.open.values();
  }

  /** The earliest invoke time of an operation in flight (now when none is). */
  lowWaterMs(): number {
    let min = this.clock.now();
    for (const op of this.open.values()) if (op.invokeMs < min) min = op.invokeMs;
    return min;
  }

  /**
   * Drops the keys of the kept operations on `collection` (lifecycle: its round is over
   * and the collection dropped). A later round reuses the same key numbers, so those
   * operations would only mislead a violation's slice; and a round of a million rows
   * would otherwise keep its keys for as long as its operations are kept.
   */
  forgetKeys(collection: string): void {
    for (let i = this.first; i < this.kept.length; i++) {
      const op = this.kept[i]!;
      if (op.collection === collection && op.keys) (op as { keys?: readonly number[] }).keys = undefined;
    }
  }

  /** Operations recorded so far (the most recent `opsKeptMax`). */
  ops(): readonly Op[] {
    return this.kept.slice(this.first);
  }

  total(): number {
    return this.nextId - 1;
  }

  /**
   * The operations that touched any of `keys` (or, with `also`, satisfy it), oldest
   * first, at most `max` of them: the most recent ones, which are those that explain
   * a violation found now.
   */
  slice(keys: readonly number[], also: (op: Op) => boolean = () => false, max = 200): Op[] {
    const want = new Set(keys);
    const out: Op[] = [];
    for (let i = this.kept.length - 1; i >= this.first && out.length < max; i--) {
      const op = this.kept[i]!;
      if (also(op) || op.keys?.some((k) => want.has(k))) out.push(snapshot(op, want));
    }
    return out.reverse();
  }
}

/** A copy of an operation for a report, with its key list cut down to the keys that matter. */
export function snapshot(op: Op, keys?: ReadonlySet<number>): Op {
  const copy: Op = { ...op };
  if (op.keys && keys && keys.size > 0 && op.keys.length > 8) {
    const hit = op.keys.filter((k) => keys.has(k));
    (copy as { keys?: readonly number[] }).keys = hit;
    (copy as { args?: Record<string, unknown> }).args = { ...op.args, keysTotal: op.keys.length };
  }
  return copy;
}
