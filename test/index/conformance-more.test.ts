// Index conformance beyond SIFT: GloVe-100 words (cosine), MNIST digits (784-d L2),
// MNIST binarized into 784-bit vectors (HAMMING and JACCARD: BIN_FLAT exact,
// BIN_IVF_FLAT above its floor) and sparse vectors (SPARSE_INVERTED_INDEX equals the
// exact inner products). Recall is tie-aware, against exact answers computed here.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DataType } from '../../src/catalog/index.js';
import { Random } from '../../src/testing/index.js';
import { type EngineHandle, openEngine, range } from '../engine/helpers.js';
import { type IndexCase, assertRecall, indexAndLoad, loadDataset, searchAll, truthOf } from './conformance.js';
import { datasetsMissing, glove, mnist } from './datasets.js';
import { describeNeeding } from '../suites.js';

describeNeeding(datasetsMissing, 'index conformance: GloVe-100 (cosine) and MNIST (L2)', () => {
  let h: EngineHandle;
  before(async () => {
    h = await openEngine({ limits: { segmentRowsMax: 4000 } });
  });
  after(() => h.dispose());

  const gloveCases: IndexCase[] = [
    { name: 'HNSW', index: { index_type: 'HNSW', metric_type: 'COSINE', params: { M: 16, efConstruction: 200 } }, search: { ef: 128 }, floor: 0.95 },
    { name: 'IVF_FLAT', index: { index_type: 'IVF_FLAT', metric_type: 'COSINE', params: { nlist: 64 } }, search: { nprobe: 16 }, floor: 0.9 },
    { name: 'HNSW_SQ SQ8', index: { index_type: 'HNSW_SQ', metric_type: 'COSINE', params: { M: 16, efConstruction: 200, sq_type: 'SQ8' } }, search: { ef: 128 }, floor: 0.85 },
  ];
  for (const c of gloveCases) {
    test(`GloVe-100, 10,000 words: ${c.name} recall@10 >= ${c.floor}`, async () => {
      const ds = await glove(10_000, 200);
      const name = `g_${c.name.replace(/\W+/g, '_')}`;
      await loadDataset(h.db, name, ds);
      await indexAndLoad(h.db, name, ds, c);
      assertRecall(ds, await searchAll(h.db, name, ds, c.search), truthOf(ds), c.floor, `glove ${c.name}`);
      await h.db.dropCollection({ collection_name: name });
    });
  }

  test('MNIST, 9,000 digits: HNSW recall@10 >= 0.95', async () => {
    const ds = await mnist(9000, 100);
    await loadDataset(h.db, 'm', ds);
    await indexAndLoad(h.db, 'm', ds, { name: 'HNSW', index: { index_type: 'HNSW', metric_type: 'L2', params: { M: 16, efConstruction: 100 } }, search: {}, floor: 0 });
    assertRecall(ds, await searchAll(h.db, 'm', ds, { ef: 64 }), truthOf(ds), 0.95, 'mnist HNSW');
    await h.db.dropCollection({ collection_name: 'm' });
  });
});

