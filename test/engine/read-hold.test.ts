// A read holds its snapshot against compaction from the moment it takes it until it is
// answered. Found by the cluster soak of 2026-12-07 (read replicas on): a read the
// coordinator dealt to a replica that failed after its 10 s timeout was answered by the
// coordinator at the snapshot it had taken before, over segments a compaction had
// rewritten meanwhile without the rows deleted after that snapshot: a key read by id was
// missing, and a count(*) was 7 instead of 10.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Elanus } from '../../src/engine/index.js';
import type { ShardReader } from '../../src/gateway/index.js';
import { fail } from '../../src/errors/index.js';
import { FaultFileSystem } from '../../src/testing/index.js';
import { DataType } from './helpers.js';

test('a read answered after a compaction that ran while it waited sees the rows of its snapshot', async () => {
  // A replica that holds every read it is dealt until released, then fails it: the
  // coordinator then answers the read itself, at the snapshot it took before.
  let entered!: () => void;
  let release!: () => void;
  const inRead = new Promise<void>((r) => (entered = r));
  const gate = new Promise<void>((r) => (release = r));
  const stalled = async (): Promise<never> => {
    entered();
    await gate;
    fail('REPLICA_BEHIND', { node: 'r1', detail: 'a test replica that fails every read' });
  };
  const replica: ShardReader = { countShards: stalled, queryShards: stalled, searchShards: stalled };
  const db = await Elanus.open({
    path: '/data/elanus', fs: new FaultFileSystem({ seed: 3 }), limits: { backgroundIntervalMs: 0 },
    replicas: { nodes: () => ['r1'], reader: () => replica, failed: () => undefined },
  });
  try {
    const c = { collection_name: 'c' };
    await db.createCollection({ ...c, fields: [
      { name: 'id', data_type: DataType.Int64, is_primary_key: true },
      { name: 'vector', data_type: DataType.FloatVector, dim: 2 },
    ] });
    await db.loadCollection(c);
    await db.insert({ ...c, data: Array.from({ length: 10 }, (_, i) => ({ id: i, vector: [i, 1] })) });
    await db.flush({ collection_names: ['c'] });
    // Reads take turns between the coordinator and the replica: this one is the coordinator's.
    assert.equal((await db.count({ ...c, consistency_level: 'Strong' })).data, 10);

    // The replica's turn: the read takes its snapshot and waits on the replica.
    const counting = db.count({ ...c, consistency_level: 'Strong' });
    await inRead;
    // Meanwhile three rows are deleted, flushed, and compaction rewrites the segment.
    await db.delete({ ...c, ids: [2, 5, 7] });
    await db.flush({ collection_names: ['c'] });
    // The read holds its snapshot: the rows deleted after it are not dead yet. (Before the
    // fix the compaction rewrote the segment without them and the read counted 7.)
    assert.equal((await db.compact(c)).removedRows, 0);
    release();
    assert.equal((await counting).data, 10);

    // Once no read holds it, the next compaction drops the deleted rows.
    const again = await db.compact(c);
    assert.equal(again.removedRows, 3);
    assert.equal((await db.count({ ...c, consistency_level: 'Strong' })).data, 7);
  } finally {
    await db.close();
  }
});

test('every kind of read lets its snapshot go once answered: compaction then drops what was deleted', async () => {
  const db = await Elanus.open({ path: '/data/elanus', fs: new FaultFileSystem({ seed: 4 }), limits: { backgroundIntervalMs: 0 } });
  try {
    const c = { collection_name: 'c' };
    await db.createCollection({ ...c, fields: [
      { name: 'id', data_type: DataType.Int64, is_primary_key: true },
      { name: 'vector', data_type: DataType.FloatVector, dim: 2 },
      { name: 'parts', data_type: DataType.Array, element_type: DataType.Struct, max_capacity: 2, fields: [
        { name: 'emb', data_type: DataType.FloatVector, dim: 2 },
      ] },
    ] as never });
    await db.loadCollection(c);
    await db.insert({ ...c, data: Array.from({ length: 10 }, (_, i) => ({ id: i, vector: [i, 1], parts: [{ emb: [1, i] }] })) });
    await db.flush({ collection_names: ['c'] });
    const strong = { ...c, consistency_level: 'Strong' as const };
    // One of each read path: count, query, get, search, range search, hybrid search,
    // an embedding-list search, a query iterator read to its end, a search iterator closed.
    await db.count(strong);
    await db.query({ ...strong, filter: 'id >= 0', output_fields: ['id'], limit: 5 });
    await db.get({ ...strong, ids: [1, 2] });
    await db.search({ ...strong, anns_field: 'vector', data: [1, 1], limit: 3, metric_type: 'L2' });
    await db.search({ ...strong, anns_field: 'vector', data: [1, 1], limit: 3, metric_type: 'L2', params: { radius: 100, range_filter: 0 } });
    await db.hybridSearch({ ...strong, data: [{ anns_field: 'vector', data: [1, 1], limit: 3 }, { anns_field: 'vector', data: [2, 1], limit: 3 }], limit: 3, rerank: { strategy: 'rrf', params: { k: 60 } } } as never);
    await db.search({ ...strong, anns_field: 'parts[emb]', data: [[1, 1]], limit: 3, metric_type: 'MAX_SIM_IP' } as never);
    for await (const page of await db.queryIterator({ ...strong, filter: 'id >= 0', batchSize: 4 })) assert.ok(page.length > 0);
    const sit = await db.searchIterator({ ...strong, anns_field: 'vector', data: [1, 1], batchSize: 3, limit: 6, metric_type: 'L2' } as never);
    for await (const batch of sit) assert.ok(batch.length > 0);

    await db.delete({ ...c, ids: [2, 5, 7] });
    await db.flush({ collection_names: ['c'] });
    // A read that kept its hold (a leak) would keep the deleted rows from compaction.
    assert.equal((await db.compact(c)).removedRows, 3);
    assert.equal((await db.count(strong)).data, 7);
  } finally {
    await db.close();
  }
});
