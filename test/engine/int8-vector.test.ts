// Int8Vector fields end to end through the engine: values stored as the integers given,
// refused when they are not int8, searched with scores equal to an independent
// computation on the integers (growing rows scanned exactly, sealed rows through HNSW
// with a recall floor), and kept through flush, the log and a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataType, openEngine } from './helpers.js';
import type { Elanus } from '../../src/engine/index.js';
import { segmentSearches } from '../../src/query/vector-search.js';

const dim = 16;

/** Deterministic int8 vectors over the whole range (row id seeds its values), -128 and 127 included. */
function int8Rows(from: number, to: number): Array<{ id: number; v: number[] }> {
  const out: Array<{ id: number; v: number[] }> = [];
  for (let id = from; id < to; id++) {
    let a = Math.imul(id + 1, 2654435761) >>> 0;
    const next = () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = Math.imul(a ^ (a >>> 15), a | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return (((t ^ (t >>> 14)) >>> 0) % 256) - 128;
    };
    out.push({ id, v: Array.from({ length: dim }, next) });
  }
  return out;
}

const l2 = (a: number[], b: number[]) => a.reduce((s, x, i) => s + (x - b[i]!) ** 2, 0);
const ip = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0);
const cosine = (a: number[], b: number[]) => {
  const d = Math.sqrt(ip(a, a)) * Math.sqrt(ip(b, b));
  return d === 0 ? 0 : ip(a, b) / d;
};

/** Top-k by an exact score, ties by id, as the engine orders them. */
function expected(rows: Array<{ id: number; v: number[] }>, q: number[], metric: 'L2' | 'IP' | 'COSINE', k: number): Array<{ id: number; score: number }> {
  const score = metric === 'L2' ? l2 : metric === 'IP' ? ip : cosine;
  const larger = metric !== 'L2';
  return rows.map((r) => ({ id: r.id, score: score(r.v, q) }))
    .sort((a, b) => (a.score === b.score ? a.id - b.id : larger ? b.score - a.score : a.score - b.score))
    .slice(0, k);
}

type Hit = Record<string, unknown>;

function assertSameHits(got: Hit[], want: Array<{ id: number; score: number }>, metric: string): void {
  assert.equal(got.length, want.length);
  got.forEach((h, i) => {
    // Equal scores may come in either order between ties of the same score.
    const w = want[i]!;
    if (metric === 'COSINE') assert.ok(Math.abs((h['score'] as number) - w.score) < 1e-6, `hit ${i}: ${String(h['score'])} vs ${w.score}`);
    else assert.equal(h['score'], w.score, `hit ${i} score`);
    if (h['id'] !== w.id) assert.equal(h['score'], w.score, `hit ${i} differs from ${w.id} and is not a tie`);
  });
}

async function createInt8(db: Elanus, name: string): Promise<void> {
  await db.createCollection({ collection_name: name, fields: [
    { name: 'id', data_type: DataType.Int64, is_primary_key: true },
    { name: 'v', data_type: DataType.Int8Vector, dim },
  ] });
}

