// Vector search and hybrid search through the official SDK, checked against scores and
// orders computed by hand (brute force here) and against the in-process engine.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DataType, RRFRanker, WeightedRanker } from '@zilliz/milvus2-sdk-node';
import { assertErr, assertOk, randomVector, rng, startHarness, type Harness } from './helpers.js';

let h: Harness;
const N = 60;
const dim = 6;
const r = rng(7);
interface Row { id: number; l2: number[]; ip: number[]; cos: number[]; bin: number[]; tag: string; color?: string }
const rows: Row[] = Array.from({ length: N }, (_, i) => ({
  id: i + 1, l2: randomVector(r, dim), ip: randomVector(r, dim), cos: randomVector(r, dim),
  bin: [Math.floor(r() * 256), Math.floor(r() * 256)], tag: `t${i % 3}`, ...(i % 2 === 0 ? { color: `c${i}` } : {}),
}));
// Float32 is what the server stores and computes with: compare against the same precision.
const f32 = (v: number[]) => v.map(Math.fround);
const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0);
const l2sq = (a: number[], b: number[]) => a.reduce((s, x, i) => s + (x - b[i]!) ** 2, 0);
const cosine = (a: number[], b: number[]) => dot(a, b) / Math.sqrt(dot(a, a) * dot(b, b));
const popcount = (x: number) => { let n = 0; while (x) { n += x & 1; x >>= 1; } return n; };
const hamming = (a: number[], b: number[]) => a.reduce((s, x, i) => s + popcount(x ^ b[i]!), 0);

/** Top-k ids with scores; `larger` says whether larger scores are better. */
function bruteForce(score: (row: Row) => number, larger: boolean, k: number, keep: (row: Row) => boolean = () => true) {
  return rows.filter(keep).map((row) => ({ id: row.id, score: score(row) }))
    .sort((a, b) => (larger ? b.score - a.score : a.score - b.score) || a.id - b.id).slice(0, k);
}

/** Hits agree with expected: same scores (float tolerance) and, where scores differ, the same ids. */
function assertHits(got: Array<{ score: number; id?: string; [k: string]: unknown }>, expected: Array<{ id: number; score: number }>, pk = 'id', tol = 1e-4) {
  assert.equal(got.length, expected.length, 'number of hits');
  got.forEach((hit, i) => {
    assert.ok(Math.abs(hit.score - expected[i]!.score) <= tol * Math.max(1, Math.abs(expected[i]!.score)), `hit ${i}: score ${hit.score} vs ${expected[i]!.score}`);
  });
  const byScore = (list: Array<{ id: unknown; score: number }>) => list.map((x) => `${x.score.toFixed(3)}:${String(x.id)}`).sort();
  // Ties may come in either order; compare as sets within equal scores.
  assert.deepEqual(byScore(got.map((g) => ({ id: g[pk], score: g.score }))), byScore(expected.map((e) => ({ id: String(e.id), score: e.score }))));
}

before(async () => {
  h = await startHarness();
  const c = h.client;
  assertOk(await c.createCollection({
    collection_name: 'sr', enable_dynamic_field: true,
    fields: [
      { name: 'id', data_type: DataType.Int64, is_primary_key: true },
      { name: 'l2', data_type: DataType.FloatVector, dim },
      { name: 'ip', data_type: DataType.FloatVector, dim },
      { name: 'cos', data_type: DataType.FloatVector, dim },
      { name: 'bin', data_type: DataType.BinaryVector, dim: 16 },
      { name: 'tag', data_type: DataType.VarChar, max_length: 8 },
    ],
  }));
  assertOk(await c.createPartition({ collection_name: 'sr', partition_name: 'odd' }));
  assertOk(await c.createIndex({ collection_name: 'sr', field_name: 'l2', index_type: 'HNSW', metric_type: 'L2', params: { M: 8, efConstruction: 32 } }));
  assertOk(await c.createIndex({ collection_name: 'sr', field_name: 'ip', index_type: 'IVF_FLAT', metric_type: 'IP', params: { nlist: 4 } }));
  assertOk(await c.createIndex({ collection_name: 'sr', field_name: 'cos', index_type: 'AUTOINDEX', metric_type: 'COSINE' }));
  assertOk(await c.createIndex({ collection_name: 'sr', field_name: 'bin', index_type: 'BIN_FLAT', metric_type: 'HAMMING' }));
  // Odd ids go to the 'odd' partition; half the rows are flushed, half stay growing.
  const even = rows.filter((x) => x.id % 2 === 0);
  const odd = rows.filter((x) => x.id % 2 === 1);
  assertOk((await c.insert({ collection_name: 'sr', data: even.slice(0, 15) as never })).status);
  assertOk((await c.insert({ collection_name: 'sr', partition_name: 'odd', data: odd.slice(0, 15) as never })).status);
  await c.flushSync({ collection_names: ['sr'] });
  assertOk((await c.insert({ collection_name: 'sr', data: even.slice(15) as never })).status);
  assertOk((await c.insert({ collection_name: 'sr', partition_name: 'odd', data: odd.slice(15) as never })).status);
  assertOk(await c.loadCollectionAsync({ collection_name: 'sr' }));
});
after(async () => {
  await h?.close();
});

