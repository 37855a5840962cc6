// --cluster DIR: the verifier against a cluster that `elanus cluster up` started. Clients
// spread over its gateways (client c talks to gateway c mod N), and faults are injected
// while they run: kill -9 of an Elanus node, of one JetStream server or of the etcd
// member (--kill-nodes). The cluster's supervisor restarts what died; the verifier
// only kills, then waits until the killed process runs again and every gateway answers.
//
// The window from a kill to that recovery is a fault: operations invoked before it ends
// belong to incarnations marked killed, and a retryable failure there (no coordinator
// yet, a store out of reach) is taken as an unknown outcome — a write that failed so may
// still have reached the log, and the next coordinator replays it. Once every operation
// invoked before the recovery has completed, those incarnations end, and their unknown
// writes are settled as of then. After a recovery a failure is a violation again.
//
// cluster.json (written by `cluster up`, read here without importing cli/):
//   { "gateways": ["127.0.0.1:19590", ...],
//     "processes": [{ "name": "elanus-1", "role": "elanus", "pid": 123, "address": "..." }, ...] }
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Random } from '../testing/random.js';
import type { ScenarioContext, ServerControl } from './context.js';
import type { Target } from './target.js';
import { pause } from './scenarios/workload.js';
import { processAlive } from '../testing/process-alive.js';

/** The kinds of process --kill-nodes may name. */
export const faultRoles = ['elanus', 'nats', 'etcd'] as const;
export type FaultRole = (typeof faultRoles)[number];

interface ProcessEntry { readonly name: string; readonly role: string; readonly pid: number; readonly address: string }
export interface ClusterFile { readonly gateways: readonly string[]; readonly processes: readonly ProcessEntry[] }

/** How long a killed process and the cluster may take to serve again before the run calls it a crash. */
export const recoverTimeoutMs = 120_000;
/** How often recovery is looked for. */
const pollMs = 200;
/**
 * After an etcd kill the fault lasts at least this long: the coordinator may still be
 * holding its lease when etcd is back, and give it up (and exit) only when its keep-alives
 * have failed for most of the lease's time to live (10 s by default).
 */
export const etcdFaultMinMs = 12_000;

export async function readClusterFile(dir: string): Promise<ClusterFile> {
  const path = join(dir, 'cluster.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new Error(`no cluster in ${dir}: cannot read ${path} (${(e as Error).message}); start one with: elanus cluster up --nodes 3 --dir ${dir}`);
  }
  const f = JSON.parse(text) as Partial<ClusterFile>;
  if (!Array.isArray(f.gateways) || f.gateways.length === 0 || !Array.isArray(f.processes)) throw new Error(`${path} names no gateways: is the cluster up?`);
  return f as ClusterFile;
}

export class ClusterControl implements ServerControl {
  readonly dataDir = undefined;
  restarts = 0;
  /** Kills per role, for the report. */
  readonly killsBy: Record<string, number> = {};
  /** Kill → every gateway answers again, ms, per fault. */
  readonly recoveries: number[] = [];
  private ctx: ScenarioContext | undefined;
  /** One fault at a time: the kill loop of a scenario and --kill-nodes may both ask. */
  private busy: Promise<void> = Promise.resolve();

  constructor(
    private readonly dir: string,
    private file: ClusterFile,
    private readonly connect: (address: string) => Promise<Target>,
  ) {}

  get kills(): number {
    return Object.values(this.killsBy).reduce((a, b) => a + b, 0);
  }

  get gatewayAddresses(): readonly string[] {
    return this.file.gateways;
  }

  attach(ctx: ScenarioContext): void {
    this.ctx = ctx;
  }

  /** kill-upsert and lifecycle: kill -9 an Elanus node while the workers run, then check with nothing in flight. */
  async killAndRestart(whileStopped?: () => Promise<void>): Promise<void> {
    const ctx = this.context();
    await this.fault('elanus', ctx.rng(0x6e6f6465 + this.kills));
    if (!ctx.aborted && whileStopped) await ctx.quiesce(whileStopped);
  }

  /** A clean restart of every Elanus node (SIGTERM, which flushes), with nothing in flight. */
  async restart(): Promise<void> {
    const ctx = this.context();
    await ctx.quiesce(async () => {
      const nodes = this.file.processes.filter((p) => p.role === 'elanus');
      await this.serialised(async () => {
        const incarnation = ctx.history.incarnation;
        ctx.killedIncarnations.add(incarnation);
        for (const p of nodes) if (processAlive(p.pid)) process.kill(p.pid, 'SIGTERM');
        for (const p of nodes) await this.exited(p.pid);
        const startedMs = ctx.clock.now();
        if (!(await this.recovered(nodes))) return;
        ctx.history.incarnation++;
        ctx.endIncarnation(incarnation, ctx.clock.now());
        this.restarts++;
        ctx.figures.cleanRestartMsMax = Math.max(Number(ctx.figures.cleanRestartMsMax ?? 0), Math.round(ctx.clock.now() - startedMs));
      });
    });
  }