test('Int8Vector: schema, insert, query round trip, flush, log replay and restart keep the integers', async () => {
  const h = await openEngine({ storage: 'memory' });
  try {
    await createInt8(h.db, 'c');
    const described = await h.db.describeCollection({ collection_name: 'c' });
    const f = described.schema.fields.find((x) => x.name === 'v')!;
    assert.equal(f.data_type, 'Int8Vector');
    assert.equal(String(f.dim ?? (f.type_params as Array<{ key: string; value: string }> | undefined)?.find((p) => p.key === 'dim')?.value), String(dim));
    const first = int8Rows(0, 50);
    const second = int8Rows(50, 80);
    await h.db.insert({ collection_name: 'c', data: first });
    await h.db.flush({ collection_names: ['c'] });
    // Int8Array rows are taken as they are.
    await h.db.insert({ collection_name: 'c', data: second.map((r) => ({ id: r.id, v: Int8Array.from(r.v) })) });
    await h.db.loadCollection({ collection_name: 'c' });
    const all = [...first, ...second];
    const read = async (db: Elanus) => (await db.query({ collection_name: 'c', filter: 'id >= 0', output_fields: ['v'], limit: 1000, consistency_level: 'Strong' })).data
      .map((r) => ({ id: r['id'] as number, v: r['v'] as number[] })).sort((a, b) => a.id - b.id);
    assert.deepEqual(await read(h.db), all);
    assert.ok(all.some((r) => r.v.includes(-128)) && all.some((r) => r.v.includes(127)), 'the rows cover both ends of the range');
    // Search by primary key: the stored integers are the query.
    const byKey = await h.db.search({ collection_name: 'c', anns_field: 'v', ids: [61], limit: 2, metric_type: 'L2', consistency_level: 'Strong' });
    // One key gives a list of lists, as in Milvus.
    const keyHits = (byKey.results as Hit[][])[0]!;
    assert.equal(keyHits[0]!['id'], 61);
    assert.equal(keyHits[0]!['score'], 0);
    assert.equal(keyHits[1]!['score'], expected(all, all[61]!.v, 'L2', 2)[1]!.score);
    // The second batch is only in the log: a restart replays it.
    const db = await h.reopen();
    await db.loadCollection({ collection_name: 'c' });
    assert.deepEqual(await read(db), all);
    await db.flush({ collection_names: ['c'] });
    const again = await h.reopen();
    await again.loadCollection({ collection_name: 'c' });
    assert.deepEqual(await read(again), all);
  } finally {
    await h.dispose();
  }
});

test('Int8Vector: values that are not int8 are refused with the field and row named, and nothing is stored', async () => {
  const h = await openEngine({ storage: 'memory' });
  try {
    await createInt8(h.db, 'c');
    await h.db.loadCollection({ collection_name: 'c' });
    const ok = int8Rows(0, 3);
    const bad = (v: unknown) => [...ok, { id: 10, v }];
    const row3 = /field "v" in row 3/;
    await assert.rejects(h.db.insert({ collection_name: 'c', data: bad([...ok[0]!.v.slice(1), 128]) }), (e: Error & { code?: string }) => e.code === 'VALUE_OUT_OF_RANGE' && row3.test(e.message));
    await assert.rejects(h.db.insert({ collection_name: 'c', data: bad([...ok[0]!.v.slice(1), -129]) }), (e: Error & { code?: string }) => e.code === 'VALUE_OUT_OF_RANGE' && row3.test(e.message));
    await assert.rejects(h.db.insert({ collection_name: 'c', data: bad([...ok[0]!.v.slice(1), 1.5]) }), (e: Error & { code?: string }) => e.code === 'WRONG_TYPE' && row3.test(e.message));
    await assert.rejects(h.db.insert({ collection_name: 'c', data: bad([...ok[0]!.v.slice(1), '7']) }), (e: Error & { code?: string }) => e.code === 'WRONG_TYPE' && row3.test(e.message));
    await assert.rejects(h.db.insert({ collection_name: 'c', data: bad(ok[0]!.v.slice(1)) }), { code: 'WRONG_DIMENSION' });
    await assert.rejects(h.db.insert({ collection_name: 'c', data: bad('abc') }), { code: 'WRONG_TYPE' });
    await assert.rejects(h.db.upsert({ collection_name: 'c', data: bad([...ok[0]!.v.slice(1), 300]) }), { code: 'VALUE_OUT_OF_RANGE' });
    assert.equal((await h.db.count({ collection_name: 'c', consistency_level: 'Strong' })).data, 0, 'nothing of a refused batch is stored');
    await h.db.insert({ collection_name: 'c', data: ok });
    // Query vectors too: integers in [-128, 127] of the field's dimension.
    const q = ok[0]!.v;
    await assert.rejects(h.db.search({ collection_name: 'c', data: [...q.slice(1), 200], limit: 1 }), { code: 'VALUE_OUT_OF_RANGE' });
    await assert.rejects(h.db.search({ collection_name: 'c', data: [...q.slice(1), 0.5], limit: 1 }), { code: 'WRONG_TYPE' });
    await assert.rejects(h.db.search({ collection_name: 'c', data: q.slice(1), limit: 1 }), { code: 'WRONG_DIMENSION' });
    // Schema rules as for the other dense vectors.
    await assert.rejects(h.db.createCollection({ collection_name: 'd', fields: [
      { name: 'id', data_type: DataType.Int64, is_primary_key: true }, { name: 'v', data_type: DataType.Int8Vector, dim: 1 },
    ] }), { code: 'INVALID_SCHEMA', message: /invalid dimension: 1/ });
    await assert.rejects(h.db.createCollection({ collection_name: 'd', fields: [
      { name: 'id', data_type: DataType.Int64, is_primary_key: true }, { name: 'v', data_type: DataType.Int8Vector },
    ] }), { code: 'INVALID_SCHEMA', message: /dimension is not defined/ });
  } finally {
    await h.dispose();
  }
});

