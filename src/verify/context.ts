// What a scenario runs with: the target (swapped after every restart), the history,
// the statistics, the violation log, the gate, the server control in --spawn mode, and
// `call`, through which every operation goes so that it is recorded, timed and judged.
import { Random } from '../testing/random.js';
import type { Clock } from './clock.js';
import { Gate } from './gate.js';
import { History, type InvokeSpec, type Op } from './history.js';
import { KeyModel } from './model.js';
import { Stats } from './stats.js';
import type { Result, Target } from './target.js';
import type { Filter } from './values.js';
import { ViolationLog, type ViolationKind } from './violations.js';

export interface ScenarioOptions {
  readonly seed: number;
  readonly durationMs: number;
  readonly concurrency: number;
  readonly rows: number;
  /** Dimension of the vector field. */
  readonly dim: number;
  /** kill-upsert: stop after this many kills (else at the end of the duration). */
  readonly kills?: number;
  /** kill-upsert: the server runs a random time up to this long between kills, ms. */
  readonly killEveryMs: number;
  /** consumer-groups: schedules to explore (else as many as the duration allows). */
  readonly interleavings?: number;
  /** lifecycle: stop after this many rounds (else at the end of the duration). */
  readonly rounds?: number;
  /** lifecycle: the vector shapes its rounds sweep (else every shape of its sweep). */
  readonly shapes?: readonly VectorShape[];
  /** Deadline of each call to the target, ms. */
  readonly callTimeoutMs: number;
}

/** A vector field's kind and dimension (for binary vectors, bits: a multiple of 8). */
export interface VectorShape {
  readonly binary: boolean;
  readonly dim: number;
}

/** A shape as --dims spells it: 768 (float), b4096 (binary, bits). */
export function shapeName(s: VectorShape): string {
  return `${s.binary ? 'b' : ''}${s.dim}`;
}

/** The server, in --spawn mode (one process) or --cluster mode (its Elanus nodes). */
export interface ServerControl {
  /** --spawn: the server's data folder (a cluster node has none). */
  readonly dataDir: string | undefined;
  readonly kills: number;
  readonly restarts: number;
  /**
   * SIGKILL at once; waits for the exit and for every operation in flight; starts it
   * again and runs `whileStopped` (a check) before the workers go on.
   */
  killAndRestart(whileStopped?: () => Promise<void>): Promise<void>;
  /** SIGTERM (a clean stop that flushes), then start again; `args` are extra serve flags for the new process. */
  restart(args?: readonly string[]): Promise<void>;
  /** Resolves once no fault is in progress (--cluster: the final checks wait for it). */
  settled?(): Promise<void>;
}

/** A count that did not match; judged at the end, when it is known which broken keys explain it. */
export interface CountSuspect {
  readonly op: Op;
  readonly message: string;
  /** How far the count is from the nearest legal value. */
  readonly off: number;
}

export interface CallOptions<T> extends InvokeSpec {
  /** A failure with this code is what the situation explains (a race with a drop, say). */
  readonly allow?: (code: string, op: Op) => boolean;
  /** The writes this call makes, registered in `model` at invoke time. */
  readonly writes?: { readonly model: KeyModel; readonly entries: ReadonlyArray<readonly [number, number | null]> };
  /** Calls made by a quiescent check pass the closed gate. */
  readonly bypassGate?: boolean;
  /** Judged right after completion, before anything else can run (reads check here). */
  readonly onOk?: (value: T, op: Op) => void;
}

export class ScenarioContext {
  readonly history: History;
  readonly stats = new Stats();
  readonly violations: ViolationLog;
  readonly gate = new Gate();
  readonly startMs: number;
  readonly deadlineMs: number;
  /** Figures a scenario wants in the report (lifecycles run, interleavings explored, ...). */
  readonly figures: Record<string, number | string> = {};
  readonly countSuspects: CountSuspect[] = [];
  private readonly checks = new Map<ViolationKind, number>();
  private readonly models: KeyModel[] = [];
  /** Incarnations the verifier killed: an unknown outcome there is explained. */
  readonly killedIncarnations = new Set<number>();
  /**
   * --cluster: one client per gateway; worker c talks to gateway c mod N (the checks,
   * client 0, to the first). Empty otherwise: every call goes to `target`.
   */
  gateways: Target[] = [];
  private stopReason: string | undefined;