  /** --kill-nodes: kills a process of one of `roles` at random moments until the run ends. */
  async nemesis(roles: readonly FaultRole[], everyMs: number): Promise<void> {
    const ctx = this.context();
    const rng = ctx.rng(0x6e656d65);
    while (ctx.running()) {
      await pause(ctx, everyMs / 10 + rng.int(Math.max(1, Math.round((everyMs * 9) / 10))));
      if (!ctx.running()) break;
      await this.fault(roles[rng.int(roles.length)]!, rng);
    }
  }

  /** Resolves once no fault is in progress (the final checks wait for it). */
  settled(): Promise<void> {
    return this.busy;
  }

  /** Kill -9 one process of `role`, wait until the cluster serves again, settle what the fault left unknown. */
  private fault(role: FaultRole, rng: Random): Promise<void> {
    const ctx = this.context();
    return this.serialised(async () => {
      if (ctx.aborted) return;
      const candidates = this.file.processes.filter((p) => p.role === role && processAlive(p.pid));
      if (candidates.length === 0) return;
      const victim = candidates[rng.int(candidates.length)]!;
      // Operations invoked before the kill, and those invoked until the cluster answers again.
      const before = ctx.history.incarnation;
      ctx.killedIncarnations.add(before);
      ctx.killedIncarnations.add(before + 1);
      ctx.history.incarnation = before + 1;
      const killedMs = ctx.clock.now();
      process.kill(victim.pid, 'SIGKILL');
      this.killsBy[role] = (this.killsBy[role] ?? 0) + 1;
      await this.exited(victim.pid);
      if (!(await this.recovered([victim]))) return;
      if (role === 'etcd') {
        await new Promise((r) => setTimeout(r, Math.max(0, killedMs + etcdFaultMinMs - ctx.clock.now())));
        if (!(await this.recovered([]))) return;
      }
      this.recoveries.push(Math.round(ctx.clock.now() - killedMs));
      ctx.history.incarnation = before + 2;
      // Unknown writes of the fault may take effect until every call sent during it is answered.
      while ([...ctx.history.inFlight()].some((op) => op.incarnation <= before + 1)) await new Promise((r) => setTimeout(r, 20));
      const at = ctx.clock.now();
      ctx.endIncarnation(before, at);
      ctx.endIncarnation(before + 1, at);
    });
  }

  private serialised(fn: () => Promise<void>): Promise<void> {
    const next = this.busy.then(fn);
    this.busy = next.catch(() => undefined);
    return next;
  }

  private async exited(pid: number): Promise<void> {
    const until = Date.now() + 30_000;
    while (processAlive(pid) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  }

  /**
   * Waits until each of `killed` runs again under a new pid (the supervisor restarts it)
   * and every gateway answers a catalog call; reconnects the gateways whose node was
   * restarted. False (and the run aborted as a crash) when that takes too long.
   */
  private async recovered(killed: readonly ProcessEntry[]): Promise<boolean> {
    const ctx = this.context();
    const until = ctx.clock.now() + recoverTimeoutMs;
    const oldPids = new Map(this.file.processes.map((p) => [p.name, p.pid]));
    for (;;) {
      if (ctx.clock.now() > until) {
        ctx.violations.add({ kind: 'crash', message: `the cluster did not serve again within ${recoverTimeoutMs / 1000} s of killing ${killed.map((k) => k.name).join(', ')}; see the logs in ${this.dir}` });
        ctx.abort('the cluster did not recover');
        return false;
      }
      const file = await readClusterFile(this.dir).catch(() => undefined);
      const back = file && killed.every((k) => file.processes.some((p) => p.name === k.name && p.pid !== k.pid && processAlive(p.pid)));
      if (file && back) {
        // Every Elanus node whose pid changed (the killed one, or a coordinator that lost its lease) gets a new client.
        const restarted = new Set(file.processes.filter((p) => p.role === 'elanus' && oldPids.get(p.name) !== p.pid).map((p) => p.address));
        this.file = file;
        // A gateway not answering yet is tried again on the next round.
        const connected = await ctx.replaceGateways(restarted, this.connect).then(() => true, () => false);
        if (connected && (await this.everyGatewayAnswers())) return true;
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  private async everyGatewayAnswers(): Promise<boolean> {
    for (const t of this.context().gateways) {
      const r = await t.listCollections();
      if (r.outcome !== 'ok') return false;
    }
    return true;
  }

  private context(): ScenarioContext {
    if (!this.ctx) throw new Error('ClusterControl used before attach()');
    return this.ctx;
  }
}