const q1 = [0.3, -0.1, 0.8, 0.05, -0.6, 0.2];
const q2 = [-0.9, 0.4, 0.1, 0.7, 0.0, -0.3];

test('search L2, IP and COSINE: order and scores match brute force; ids, output fields', async () => {
  const c = h.client;
  const l2 = await c.search({ collection_name: 'sr', anns_field: 'l2', data: q1, limit: 7, output_fields: ['tag'] });
  assertOk(l2);
  assertHits(l2.results, bruteForce((x) => l2sq(f32(x.l2), f32(q1)), false, 7));
  for (const hit of l2.results) assert.equal(hit.tag, rows[Number(hit.id) - 1]!.tag);
  assert.deepEqual(Object.keys(l2.results[0]!).sort(), ['id', 'score', 'tag']);

  const ip = await c.search({ collection_name: 'sr', anns_field: 'ip', data: q1, limit: 5 });
  assertOk(ip);
  assertHits(ip.results, bruteForce((x) => dot(f32(x.ip), f32(q1)), true, 5));

  const cos = await c.search({ collection_name: 'sr', anns_field: 'cos', data: q2, limit: 5, metric_type: 'COSINE' });
  assertOk(cos);
  assertHits(cos.results, bruteForce((x) => cosine(f32(x.cos), f32(q2)), true, 5));

  // The engine answers the same search identically (scores travel as float32).
  const e = await h.engine.search({ collection_name: 'sr', anns_field: 'ip', data: q1, limit: 5 });
  assert.deepEqual(ip.results.map((x) => [x.id, x.score]), (e.results as Array<{ id: number; score: number }>).map((x) => [String(x.id), Math.fround(x.score)]));
});