test('Int8Vector indexes: HNSW, HNSW_SQ and AUTOINDEX with L2, IP or COSINE; FLAT, IVF and other metrics refused', async () => {
  const h = await openEngine({ storage: 'memory' });
  try {
    await createInt8(h.db, 'c');
    for (const index_type of ['FLAT', 'IVF_FLAT', 'IVF_SQ8', 'IVF_PQ', 'DISKANN', 'BIN_FLAT', 'SPARSE_INVERTED_INDEX']) {
      await assert.rejects(h.db.createIndex({ collection_name: 'c', field_name: 'v', index_type, metric_type: 'L2' }), { code: 'INDEX_TYPE_INVALID' }, index_type);
    }
    for (const metric_type of ['HAMMING', 'JACCARD', 'BM25']) {
      await assert.rejects(h.db.createIndex({ collection_name: 'c', field_name: 'v', index_type: 'HNSW', metric_type }), { code: 'METRIC_TYPE_INVALID' }, metric_type);
    }
    await h.db.createIndex({ collection_name: 'c', field_name: 'v' });
    const d = (await h.db.describeIndex({ collection_name: 'c' })).index_descriptions[0]!;
    assert.deepEqual(d.params, [{ key: 'index_type', value: 'AUTOINDEX' }, { key: 'metric_type', value: 'COSINE' }], 'AUTOINDEX with COSINE, as Milvus defaults it');
    for (const [index_type, metric_type] of [['HNSW', 'L2'], ['HNSW', 'IP'], ['HNSW_SQ', 'COSINE']]) {
      await h.db.dropIndex({ collection_name: 'c', field_name: 'v' });
      await h.db.createIndex({ collection_name: 'c', field_name: 'v', index_type, metric_type, params: { M: 8, efConstruction: 64 } });
    }
  } finally {
    await h.dispose();
  }
});

