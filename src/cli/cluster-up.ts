// `elanus cluster up | down`: a whole cluster on loopback with one command (docs/CLUSTER.md):
// etcd, a 3-server JetStream cluster, the S3 stand-in and N Elanus nodes, their data under
// DIR. `up` starts a supervisor process (`elanus cluster supervise`, detached) that owns
// every server, restarts whichever dies (a node that lost the coordinator lease exits
// on purpose and comes back as a standby), and keeps DIR/cluster.json current:
//   { "gateways": ["127.0.0.1:19590", ...], "ready": true, "supervisor": pid,
//     "processes": [{ "name": "elanus-1", "role": "elanus", "pid": 123, "address": "127.0.0.1:19590" }, ...] }
// `up` is idempotent: with the supervisor running it only waits until the cluster is
// ready; otherwise it starts one on the same folders and ports. With another --nodes, the
// running supervisor adds nodes (they join as standbys and gateways) or drains the last
// ones (SIGTERM: a coordinator among them hands its lease over at once). `down` stops it all.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePorts, startEtcd, startNats, startS3, type LocalEtcd, type LocalNats, type LocalS3 } from '../cluster/index.js';

const mainPath = fileURLToPath(new URL('./main.js', import.meta.url));
/** How long `up` waits for a ready cluster. */
const readyTimeoutMs = 180_000;
/** How often the supervisor looks for dead processes. */
const checkIntervalMs = 1_000;
const clusterName = 'local';
/** DIR/nodes: how many Elanus nodes `up` last asked for. */
const desiredFile = 'nodes';
const nodesMax = 64;

/** The node count `up` last asked for, or undefined when the file is missing or unreadable. */
function desiredNodes(dir: string): number | undefined {
  try {
    const n = Number(readFileSync(join(dir, desiredFile), 'utf8').trim());
    return Number.isInteger(n) && n >= 1 && n <= nodesMax ? n : undefined;
  } catch {
    return undefined;
  }
}

interface ProcessEntry { readonly name: string; readonly role: string; readonly pid: number; readonly address: string }
interface ClusterFile {
  readonly gateways: readonly string[];
  readonly processes: readonly ProcessEntry[];
  readonly ready: boolean;
  readonly supervisor: number;
  /** Ports kept across restarts of the supervisor, so the data folders stay valid. */
  readonly ports: { readonly etcd: [number, number]; readonly nats: ReadonlyArray<{ client: number; cluster: number; monitor: number }>; readonly s3: number };
}

export interface ClusterUpOptions { readonly nodes: number; readonly dir: string; readonly port: number }

function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function readState(dir: string): ClusterFile | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'cluster.json'), 'utf8')) as ClusterFile;
  } catch {
    return undefined;
  }
}

function writeState(dir: string, state: ClusterFile): void {
  const tmp = join(dir, 'cluster.json.tmp');
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(tmp, join(dir, 'cluster.json'));
}