test('search: nq > 1, offset, partitions, filter by primary key, dynamic output flat', async () => {
  const c = h.client;
  const multi = await c.search({ collection_name: 'sr', anns_field: 'l2', data: [q1, q2], limit: 4 });
  assertOk(multi);
  assert.equal(multi.results.length, 2);
  assertHits(multi.results[0] as never, bruteForce((x) => l2sq(f32(x.l2), f32(q1)), false, 4));
  assertHits(multi.results[1] as never, bruteForce((x) => l2sq(f32(x.l2), f32(q2)), false, 4));

  const page2 = await c.search({ collection_name: 'sr', anns_field: 'l2', data: q1, limit: 3, offset: 3 });
  assertHits(page2.results, bruteForce((x) => l2sq(f32(x.l2), f32(q1)), false, 6).slice(3));

  const oddOnly = await c.search({ collection_name: 'sr', anns_field: 'ip', data: q2, limit: 5, partition_names: ['odd'] });
  assertOk(oddOnly);
  assertHits(oddOnly.results, bruteForce((x) => dot(f32(x.ip), f32(q2)), true, 5, (x) => x.id % 2 === 1));
  const defaultOnly = await c.search({ collection_name: 'sr', anns_field: 'ip', data: q2, limit: 5, partition_names: ['_default'] });
  assertHits(defaultOnly.results, bruteForce((x) => dot(f32(x.ip), f32(q2)), true, 5, (x) => x.id % 2 === 0));

  const keys = [3, 10, 17, 40, 59];
  const filtered = await c.search({ collection_name: 'sr', anns_field: 'cos', data: q1, limit: 10, filter: `id in [${keys.join(', ')}]` });
  assertHits(filtered.results, bruteForce((x) => cosine(f32(x.cos), f32(q1)), true, 10, (x) => keys.includes(x.id)));

  // A dynamic key among output fields comes back flat, beside the schema fields.
  const dyn = await c.search({ collection_name: 'sr', anns_field: 'l2', data: q1, limit: 10, output_fields: ['color', 'tag'] });
  for (const hit of dyn.results) {
    const row = rows[Number(hit.id) - 1]!;
    assert.equal(hit.tag, row.tag);
    assert.equal(hit.color, row.color, `id ${hit.id}`);
  }
  assert.ok(dyn.results.some((x) => x.color !== undefined) && dyn.results.some((x) => x.color === undefined));
  // '*' (the SDK's default) returns the scalar fields and the dynamic ones, not vectors.
  const star = await c.search({ collection_name: 'sr', anns_field: 'l2', data: q1, limit: 1, filter: 'id == 1' });
  assert.deepEqual(star.results.map(({ score: _s, ...rest }) => rest), [{ id: '1', tag: rows[0]!.tag, color: rows[0]!.color }]);
  // Vectors when asked.
  const withVec = await c.search({ collection_name: 'sr', anns_field: 'l2', data: q1, limit: 1, filter: 'id == 2', output_fields: ['l2', 'bin'] });
  assert.deepEqual(withVec.results[0]!.bin, rows[1]!.bin);
  (withVec.results[0]!.l2 as number[]).forEach((x, i) => assert.equal(x, Math.fround(rows[1]!.l2[i]!)));
});

test('binary HAMMING, sparse IP and half-precision searches', async () => {
  const c = h.client;
  const qb = [0b10110011, 0b01010101];
  const bin = await c.search({ collection_name: 'sr', anns_field: 'bin', data: qb, limit: 6 });
  assertOk(bin);
  assertHits(bin.results, bruteForce((x) => hamming(x.bin, qb), false, 6));
  assert.ok(bin.results.every((x) => Number.isInteger(x.score)));

  assertOk(await c.createCollection({ collection_name: 'sp', fields: [
    { name: 'id', data_type: DataType.Int64, is_primary_key: true },
    { name: 'sv', data_type: DataType.SparseFloatVector },
    { name: 'hv', data_type: DataType.Float16Vector, dim: 4 },
    { name: 'bv', data_type: DataType.BFloat16Vector, dim: 4 },
  ] }));
  const sparse: Array<Record<number, number>> = [{ 1: 1, 5: 2 }, { 1: 0.5, 9: 4 }, { 5: 1, 9: 1 }, { 2: 7 }, { 1: -1, 5: 3, 9: 0.25 }];
  const half = [[1, 0, 0, 0], [0, 2, 0, 0], [1, 1, 1, 1], [0.5, 0.5, 0, 0], [0, 0, 3, 1]];
  assertOk((await c.insert({ collection_name: 'sp', data: sparse.map((sv, i) => ({ id: i + 1, sv, hv: half[i]!, bv: half[i]! })) })).status);
  assertOk(await c.createIndex({ collection_name: 'sp', field_name: 'sv', index_type: 'SPARSE_INVERTED_INDEX', metric_type: 'IP' }));
  assertOk(await c.createIndex({ collection_name: 'sp', field_name: 'hv', index_type: 'FLAT', metric_type: 'L2' }));
  assertOk(await c.createIndex({ collection_name: 'sp', field_name: 'bv', index_type: 'FLAT', metric_type: 'IP' }));
  assertOk(await c.loadCollectionAsync({ collection_name: 'sp' }));
  const qs = { 1: 2, 9: 1 };
  const sdot = (a: Record<number, number>, b: Record<number, number>) => Object.entries(a).reduce((s, [k, v]) => s + v * (b[Number(k)] ?? 0), 0);
  const sres = await c.search({ collection_name: 'sp', anns_field: 'sv', data: qs, limit: 3 });
  assertOk(sres);
  // Rows sharing no index with the query score 0; Milvus leaves them out of sparse results.
  const expectedSparse = sparse.map((sv, i) => ({ id: i + 1, score: sdot(sv, qs) })).filter((x) => x.score !== 0).sort((a, b) => b.score - a.score).slice(0, 3);
  assertHits(sres.results, expectedSparse);

  const qh = [1, 1, 0, 0];
  const hres = await c.search({ collection_name: 'sp', anns_field: 'hv', data: qh, limit: 2 });
  assertHits(hres.results, half.map((v, i) => ({ id: i + 1, score: l2sq(v, qh) })).sort((a, b) => a.score - b.score || a.id - b.id).slice(0, 2));
  const bres = await c.search({ collection_name: 'sp', anns_field: 'bv', data: qh, limit: 2 });
  assertHits(bres.results, half.map((v, i) => ({ id: i + 1, score: dot(v, qh) })).sort((a, b) => b.score - a.score || a.id - b.id).slice(0, 2));
  assertOk(await c.releaseCollection({ collection_name: 'sp' }));
  assertOk(await c.dropCollection({ collection_name: 'sp' }));
});