describeNeeding(datasetsMissing, 'index conformance: binary vectors (MNIST binarized) and sparse vectors', () => {
  let h: EngineHandle;
  before(async () => {
    h = await openEngine({ limits: { segmentRowsMax: 4000 } });
  });
  after(() => h.dispose());

  const pop = new Uint8Array(256).map((_, i) => { let n = 0; for (let x = i; x; x >>= 1) n += x & 1; return n; });

  test('BIN_FLAT is exact and BIN_IVF_FLAT reaches its floor, for HAMMING and JACCARD', async () => {
    const ds = await mnist(9000, 100);
    const bytes = 98;
    const pack = (start: number): number[] => {
      const out = new Array<number>(bytes).fill(0);
      for (let k = 0; k < 784; k++) if (ds.raw[start + k]! > 127) out[k >> 3]! |= 1 << (k & 7);
      return out;
    };
    const base = range(0, 9000).map((i) => pack(i * 784));
    const queries = range(0, 100).map((q) => pack((9000 + q) * 784));
    for (const metric of ['HAMMING', 'JACCARD'] as const) {
      const dist = (a: number[], b: number[]) => {
        let x = 0, i = 0, u = 0;
        for (let k = 0; k < bytes; k++) {
          x += pop[a[k]! ^ b[k]!]!;
          i += pop[a[k]! & b[k]!]!;
          u += pop[a[k]! | b[k]!]!;
        }
        return metric === 'HAMMING' ? x : u === 0 ? 0 : 1 - i / u;
      };
      const truth = queries.map((q) => base.map((b, id) => ({ id, d: dist(q, b) })).sort((a, b) => a.d - b.d || a.id - b.id));
      for (const [type, params, search, floor] of [
        ['BIN_FLAT', {}, {}, 1],
        ['BIN_IVF_FLAT', { nlist: 32 }, { nprobe: 8 }, 0.9],
      ] as const) {
        const name = `b_${metric}_${type}`;
        await h.db.createCollection({ collection_name: name, fields: [{ name: 'id', data_type: DataType.Int64, is_primary_key: true }, { name: 'bits', data_type: DataType.BinaryVector, dim: 784 }] });
        for (let f = 0; f < 9000; f += 1000) await h.db.insert({ collection_name: name, data: range(f, f + 1000).map((id) => ({ id, bits: base[id] })) });
        await h.db.flush({ collection_names: [name] });
        await h.db.createIndex({ collection_name: name, field_name: 'bits', index_type: type, metric_type: metric, params });
        assert.equal((await h.db.waitForIndexes()).failed, 0);
        await h.db.loadCollection({ collection_name: name });
        const r = await h.db.search({ collection_name: name, data: queries, limit: 10, params: search });
        let hit = 0;
        (r.results as Array<Array<{ id: number; score: number }>>).forEach((list, q) => {
          const kth = truth[q]![9]!.d;
          for (const x of list) {
            assert.ok(Math.abs(x.score - dist(queries[q]!, base[x.id]!)) < 1e-6, `${type} ${metric}: score of row ${x.id}`);
            if (dist(queries[q]!, base[x.id]!) <= kth + 1e-9) hit++;
          }
        });
        const rec = hit / 1000;
        assert.ok(rec >= floor, `${type} ${metric}: recall@10 ${rec} below ${floor}`);
        await h.db.dropCollection({ collection_name: name });
      }
    }
  });

  test('SPARSE_INVERTED_INDEX returns the exact top inner products, with filters and deletes', async () => {
    const rng = new Random(5);
    const sparse = () => {
      const m: Record<number, number> = {};
      for (let k = 0; k < 12; k++) m[rng.int(500)] = Math.fround(rng.next());
      return m;
    };
    await h.db.createCollection({ collection_name: 's', fields: [{ name: 'id', data_type: DataType.Int64, is_primary_key: true }, { name: 'sp', data_type: DataType.SparseFloatVector }] });
    const rows = range(0, 6000).map((id) => ({ id, sp: sparse() }));
    for (let f = 0; f < 6000; f += 1000) await h.db.insert({ collection_name: 's', data: rows.slice(f, f + 1000) });
    await h.db.flush({ collection_names: ['s'] });
    await h.db.createIndex({ collection_name: 's', field_name: 'sp', index_type: 'SPARSE_INVERTED_INDEX', metric_type: 'IP', params: { drop_ratio_build: 0 } });
    await h.db.waitForIndexes();
    await h.db.loadCollection({ collection_name: 's' });
    await h.db.delete({ collection_name: 's', filter: 'id in [0, 1, 2, 3]' });
    const queries = range(0, 20).map(() => sparse());
    const r = await h.db.search({ collection_name: 's', data: queries, limit: 10, filter: 'id < 5000', consistency_level: 'Strong' });
    (r.results as Array<Array<{ id: number; score: number }>>).forEach((list, q) => {
      const truth = rows.filter((x) => x.id < 5000 && x.id > 3).map((x) => {
        let s = 0;
        for (const [k, v] of Object.entries(queries[q]!)) s += v * (x.sp[Number(k)] ?? 0);
        return { id: x.id, s };
      }).filter((x) => x.s > 0).sort((a, b) => b.s - a.s || a.id - b.id);
      assert.equal(list.length, Math.min(10, truth.length));
      list.forEach((x, i) => assert.ok(Math.abs(x.score - truth[i]!.s) < 1e-5, `query ${q} rank ${i}: ${x.score} vs ${truth[i]!.s}`));
    });
  });
});
