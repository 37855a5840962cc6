// What bench/cluster.ts measures against: an embedded `elanus serve` on a data folder, or
// a whole cluster on loopback from `elanus cluster up --nodes N` (docs/CLUSTER.md). Each
// target names its gateways and every process it started (pid and role), so the
// benchmark can read each one's CPU and memory from /proc; `stop` leaves no process
// behind (`cluster down`, then SIGKILL of any pid still alive).
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { freePortRun } from '../src/cluster/index.js';
import { now, removeDir, scratchDir } from './lib.js';
import { processAlive } from '../src/testing/index.js';

const mainScript = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
/** Linux's clock ticks per second (`getconf CLK_TCK`), the unit of /proc/<pid>/stat's times. */
const clockTicksPerSecond = 100;
/** How long `cluster up` and `cluster down` may take before the benchmark gives up on them. */
const clusterCommandMsMax = 200_000;
/** How long the embedded server may take to serve, and to stop after SIGTERM (it flushes first). */
const serverStartMsMax = 60_000;
const serverStopMsMax = 30_000;

export type Role = 'server' | 'coordinator' | 'gateway' | 'etcd' | 'nats' | 's3' | 'supervisor';

export interface Proc {
  /** Stable across rounds, for medians: `server`, `coordinator`, `gateway-1`, `etcd`, `nats-2`, ... */
  readonly key: string;
  /** As cluster.json names it (`elanus-2`, `nats-1`), or `elanus` for the embedded server. */
  readonly name: string;
  readonly role: Role;
  readonly pid: number;
}

export interface Target {
  readonly config: string;
  readonly gateways: readonly string[];
  readonly processes: readonly Proc[];
  readonly startSeconds: number;
  stop(): Promise<void>;
}

/** utime + stime of a process so far, in seconds; undefined once it is gone. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is the first, utime the 12th, stime the 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicksPerSecond;
  } catch {
    return undefined;
  }
}

/** Resident memory now (VmRSS) and at its highest since the process started (VmHWM), in bytes. */
export function residentBytes(pid: number): { rss: number; peak: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    return { rss: kb('VmRSS'), peak: kb('VmHWM') };
  } catch {
    return undefined;
  }
}


/**
 * How to stop every target still up, by its folder: the rounds stop theirs, and a signal
 * stops whatever is left, so that an interrupted benchmark leaves no process behind.
 */
const live = new Map<string, () => Promise<void>>();

/** `stop`, run once however often it is called, and forgotten by `live` once done. */
function registered(dir: string, stop: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  const once = () => (done ??= stop().finally(() => live.delete(dir)));
  live.set(dir, once);
  return once;
}

/** Stops every target still up (on SIGINT or SIGTERM). */
export async function stopAll(): Promise<void> {
  await Promise.all([...live.values()].map((stop) => stop().catch((e: unknown) => console.error(`stopping failed: ${String(e)}`))));
}

/**
 * A plain `elanus serve` on a fresh data folder: the single-machine baseline. In a session
 * of its own, as `cluster up`'s detached supervisor and every server under it are: with
 * Linux's autogroup scheduling (on by default) each session gets a fair share of the
 * cores, and a server in the benchmark's own session would share the clients' share
 * while a cluster got one of its own, which the neighbours' load turns into a speed-up
 * of the cluster.
 */
