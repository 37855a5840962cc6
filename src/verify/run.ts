// The entry: options → scenario → verdict. Sets up the target (--target: an endpoint's
// address; --spawn: an Elanus server on a temporary folder that the run may kill and
// restart), runs the scenario with the progress display, and builds the report.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { ClusterControl, faultRoles, readClusterFile, type FaultRole } from './cluster-control.js';
import { monotonicClock } from './clock.js';
import { ScenarioContext, shapeName, type ScenarioOptions, type VectorShape } from './context.js';
import { MilvusTarget } from './milvus-target.js';
import { formatReport, Progress, verdicts, type VerifyReport } from './report.js';
import { scenarioByName, scenarios } from './scenarios/index.js';
import { SpawnedServer } from './server-control.js';
import { ServerProcess, serverLoopDelayP99Ms } from './spawn.js';
import { round } from './stats.js';
import type { Result, Target } from './target.js';

export interface VerifyOptions {
  readonly scenario: string;
  /** HOST:PORT of a Milvus-compatible endpoint, or a comma-separated list of a cluster's gateways. */
  readonly target?: string;
  /** Start (and kill, and restart) an Elanus server of our own. */
  readonly spawn?: boolean;
  /** A cluster that `elanus cluster up --dir DIR` started: its gateways, and its processes to kill. */
  readonly cluster?: string;
  /** --cluster: kill -9 processes of these kinds at random moments (the cluster's supervisor restarts them). */
  readonly killNodes?: readonly FaultRole[];
  readonly durationMs: number;
  readonly concurrency: number;
  readonly seed: number;
  readonly rows: number;
  readonly dim?: number;
  readonly kills?: number;
  /** kill-upsert: longest run between kills (default 2 s). */
  readonly killEveryMs?: number;
  readonly interleavings?: number;
  /** lifecycle: stop after this many rounds. */
  readonly rounds?: number;
  /** lifecycle: the vector shapes to sweep (default: its whole sweep). */
  readonly shapes?: readonly VectorShape[];
  readonly callTimeoutMs?: number;
  /** More `elanus serve` flags for --spawn. */
  readonly serverArgs?: readonly string[];
  /** --spawn: the data folder (default: a temporary one, removed after a clean run). */
  readonly dataDir?: string;
  readonly reportPath?: string;
  /** Where the progress goes (default process.stderr); none when false. */
  readonly progress?: NodeJS.WritableStream | false;
  /** The self-test's hook: wraps every target the run connects. */
  readonly wrapTarget?: (t: Target) => Target;
  /** The self-test's hook: told the pid of every server --spawn starts. */
  readonly onServerStart?: (pid: number) => void;
}

export const defaults = Object.freeze({ durationMs: 3 * 60_000, concurrency: 16, rows: 100_000, dim: 128, callTimeoutMs: 60_000, killEveryMs: 2_000, clusterKillEveryMs: 15_000 });

/** The largest vector dimension --dims accepts (Milvus's and Elanus's limit). */
export const shapeDimMax = 32_768;

/** A command line or option that cannot run: exit status 2. */
export class UsageError extends Error {}

export function validate(o: VerifyOptions): void {
  const s = scenarioByName(o.scenario);
  if (!s) throw new UsageError(`unknown scenario "${o.scenario}"; one of: ${scenarios.map((x) => x.name).join(', ')}`);
  if (s.needs !== 'in-process') {
    const given = [o.spawn ? '--spawn' : '', o.target ? '--target' : '', o.cluster ? '--cluster' : ''].filter(Boolean);
    if (given.length > 1) throw new UsageError(`give one of --target HOST:PORT, --spawn or --cluster DIR, not ${given.join(' and ')}`);
    if (given.length === 0) throw new UsageError(`scenario ${s.name} needs --target HOST:PORT, --spawn or --cluster DIR`);
    if (s.needs === 'spawn' && !o.spawn && !o.cluster) throw new UsageError(`scenario ${s.name} kills the server: it needs --spawn or --cluster DIR`);
  }
  if (o.killNodes !== undefined) {
    if (!o.cluster) throw new UsageError('--kill-nodes needs --cluster DIR (the processes it kills are the cluster\'s)');
    if (o.killNodes.length === 0) throw new UsageError(`--kill-nodes names no process kind; one or more of: ${faultRoles.join(', ')}`);
    for (const r of o.killNodes) if (!faultRoles.includes(r)) throw new UsageError(`--kill-nodes: unknown process kind "${r}"; one or more of: ${faultRoles.join(', ')}`);
  }
  if (o.target && !o.target.split(',').every((t) => /^[^:\s,]+:\d+$/.test(t.trim()))) throw new UsageError(`--target must be HOST:PORT, or a comma-separated list of a cluster's gateways, got "${o.target}"`);
  const positive = (name: string, v: number | undefined, min = 1) => {
    if (v !== undefined && (!Number.isInteger(v) || v < min)) throw new UsageError(`--${name} must be an integer >= ${min}, got ${v}`);
  };
  positive('concurrency', o.concurrency, s.needs === 'in-process' ? 1 : 2);
  positive('rows', o.rows);
  positive('kills', o.kills);
  positive('interleavings', o.interleavings);
  positive('rounds', o.rounds);
  if (o.shapes !== undefined) {
    if (o.shapes.length === 0) throw new UsageError('--dims names no shape');
    for (const sh of o.shapes) {
      if (!Number.isInteger(sh.dim) || sh.dim < (sh.binary ? 8 : 2) || sh.dim > shapeDimMax) throw new UsageError(`--dims: ${shapeName(sh)} is out of range (float 2..${shapeDimMax}, binary 8..${shapeDimMax})`);
      if (sh.binary && sh.dim % 8 !== 0) throw new UsageError(`--dims: ${shapeName(sh)}: a binary dimension is a number of bits, a multiple of 8`);
    }
  }
  positive('dim', o.dim, 2);
  if (o.concurrency > 1000) throw new UsageError('--concurrency must be at most 1000');
  if (!Number.isFinite(o.durationMs) || o.durationMs <= 0) throw new UsageError('--duration must be positive');
  if (o.killEveryMs !== undefined && (!Number.isFinite(o.killEveryMs) || o.killEveryMs < 10)) throw new UsageError('--kill-every must be at least 10ms');
  if (!Number.isInteger(o.seed) || o.seed < 0 || o.seed > 0xffffffff) throw new UsageError('--seed must be an integer in [0, 2^32)');
}