for (const metric of ['L2', 'IP', 'COSINE'] as const) {
  test(`Int8Vector search (${metric}): growing rows scanned exactly, sealed rows through HNSW, scores as on the integers`, async () => {
    const h = await openEngine({ storage: 'memory' });
    try {
      await createInt8(h.db, 'c');
      await h.db.createIndex({ collection_name: 'c', field_name: 'v', index_type: 'HNSW', metric_type: metric, params: { M: 16, efConstruction: 200 } });
      await h.db.loadCollection({ collection_name: 'c' });
      const rows = int8Rows(0, 5300);
      const queries = [int8Rows(1000, 1001)[0]!.v, rows[17]!.v, Array.from({ length: dim }, (_, k) => (k % 2 === 0 ? 127 : -128))];
      // Growing only: every row is scanned exactly.
      await h.db.insert({ collection_name: 'c', data: rows.slice(0, 300) });
      let r = await h.db.search({ collection_name: 'c', data: queries, limit: 10, metric_type: metric, consistency_level: 'Strong' });
      (r.results as Hit[][]).forEach((hits, q) => assertSameHits(hits, expected(rows.slice(0, 300), queries[q]!, metric, 10), metric));
      // 5,000 rows sealed and indexed, 300 growing: each hit scores exactly what the
      // integers give, and the graph finds at least 95% of the true top 10.
      await h.db.insert({ collection_name: 'c', data: rows.slice(300, 5000) });
      await h.db.flush({ collection_names: ['c'] });
      await h.db.insert({ collection_name: 'c', data: rows.slice(5000) });
      await h.db.waitForIndexes();
      const before = segmentSearches.index;
      r = await h.db.search({ collection_name: 'c', data: queries, limit: 10, metric_type: metric, params: { ef: 32 }, consistency_level: 'Strong' });
      assert.ok(segmentSearches.index > before, 'the sealed segment was searched through its HNSW graph');
      let found = 0;
      (r.results as Hit[][]).forEach((hits, q) => {
        const want = expected(rows, queries[q]!, metric, 10);
        const score = new Map(rows.map((x) => [x.id, metric === 'L2' ? l2(x.v, queries[q]!) : metric === 'IP' ? ip(x.v, queries[q]!) : cosine(x.v, queries[q]!)]));
        for (const hit of hits) {
          const exact = score.get(hit['id'] as number)!;
          if (metric === 'COSINE') assert.ok(Math.abs((hit['score'] as number) - exact) < 1e-6);
          else assert.equal(hit['score'], exact, 'each hit scores exactly what the integers give');
        }
        const wantScores = want.map((w) => w.score);
        found += hits.filter((x, i) => (metric === 'COSINE' ? Math.abs((x['score'] as number) - wantScores[i]!) < 1e-6 : x['score'] === wantScores[i])).length;
      });
      assert.ok(found / 30 >= 0.95, `recall ${found / 30}`);
      // Range search is an exact scan: exactly the rows in range.
      const q0 = queries[0]!;
      const exactScores = rows.map((x) => ({ id: x.id, score: metric === 'L2' ? l2(x.v, q0) : metric === 'IP' ? ip(x.v, q0) : cosine(x.v, q0) }));
      const sorted = [...exactScores].sort((a, b) => (metric === 'L2' ? a.score - b.score : b.score - a.score));
      const radius = sorted[20]!.score;
      const rr = await h.db.search({ collection_name: 'c', data: q0, limit: 100, metric_type: metric, params: { radius }, consistency_level: 'Strong' });
      const inRange = exactScores.filter((x) => (metric === 'L2' ? x.score < radius : x.score > radius)).map((x) => x.id).sort((a, b) => a - b);
      assert.deepEqual((rr.results as Hit[]).map((x) => x['id'] as number).sort((a, b) => a - b), inRange);
    } finally {
      await h.dispose();
    }
  });
}

