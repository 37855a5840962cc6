// What a run shows: a progress line on stderr while it runs (rewritten in place on a
// terminal, one line every few seconds otherwise), then a table per operation kind, the
// invariant verdicts and the violations with their history; and the same as JSON.
import type { ScenarioContext } from './context.js';
import type { Op } from './history.js';
import type { KindRow, KindTotals } from './stats.js';
import { round } from './stats.js';
import type { Violation, ViolationKind } from './violations.js';

/** The invariants of the issue, each with the violation kinds that break it. */
export const invariants: ReadonlyArray<{ readonly name: string; readonly kinds: readonly ViolationKind[] }> = Object.freeze([
  { name: 'no acknowledged write lost', kinds: ['lost-write'] },
  { name: 'no deleted key resurrected, no key never written', kinds: ['resurrected', 'phantom'] },
  { name: 'no key visible twice', kinds: ['duplicate-key'] },
  { name: 'count(*) exact, with and without a filter, equal to the full query', kinds: ['count-mismatch'] },
  { name: 'every read sees the latest acknowledged write (strong), rows whole', kinds: ['stale-read', 'corrupt-row'] },
  { name: 'search hits live, distances finite, exact and ordered', kinds: ['search-non-live', 'search-order', 'search-score', 'search-inexact'] },
  { name: 'iterators return keys in order', kinds: ['iterator-order'] },
  { name: 'catalog matches the model (also after restart)', kinds: ['catalog-mismatch'] },
  { name: 'no orphan segment files after drops and GC', kinds: ['orphan-files'] },
  { name: 'no crash; every failure coded and explained by a race or a kill', kinds: ['crash', 'unexpected-failure', 'unexpected-success'] },
  { name: 'no notification after close/destroy, no commit after destroy', kinds: ['notified-after-close', 'commit-after-destroy'] },
  { name: 'log positions never go back, no durable record missed', kinds: ['position-regressed', 'record-missed'] },
]);

export interface InvariantVerdict {
  readonly name: string;
  readonly checks: number;
  readonly violations: number;
  readonly verdict: 'held' | 'VIOLATED' | 'not exercised';
}

export interface VerifyReport {
  readonly scenario: string;
  readonly seed: number;
  readonly target: string;
  readonly options: Readonly<Record<string, unknown>>;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly stoppedBecause: string;
  readonly operations: readonly KindRow[];
  readonly operationsTotal: number;
  readonly figures: Readonly<Record<string, number | string>>;
  readonly invariants: readonly InvariantVerdict[];
  readonly violationsTotal: number;
  readonly violationTotals: Partial<Record<ViolationKind, number>>;
  readonly violations: readonly Violation[];
  readonly eventLoopDelayP99Ms: { readonly verifier: number; readonly server?: number };
  readonly serverErrorLines?: readonly string[];
  /** The command that replays the same operation sequence. */
  readonly replay: string;
}

export function verdicts(ctx: ScenarioContext): InvariantVerdict[] {
  const totals = ctx.violations.totals();
  const checks = ctx.checkCounts();
  return invariants.map((inv) => {
    const n = inv.kinds.reduce((s, k) => s + (checks.get(k) ?? 0), 0);
    const v = inv.kinds.reduce((s, k) => s + (totals[k] ?? 0), 0);
    return { name: inv.name, checks: n, violations: v, verdict: v > 0 ? 'VIOLATED' : n > 0 ? 'held' : 'not exercised' };
  });
}

/** The progress display: operations per second per kind, errors, elapsed and remaining. */
export class Progress {
  private timer: NodeJS.Timeout | undefined;
  private last = new Map<string, KindTotals>();
  private lastMs: number;
  private wrote = false;

  constructor(private readonly ctx: ScenarioContext, private readonly out: NodeJS.WriteStream | NodeJS.WritableStream, private readonly tty: boolean, private readonly extra: () => string = () => '') {
    this.lastMs = ctx.clock.now();
  }

  start(): void {
    this.timer = setInterval(() => this.tick(), this.tty ? 1_000 : 10_000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.tty && this.wrote) this.out.write('\n');
  }