  constructor(
    readonly options: ScenarioOptions,
    readonly clock: Clock,
    public target: Target,
    readonly server: ServerControl | undefined,
  ) {
    this.history = new History(clock);
    this.violations = new ViolationLog(this.history, () => clock.now());
    this.startMs = clock.now();
    this.deadlineMs = this.startMs + options.durationMs;
  }

  /** A random stream of its own for each client, so a seed replays each client's operations. */
  rng(stream: number): Random {
    return new Random((this.options.seed ^ Math.imul(stream + 1, 0x9e3779b1)) >>> 0);
  }

  keyModel(filters: readonly Filter[]): KeyModel {
    const m = new KeyModel(filters, this.clock);
    this.models.push(m);
    return m;
  }

  /**
   * Forgets a model whose collection is gone (lifecycle drops one per round), so that a
   * soak of many rounds does not keep every round's keys. Nothing may be in flight on it.
   */
  forgetModel(m: KeyModel): void {
    const i = this.models.indexOf(m);
    if (i >= 0) this.models.splice(i, 1);
  }

  /** Whether workers should go on. */
  running(): boolean {
    return this.stopReason === undefined && this.clock.now() < this.deadlineMs;
  }

  stop(reason: string): void {
    this.stopReason ??= reason;
  }

  /**
   * Ends the run at once (the server crashed or did not come back): from now on calls
   * answer ABORTED without being recorded, so the workers wind down without noise.
   */
  abort(reason: string): void {
    this.stop(reason);
    this.aborted = true;
    this.gate.open();
  }

  aborted = false;

  get stoppedBecause(): string | undefined {
    return this.stopReason;
  }

  /** Counts checks of an invariant (for the report: how often each was exercised). */
  checked(kind: ViolationKind, n = 1): void {
    this.checks.set(kind, (this.checks.get(kind) ?? 0) + n);
  }

  checkCounts(): ReadonlyMap<ViolationKind, number> {
    return this.checks;
  }

  async call<T>(client: number, kind: string, fn: (t: Target) => Promise<Result<T>>, opts: CallOptions<T> = {}): Promise<{ op: Op; r: Result<T> }> {
    if (!opts.bypassGate) {
      const wait = this.gate.pass();
      if (wait) await wait;
    }
    if (this.aborted) return { op: abortedOp, r: { outcome: 'fail', code: 'ABORTED', message: this.stopReason ?? 'aborted' } };
    const { allow, writes, bypassGate: _b, onOk, ...spec } = opts;
    const op = this.history.invoke(client, kind, spec);
    writes?.model.begin(op, writes.entries);
    let r: Result<T>;
    try {
      r = await fn(this.targetFor(client));
    } catch (e) {
      // A target never throws; a wrapper that does is reported, not fatal.
      r = { outcome: 'unknown', message: `the target threw: ${String((e as Error)?.stack ?? e)}` };
    }
    // During a fault, "retry later" may follow a write that reached the log (a deposed
    // coordinator's, replayed by the next): its outcome is not known.
    if (r.outcome === 'fail' && retryableInFault.has(r.code) && this.killedIncarnations.has(op.incarnation)) {
      r = { outcome: 'unknown', message: `${r.code} during a fault: ${r.message}` };
    }
    this.history.complete(op, r.outcome, r.outcome === 'fail' ? { code: r.code, message: r.message } : r.outcome === 'unknown' ? { message: r.message } : {});
    writes?.model.end(op);
    this.stats.record(kind, r.outcome, op.completeMs! - op.invokeMs);
    if (r.outcome === 'ok') {
      onOk?.(r.value, op);
    } else if (r.outcome === 'fail') {
      if (!allow?.(r.code, op)) this.violations.add({ kind: 'unexpected-failure', message: `${kind} failed with ${r.code}: ${r.message}`, ops: [op], keys: op.keys?.slice(0, 5), subject: `${kind}:${r.code}` });
    } else if (!this.killedIncarnations.has(op.incarnation)) {
      // Judged at the end: a crash may be noticed (process exit) after the calls it cut off.
      this.unknowns.push(op);
    }
    if (r.outcome !== 'fail' || !allow?.(r.code, op)) this.checked('unexpected-failure');
    return { op, r };
  }