test('Int8Vector with HNSW_SQ: interim chunk graphs of a growing segment, then the sealed index, both with recall against the exact answer; compaction keeps the values', async () => {
  const h = await openEngine({ storage: 'memory', limits: { interimIndexRows: 4096 } });
  try {
    await createInt8(h.db, 'c');
    await h.db.createIndex({ collection_name: 'c', field_name: 'v', index_type: 'HNSW_SQ', metric_type: 'L2', params: { M: 16, efConstruction: 200, sq_type: 'SQ8' } });
    await h.db.loadCollection({ collection_name: 'c' });
    const rows = int8Rows(0, 12500);
    for (let f = 0; f < rows.length; f += 500) await h.db.insert({ collection_name: 'c', data: rows.slice(f, f + 500) });
    await h.db.waitForIndexes();
    assert.equal(h.db.vectorIndexStats().interim.chunks, 3, 'three whole chunks of 4,096 rows have graphs');
    const queries = int8Rows(90000, 90010).map((x) => x.v);
    const recallNow = async (ef: number): Promise<number> => {
      const r = await h.db.search({ collection_name: 'c', data: queries, limit: 10, metric_type: 'L2', params: { ef }, consistency_level: 'Strong' });
      let found = 0;
      (r.results as Hit[][]).forEach((hits, q) => {
        // Quantized scores approximate the exact ones: recall is counted by the exact top-10's scores.
        const want = expected(rows, queries[q]!, 'L2', 10);
        const cut = want[9]!.score;
        found += hits.filter((x) => l2(rows[x['id'] as number]!.v, queries[q]!) <= cut).length;
      });
      return found / (queries.length * 10);
    };
    let before = segmentSearches.interim;
    const growing = await recallNow(24);
    assert.ok(segmentSearches.interim > before, 'the growing segment was searched through its interim chunk graphs');
    assert.ok(growing >= 0.9, `recall over interim chunks ${growing}`);
    await h.db.flush({ collection_names: ['c'] });
    await h.db.waitForIndexes();
    before = segmentSearches.index;
    const sealed = await recallNow(64);
    assert.ok(segmentSearches.index > before, 'the sealed segment was searched through its HNSW_SQ graph');
    assert.ok(sealed >= 0.9, `recall over the sealed index ${sealed}`);
    // A second sealed segment, compacted with the first: the integers come through as they were.
    await h.db.upsert({ collection_name: 'c', data: [{ id: 7, v: rows[8]!.v }] });
    await h.db.flush({ collection_names: ['c'] });
    await h.db.compact({ collection_name: 'c' });
    const got = (await h.db.query({ collection_name: 'c', filter: 'id in [7, 8, 12499]', output_fields: ['v'], consistency_level: 'Strong' })).data
      .map((r) => ({ id: r['id'] as number, v: r['v'] as number[] })).sort((a, b) => a.id - b.id);
    assert.deepEqual(got, [{ id: 7, v: rows[8]!.v }, rows[8], rows[12499]]);
    // After a restart the index is read back from its file, not rebuilt, and searches as before.
    await h.db.waitForIndexes();
    const builtBefore = h.db.vectorIndexStats().built;
    assert.ok(builtBefore > 0);
    const db = await h.reopen();
    await db.loadCollection({ collection_name: 'c' });
    await db.waitForIndexes();
    assert.ok(db.vectorIndexStats().loaded > 0, 'the index file was loaded');
    assert.equal(db.vectorIndexStats().built, 0, 'nothing was rebuilt');
    rows[7] = { id: 7, v: rows[8]!.v };
    before = segmentSearches.index;
    assert.ok(await recallNow(64) >= 0.9);
    assert.ok(segmentSearches.index > before);
  } finally {
    await h.dispose();
  }
});

test('Int8Vector and partial upsert: a row that leaves the vector out keeps its stored integers; one that gives it replaces them', async () => {
  const h = await openEngine({ storage: 'memory' });
  try {
    await h.db.createCollection({ collection_name: 'p', fields: [
      { name: 'id', data_type: DataType.Int64, is_primary_key: true },
      { name: 'n', data_type: DataType.Int32 },
      { name: 'v', data_type: DataType.Int8Vector, dim },
    ] });
    await h.db.loadCollection({ collection_name: 'p' });
    const rows = int8Rows(0, 3).map((r) => ({ ...r, n: r.id }));
    await h.db.insert({ collection_name: 'p', data: rows });
    await h.db.flush({ collection_names: ['p'] });
    const replaced = rows[2]!.v.map((x) => -x - 1);
    await h.db.upsert({ collection_name: 'p', partial_update: true, data: [{ id: 1, n: 10 }, { id: 2, v: replaced }] });
    await assert.rejects(h.db.upsert({ collection_name: 'p', partial_update: true, data: [{ id: 0, v: [...rows[0]!.v.slice(1), 128] }] }), { code: 'VALUE_OUT_OF_RANGE' });
    const got = (await h.db.query({ collection_name: 'p', filter: 'id >= 0', output_fields: ['n', 'v'], consistency_level: 'Strong' })).data
      .map((r) => ({ id: r['id'] as number, n: r['n'] as number, v: r['v'] as number[] })).sort((a, b) => a.id - b.id);
    assert.deepEqual(got, [rows[0], { ...rows[1], n: 10 }, { ...rows[2], v: replaced }]);
  } finally {
    await h.dispose();
  }
});