/** A target for the in-process scenario, which sends nothing anywhere. */
const nowhere: Target = new Proxy({ address: 'in-process' } as Target, {
  get: (t, p) => (p in t ? (t as unknown as Record<string | symbol, unknown>)[p] : p === 'close' ? async () => undefined : async (): Promise<Result<never>> => ({ outcome: 'fail', code: 'NO_TARGET', message: 'this scenario runs in-process' })),
});

export async function runVerify(o: VerifyOptions): Promise<VerifyReport> {
  validate(o);
  const scenario = scenarioByName(o.scenario)!;
  const options: ScenarioOptions = {
    seed: o.seed, durationMs: o.durationMs, concurrency: o.concurrency, rows: o.rows, dim: o.dim ?? defaults.dim,
    callTimeoutMs: o.callTimeoutMs ?? defaults.callTimeoutMs,
    killEveryMs: o.killEveryMs ?? (o.cluster ? defaults.clusterKillEveryMs : defaults.killEveryMs),
    ...(o.kills !== undefined ? { kills: o.kills } : {}),
    ...(o.interleavings !== undefined ? { interleavings: o.interleavings } : {}),
    ...(o.rounds !== undefined ? { rounds: o.rounds } : {}),
    ...(o.shapes !== undefined ? { shapes: o.shapes } : {}),
  };
  const wrap = o.wrapTarget ?? ((t: Target) => t);
  const connect = async (address: string) => wrap(await MilvusTarget.connect({ address, callTimeoutMs: options.callTimeoutMs }));

  let server: SpawnedServer | undefined;
  let cluster: ClusterControl | undefined;
  let gateways: Target[] = [];
  let target: Target = nowhere;
  let dataDir: string | undefined;
  let tempDir = false;
  if (scenario.needs !== 'in-process' && o.spawn) {
    dataDir = o.dataDir ?? (await mkdtemp(join(tmpdir(), `elanus-verify-${scenario.name}-`)));
    tempDir = o.dataDir === undefined;
    const proc = await ServerProcess.start({ dataDir, args: o.serverArgs ?? [] });
    server = new SpawnedServer(dataDir, o.serverArgs ?? [], proc, connect, options.callTimeoutMs + 10_000, o.onServerStart);
    if (proc.pid !== undefined) o.onServerStart?.(proc.pid);
    try {
      target = await connect(proc.address);
    } catch (e) {
      await proc.stop();
      throw e;
    }
  } else if (scenario.needs !== 'in-process' && o.cluster) {
    const file = await readClusterFile(o.cluster);
    cluster = new ClusterControl(o.cluster, file, connect);
    gateways = await connectAll(file.gateways, connect);
    target = gateways[0]!;
  } else if (scenario.needs !== 'in-process') {
    // Several addresses: a cluster's gateways, worker c talking to the c mod N-th.
    gateways = await connectAll(o.target!.split(',').map((t) => t.trim()), connect);
    target = gateways[0]!;
    if (gateways.length === 1) gateways = [];
  }

  const ctx = new ScenarioContext(options, monotonicClock, target, server ?? cluster);
  ctx.gateways = gateways;
  server?.attach(ctx);
  cluster?.attach(ctx);
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const startedAt = new Date().toISOString();
  const control = server ?? cluster;
  const progress = o.progress === false ? undefined : new Progress(ctx, o.progress ?? process.stderr, (o.progress ?? process.stderr) === process.stderr && process.stderr.isTTY === true, () => (control ? ` | kills ${control.kills}` : ''));
  progress?.start();
  let serverLoopP99: number | undefined;
  const nemesis = cluster && o.killNodes ? cluster.nemesis(o.killNodes, options.killEveryMs).catch((e: unknown) => {
    ctx.violations.add({ kind: 'crash', message: `the fault injection failed: ${String((e as Error)?.message ?? e)}` });
    ctx.abort('the fault injection failed');
  }) : undefined;
  try {
    await scenario.run(ctx);
    await nemesis;
    await cluster?.settled();
    if (server && !ctx.aborted) serverLoopP99 = await serverLoopDelayP99Ms(server.process.address);
  } finally {
    progress?.stop();
    loop.disable();
    if (server) await server.shutdown();
    else if (ctx.gateways.length > 0) for (const g of ctx.gateways) await g.close();
    else await ctx.target.close();
  }
  ctx.settleUnknowns();
  ctx.settleCounts();

  const durationMs = ctx.clock.now() - ctx.startMs;
  const figures: Record<string, number | string> = { ...ctx.figures, ...(control ? { kills: control.kills, restarts: control.restarts } : {}) };
  if (cluster) {
    for (const [role, n] of Object.entries(cluster.killsBy)) figures[`kills.${role}`] = n;
    const r = [...cluster.recoveries].sort((a, b) => a - b);
    if (r.length > 0) Object.assign(figures, { recoveryMsMedian: r[Math.floor(r.length / 2)]!, recoveryMsMax: r[r.length - 1]! });
  }
  const clean = ctx.violations.count() === 0;
  if (dataDir && tempDir) {
    if (clean) await rm(dataDir, { recursive: true, force: true });
    else figures.dataDirKept = dataDir;
  }
  const report: VerifyReport = {
    scenario: scenario.name,
    seed: o.seed,
    target: server ? `spawned Elanus (${dataDir})` : cluster ? `cluster ${o.cluster} (gateways ${cluster.gatewayAddresses.join(', ')})` : scenario.needs === 'in-process' ? 'in-process' : o.target!,
    options: {
      ...options, spawn: !!o.spawn, ...(o.target ? { target: o.target } : {}), ...(o.cluster ? { cluster: o.cluster } : {}),
      ...(o.killNodes ? { killNodes: o.killNodes.join(',') } : {}), ...(o.serverArgs?.length ? { serverArgs: o.serverArgs } : {}),
    },
    startedAt,
    durationMs: Math.round(durationMs),
    stoppedBecause: ctx.stoppedBecause ?? 'the duration ended',
    operations: ctx.stats.rows(),
    operationsTotal: ctx.history.total(),
    figures,
    invariants: verdicts(ctx),
    violationsTotal: ctx.violations.count(),
    violationTotals: ctx.violations.totals(),
    violations: ctx.violations.all(),
    eventLoopDelayP99Ms: { verifier: round(loop.percentile(99) / 1e6), ...(serverLoopP99 !== undefined ? { server: round(serverLoopP99) } : {}) },
    ...(server && server.process.errors.length > 0 ? { serverErrorLines: server.process.errors.slice(-20) } : {}),
    replay: replayCommand(o),
  };
  return report;
}

