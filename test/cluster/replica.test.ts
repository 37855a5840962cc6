// Read replicas (engine/replica.ts) in a cluster of three in-process nodes: the
// coordinator spreads reads over itself and the two standbys' replicas, and every answer
// is exact whichever node gave it: across flushes, deletes, upserts, new partitions and
// indexes, a replica that is killed, and one that comes back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataType, MilvusClient } from '@zilliz/milvus2-sdk-node';
import type { ReadReplica } from '../../src/engine/index.js';
import { type RunningNode, sharedStores, startNode, until } from './in-process.js';

interface Row { id: number; tag: number; v: number[] }

const vec = (id: number, tag: number) => [id, tag, 0, 1];
const withReplica = ['gateway', 'coordinator', 'data'] as const;

async function strongCount(client: MilvusClient, filter = '', partitions?: string[]): Promise<number> {
  const r = await client.query({ collection_name: 'c', filter, output_fields: ['count(*)'], consistency_level: 'Strong' as never, ...(partitions ? { partition_names: partitions } : {}) });
  assert.equal(r.status.error_code, 'Success', r.status.reason);
  return Number(r.data[0]?.['count(*)']);
}

function replicaReads(n: RunningNode): number {
  return (n.node.replicaReader() as ReadReplica | undefined)?.stats.reads ?? 0;
}

/** Reads a standby's own clients sent it that its replica answered (not forwarded). */
function gatewayAnswered(n: RunningNode): number {
  return n.node.replicaStats()?.gatewayAnswered ?? 0;
}

