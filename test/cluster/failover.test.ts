// Cluster mode for real: etcd, nats-server and the S3 stand-in on loopback, and three
// `elanus serve --cluster` processes. A 2-shard collection gets 50,000 rows through one
// gateway; the coordinator's process is killed with SIGKILL; within 20 s writes and reads
// through another gateway succeed and count exactly; the killed node comes back (as a
// standby) and every gateway counts the same.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataType, MilvusClient } from '@zilliz/milvus2-sdk-node';
import { EtcdMetaStore, startEtcd, startNats, startS3 } from '../../src/cluster/index.js';
import { serverBinary } from '../../src/testing/require-server.js';

const main = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const etcdBinary = serverBinary('etcd', 'etcd-server');
const natsBinary = serverBinary('nats-server', 'nats-server');
const clusterName = 'failover';
const leaseTtlMs = 4_000;
const rowsTotal = 50_000;
const dim = 8;

interface Node {
  readonly name: string;
  child: ChildProcess;
  address: string;
}

function vector(i: number): number[] {
  return Array.from({ length: dim }, (_, d) => ((i * 31 + d * 17) % 97) / 97);
}

async function count(client: MilvusClient): Promise<number> {
  const r = await client.query({ collection_name: 'c', filter: '', output_fields: ['count(*)'], consistency_level: 'Strong' as never });
  if (r.status.error_code !== 'Success') throw new Error(r.status.reason);
  return Number(r.data[0]?.['count(*)']);
}

async function retryUntil<T>(deadline: number, what: string, attempt: () => Promise<T>): Promise<T> {
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      return await attempt();
    } catch (e) {
      last = e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`${what}: not done in time; last error: ${String((last as Error)?.message ?? last)}`);
}

