// Int8Vector through the official Node SDK 2.6, as its users send it: the schema, rows
// (sent as the int8_vector bytes of VectorField), query output, search with int8 query
// vectors (placeholder type Int8Vector), and the index types and metrics Milvus allows.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DataType } from '@zilliz/milvus2-sdk-node';
import { assertErr, assertOk, kv, rng, startHarness, type Harness } from './helpers.js';

let h: Harness;
const dim = 8;
const r = rng(11);
const rows = Array.from({ length: 40 }, (_, i) => ({
  id: i + 1,
  v: Array.from({ length: dim }, (_, k) => (i === 0 ? (k % 2 === 0 ? -128 : 127) : Math.floor(r() * 256) - 128)),
}));
const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0);
const l2sq = (a: number[], b: number[]) => a.reduce((s, x, i) => s + (x - b[i]!) ** 2, 0);
const cosine = (a: number[], b: number[]) => dot(a, b) / Math.sqrt(dot(a, a) * dot(b, b));

function expected(score: (v: number[]) => number, larger: boolean, k: number): Array<{ id: number; score: number }> {
  return rows.map((x) => ({ id: x.id, score: score(x.v) })).sort((a, b) => (larger ? b.score - a.score : a.score - b.score) || a.id - b.id).slice(0, k);
}

/** Exact scores (integers for L2 and IP), ids equal where scores are not tied. */
function assertHits(got: Array<{ score: number; [k: string]: unknown }>, want: Array<{ id: number; score: number }>, tol = 0): void {
  assert.equal(got.length, want.length);
  got.forEach((g, i) => assert.ok(Math.abs(g.score - want[i]!.score) <= tol, `hit ${i}: ${g.score} vs ${want[i]!.score}`));
  const key = (l: Array<{ id: unknown; score: number }>) => l.map((x) => `${x.score.toFixed(5)}:${String(x.id)}`).sort();
  assert.deepEqual(key(got.map((g) => ({ id: g['id'], score: g.score }))), key(want.map((w) => ({ id: String(w.id), score: w.score }))));
}

before(async () => {
  h = await startHarness();
  assertOk(await h.client.createCollection({ collection_name: 'i8', fields: [
    { name: 'id', data_type: DataType.Int64, is_primary_key: true },
    { name: 'v', data_type: DataType.Int8Vector, dim },
  ] }));
});
after(() => h.close());

test('describe reports the Int8Vector field with its dim', async () => {
  const d = await h.client.describeCollection({ collection_name: 'i8' });
  assertOk(d);
  const f = d.schema.fields.find((x) => x.name === 'v')!;
  assert.equal(f.data_type, 'Int8Vector');
  assert.equal(kv(f.type_params as never)['dim'], String(dim));
});

test('index types and metrics: only the HNSW family with L2, IP or COSINE, as in Milvus', async () => {
  const c = h.client;
  for (const index_type of ['FLAT', 'IVF_FLAT', 'IVF_SQ8', 'DISKANN', 'BIN_FLAT']) {
    assertErr(await c.createIndex({ collection_name: 'i8', field_name: 'v', index_type, metric_type: 'L2' }), { code: 1100, elanus: 'INDEX_TYPE_INVALID', reason: /allowed: HNSW, HNSW_SQ, AUTOINDEX/ });
  }
  assertErr(await c.createIndex({ collection_name: 'i8', field_name: 'v', index_type: 'HNSW', metric_type: 'HAMMING' }), { code: 1100, elanus: 'METRIC_TYPE_INVALID', reason: /allowed: L2, IP, COSINE/ });
  assertOk(await c.createIndex({ collection_name: 'i8', field_name: 'v', index_type: 'HNSW', metric_type: 'L2', params: { M: 8, efConstruction: 64 } }));
  assertOk(await c.loadCollectionSync({ collection_name: 'i8' }));
});