test('search errors: wrong dimension, metric mismatch, unknown field, unsupported parameters', async () => {
  const c = h.client;
  assertErr(await c.search({ collection_name: 'sr', anns_field: 'l2', data: [1, 2, 3], limit: 3 }), { code: 1100, error_code: 'IllegalDimension', elanus: 'WRONG_DIMENSION', reason: /expects dimension 6, got 3/ });
  assertErr(await c.search({ collection_name: 'sr', anns_field: 'l2', data: q1, limit: 3, metric_type: 'IP' }), { code: 1100, elanus: 'METRIC_MISMATCH', reason: /uses L2, the search asked for IP/ });
  // (An unknown anns_field is caught by the SDK itself, which reads the schema first.)
  await assert.rejects(c.search({ collection_name: 'sr', anns_field: 'nope', data: q1, limit: 3 }));
  // Several vector fields and no anns_field: the SDK picks the first (l2).
  const first = await c.search({ collection_name: 'sr', data: q1, limit: 2 });
  assertHits(first.results, bruteForce((x) => l2sq(f32(x.l2), f32(q1)), false, 2));
  assertErr(await c.search({ collection_name: 'sr', anns_field: 'l2', data: q1, limit: 3, params: { radius: 0.1, range_filter: 1 } }), { code: 1100, elanus: 'INVALID_ARGUMENT', reason: /range_filter \(1\) must be less than radius/ });
  assertErr(await c.search({ collection_name: 'sr', anns_field: 'l2', data: q1, limit: 3, group_by_field: 'l2' }), { code: 1100, elanus: 'INVALID_ARGUMENT', reason: /cannot group by field "l2"/ });
  // Search by primary keys is supported (its own test below); a key that is not stored is named.
  assertErr(await c.search({ collection_name: 'sr', anns_field: 'l2', ids: [1, 1000], limit: 3 }), { code: 1100, elanus: 'INVALID_ARGUMENT', reason: /do not exist: 1000/ });
  assertErr(await c.search({ collection_name: 'sr', anns_field: 'l2', data: q1, limit: 3, partition_names: ['nope'] }), { code: 200, elanus: 'PARTITION_NOT_FOUND' });
});

