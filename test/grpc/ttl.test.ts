// Collection TTL through the official SDK over gRPC: `collection.ttl.seconds` set at
// createCollection, changed by alterCollectionProperties, removed by
// dropCollectionProperties, reported by describeCollection, checked as Milvus checks it;
// rows older than the TTL leave query, get, count(*), search, hybrid search and the
// statistics at once, and compaction removes them from the segments. The engine's clock
// is a SimulatedClock: the test moves time and computes which rows have expired.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DataType, type MilvusClient } from '@zilliz/milvus2-sdk-node';
import { SimulatedClock } from '../../src/testing/index.js';
import { physicalOf } from '../../src/tso/index.js';
import { type Harness, assertErr, assertOk, startHarness } from './helpers.js';

const clock = new SimulatedClock(1_800_000_000_000);
let h: Harness;
let c: MilvusClient;

before(async () => {
  h = await startHarness({ clock });
  c = h.client;
});
after(() => h.close());

/** Moves the engine's clock and waits until its timestamps follow (the allocator stores its high-water mark first). */
async function advance(ms: number): Promise<void> {
  clock.advance(ms);
  for (let i = 0; i < 5000 && physicalOf(h.engine.allocTimestamp()) !== clock.now(); i++) await new Promise((r) => setTimeout(r, 1));
  assert.equal(physicalOf(h.engine.allocTimestamp()), clock.now());
}

const name = 'ttl';
const fields = [
  { name: 'id', data_type: DataType.Int64, is_primary_key: true },
  { name: 'a', data_type: DataType.FloatVector, dim: 2 },
  { name: 'b', data_type: DataType.FloatVector, dim: 2 },
];
const rows = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => ({ id: from + k, a: [from + k, 1], b: [1, from + k] }));
const ids = (list: Array<Record<string, unknown>>) => list.map((r) => Number(r['id'])).sort((x, y) => x - y);
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

async function visible(): Promise<Record<string, unknown>> {
  const strong = { collection_name: name, consistency_level: 'Strong' as never };
  const q = await c.query({ ...strong, filter: 'id >= 0', output_fields: ['id'] });
  const g = await c.get({ ...strong, ids: range(0, 20), output_fields: ['id'] });
  const count = await c.count({ ...strong });
  const s = await c.search({ ...strong, anns_field: 'a', data: [0, 1], limit: 50 });
  const hy = await c.hybridSearch({
    ...strong, limit: 50, rerank: { strategy: 'rrf', params: { k: 60 } } as never,
    data: [{ anns_field: 'a', data: [1, 1], params: {} }, { anns_field: 'b', data: [1, 1], params: {} }] as never,
  });
  const stats = await c.getCollectionStatistics({ collection_name: name });
  return {
    query: ids(q.data), get: ids(g.data), count: Number(count.data), search: ids(s.results as never),
    hybrid: ids(hy.results as never), stats: Number(stats.data.row_count),
  };
}

const expect = (list: number[]) => ({ query: list, get: list, count: list.length, search: list, hybrid: list, stats: list.length });

test('TTL through the SDK: set, altered, dropped, validated; expired rows leave every read at once', async () => {
  assertOk(await c.createCollection({ collection_name: name, fields, shards_num: 2, properties: { 'collection.ttl.seconds': 10 } }));
  for (const f of ['a', 'b']) assertOk(await c.createIndex({ collection_name: name, field_name: f, index_type: 'FLAT', metric_type: 'L2' }));
  assertOk(await c.loadCollection({ collection_name: name }));
  const props = async () => (await c.describeCollection({ collection_name: name })).properties;
  assert.deepEqual(await props(), [{ key: 'collection.ttl.seconds', value: '10' }]);

  assertOk(await c.insert({ collection_name: name, data: rows(0, 6) }));
  await advance(7_000);
  assertOk(await c.insert({ collection_name: name, data: rows(6, 10) }));
  assertOk(await c.upsert({ collection_name: name, data: rows(0, 2) })); // rewritten 7 s after the first batch
  assert.deepEqual(await visible(), expect(range(0, 10)));
  await advance(4_000); // rows 2..5 are 11 s old; the rest 4 s
  assert.deepEqual(await visible(), expect([0, 1, 6, 7, 8, 9]));

  assertOk(await c.alterCollectionProperties({ collection_name: name, properties: { 'collection.ttl.seconds': 3 } }));
  assert.deepEqual(await props(), [{ key: 'collection.ttl.seconds', value: '3' }]);
  assert.deepEqual(await visible(), expect([]));
  assertOk(await c.dropCollectionProperties({ collection_name: name, properties: ['collection.ttl.seconds'] }));
  assert.deepEqual(await props(), []);
  assert.deepEqual(await visible(), expect(range(0, 10)), 'without a TTL every stored row is back');

  assertErr(await c.alterCollectionProperties({ collection_name: name, properties: { 'collection.ttl.seconds': 'x' } }), { code: 1100, elanus: 'INVALID_ARGUMENT', reason: /collection TTL is not a valid positive integer/ });
  assertErr(await c.alterCollectionProperties({ collection_name: name, properties: { 'collection.ttl.seconds': 3_155_760_001 } }), { code: 1100, elanus: 'INVALID_ARGUMENT', reason: /out of range, expect \[-1, 3155760000\], got 3155760001/ });
  // The SDK throws the status of a refused createCollection.
  await assert.rejects(c.createCollection({ collection_name: 'ttl_bad', fields, properties: { 'collection.ttl.seconds': -2 } }), (e) => {
    assertErr(e, { code: 1100, elanus: 'INVALID_ARGUMENT', reason: /out of range/ });
    return true;
  });
  assert.deepEqual(await props(), [], 'a refused change stored nothing');
  assert.equal((await c.hasCollection({ collection_name: 'ttl_bad' })).value, false);
});

test('compaction removes expired rows from the segments; the reads stay the same', async () => {
  assertOk(await c.alterCollectionProperties({ collection_name: name, properties: { 'collection.ttl.seconds': 5 } }));
  assertOk(await c.flushSync({ collection_names: [name] }));
  await advance(2_000); // the youngest stored rows are now 6 s old
  assertOk(await c.insert({ collection_name: name, data: rows(10, 12) }));
  assertOk(await c.flushSync({ collection_names: [name] }));
  const stored = () => h.engine.segmentInfo({ collection_name: name }).reduce((n, s) => n + s.rows, 0);
  // 12 rows written, and the 2 old versions of the upserted keys.
  assert.equal(stored(), 14);
  assert.deepEqual(await visible(), expect([10, 11]), 'every earlier row is older than 5 s');
  const res = await c.compact({ collection_name: name });
  assert.equal((await c.getCompactionState({ compactionID: res.compactionID })).state, 'Completed');
  assert.equal(stored(), 2, 'only the two young rows are stored');
  assert.deepEqual(await visible(), expect([10, 11]));
});