test('kill -9 of the coordinator: another gateway writes and counts exactly within 20 s, and the node comes back', { skip: !etcdBinary || !natsBinary ? 'etcd-server and nats-server are needed (Debian packages)' : false, timeout: 240_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'elanus-failover-'));
  const etcd = await startEtcd({ dir: join(dir, 'etcd') });
  const nats = await startNats({ dir: join(dir, 'nats'), nodes: 1 });
  const s3 = await startS3({ dir: join(dir, 's3') });
  const meta = await EtcdMetaStore.open({ endpoints: etcd.endpoints, namespace: `elanus/${clusterName}/` });
  const nodes: Node[] = [];
  const clients: MilvusClient[] = [];
  const args = (name: string) => [
    main, 'serve', '--cluster', '--port', '0', '--node-name', name, '--cluster-name', clusterName,
    '--etcd-endpoints', etcd.endpoints.join(','), '--nats-servers', nats.servers.join(','),
    '--s3-endpoint', s3.endpoint, '--s3-bucket', s3.bucket, '--s3-region', s3.region,
    '--s3-access-key-id', s3.accessKeyId, '--s3-secret-access-key', s3.secretAccessKey,
    '--coordinator-lease-ttl-ms', String(leaseTtlMs), '--no-metrics', '--background-interval-ms', '1000',
  ];
  const start = (name: string): Promise<Node> => new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args(name), { stdio: ['ignore', 'pipe', 'pipe'] });
    const log = createWriteStream(join(dir, `${name}.log`), { flags: 'a' });
    child.stderr!.pipe(log);
    let buffered = '';
    let found = false;
    child.stdout!.on('data', (chunk: Buffer) => {
      log.write(chunk);
      if (found) return;
      buffered += chunk.toString('utf8');
      for (const line of buffered.split('\n')) {
        const m = /"address":"([^"]+)"/.exec(line);
        if (m && line.includes('cluster node')) {
          found = true;
          resolve({ name, child, address: m[1]! });
          return;
        }
      }
    });
    child.once('exit', (code) => { if (!found) reject(new Error(`${name} exited with ${code}; see ${join(dir, `${name}.log`)}`)); });
  });
  const client = async (address: string) => {
    const c = new MilvusClient({ address, logLevel: 'error', timeout: 30_000 });
    clients.push(c);
    await c.connectPromise;
    return c;
  };
  try {
    for (const name of ['elanus-1', 'elanus-2', 'elanus-3']) nodes.push(await start(name));
    const coordinatorName = async () => (JSON.parse((await meta.get('cluster/coordinator'))?.value ?? '{}') as { node?: string }).node;
    await retryUntil(Date.now() + 30_000, 'a coordinator', async () => assert.ok(await coordinatorName()));
    const leaderName = (await coordinatorName())!;
    const leader = nodes.find((n) => n.name === leaderName)!;
    const others = nodes.filter((n) => n !== leader);
    const c1 = await client(others[0]!.address);

    const created = await c1.createCollection({
      collection_name: 'c', shards_num: 2,
      fields: [{ name: 'id', data_type: DataType.Int64, is_primary_key: true }, { name: 'v', data_type: DataType.FloatVector, dim }],
    });
    assert.equal(created.error_code, 'Success', created.reason);
    await c1.createIndex({ collection_name: 'c', field_name: 'v', index_type: 'FLAT', metric_type: 'L2' });
    await c1.loadCollectionSync({ collection_name: 'c' });
    for (let from = 0; from < rowsTotal; from += 5_000) {
      const r = await c1.insert({ collection_name: 'c', data: Array.from({ length: 5_000 }, (_, j) => ({ id: from + j, v: vector(from + j) })) });
      assert.equal(r.status.error_code, 'Success', r.status.reason);
    }
    // Part of it flushed to S3, part only in the log.
    await c1.flushSync({ collection_names: ['c'] });
    const late = await c1.insert({ collection_name: 'c', data: Array.from({ length: 1_000 }, (_, j) => ({ id: rowsTotal + j, v: vector(j) })) });
    assert.equal(late.status.error_code, 'Success', late.status.reason);
    const del = await c1.delete({ collection_name: 'c', filter: 'id < 500' });
    assert.equal(del.status.error_code, 'Success', del.status.reason);
    // Small records too: they come back from JetStream as Buffers cut from the client's
    // shared pool (the replay once decoded their keys from the wrong bytes).
    for (let i = 0; i < 10; i++) {
      const r = await c1.insert({ collection_name: 'c', data: [{ id: 800_000 + i, v: vector(i) }] });
      assert.equal(r.status.error_code, 'Success', r.status.reason);
    }
    let expected = rowsTotal + 1_000 - 500 + 10;
    assert.equal(await count(c1), expected);

    // The coordinator dies.
    const killedAt = Date.now();
    leader.child.kill('SIGKILL');
    const c2 = await client(others[1]!.address);
    const within = killedAt + 20_000;
    await retryUntil(within, 'a write through another gateway', async () => {
      const r = await c2.insert({ collection_name: 'c', data: [{ id: 900_000, v: vector(1) }] });
      if (r.status.error_code !== 'Success') throw new Error(r.status.reason);
    });
    expected += 1;
    const counted = await retryUntil(within, 'an exact count through another gateway', () => count(c2));
    assert.equal(counted, expected, 'no acknowledged write lost, none counted twice');
    const servedMs = Date.now() - killedAt;
    assert.ok(Date.now() <= within, `served again ${servedMs} ms after the kill`);
    const successor = await coordinatorName();
    assert.notEqual(successor, leaderName);
    t.diagnostic(`coordinator ${leaderName} killed; ${successor} served writes and an exact count (${counted} rows) ${servedMs} ms later (lease TTL ${leaseTtlMs} ms)`);
    const found = await c2.search({ collection_name: 'c', data: [vector(123)], limit: 1, output_fields: ['id'] });
    assert.equal(found.status.error_code, 'Success', found.status.reason);
    const small = await c2.query({ collection_name: 'c', filter: 'id >= 800000 and id < 800010', output_fields: ['id'], consistency_level: 'Strong' as never });
    assert.deepEqual(small.data.map((r) => Number(r.id)).sort((a, b) => a - b), Array.from({ length: 10 }, (_, i) => 800_000 + i), 'the small records replayed with their own keys');

    // The killed node comes back, as a standby, and every gateway counts the same.
    const back = await start(leader.name);
    nodes[nodes.indexOf(leader)] = back;
    const c3 = await client(back.address);
    for (const c of [c1, c2, c3]) assert.equal(await retryUntil(Date.now() + 20_000, 'a count', () => count(c)), expected);
  } finally {
    for (const c of clients) await c.closeConnection().catch(() => undefined);
    for (const n of nodes) n.child.kill('SIGKILL');
    await meta.close();
    await s3.stop();
    await nats.stop();
    await etcd.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