  private tick(): void {
    const now = this.ctx.clock.now();
    const totals = this.ctx.stats.totals();
    const secs = Math.max(0.001, (now - this.lastMs) / 1000);
    const rates: string[] = [];
    let failed = 0;
    let unknown = 0;
    for (const [kind, t] of totals) {
      failed += t.failed;
      unknown += t.unknown;
      const before = this.last.get(kind)?.count ?? 0;
      const rate = (t.count - before) / secs;
      if (rate > 0) rates.push(`${kind} ${rate >= 10 ? Math.round(rate) : round(rate, 1)}/s`);
    }
    this.last = totals;
    this.lastMs = now;
    const elapsed = now - this.ctx.startMs;
    const remaining = Math.max(0, this.ctx.deadlineMs - now);
    const line = `[${clock(elapsed)} elapsed, ${clock(remaining)} left] ${rates.join(' ') || 'waiting'} | failed ${failed}, unknown ${unknown} | violations ${this.ctx.violations.count()}${this.extra()}`;
    if (this.tty) {
      const width = (this.out as NodeJS.WriteStream).columns ?? 160;
      this.out.write(`\r\x1b[2K${line.slice(0, width - 1)}`);
    } else {
      this.out.write(`${line}\n`);
    }
    this.wrote = true;
  }
}

function clock(ms: number): string {
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** The final tables and verdicts, as text. */
export function formatReport(r: VerifyReport): string {
  const lines: string[] = [];
  lines.push(`elanus verify --scenario ${r.scenario} against ${r.target}: ${r.violationsTotal === 0 ? 'no violation' : `${r.violationsTotal} VIOLATION(S)`} in ${clock(r.durationMs)} (${r.stoppedBecause})`);
  lines.push('');
  lines.push(table(['operation', 'count', 'ok', 'failed', 'unknown', 'p50 ms', 'p99 ms'], r.operations.map((o) => [o.kind, o.count, o.ok, o.failed, o.unknown, o.p50Ms, o.p99Ms])));
  lines.push('');
  lines.push(table(['invariant', 'checks', 'violations', 'verdict'], r.invariants.map((v) => [v.name, v.checks, v.violations, v.verdict])));
  lines.push('');
  const figures = Object.entries(r.figures).map(([k, v]) => `${k} ${v}`).join(', ');
  lines.push(`operations ${r.operationsTotal}${figures ? `, ${figures}` : ''}`);
  lines.push(`event-loop delay p99: verifier ${r.eventLoopDelayP99Ms.verifier} ms${r.eventLoopDelayP99Ms.server !== undefined ? `, server ${r.eventLoopDelayP99Ms.server} ms` : ''}`);
  for (const v of r.violations.slice(0, 20)) {
    lines.push('');
    lines.push(`VIOLATION ${v.kind}${v.occurrences > 1 ? ` (seen ${v.occurrences} times)` : ''}: ${v.message}`);
    for (const op of v.history.slice(-25)) lines.push(`  ${formatOp(op)}`);
  }
  if (r.violations.length > 20) lines.push(`... and ${r.violations.length - 20} more in the JSON report`);
  lines.push('');
  lines.push(`replay: ${r.replay}`);
  return lines.join('\n');
}

export function formatOp(op: Op): string {
  const t = (ms: number | undefined) => (ms === undefined ? '…' : (ms / 1000).toFixed(3));
  const what = [
    op.partition ? `partition=${op.partition}` : '',
    op.keys ? `keys=[${op.keys.slice(0, 8).join(',')}${op.keys.length > 8 ? ',…' : ''}]` : '',
    op.args ? JSON.stringify(op.args) : '',
  ].filter(Boolean).join(' ');
  const outcome = op.outcome === 'fail' ? `fail ${op.code}` : op.outcome;
  return `#${op.id} client ${op.client} ${op.kind} ${what} [${t(op.invokeMs)}s → ${t(op.completeMs)}s] ${outcome}${op.message && op.outcome !== 'ok' ? `: ${op.message.slice(0, 120)}` : ''}`;
}

function table(head: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number>>): string {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const widths = head.map((_, i) => cells.reduce((w, r) => Math.max(w, String(r[i]).length), 0));
  const fmt = (r: ReadonlyArray<string | number>) => r.map((c, i) => (typeof c === 'number' || i > 0 ? String(c).padStart(widths[i]!) : String(c).padEnd(widths[i]!))).join('  ');
  return [fmt(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)].join('\n');
}