export async function startEmbedded(): Promise<Target> {
  const t0 = now();
  const dir = scratchDir('cluster-embedded');
  const child = spawn(process.execPath, [mainScript, 'serve', '--data-dir', dir, '--host', '127.0.0.1', '--port', '0', '--log-level', 'info'], {
    detached: true, stdio: ['ignore', 'pipe', 'inherit'],
  });
  const killNow = () => child.kill('SIGKILL');
  process.once('exit', killNow);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = registered(dir, async () => {
    child.kill('SIGTERM');
    const timer = setTimeout(killNow, serverStopMsMax);
    await exited;
    clearTimeout(timer);
    process.off('exit', killNow);
    removeDir(dir);
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the embedded server did not serve within ${serverStartMsMax} ms`)), serverStartMsMax);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      // The "serving" log line carries the port the server bound (--port 0 picks one).
      const rec = /"port":(\d+).*"msg":"serving/.exec(line);
      if (rec) {
        clearTimeout(timer);
        resolve(Number(rec[1]));
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error('the embedded server exited before serving'));
    });
  }).catch(async (e: unknown) => {
    await stop();
    throw e;
  });
  return {
    config: 'embedded',
    gateways: [`127.0.0.1:${port}`],
    processes: [{ key: 'server', name: 'elanus', role: 'server', pid: child.pid! }],
    startSeconds: (now() - t0) / 1000,
    stop,
  };
}

interface ClusterFile {
  readonly gateways: string[];
  readonly supervisor: number;
  readonly processes: Array<{ name: string; role: string; pid: number; address: string }>;
}

function cli(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    // In a process group of its own: a Ctrl-C meant for the benchmark must not stop an
    // `up` halfway (its detached supervisor would go on, with nobody left to stop it).
    const child = spawn(process.execPath, [mainScript, 'cluster', ...args], { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env });
    let output = '';
    child.stdout.on('data', (d) => (output += String(d)));
    child.stderr.on('data', (d) => (output += String(d)));
    const timer = setTimeout(() => child.kill('SIGKILL'), clusterCommandMsMax);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** The node whose log says last that it won the coordinator election. */
function coordinatorOf(dir: string): string | undefined {
  let best: { node: string; time: number } | undefined;
  for (const file of readdirSync(dir).filter((f) => /^elanus-\d+\.log$/.test(f))) {
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
      if (!line.includes('won the coordinator election')) continue;
      const rec = JSON.parse(line) as { node: string; time: number };
      if (!best || rec.time > best.time) best = { node: rec.node, time: rec.time };
    }
  }
  return best?.node;
}

function readState(dir: string): ClusterFile | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'cluster.json'), 'utf8')) as ClusterFile;
  } catch {
    return undefined;
  }
}

/** `elanus cluster up --nodes N` on a scratch folder, gateways on consecutive free ports. */
/** `replicas`: every node also keeps a read replica (the data role), and the coordinator shares reads with the standbys'. */
export async function startCluster(nodes: number, replicas = false): Promise<Target> {
  const t0 = now();
  const dir = scratchDir(`cluster-${nodes}${replicas ? 'r' : ''}`);
  const port = await freePortRun(nodes);
  const up = cli(['up', '--nodes', String(nodes), '--dir', dir, '--port', String(port)], replicas ? { ...process.env, ELANUS_CLUSTER_ROLES: 'all' } : process.env);
  const stop = registered(dir, async () => {
    // Not while `up` runs: its supervisor may not have written its pid yet.
    await up;
    // Read before `down`, which empties the list; restarted processes have new pids.
    const state = readState(dir);
    await cli(['down', '--dir', dir]);
    // `down` kills what it knows; a pid it missed (a supervisor that died first) goes here.
    for (const pid of [state?.supervisor ?? 0, ...(state?.processes.map((p) => p.pid) ?? [])]) {
      if (pid > 0 && processAlive(pid)) process.kill(pid, 'SIGKILL');
    }
    removeDir(dir);
  });
  const { code, output } = await up;
  const state = readState(dir);
  if (code !== 0 || !state) {
    let log = '';
    try {
      log = readFileSync(join(dir, 'supervisor.log'), 'utf8').slice(-2000);
    } catch {
      // No log: the supervisor did not start.
    }
    await stop();
    throw new Error(`cluster up --nodes ${nodes} failed (exit ${code}):\n${output.slice(-2000)}\n${log}`);
  }
  const coordinator = coordinatorOf(dir);
  const counters = new Map<string, number>();
  const keyOf = (role: string, name: string): string => {
    if (name === coordinator) return 'coordinator';
    if (role === 'etcd' || role === 's3') return role;
    const label = role === 'elanus' ? 'gateway' : role;
    const k = (counters.get(label) ?? 0) + 1;
    counters.set(label, k);
    return `${label}-${k}`;
  };
  const processes: Proc[] = state.processes.map((p) => {
    const role: Role = p.name === coordinator ? 'coordinator' : p.role === 'elanus' ? 'gateway' : p.role as Role;
    return { key: keyOf(p.role, p.name), name: p.name, role, pid: p.pid };
  });
  processes.push({ key: 'supervisor', name: 'supervisor', role: 'supervisor', pid: state.supervisor });
  return { config: `cluster-${nodes}${replicas ? 'r' : ''}`, gateways: state.gateways, processes, startSeconds: (now() - t0) / 1000, stop };
}