  /** The client worker `client` talks to. */
  targetFor(client: number): Target {
    const g = this.gateways;
    return g.length === 0 ? this.target : g[client % g.length]!;
  }

  /**
   * --cluster: new clients for the gateways at `addresses` (their node was restarted);
   * the old ones are closed, cutting off what was in flight on them (sent to a node that
   * died, so of unknown outcome anyway).
   */
  async replaceGateways(addresses: ReadonlySet<string>, connect: (address: string) => Promise<Target>): Promise<void> {
    for (let i = 0; i < this.gateways.length; i++) {
      const old = this.gateways[i]!;
      if (!addresses.has(old.address)) continue;
      this.gateways[i] = await connect(old.address);
      if (i === 0) this.target = this.gateways[0]!;
      void old.close();
    }
  }

  /** Resolves when no operation is in flight. */
  async drained(timeoutMs: number): Promise<boolean> {
    const until = this.clock.now() + timeoutMs;
    while (this.history.inFlight().next().done !== true) {
      if (this.clock.now() > until) return false;
      await new Promise((r) => setTimeout(r, 5));
    }
    return true;
  }

  /** Runs `fn` with every worker held at the gate and nothing in flight. */
  async quiesce<T>(fn: () => Promise<T>): Promise<T> {
    this.gate.close();
    try {
      await this.drained(this.options.callTimeoutMs + 10_000);
      return await fn();
    } finally {
      this.gate.open();
    }
  }

  /** The incarnation `incarnation` ended at `atMs`: its unknown writes are settled as of then. */
  endIncarnation(incarnation: number, atMs: number): void {
    for (const m of this.models) m.endIncarnation(incarnation, atMs);
  }

  /** Lets the models forget what no read can observe any more. */
  prune(): void {
    const low = this.history.lowWaterMs();
    for (const m of this.models) m.prune(low);
  }

  /** Unknown outcomes not (yet) explained by a kill or a crash. */
  private readonly unknowns: Op[] = [];

  /** An unknown outcome is explained only by a kill (or a crash, itself reported). */
  settleUnknowns(): void {
    for (const op of this.unknowns) {
      if (this.killedIncarnations.has(op.incarnation)) continue;
      this.violations.add({ kind: 'unexpected-failure', message: `${op.kind} has an unknown outcome while the server was not being killed: ${op.message ?? ''}`, ops: [op], keys: op.keys?.slice(0, 5), subject: `${op.kind}:unknown` });
    }
    this.unknowns.length = 0;
  }

  suspectCount(s: CountSuspect): void {
    this.countSuspects.push(s);
  }

  /**
   * Count mismatches become violations unless the keys already found broken explain them:
   * a lost key makes every count one lower, a key returned twice one higher. Reporting
   * both would say the same thing twice.
   */
  settleCounts(): void {
    const broken = new Set<number>();
    for (const v of this.violations.all()) {
      if (v.kind === 'lost-write' || v.kind === 'resurrected' || v.kind === 'phantom' || v.kind === 'duplicate-key') for (const k of v.keys ?? []) broken.add(k);
    }
    const explained = broken.size;
    for (const s of this.countSuspects) {
      if (s.off <= explained) continue;
      this.violations.add({ kind: 'count-mismatch', message: s.message, ops: [s.op], related: (o) => writeKinds.has(o.kind) && overlaps(o, s.op), subject: s.message });
    }
    this.countSuspects.length = 0;
  }
}

/** Codes that say "not now, retry": during a fault they leave the outcome unknown. */
export const retryableInFault: ReadonlySet<string> = new Set(['NOT_COORDINATOR', 'STORE_UNAVAILABLE', 'STORAGE_IO', 'TIMEOUT', 'CLOSED']);

/** Stands for the operations not sent after an abort. */
const abortedOp: Op = Object.freeze({ id: 0, client: 0, kind: 'aborted', invokeMs: 0, incarnation: -1, completeMs: 0, outcome: 'fail' as const });

/** Operation kinds that change rows. */
export const writeKinds: ReadonlySet<string> = new Set(['insert', 'upsert', 'delete', 'preload']);

/** Whether two operations ran at the same time. */
export function overlaps(a: Op, b: Op): boolean {
  return a.invokeMs <= (b.completeMs ?? Infinity) && b.invokeMs <= (a.completeMs ?? Infinity);
}
