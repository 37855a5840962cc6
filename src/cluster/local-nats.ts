// Starts nats-server with JetStream on loopback: one server, or a 3-node cluster (routes
// between the nodes, one store folder per node under `dir`). The tests use it, and so
// will `elanus cluster up`. Ports are free ones found by listening on port 0; another
// process may take a port between that probe and the server's bind, so a server that
// exits on "address already in use" is started again on new ports.
//
// A server is ready when its monitoring endpoint's /healthz answers ok (JetStream is
// up and, in a cluster, current with its meta group) and, for 3 nodes, every node
// names the same meta leader: before that, creating a replicated stream fails.
// Every process started is killed when this process exits, whatever the caller does.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from './free-port.js';

export interface NatsPorts {
  readonly client: number;
  readonly cluster: number;
  readonly monitor: number;
}

export interface StartNatsOptions {
  /** Folder for the nodes' config files and store folders (made if missing). */
  readonly dir: string;
  readonly nodes: 1 | 3;
  /** Ports per node; free ones when absent. */
  readonly ports?: readonly NatsPorts[];
  /** More lines for every node's config file (an `authorization { … }` or `tls { … }` block). */
  readonly config?: readonly string[];
  /** The nats-server executable. Default: `nats-server` on PATH. */
  readonly binary?: string;
  /** How long a start or restart waits for readiness. Default 30 s. */
  readonly readyTimeoutMs?: number;
  /** How long stop waits after SIGTERM before SIGKILL. Default 5 s. */
  readonly stopTimeoutMs?: number;
}

export interface NatsProcess {
  readonly name: string;
  readonly pid: number;
  readonly url: string;
}

export interface LocalNats {
  /** Client URLs, one per node. */
  readonly servers: readonly string[];
  /** Monitoring URLs (http://…; /healthz, /jsz), one per node. */
  readonly monitors: readonly string[];
  /** The running nodes (a killed node is absent until restarted). */
  readonly processes: readonly NatsProcess[];
  /** SIGTERM to every node, SIGKILL after stopTimeoutMs. Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL to node `i` (a crash: nothing is flushed). */
  kill(i: number): Promise<void>;
  /** Starts node `i` again on its ports and store folder; resolves when it is ready. */
  restart(i: number): Promise<void>;
}

const bindAttemptsMax = 5;
const pollIntervalMs = 25;
const logTailBytesMax = 8 * 1024;
const clusterName = 'elanus';

interface Node {
  readonly name: string;
  readonly ports: NatsPorts;
  readonly config: string;
  child: ChildProcess | undefined;
  /** Started and not stopped or killed on purpose: not running then means it died. */
  wanted: boolean;
  exited: Promise<void>;
  log: string;
}

/** Every child still running, killed on exit so that none outlives this process. */
const live = new Set<ChildProcess>();
let exitHookSet = false;

export async function startNats(opts: StartNatsOptions): Promise<LocalNats> {
  if (opts.nodes !== 1 && opts.nodes !== 3) throw new Error(`nodes must be 1 or 3, got ${String(opts.nodes)}`);
  if (opts.ports && opts.ports.length !== opts.nodes) throw new Error(`ports must name ${opts.nodes} nodes`);
  await mkdir(opts.dir, { recursive: true });
  for (let attempt = 1; ; attempt++) {
    const ports = opts.ports ?? (await freePorts(opts.nodes));
    const nodes = await writeConfigs(opts, ports);
    try {
      for (const n of nodes) launch(opts, n);
      await waitReady(opts, nodes);
      return handle(opts, nodes);
    } catch (e) {
      await Promise.all(nodes.map((n) => terminate(n, 0)));
      const raced = nodes.some((n) => /address already in use/i.test(n.log));
      if (!raced || opts.ports || attempt >= bindAttemptsMax) throw e;
    }
  }
}

function handle(opts: StartNatsOptions, nodes: Node[]): LocalNats {
  const check = (i: number): Node => {
    const n = nodes[i];
    if (!Number.isInteger(i) || n === undefined) throw new Error(`no node ${i} (there are ${nodes.length})`);
    return n;
  };
  return {
    servers: nodes.map((n) => `nats://127.0.0.1:${n.ports.client}`),
    monitors: nodes.map((n) => `http://127.0.0.1:${n.ports.monitor}`),
    get processes() {
      return nodes.filter((n) => n.child?.pid !== undefined && n.child.exitCode === null && n.child.signalCode === null)
        .map((n) => ({ name: n.name, pid: n.child!.pid!, url: `nats://127.0.0.1:${n.ports.client}` }));
    },
    stop: async () => {
      await Promise.all(nodes.map((n) => terminate(n, opts.stopTimeoutMs ?? 5000)));
    },
    kill: async (i) => terminate(check(i), 0),
    restart: async (i) => {
      const n = check(i);
      await terminate(n, 0);
      launch(opts, n);
      try {
        await waitReady(opts, nodes);
      } catch (e) {
        await terminate(n, 0);
        throw e;
      }
    },
  };
}