/** A REST v2 call to a node. */
async function rest(n: RunningNode, path: string, body: unknown): Promise<{ code: number; data?: unknown; message?: string }> {
  const res = await fetch(`http://${n.address}/v2/vectordb/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return await res.json() as { code: number; data?: unknown; message?: string };
}

/** REST reads through a standby: answered from its replica when it can, exact either way. */
async function checkRest(n: RunningNode, model: Map<number, Row>, round: number): Promise<void> {
  const before = gatewayAnswered(n);
  const count = await rest(n, 'entities/query', { collectionName: 'c', filter: '', outputFields: ['count(*)'], consistencyLevel: 'Strong' });
  assert.equal(count.code, 0, count.message);
  assert.equal(Number((count.data as Array<Record<string, unknown>>)[0]?.['count(*)']), model.size, `round ${round}: REST count(*)`);
  const ids = [...model.keys()].slice(0, 5);
  const got = await rest(n, 'entities/get', { collectionName: 'c', id: ids, outputFields: ['tag'], consistencyLevel: 'Strong' });
  assert.equal(got.code, 0, got.message);
  assert.deepEqual((got.data as Array<Record<string, unknown>>).map((r) => [Number(r['id']), Number(r['tag'])]).sort((x, y) => x[0]! - y[0]!), ids.map((id) => [id, model.get(id)!.tag]).sort((x, y) => x[0]! - y[0]!));
  const probe = [...model.values()][(round * 13) % model.size]!;
  const found = await rest(n, 'entities/search', { collectionName: 'c', data: [probe.v], limit: 2, outputFields: ['tag'], consistencyLevel: 'Strong' });
  assert.equal(found.code, 0, found.message);
  assert.equal(Number((found.data as Array<Record<string, unknown>>)[0]?.['id']), probe.id, `round ${round}: REST search finds the stored vector's own row`);
  assert.ok(gatewayAnswered(n) >= before, 'counted');
}

/** Every read kind through `client` (Strong) against the model of what was acknowledged. */
async function checkAll(client: MilvusClient, model: Map<number, Row>, round: number): Promise<void> {
  assert.equal(await strongCount(client), model.size, `round ${round}: count(*)`);
  const tag = round % 3;
  const tagged = [...model.values()].filter((r) => r.tag === tag).length;
  assert.equal(await strongCount(client, `tag == ${tag}`), tagged, `round ${round}: count of tag == ${tag}`);
  const ids = [...model.keys()].filter((id) => id % 50 === round % 50).slice(0, 20);
  const got = await client.query({ collection_name: 'c', filter: `id in [${ids.join(',')}]`, output_fields: ['id', 'tag'], consistency_level: 'Strong' as never });
  assert.equal(got.status.error_code, 'Success', got.status.reason);
  assert.deepEqual(got.data.map((r) => [Number(r['id']), Number(r['tag'])]).sort((x, y) => x[0]! - y[0]!), ids.map((id) => [id, model.get(id)!.tag]).sort((x, y) => x[0]! - y[0]!), `round ${round}: rows by key`);
  const probe = [...model.values()][(round * 37) % model.size]!;
  const found = await client.search({ collection_name: 'c', data: [probe.v], limit: 3, output_fields: ['tag'], consistency_level: 'Strong' as never });
  assert.equal(found.status.error_code, 'Success', found.status.reason);
  assert.equal(Number(found.results[0]?.id), probe.id, `round ${round}: the nearest row to a stored vector is its own`);
  assert.equal(Number(found.results[0]?.['tag']), probe.tag);
}

test('read replicas answer counts, queries and searches exactly, across writes, flushes, DDL, a killed replica and a restarted one', async () => {
  const { shared, release } = await sharedStores('replica');
  const a = await startNode('node-a', shared);
  await until('node-a to coordinate', () => a.node.isCoordinator());
  const b = await startNode('node-b', shared, withReplica);
  let c = await startNode('node-c', shared, withReplica);
  await until('both replicas to register', () => (a.node.replicas()?.nodes().length ?? 0) === 2);
  const clients = [a, b, c].map((n) => new MilvusClient({ address: n.address, logLevel: 'error' }));
  const model = new Map<number, Row>();
  try {
    for (const cl of clients) await cl.connectPromise;
    const [viaA, viaB, viaC] = clients as [MilvusClient, MilvusClient, MilvusClient];
    const created = await viaB.createCollection({
      collection_name: 'c', shards_num: 2,
      fields: [
        { name: 'id', data_type: DataType.Int64, is_primary_key: true },
        { name: 'tag', data_type: DataType.Int64 },
        { name: 'v', data_type: DataType.FloatVector, dim: 4 },
      ],
    });
    assert.equal(created.error_code, 'Success', created.reason);
    assert.equal((await viaB.createIndex({ collection_name: 'c', field_name: 'v', index_type: 'FLAT', metric_type: 'L2' })).error_code, 'Success');
    assert.equal((await viaB.loadCollectionSync({ collection_name: 'c' })).error_code, 'Success');

    for (let round = 0; round < 6; round++) {
      const writer = clients[round % 3]!;
      const reader = clients[(round + 1) % 3]!;
      const rows = Array.from({ length: 300 }, (_, j) => {
        const id = round * 300 + j;
        return { id, tag: id % 3, v: vec(id, id % 3) };
      });
      const ins = await writer.insert({ collection_name: 'c', data: rows });
      assert.equal(ins.status.error_code, 'Success', ins.status.reason);
      for (const r of rows) model.set(r.id, r);
      // Read at once through another gateway: Strong sees the write wherever the read runs.
      assert.equal(await strongCount(reader), model.size, `round ${round}: count right after the insert`);
      if (round % 2 === 1) assert.equal((await writer.flushSync({ collection_names: ['c'] })).status.error_code, 'Success');
      const del = await writer.delete({ collection_name: 'c', filter: `id % 7 == ${round}` });
      assert.equal(del.status.error_code, 'Success', del.status.reason);
      for (const id of [...model.keys()]) if (id % 7 === round) model.delete(id);
      const up = [...model.values()].filter((r) => r.id % 11 === round).map((r) => ({ id: r.id, tag: (r.tag + 1) % 3, v: vec(r.id, (r.tag + 1) % 3) }));
      const ups = await writer.upsert({ collection_name: 'c', data: up });
      assert.equal(ups.status.error_code, 'Success', ups.status.reason);
      for (const r of up) model.set(r.id, r);
      await checkAll(reader, model, round);
    }
    const served = replicaReads(b) + replicaReads(c);
    assert.ok(served > 0, `the replicas served reads (b ${replicaReads(b)}, c ${replicaReads(c)})`);
    // The standbys answered their own clients' reads from their replicas (planned and
    // merged there, at the coordinator's view), each of them exact above.
    assert.ok(gatewayAnswered(b) > 0 && gatewayAnswered(c) > 0, `the standbys answered reads themselves (b ${gatewayAnswered(b)}, c ${gatewayAnswered(c)})`);
    // REST reads to a standby: answered from its replica, and exact.
    const restBefore = gatewayAnswered(b);
    await checkRest(b, model, 6);
    assert.ok(gatewayAnswered(b) >= restBefore + 3, 'the standby answered the REST reads itself');
    await checkRest(a, model, 6);
    // A body that is not JSON reaches the coordinator as it came, and is refused as it would be there.
    const bad = await rest(b, 'entities/query', '{"collectionName": ');
    const badAtCoordinator = await rest(a, 'entities/query', '{"collectionName": ');
    assert.notEqual(bad.code, 0);
    assert.deepEqual(bad, badAtCoordinator);

    // A new partition: reads planned against the new catalog wait for a replica copy that has it.
    assert.equal((await viaA.createPartition({ collection_name: 'c', partition_name: 'p2' })).error_code, 'Success');
    const p2 = Array.from({ length: 50 }, (_, j) => ({ id: 100_000 + j, tag: 1, v: vec(100_000 + j, 1) }));
    assert.equal((await viaA.insert({ collection_name: 'c', partition_name: 'p2', data: p2 })).status.error_code, 'Success');
    for (const r of p2) model.set(r.id, r);
    for (const cl of clients) assert.equal(await strongCount(cl, '', ['p2']), 50, 'the new partition, through every gateway');
    await checkAll(viaC, model, 7);
    // The partition goes again: a copy still holding it would count its rows, so each
    // standby sends its reads to the coordinator until its copy has the new catalog.
    assert.equal((await viaA.releasePartitions({ collection_name: 'c', partition_names: ['p2'] })).error_code, 'Success');
    assert.equal((await viaA.dropPartition({ collection_name: 'c', partition_name: 'p2' })).error_code, 'Success');
    for (const r of p2) model.delete(r.id);
    for (const cl of clients) assert.equal(await strongCount(cl), model.size, 'count(*) right after the partition was dropped, through every gateway');
    await checkRest(c, model, 7);
    await checkAll(viaB, model, 7);

    // Replica c dies: its reads fail over to the coordinator and every answer stays exact.
    c.sever();
    await c.server.close(0);
    await c.node.close();
    for (let round = 8; round < 12; round++) await checkAll(round % 2 ? viaA : viaB, model, round);

    // It comes back: a new replica copy from the stores, registered again.
    c = await startNode('node-c', shared, withReplica);
    clients[2] = new MilvusClient({ address: c.address, logLevel: 'error' });
    await clients[2].connectPromise;
    await until('node-c to register again', () => a.node.replicas()?.nodes().includes('node-c') ?? false, 15_000);
    const before = replicaReads(c);
    for (let round = 12; round < 18; round++) await checkAll(clients[2], model, round);
    assert.ok(replicaReads(c) > before, 'the restarted replica serves reads again');
    assert.ok(gatewayAnswered(c) > 0, 'the restarted standby answers its clients\' reads itself again');
  } finally {
    for (const cl of clients) await cl.closeConnection().catch(() => undefined);
    for (const n of [b, c, a]) await n.server.close(1_000).catch(() => undefined);
    for (const n of [b, c, a]) await n.node.close();
    await release();
  }
});