test('range search, grouping search and search iterators through the SDK', async () => {
  const c = h.client;
  const exact = bruteForce((x) => l2sq(f32(x.l2), f32(q1)), false, N);
  // Range: exactly the rows with range_filter <= distance < radius, nearest first.
  // Bounds half-way between neighbours, so float32 rounding cannot move a row across one.
  const radius = (exact[20]!.score + exact[21]!.score) / 2;
  const rangeFilter = (exact[3]!.score + exact[4]!.score) / 2;
  const ranged = await c.search({ collection_name: 'sr', anns_field: 'l2', data: q1, limit: 100, params: { radius, range_filter: rangeFilter } });
  assertOk(ranged);
  assertHits(ranged.results, exact.filter((x) => x.score < radius && x.score >= rangeFilter));
  // Grouping by tag (three values): one group per tag, at most group_size hits each, best groups first.
  const grouped = await c.search({ collection_name: 'sr', anns_field: 'l2', data: q1, limit: 3, group_by_field: 'tag', group_size: 2, output_fields: ['tag'] });
  assertOk(grouped);
  const tags = new Map<string, number>();
  for (const hit of grouped.results) tags.set(String(hit.tag), (tags.get(String(hit.tag)) ?? 0) + 1);
  assert.deepEqual([...tags.values()], [2, 2, 2]);
  const firstTag = rows[exact[0]!.id - 1]!.tag;
  assert.equal(grouped.results[0]!.tag, firstTag);
  assert.equal(grouped.results[0]!.id, String(exact[0]!.id));
  // The SDK's search iterator: every row once, nearest first, in batches.
  const it = await c.searchIterator({ collection_name: 'sr', anns_field: 'l2', data: q1, batchSize: 7, limit: 40, output_fields: ['id'] });
  const seen: Array<{ id: string; score: number }> = [];
  for await (const batch of it as AsyncIterable<Array<{ id: string; score: number }>>) seen.push(...batch);
  assert.equal(seen.length, 40);
  assert.equal(new Set(seen.map((x) => x.id)).size, 40, 'each row once');
  assertHits(seen, exact.slice(0, 40));
});

// ---- hybrid search

const normIp = (s: number) => 0.5 + Math.atan(s) / Math.PI;
const normL2 = (d: number) => 1 - (2 * Math.atan(d)) / Math.PI;
const normCos = (s: number) => (1 + s) / 2;

/** The fused ranking by hand, from each sub-search's brute-force top `limit`. */
function fuse(lists: Array<Array<{ id: number; score: number }>>, add: (list: number, rank: number, score: number) => number, limit: number) {
  const fused = new Map<number, number>();
  lists.forEach((list, i) => list.forEach((hit, rank) => fused.set(hit.id, (fused.get(hit.id) ?? 0) + add(i, rank + 1, hit.score))));
  return [...fused].map(([id, score]) => ({ id, score })).sort((a, b) => b.score - a.score || a.id - b.id).slice(0, limit);
}

test('hybridSearch with RRFRanker: Σ 1/(k + rank) over the sub-searches', async () => {
  const c = h.client;
  const limit = 8;
  const res = await c.hybridSearch({
    collection_name: 'sr',
    data: [{ anns_field: 'l2', data: q1 }, { anns_field: 'ip', data: q2 }, { anns_field: 'cos', data: q1 }],
    rerank: RRFRanker(20),
    limit,
    output_fields: ['tag'],
  });
  assertOk(res);
  const lists = [
    bruteForce((x) => l2sq(f32(x.l2), f32(q1)), false, limit),
    bruteForce((x) => dot(f32(x.ip), f32(q2)), true, limit),
    bruteForce((x) => cosine(f32(x.cos), f32(q1)), true, limit),
  ];
  const expected = fuse(lists, (_i, rank) => 1 / (20 + rank), limit);
  assertHits(res.results, expected, 'id', 1e-6);
  for (const hit of res.results) assert.equal(hit.tag, rows[Number(hit.id) - 1]!.tag);
  // The default ranker (none given) is RRF with k = 60.
  const dflt = await c.hybridSearch({ collection_name: 'sr', data: [{ anns_field: 'l2', data: q1 }, { anns_field: 'ip', data: q2 }], limit: 5 });
  assertHits(dflt.results, fuse(lists.slice(0, 2).map((l) => l.slice(0, 5)), (_i, rank) => 1 / (60 + rank), 5), 'id', 1e-6);
});