/** `elanus cluster up`: exit 0 once the cluster is ready (DIR/cluster.json says where). */
export async function runClusterUp(o: ClusterUpOptions): Promise<number> {
  const dir = resolve(o.dir);
  mkdirSync(dir, { recursive: true });
  // The number of Elanus nodes wanted: a running supervisor adds or drains nodes to match.
  writeFileSync(join(dir, desiredFile), `${o.nodes}\n`);
  const before = readState(dir);
  if (!alive(before?.supervisor)) {
    const log = openSync(join(dir, 'supervisor.log'), 'a');
    const child = spawn(process.execPath, [mainPath, 'cluster', 'supervise', '--nodes', String(o.nodes), '--dir', dir, '--port', String(o.port)], {
      detached: true, stdio: ['ignore', log, log],
    });
    child.unref();
    if (before) writeState(dir, { ...before, ready: false, supervisor: child.pid ?? 0 });
  }
  const until = Date.now() + readyTimeoutMs;
  for (;;) {
    const s = readState(dir);
    if (s?.ready && alive(s.supervisor) && s.gateways.length === o.nodes) {
      console.log(JSON.stringify({ gateways: s.gateways, processes: s.processes }, null, 2));
      return 0;
    }
    if (Date.now() > until) {
      console.error(`elanus: the cluster in ${dir} is not ready after ${readyTimeoutMs / 1000} s; see ${join(dir, 'supervisor.log')}`);
      return 1;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** `elanus cluster down`: stops the supervisor, which stops every process of the cluster. */
export async function runClusterDown(o: { readonly dir: string }): Promise<number> {
  const dir = resolve(o.dir);
  const s = readState(dir);
  if (!s) {
    console.error(`elanus: no cluster in ${dir} (no cluster.json)`);
    return 1;
  }
  if (alive(s.supervisor)) process.kill(s.supervisor, 'SIGTERM');
  const until = Date.now() + 30_000;
  while (alive(s.supervisor) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  // A supervisor that did not stop in time (or died before): its children go by pid.
  for (const p of [{ pid: s.supervisor }, ...s.processes]) if (alive(p.pid)) process.kill(p.pid, 'SIGKILL');
  writeState(dir, { ...s, ready: false, processes: [] });
  return 0;
}

interface ElanusNode { readonly name: string; readonly port: number; child: ChildProcess | undefined }

/** `elanus cluster supervise`: owns the cluster's processes until SIGTERM (run by `up`). */
export async function runClusterSupervise(o: ClusterUpOptions): Promise<number> {
  const dir = resolve(o.dir);
  const saved = readState(dir);
  let etcd: LocalEtcd = await startEtcd({ dir: join(dir, 'etcd'), ...(saved ? { clientPort: saved.ports.etcd[0], peerPort: saved.ports.etcd[1] } : {}) });
  // The JetStream servers' ports are chosen here, to be kept: their routes name each other.
  const natsPorts = saved?.ports.nats ?? await freePorts(3);
  const nats: LocalNats = await startNats({ dir: join(dir, 'nats'), nodes: 3, ports: natsPorts });
  let s3: LocalS3 = await startS3({ dir: join(dir, 's3'), ...(saved ? { port: saved.ports.s3 } : {}) });
  const ports: ClusterFile['ports'] = { etcd: [etcd.clientPort, etcd.peerPort], nats: natsPorts, s3: s3.port };
  const nodeAt = (i: number): ElanusNode => ({ name: `elanus-${i + 1}`, port: o.port + i, child: undefined });
  const nodes: ElanusNode[] = Array.from({ length: desiredNodes(dir) ?? o.nodes }, (_, i) => nodeAt(i));
  let stopping = false;

  const startNode = (n: ElanusNode) => {
    const log = openSync(join(dir, `${n.name}.log`), 'a');
    n.child = spawn(process.execPath, [
      mainPath, 'serve', '--cluster', '--host', '127.0.0.1', '--port', String(n.port), '--node-name', n.name, '--cluster-name', clusterName,
      '--etcd-endpoints', etcd.endpoints.join(','), '--nats-servers', nats.servers.join(','), '--nats-replicas', '3',
      '--s3-endpoint', s3.endpoint, '--s3-bucket', s3.bucket, '--s3-region', s3.region,
    ], {
      stdio: ['ignore', log, log],
      env: { ...process.env, ELANUS_S3_ACCESS_KEY_ID: s3.accessKeyId, ELANUS_S3_SECRET_ACCESS_KEY: s3.secretAccessKey },
    });
  };
  const state = (ready: boolean): ClusterFile => ({
    gateways: nodes.map((n) => `127.0.0.1:${n.port}`),
    ready,
    supervisor: process.pid,
    ports,
    processes: [
      ...nodes.map((n) => ({ name: n.name, role: 'elanus', pid: n.child?.pid ?? 0, address: `127.0.0.1:${n.port}` })),
      { name: 'etcd-1', role: 'etcd', pid: etcd.pid, address: etcd.endpoints[0]!.replace(/^https?:\/\//, '') },
      ...nats.processes.map((p) => ({ name: `nats-${p.name.slice(1)}`, role: 'nats', pid: p.pid, address: p.url.replace(/^nats:\/\//, '') })),
      { name: 's3-1', role: 's3', pid: s3.pid, address: s3.endpoint.replace(/^https?:\/\//, '') },
    ],
  });
  for (const n of nodes) startNode(n);
  let ready = false;
  writeState(dir, state(false));
  const stopped = new Promise<void>((resolveStop) => {
    const onSignal = () => { stopping = true; resolveStop(); };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
  // Whatever died is started again, on its folder and ports.
  // One check at a time: a restart awaits (etcd takes a moment to answer), and a second
  // check started meanwhile would see the same dead pid and start a second server.
  let checking = false;
  const timer = setInterval(() => {
    if (checking) return;
    checking = true;
    void (async () => {
      if (stopping) return;
      let changed = false;
      // `up --nodes N` on a running cluster: a node added joins as a standby (and gateway);
      // a node removed is stopped with SIGTERM, which hands the coordinator lease over at once.
      const want = desiredNodes(dir) ?? nodes.length;
      while (nodes.length < want) {
        const n = nodeAt(nodes.length);
        nodes.push(n);
        startNode(n);
        ready = false;
        changed = true;
      }
      while (nodes.length > want) {
        const n = nodes.pop()!;
        n.child?.kill('SIGTERM');
        const child = n.child;
        setTimeout(() => child?.kill('SIGKILL'), 30_000).unref();
        ready = false;
        changed = true;
      }
      for (const n of nodes) {
        if (n.child && n.child.exitCode === null && n.child.signalCode === null) continue;
        startNode(n);
        changed = true;
      }
      if (!alive(etcd.pid)) {
        etcd = await startEtcd({ dir: join(dir, 'etcd'), clientPort: ports.etcd[0], peerPort: ports.etcd[1] });
        changed = true;
      }
      for (let i = 0; i < 3; i++) {
        if (nats.processes.some((p) => p.name === `n${i + 1}`)) continue;
        await nats.restart(i).catch(() => undefined);
        changed = true;
      }
      if (!alive(s3.pid)) {
        s3 = await startS3({ dir: join(dir, 's3'), port: ports.s3 });
        changed = true;
      }
      // Ready: every gateway answers, and a call through the first one reaches a coordinator.
      if (!ready && !stopping && (await clusterAnswers(nodes.map((n) => n.port)))) {
        ready = true;
        changed = true;
        console.log(`cluster ready: gateways ${nodes.map((n) => n.port).join(', ')}`);
      }
      if (changed && !stopping) writeState(dir, state(ready));
    })().catch((e: unknown) => console.error(`restart failed: ${String(e)}`)).finally(() => { checking = false; });
  }, checkIntervalMs);
  await stopped;
  clearInterval(timer);
  await Promise.all(nodes.map((n) => new Promise<void>((r) => {
    if (!n.child || n.child.exitCode !== null || n.child.signalCode !== null) return r();
    n.child.once('exit', () => r());
    n.child.kill('SIGTERM');
    setTimeout(() => { n.child?.kill('SIGKILL'); r(); }, 15_000).unref();
  })));
  await s3.stop();
  await nats.stop();
  await etcd.stop();
  writeState(dir, { ...state(false), processes: [] });
  rmSync(join(dir, 'cluster.json.tmp'), { force: true });
  return 0;
}


async function clusterAnswers(ports: readonly number[]): Promise<boolean> {
  for (const port of ports) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/v2/vectordb/collections/list`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}', signal: AbortSignal.timeout(2_000) });
      const body = await r.json() as { code?: number };
      if (r.status !== 200 || body.code !== 0) return false;
    } catch {
      return false;
    }
  }
  return true;
}