test('insert, query output round trip, and search with int8 query vectors: scores as on the integers', async () => {
  const c = h.client;
  const ins = await c.insert({ collection_name: 'i8', data: rows.slice(0, 25) });
  assertOk(ins.status);
  assert.equal(ins.insert_cnt, '25');
  await c.flushSync({ collection_names: ['i8'] });
  assertOk((await c.insert({ collection_name: 'i8', data: rows.slice(25) })).status);

  const q = await c.query({ collection_name: 'i8', filter: 'id > 0', output_fields: ['v'], limit: 100, consistency_level: 'Strong' as never });
  assertOk(q);
  // The SDK hands int8_vector out as Array.from of the wire's bytes (0..255): read them as signed.
  const got = q.data.map((x) => ({ id: Number(x['id']), v: Array.from(new Int8Array(Uint8Array.from(x['v'] as number[]).buffer)) })).sort((a, b) => a.id - b.id);
  assert.ok(q.data.some((x) => (x['v'] as number[]).some((b) => b > 127)), 'the SDK sees unsigned bytes: negative values arrive as 128..255');
  assert.deepEqual(got, rows);

  const query = [5, -7, 127, -128, 0, 33, -1, 64];
  const l2 = await c.search({ collection_name: 'i8', anns_field: 'v', data: query, limit: 6, consistency_level: 'Strong' as never });
  assertOk(l2);
  assertHits(l2.results, expected((v) => l2sq(v, query), false, 6));
  // Two query vectors at once, and output of the vector itself.
  const two = await c.search({ collection_name: 'i8', anns_field: 'v', data: [query, rows[3]!.v], limit: 1, output_fields: ['v'], consistency_level: 'Strong' as never });
  assertOk(two);
  const lists = two.results as unknown as Array<Array<{ id: string; score: number; v: number[] }>>;
  assert.equal(lists[1]![0]!.id, '4');
  assert.equal(lists[1]![0]!.score, 0);
  assert.deepEqual(Array.from(new Int8Array(Uint8Array.from(lists[1]![0]!.v).buffer)), rows[3]!.v, 'the hit carries its vector');

  // Another metric needs another index: IP and COSINE.
  assertOk(await c.releaseCollection({ collection_name: 'i8' }));
  assertOk(await c.dropIndex({ collection_name: 'i8', field_name: 'v' }));
  assertOk(await c.createIndex({ collection_name: 'i8', field_name: 'v', index_type: 'HNSW', metric_type: 'IP' }));
  assertOk(await c.loadCollectionSync({ collection_name: 'i8' }));
  const ip = await c.search({ collection_name: 'i8', anns_field: 'v', data: query, limit: 6, consistency_level: 'Strong' as never });
  assertHits(ip.results, expected((v) => dot(v, query), true, 6));
  assertOk(await c.releaseCollection({ collection_name: 'i8' }));
  assertOk(await c.dropIndex({ collection_name: 'i8', field_name: 'v' }));
  assertOk(await c.createIndex({ collection_name: 'i8', field_name: 'v', metric_type: 'COSINE', index_type: 'AUTOINDEX' }));
  assertOk(await c.loadCollectionSync({ collection_name: 'i8' }));
  const cos = await c.search({ collection_name: 'i8', anns_field: 'v', data: query, limit: 6, consistency_level: 'Strong' as never });
  assertHits(cos.results, expected((v) => cosine(v, query), true, 6), 1e-6);
});

test('a row or query of the wrong dimension is refused and nothing is stored', async () => {
  const c = h.client;
  assertErr((await c.insert({ collection_name: 'i8', data: [{ id: 100, v: [1, 2, 3, 4, 5, 6, 7, 8] }, { id: 101, v: [1, 2, 3] }] })).status, { code: 1100, elanus: 'WRONG_DIMENSION' });
  const left = await c.query({ collection_name: 'i8', filter: 'id >= 100', output_fields: ['id'], consistency_level: 'Strong' as never });
  assertOk(left);
  assert.deepEqual(left.data, []);
  assertErr(await c.search({ collection_name: 'i8', anns_field: 'v', data: [1, 2, 3], limit: 3 }), { code: 1100, elanus: 'WRONG_DIMENSION' });
});
