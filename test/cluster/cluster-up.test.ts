// `elanus cluster up / down` as a user runs them: a cluster on loopback (etcd, three
// JetStream servers, the S3 stand-in, two Elanus nodes) from one command, described by
// DIR/cluster.json; a node killed with SIGKILL is started again by the supervisor; `up`
// again changes nothing; `down` leaves no process behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serverBinary } from '../../src/testing/require-server.js';
import { processAlive } from '../../src/testing/index.js';

const main = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const ready = serverBinary('etcd', 'etcd-server') && serverBinary('nats-server', 'nats-server');

interface ClusterFile { gateways: string[]; processes: Array<{ name: string; role: string; pid: number; address: string }> }


async function answers(address: string): Promise<boolean> {
  const r = await fetch(`http://${address}/v2/vectordb/collections/list`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  return r.status === 200 && ((await r.json()) as { code: number }).code === 0;
}

/** The coordinator's count of read replicas it deals reads to (the others report 0). */
async function replicasServing(gateways: readonly string[]): Promise<number> {
  let n = 0;
  for (const g of gateways) {
    const text = await (await fetch(`http://${g}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
    for (const line of text.split('\n')) if (line.startsWith('elanus_replicas_serving ')) n += Number(line.split(' ')[1]);
  }
  return n;
}

test('cluster up starts a whole cluster, its supervisor restarts a killed node, up --nodes adds and drains nodes (their read replicas join and leave the coordinator\'s reads), cluster down stops it all', { skip: ready ? false : 'etcd-server and nats-server are needed (Debian packages)', timeout: 180_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'elanus-cluster-up-'));
  // Below Linux's ephemeral range (32768 and up), where the servers that other tests start
  // on port 0 land: a gateway port taken by one of them would never come up.
  const port = 21_000 + Math.floor(Math.random() * 11_000);
  // With read replicas (opt-in), so that joining and draining nodes move reads too.
  const cli = (...args: string[]) => spawnSync(process.execPath, [main, 'cluster', ...args], { encoding: 'utf8', timeout: 170_000, env: { ...process.env, ELANUS_CLUSTER_ROLES: 'all' } });
  const state = async () => JSON.parse(await readFile(join(dir, 'cluster.json'), 'utf8')) as ClusterFile;
  let pids: number[] = [];
  try {
    const up = cli('up', '--nodes', '2', '--dir', dir, '--port', String(port));
    assert.equal(up.status, 0, up.stderr);
    const s = await state();
    assert.deepEqual(s.gateways, [`127.0.0.1:${port}`, `127.0.0.1:${port + 1}`]);
    assert.deepEqual(s.processes.map((p) => p.role).sort(), ['elanus', 'elanus', 'etcd', 'nats', 'nats', 'nats', 's3']);
    pids = s.processes.map((p) => p.pid);
    assert.ok(pids.every(processAlive), 'every process of cluster.json runs');
    for (const g of s.gateways) assert.ok(await answers(g), `${g} answers`);

    const victim = s.processes.find((p) => p.name === 'elanus-2')!;
    process.kill(victim.pid, 'SIGKILL');
    let again: ClusterFile['processes'][number] | undefined;
    for (let i = 0; i < 100 && !(again && again.pid !== victim.pid && processAlive(again.pid)); i++) {
      await new Promise((r) => setTimeout(r, 100));
      again = (await state()).processes.find((p) => p.name === 'elanus-2');
    }
    assert.ok(again && again.pid !== victim.pid && processAlive(again.pid), 'the supervisor started the killed node again');
    for (let i = 0; i < 100 && !(await answers(victim.address).catch(() => false)); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(await answers(victim.address));

    const second = cli('up', '--nodes', '2', '--dir', dir, '--port', String(port));
    assert.equal(second.status, 0, second.stderr);
    pids = (await state()).processes.map((p) => p.pid);
    assert.ok(pids.includes(again.pid), 'up on a running cluster changes nothing');

    // A node added later joins and answers; the count through it is the cluster's.
    const create = await fetch(`http://${s.gateways[0]}/v2/vectordb/collections/create`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ collectionName: 'grown', dimension: 4 }) });
    assert.equal(((await create.json()) as { code: number }).code, 0);
    const grown = cli('up', '--nodes', '3', '--dir', dir, '--port', String(port));
    assert.equal(grown.status, 0, grown.stderr);
    const s3 = await state();
    assert.deepEqual(s3.gateways, [`127.0.0.1:${port}`, `127.0.0.1:${port + 1}`, `127.0.0.1:${port + 2}`]);
    pids = s3.processes.map((p) => p.pid);
    assert.ok(pids.includes(again.pid), 'the nodes already there keep running');
    const listed = await fetch(`http://127.0.0.1:${port + 2}/v2/vectordb/collections/list`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.deepEqual(((await listed.json()) as { data: string[] }).data, ['grown'], 'the new node sees the catalog');
    // Its read replica registers and the coordinator deals it reads (the coordinator's metrics).
    for (let i = 0; i < 150 && (await replicasServing(s3.gateways)) !== 2; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(await replicasServing(s3.gateways), 2, 'both standbys serve reads, the new one too');

    // Drained back to two: the third node stops (SIGTERM) and is not restarted.
    const third = s3.processes.find((p) => p.name === 'elanus-3')!;
    const shrunk = cli('up', '--nodes', '2', '--dir', dir, '--port', String(port));
    assert.equal(shrunk.status, 0, shrunk.stderr);
    for (let i = 0; i < 100 && processAlive(third.pid); i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(processAlive(third.pid), false, 'the drained node stopped');
    const s2 = await state();
    assert.deepEqual(s2.processes.filter((p) => p.role === 'elanus').map((p) => p.name), ['elanus-1', 'elanus-2']);
    pids = s2.processes.map((p) => p.pid);
    for (const g of s2.gateways) assert.ok(await answers(g), `${g} answers after the drain`);
    for (let i = 0; i < 50 && (await replicasServing(s2.gateways)) !== 1; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(await replicasServing(s2.gateways), 1, 'the drained node gave its replica up when it stopped');
  } finally {
    const down = cli('down', '--dir', dir);
    assert.equal(down.status, 0, down.stderr);
    assert.deepEqual(pids.filter(processAlive), [], 'down leaves no process');
    await rm(dir, { recursive: true, force: true });
  }
});
