// Search features on an indexed collection of SIFT-small: range search equals the exact
// answer; grouping returns at most group_size hits per group and the same groups as an
// exact grouping; search iterators return every matching row once, nearest first, over
// one snapshot; hybrid search equals an RRF / weighted fusion computed here from the
// sub-searches; every wrong search parameter gets a coded error.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { isElanusError } from '../../src/errors/index.js';
import { type EngineHandle, openEngine } from '../engine/helpers.js';
import { indexAndLoad, loadDataset, tagOf } from './conformance.js';
import { type Dataset, datasetsMissing, exactTopK, row, score, siftsmall } from './datasets.js';
import { describeNeeding } from '../suites.js';

type Hit = { id: number; score: number; tag?: number };

async function rejects(p: Promise<unknown>, code: string, text?: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isElanusError(e), `expected an ElanusError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (text) assert.match(e.message, text);
    return true;
  });
}

describeNeeding(datasetsMissing, 'search features on an HNSW index (SIFT-small)', () => {
  let h: EngineHandle;
  let ds: Dataset;
  const name = 'feat';
  before(async () => {
    h = await openEngine({ limits: { segmentRowsMax: 3000 } });
    ds = await siftsmall();
    await loadDataset(h.db, name, ds);
    await indexAndLoad(h.db, name, ds, { name: 'HNSW', index: { index_type: 'HNSW', metric_type: 'L2', params: { M: 16, efConstruction: 100 } }, search: {}, floor: 0 });
  });
  after(() => h.dispose());

  const q = (i: number) => row(ds.queries, i);
  const search = async (i: number, extra: Record<string, unknown>): Promise<Hit[]> => {
    const r = await h.db.search({ collection_name: name, data: [q(i)], consistency_level: 'Strong', ...extra });
    // One query vector in a list: one list of hits.
    return (r.results as unknown as Hit[][])[0]!;
  };

  test('range search returns exactly the rows in [range_filter, radius), nearest first', async () => {
    for (const i of [0, 7, 42]) {
      const all = exactTopK(ds, i, ds.base.n);
      // Bounds half-way between neighbours, so float32 rounding cannot move a row across one.
      const radius = (all[60]!.score + all[61]!.score) / 2;
      const rangeFilter = (all[14]!.score + all[15]!.score) / 2;
      const want = all.filter((x) => x.score < radius && x.score >= rangeFilter);
      const got = await search(i, { limit: 1000, params: { radius, range_filter: rangeFilter } });
      assert.deepEqual(got.map((x) => x.id).sort((a, b) => a - b), want.map((x) => x.id).sort((a, b) => a - b));
      for (let k = 1; k < got.length; k++) assert.ok(got[k - 1]!.score <= got[k]!.score, 'nearest first');
      // With a limit below the number in range: the nearest `limit` of them.
      const few = await search(i, { limit: 5, params: { radius, range_filter: rangeFilter } });
      assert.deepEqual(few.map((x) => x.id), want.slice(0, 5).map((x) => x.id));
      // With a filter: the rows in range that match it.
      const filtered = await search(i, { limit: 1000, filter: 'tag < 50', params: { radius } });
      assert.deepEqual(filtered.map((x) => x.id).sort((a, b) => a - b), all.filter((x) => x.score < radius && tagOf(x.id) < 50).map((x) => x.id).sort((a, b) => a - b));
    }
  });

  test('range search bounds are checked against the metric', async () => {
    await rejects(search(0, { params: { radius: 10, range_filter: 20 } }), 'INVALID_ARGUMENT', /range_filter .* must be less than radius/);
    await rejects(search(0, { params: { range_filter: 20 } }), 'INVALID_ARGUMENT', /needs radius/);
    await rejects(search(0, { params: { radius: 'far' } }), 'INVALID_ARGUMENT', /radius must be a number/);
  });

  test('grouping: at most group_size hits per group, the best groups, as an exact grouping finds them', async () => {
    for (const groupSize of [1, 3]) {
      const got = await search(3, { limit: 5, group_by_field: 'tag', group_size: groupSize, output_fields: ['tag'] });
      const perGroup = new Map<number, Hit[]>();
      for (const hit of got) {
        assert.equal(hit.tag, tagOf(hit.id));
        perGroup.set(hit.tag!, [...(perGroup.get(hit.tag!) ?? []), hit]);
      }
      assert.equal(perGroup.size, 5, 'five groups');
      for (const [tag, hits] of perGroup) assert.ok(hits.length <= groupSize, `group ${tag}: ${hits.length} hits`);
      // Exact grouping: walk all rows nearest first, keep the first 5 groups.
      const order: number[] = [];
      for (const x of exactTopK(ds, 3, ds.base.n)) {
        if (!order.includes(tagOf(x.id))) order.push(tagOf(x.id));
        if (order.length === 5) break;
      }
      assert.deepEqual([...perGroup.keys()], order);
    }
    await rejects(search(0, { group_by_field: 'vector' }), 'INVALID_ARGUMENT', /cannot group by field "vector"/);
    await rejects(search(0, { group_by_field: 'nope' }), 'FIELD_NOT_FOUND');
  });

  test('search iterator: every matching row once, nearest first, stable over a snapshot', async () => {
    const it = await h.db.searchIterator({ collection_name: name, data: [q(5)], batchSize: 333, filter: 'tag < 20', limit: 1500 });
    // Writes after the iterator started are not seen: delete some rows and add new ones.
    await h.db.delete({ collection_name: name, filter: 'id < 500' });
    await h.db.insert({ collection_name: name, data: [{ id: 100_000, tag: 1, vector: q(5) }] });
    const seen: Hit[] = [];
    for await (const batch of it) seen.push(...(batch as unknown as Hit[]));
    const want = exactTopK(ds, 5, 1500, (i) => tagOf(i) < 20);
    assert.equal(seen.length, want.length);
    assert.equal(new Set(seen.map((x) => x.id)).size, seen.length, 'no row twice');
    for (let k = 1; k < seen.length; k++) assert.ok(seen[k - 1]!.score <= seen[k]!.score, 'nearest first across batches');
    // The same set as the exact answer (ties at the last place may order either way).
    const last = want[want.length - 1]!.score;
    const gotIds = new Set(seen.filter((x) => x.score < last).map((x) => x.id));
    assert.deepEqual(gotIds, new Set(want.filter((x) => x.score < last).map((x) => x.id)));
    // Restore the deleted rows for the other tests.
    await h.db.delete({ collection_name: name, filter: 'id == 100000' });
    await h.db.insert({ collection_name: name, data: Array.from({ length: 500 }, (_, i) => ({ id: i, tag: tagOf(i), vector: row(ds.base, i) })) });
  });

  test('hybrid search equals RRF and weighted fusion of its sub-searches', async () => {
    const subs = [
      { anns_field: 'vector', data: q(1), limit: 20, params: { ef: 64 } },
      { anns_field: 'vector', data: q(2), limit: 20, params: { ef: 64 }, filter: 'tag < 50' },
    ];
    const lists: Hit[][] = [];
    for (const s of subs) lists.push(await search(0, { data: [s.data], limit: s.limit, params: s.params, ...(s.filter ? { filter: s.filter } : {}) }));
    const fuse = (add: (list: number, rank: number, h: Hit) => number) => {
      const m = new Map<number, number>();
      lists.forEach((l, i) => l.forEach((x, r) => m.set(x.id, (m.get(x.id) ?? 0) + add(i, r, x))));
      return [...m].sort((a, b) => b[1] - a[1]).slice(0, 10);
    };
    const rrf = await h.db.hybridSearch({ collection_name: name, data: subs, rerank: { strategy: 'rrf', params: { k: 60 } }, limit: 10, consistency_level: 'Strong' });
    const wantRrf = fuse((_, r) => 1 / (60 + r + 1));
    const gotRrf = rrf.results as unknown as Hit[];
    assert.deepEqual(gotRrf.map((x) => x.id), wantRrf.map((x) => x[0]));
    gotRrf.forEach((x, i) => assert.ok(Math.abs(x.score - wantRrf[i]![1]) < 1e-9));
    const w = await h.db.hybridSearch({ collection_name: name, data: subs, rerank: { strategy: 'weighted', params: { weights: [0.3, 0.7] } }, limit: 10, consistency_level: 'Strong' });
    const wantW = fuse((i, _, x) => [0.3, 0.7][i]! * (1 - (2 * Math.atan(x.score)) / Math.PI));
    assert.deepEqual((w.results as unknown as Hit[]).map((x) => x.id), wantW.map((x) => x[0]));
  });

  test('scores are exact distances for the returned rows', async () => {
    const got = await search(9, { limit: 10, params: { ef: 64 } });
    for (const x of got) {
      const s = score('L2', ds.base, x.id, Float32Array.from(q(9)));
      assert.ok(Math.abs(x.score - s) <= Math.abs(s) * 1e-4 + 1e-3, `row ${x.id}: ${x.score} vs ${s}`);
    }
  });

  test('a filter repeated on sealed segments (answers kept per filter text and values) stays right', async () => {
    for (const [filter, values, keep] of [
      ['tag < {t}', { t: 10 }, (i: number) => tagOf(i) < 10],
      ['tag < {t}', { t: 3 }, (i: number) => tagOf(i) < 3],
      ['tag < 10', undefined, (i: number) => tagOf(i) < 10],
      ['tag < 10 and id > 5000', undefined, (i: number) => tagOf(i) < 10 && i > 5000],
    ] as const) {
      for (let rep = 0; rep < 2; rep++) {
        const got = await search(11, { limit: 10, filter, ...(values ? { exprValues: values } : {}), params: { ef: 128 } });
        const want = exactTopK(ds, 11, 10, keep);
        assert.deepEqual(got.map((x) => x.id), want.map((x) => x.id), `${filter} ${JSON.stringify(values)} (run ${rep})`);
      }
    }
  });

  test('wrong search parameters get coded errors', async () => {
    // An ef below the limit is raised to it: ten hits come back.
    assert.equal((await search(0, { limit: 10, params: { ef: 5 } })).length, 10);
    await rejects(search(0, { params: { ef: 0 } }), 'INVALID_ARGUMENT', /ef must be an integer/);
    await rejects(search(0, { params: { nprobe: 70000 } }), 'INVALID_ARGUMENT', /nprobe/);
    await rejects(search(0, { params: { drop_ratio_search: 1 } }), 'INVALID_ARGUMENT', /drop_ratio_search/);
    await rejects(search(0, { metric_type: 'IP' }), 'METRIC_MISMATCH');
  });
});