/** A client for each address, or none: the ones made are closed when one cannot connect. */
async function connectAll(addresses: readonly string[], connect: (address: string) => Promise<Target>): Promise<Target[]> {
  const made: Target[] = [];
  try {
    for (const address of addresses) made.push(await connect(address));
  } catch (e) {
    for (const t of made) await t.close();
    throw e;
  }
  return made;
}

export function replayCommand(o: VerifyOptions): string {
  const parts = ['elanus verify', `--scenario ${o.scenario}`, o.spawn ? '--spawn' : o.target ? `--target ${o.target}` : o.cluster ? `--cluster ${o.cluster}` : '',
    o.killNodes ? `--kill-nodes ${o.killNodes.join(',')}` : '', `--seed ${o.seed}`,
    `--duration ${o.durationMs}ms`, `--concurrency ${o.concurrency}`, `--rows ${o.rows}`,
    o.dim !== undefined ? `--dim ${o.dim}` : '', o.kills !== undefined ? `--kills ${o.kills}` : '', o.killEveryMs !== undefined ? `--kill-every ${o.killEveryMs}ms` : '', o.interleavings !== undefined ? `--interleavings ${o.interleavings}` : '',
    o.rounds !== undefined ? `--rounds ${o.rounds}` : '', o.shapes !== undefined ? `--dims ${o.shapes.map(shapeName).join(',')}` : '',
    o.serverArgs?.length ? `--server-args "${o.serverArgs.join(' ')}"` : ''];
  return parts.filter(Boolean).join(' ');
}

export { formatReport };