async function writeConfigs(opts: StartNatsOptions, ports: readonly NatsPorts[]): Promise<Node[]> {
  const nodes: Node[] = [];
  for (const [i, p] of ports.entries()) {
    const name = `n${i + 1}`;
    const routes = ports.map((q) => `"nats-route://127.0.0.1:${q.cluster}"`).join(', ');
    const lines = [
      `server_name: ${name}`,
      `listen: "127.0.0.1:${p.client}"`,
      `http: "127.0.0.1:${p.monitor}"`,
      `jetstream { store_dir: ${JSON.stringify(join(opts.dir, name))} }`,
      ...(ports.length > 1 ? [`cluster { name: ${clusterName}, listen: "127.0.0.1:${p.cluster}", routes: [${routes}] }`] : []),
      ...(opts.config ?? []),
    ];
    const config = join(opts.dir, `${name}.conf`);
    await writeFile(config, lines.join('\n') + '\n');
    nodes.push({ name, ports: p, config, child: undefined, wanted: false, exited: Promise.resolve(), log: '' });
  }
  return nodes;
}

function launch(opts: StartNatsOptions, n: Node): void {
  const child = spawn(opts.binary ?? 'nats-server', ['-c', n.config], { stdio: ['ignore', 'ignore', 'pipe'] });
  n.child = child;
  n.wanted = true;
  n.log = '';
  live.add(child);
  if (!exitHookSet) {
    exitHookSet = true;
    process.on('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (s: string) => {
    n.log = (n.log + s).slice(-logTailBytesMax);
  });
  n.exited = new Promise((resolve) => {
    child.once('error', (e) => {
      n.log += `\nspawn failed: ${e.message}`;
      live.delete(child);
      resolve();
    });
    child.once('exit', () => {
      live.delete(child);
      resolve();
    });
  });
}

function running(n: Node): boolean {
  return n.child !== undefined && live.has(n.child);
}

/** SIGTERM (SIGKILL at once when graceMs is 0), then SIGKILL after graceMs; resolves when it has exited. */
async function terminate(n: Node, graceMs: number): Promise<void> {
  n.wanted = false;
  if (!running(n)) return;
  const child = n.child!;
  child.kill(graceMs === 0 ? 'SIGKILL' : 'SIGTERM');
  if (graceMs > 0) {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await n.exited;
    clearTimeout(timer);
  } else await n.exited;
}

/** Waits until every running node is healthy and, in a cluster, all agree on a meta leader. */
async function waitReady(opts: StartNatsOptions, nodes: readonly Node[]): Promise<void> {
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 30_000);
  let last = 'not polled yet';
  for (;;) {
    const up = nodes.filter(running);
    const down = nodes.find((n) => n.wanted && !running(n));
    if (down) throw new Error(`nats-server ${down.name} exited while starting: ${down.log.slice(-2000)}`);
    try {
      const leaders = new Set<string>();
      for (const n of up) {
        const health = await getJson(`http://127.0.0.1:${n.ports.monitor}/healthz`);
        if ((health as { status?: string }).status !== 'ok') throw new Error(`${n.name} healthz: ${JSON.stringify(health)}`);
        if (nodes.length > 1) {
          const jsz = (await getJson(`http://127.0.0.1:${n.ports.monitor}/jsz`)) as { meta_cluster?: { leader?: string } };
          const leader = jsz.meta_cluster?.leader ?? '';
          if (leader === '') throw new Error(`${n.name} knows no meta leader yet`);
          leaders.add(leader);
        }
      }
      if (leaders.size <= 1) return;
      last = `nodes disagree on the meta leader: ${[...leaders].join(', ')}`;
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
    if (Date.now() > deadline) {
      throw new Error(`nats-server not ready after ${opts.readyTimeoutMs ?? 30_000} ms: ${last}\n${nodes.map((n) => `${n.name}: ${n.log.slice(-1000)}`).join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, pollIntervalMs));
  }
}

async function getJson(url: string): Promise<unknown> {
  const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
  return res.json();
}

/** Free loopback ports, three per node, all distinct, found by listening on port 0. */
export async function freePorts(nodes: number): Promise<NatsPorts[]> {
  const taken: number[] = [];
  while (taken.length < nodes * 3) {
    const p = await freePort();
    if (!taken.includes(p)) taken.push(p);
  }
  return Array.from({ length: nodes }, (_, i) => ({ client: taken[3 * i]!, cluster: taken[3 * i + 1]!, monitor: taken[3 * i + 2]! }));
}