test('hybridSearch with WeightedRanker: Σ w·norm(score) (IP ½+atan/π, L2 1−2·atan/π, COSINE (1+s)/2)', async () => {
  const c = h.client;
  const limit = 6;
  const weights = [0.2, 0.5, 0.3];
  const res = await c.hybridSearch({
    collection_name: 'sr',
    data: [{ anns_field: 'l2', data: q2 }, { anns_field: 'ip', data: q1 }, { anns_field: 'cos', data: q2 }],
    rerank: WeightedRanker(weights),
    limit,
  });
  assertOk(res);
  const lists = [
    bruteForce((x) => l2sq(f32(x.l2), f32(q2)), false, limit),
    bruteForce((x) => dot(f32(x.ip), f32(q1)), true, limit),
    bruteForce((x) => cosine(f32(x.cos), f32(q2)), true, limit),
  ];
  const norms = [normL2, normIp, normCos];
  const expected = fuse(lists, (i, _rank, s) => weights[i]! * norms[i]!(s), limit);
  assertHits(res.results, expected, 'id', 1e-5);
  // With a filter on one sub-search and an offset on the fused list.
  const filtered = await c.hybridSearch({
    collection_name: 'sr',
    data: [{ anns_field: 'l2', data: q2, expr: 'id in [2, 4, 6, 8, 10, 12]' }, { anns_field: 'ip', data: q1 }],
    rerank: WeightedRanker([0.7, 0.3]),
    limit: 4,
    offset: 2,
  } as never);
  const fl = [
    bruteForce((x) => l2sq(f32(x.l2), f32(q2)), false, 6, (x) => x.id <= 12 && x.id % 2 === 0),
    bruteForce((x) => dot(f32(x.ip), f32(q1)), true, 6),
  ];
  // Each sub-search returns the request's limit (4) hits; the offset applies to the fused list.
  const all = fuse(fl.map((l) => l.slice(0, 4)), (i, _r, s) => [0.7, 0.3][i]! * [normL2, normIp][i]!(s), 6);
  assertHits((filtered as { results: Array<{ score: number }> }).results, all.slice(2, 6), 'id', 1e-5);
  // Weights must match the number of sub-searches.
  assertErr(await c.hybridSearch({ collection_name: 'sr', data: [{ anns_field: 'l2', data: q1 }, { anns_field: 'ip', data: q2 }], rerank: WeightedRanker([1]), limit: 3 }), { code: 1100, elanus: 'INVALID_ARGUMENT', reason: /one weight per search request/ });
});

test('search by primary keys (ids): the same hits as a search with the keys\' stored vectors, one list per key', async () => {
  const c = h.client;
  const ids = [12, 5, 40];
  const stored = ids.map((id) => rows[id - 1]!.ip);
  const common = { collection_name: 'sr', anns_field: 'ip', limit: 4, filter: 'tag != "t1"', output_fields: ['tag'] };
  const byKeys = await c.search({ ...common, ids });
  assertOk(byKeys);
  const byData = await c.search({ ...common, data: stored });
  assertOk(byData);
  assert.equal(byKeys.results.length, 3);
  assert.deepEqual(byKeys.results, byData.results);
  // Partitions apply to the hits and to where the keys are looked up (5 is odd: in 'odd').
  const inOdd = await c.search({ ...common, ids: [5], partition_names: ['odd'] });
  assertOk(inOdd);
  assert.deepEqual(inOdd.results, (await c.search({ ...common, data: [rows[4]!.ip], partition_names: ['odd'] })).results);
  assertErr(await c.search({ ...common, ids: [5], partition_names: ['_default'] }), { code: 1100, elanus: 'INVALID_ARGUMENT', reason: /do not exist in partitions \["_default"\]: 5/ });
  assertErr(await c.search({ ...common, ids: [5, 999] }), { code: 1100, elanus: 'INVALID_ARGUMENT', reason: /primary keys given as ids do not exist: 999$/ });
  assertErr(await c.search({ ...common, ids: [5, 5] }), { code: 1100, elanus: 'INVALID_ARGUMENT', reason: /ids repeats primary key 5/ });
  // The engine answers the same search by keys identically.
  const e = await h.engine.search({ ...common, ids });
  const lists = byKeys.results as unknown as Array<Array<{ id: string }>>;
  assert.deepEqual(lists.map((l) => l.map((x) => x.id)), (e.results as Array<Array<{ id: number }>>).map((l) => l.map((x) => String(x.id))));
});
