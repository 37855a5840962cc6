// Interim indexes of growing segments (engine/interim-indexes.ts): every whole chunk of a
// growing segment gets an HNSW graph in the background; searches walk the chunks and scan
// only the rows past the last one, with recall against the exact answer on SIFT, filters
// and deletes honoured inside each chunk; the chunks go when the segment's own index is ready or the index is dropped,
// and come back after a restart (the log replays the rows).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Elanus } from '../../src/engine/index.js';
import { segmentSearches } from '../../src/query/vector-search.js';
import { DataType, withEngine } from '../engine/helpers.js';
import { type Dataset, datasetsMissing, exactTopK, recall, row, siftsmall } from './datasets.js';
import { describeNeeding } from '../suites.js';

const chunkRows = 4096;
const limits = { interimIndexRows: chunkRows };
const hnsw = { index_type: 'HNSW', metric_type: 'L2', params: { M: 16, efConstruction: 100 } };
const tagOf = (i: number) => i % 10;

async function collection(db: Elanus, name: string, ds: Dataset, rows: number, index: Record<string, unknown> = hnsw): Promise<void> {
  await db.createCollection({
    collection_name: name,
    fields: [
      { name: 'id', data_type: DataType.Int64, is_primary_key: true },
      { name: 'tag', data_type: DataType.Int32 },
      { name: 'vector', data_type: DataType.FloatVector, dim: ds.base.d },
    ],
  });
  await db.createIndex({ collection_name: name, field_name: 'vector', ...index });
  await db.loadCollection({ collection_name: name });
  await insert(db, name, ds, 0, rows);
}

/** Rows [from, to) of the data set, with ids shifted by `idOffset`. */
async function insert(db: Elanus, name: string, ds: Dataset, from: number, to: number, idOffset = 0): Promise<void> {
  for (let f = from; f < to; f += 500) {
    const data = [];
    for (let i = f; i < Math.min(to, f + 500); i++) data.push({ id: i + idOffset, tag: tagOf(i), vector: row(ds.base, i) });
    await db.insert({ collection_name: name, data });
  }
}

async function searchIds(db: Elanus, name: string, ds: Dataset, nq: number, params: Record<string, unknown>, filter?: string): Promise<number[][]> {
  const data = Array.from({ length: nq }, (_, q) => row(ds.queries, q));
  const r = await db.search({ collection_name: name, data, limit: 10, params, ...(filter ? { filter } : {}), consistency_level: 'Strong' });
  return (r.results as Array<Array<{ id: number }>>).map((l) => l.map((h) => Number(h.id)));
}

/** Segment searches by access path during `body`. */
async function accessDuring(body: () => Promise<unknown>): Promise<{ index: number; interim: number; exact: number }> {
  const before = { ...segmentSearches };
  await body();
  return { index: segmentSearches.index - before.index, interim: segmentSearches.interim - before.interim, exact: segmentSearches.exact - before.exact };
}

describeNeeding(datasetsMissing, 'interim indexes of growing segments', () => {
  test('chunks are built in the background and searched with recall against the exact answer', () => withEngine(async (db) => {
    const ds = await siftsmall();
    const rows = 9_000;
    await collection(db, 'c', ds, rows);
    await db.waitForIndexes();
    const stats = db.vectorIndexStats().interim;
    assert.equal(stats.chunks, Math.floor(rows / chunkRows), 'one graph per whole chunk');
    assert.equal(stats.failed, 0);
    assert.ok(stats.memoryBytes > 0);
    const sub: Dataset = { ...ds, base: { ...ds.base, n: rows, data: ds.base.data.subarray(0, rows * ds.base.d) } };
    const nq = 100;
    let got: number[][] = [];
    const access = await accessDuring(async () => { got = await searchIds(db, 'c', sub, nq, { ef: 32 }); });
    assert.deepEqual(access, { index: 0, interim: 1, exact: 0 }, 'the growing segment went through its chunks');
    const truth = Array.from({ length: nq }, (_, q) => exactTopK(sub, q, 10));
    const r = recall(sub, got, truth, 10);
    console.log(`# siftsmall 9,000 growing rows, chunks of ${chunkRows}, ef 32: recall@10 ${r.toFixed(4)}`);
    assert.ok(r >= 0.95, `recall ${r}`);

    // A filter (tag < 9, 90% of the rows) is honoured inside every chunk and in the tail.
    let filtered: number[][] = [];
    const fAccess = await accessDuring(async () => { filtered = await searchIds(db, 'c', sub, nq, { ef: 16 }, 'tag < 9'); });
    assert.equal(fAccess.interim, 1);
    for (const l of filtered) for (const id of l) assert.ok(tagOf(id) < 9, `row ${id} fails the filter`);
    const fr = recall(sub, filtered, Array.from({ length: nq }, (_, q) => exactTopK(sub, q, 10, (i) => tagOf(i) < 9)), 10);
    console.log(`# filtered 90%: recall@10 ${fr.toFixed(4)}`);
    assert.ok(fr >= 0.95, `filtered recall ${fr}`);

    // Deleted rows (each query's exact nearest, inside the chunks) are never returned.
    const nearest = truth.map((t) => t[0]!.id);
    await db.delete({ collection_name: 'c', filter: `id in [${nearest.join(',')}]` });
    const after = await searchIds(db, 'c', sub, nq, { ef: 32 });
    const gone = new Set(nearest);
    for (const l of after) for (const id of l) assert.ok(!gone.has(id), `deleted row ${id} returned`);
  }, { limits }));

  test('flush hands over to the segment index; dropIndex drops the chunks; a restart builds them again', () => withEngine(async (db, h) => {
    const ds = await siftsmall();
    await collection(db, 'c', ds, 9_000);
    await db.waitForIndexes();
    assert.equal(db.vectorIndexStats().interim.chunks, 2);
    await db.flush({ collection_names: ['c'] });
    await db.waitForIndexes();
    const s = db.vectorIndexStats().interim;
    assert.equal(s.chunks, 0, 'the flushed segment has its own index now');
    assert.equal(s.dropped, 2);
    const access = await accessDuring(() => searchIds(db, 'c', ds, 5, { ef: 32 }));
    assert.deepEqual(access, { index: 1, interim: 0, exact: 0 });

    // New growing rows get chunks; dropping the index drops them and search scans exactly.
    await insert(db, 'c', ds, 0, 9_000, 100_000);
    await db.waitForIndexes();
    assert.equal(db.vectorIndexStats().interim.chunks, 2);
    await db.releaseCollection({ collection_name: 'c' });
    await db.dropIndex({ collection_name: 'c', field_name: 'vector' });
    await db.createIndex({ collection_name: 'c', field_name: 'vector', index_type: 'FLAT', metric_type: 'L2' });
    await db.loadCollection({ collection_name: 'c' });
    await db.waitForIndexes();
    assert.equal(db.vectorIndexStats().interim.chunks, 0, 'FLAT wants no graph');
    const exact = await accessDuring(() => searchIds(db, 'c', ds, 5, {}));
    assert.equal(exact.interim, 0);

    // HNSW again, then a restart: the log replays the growing rows and the chunks are rebuilt.
    await db.releaseCollection({ collection_name: 'c' });
    await db.dropIndex({ collection_name: 'c', field_name: 'vector' });
    await db.createIndex({ collection_name: 'c', field_name: 'vector', ...hnsw });
    await db.waitForIndexes();
    assert.equal(db.vectorIndexStats().interim.chunks, 2, 'createIndex builds chunks for the growing rows');
    const reopened = await h.reopen();
    await reopened.loadCollection({ collection_name: 'c' });
    await reopened.waitForIndexes();
    assert.equal(reopened.vectorIndexStats().interim.chunks, 2);
    const ids = await searchIds(reopened, 'c', ds, 1, { ef: 64 });
    assert.equal(ids[0]!.length, 10);
  }, { limits }));

  test('chunk builds racing a dropped collection, index or partition leave nothing behind', () => withEngine(async (db) => {
    const ds = await siftsmall();
    // Each drop lands while the chunks of the rows just inserted are being built.
    await collection(db, 'c', ds, 9_000);
    await db.dropCollection({ collection_name: 'c' });
    await collection(db, 'd', ds, 9_000);
    await db.releaseCollection({ collection_name: 'd' });
    await db.dropIndex({ collection_name: 'd', field_name: 'vector' });
    await db.createCollection({
      collection_name: 'p',
      fields: [
        { name: 'id', data_type: DataType.Int64, is_primary_key: true },
        { name: 'tag', data_type: DataType.Int32 },
        { name: 'vector', data_type: DataType.FloatVector, dim: ds.base.d },
      ],
    });
    await db.createIndex({ collection_name: 'p', field_name: 'vector', ...hnsw });
    await db.createPartition({ collection_name: 'p', partition_name: 'q' });
    const data = Array.from({ length: 9_000 }, (_, i) => ({ id: i, tag: tagOf(i), vector: row(ds.base, i) }));
    await db.insert({ collection_name: 'p', partition_name: 'q', data });
    await db.dropPartition({ collection_name: 'p', partition_name: 'q' });
    await db.waitForIndexes();
    const s = db.vectorIndexStats().interim;
    assert.equal(s.chunks, 0, 'no chunk outlives its segment, index or collection');
    assert.equal(s.failed, 0);
    assert.equal(s.memoryBytes, 0);
  }, { limits }));

  test('interimIndexRows 0 scans growing segments exactly', () => withEngine(async (db) => {
    const ds = await siftsmall();
    await collection(db, 'c', ds, 3_000);
    await db.waitForIndexes();
    assert.equal(db.vectorIndexStats().interim.chunks, 0);
    const access = await accessDuring(() => searchIds(db, 'c', ds, 5, { ef: 64 }));
    assert.deepEqual(access, { index: 0, interim: 0, exact: 1 });
  }, { limits: { interimIndexRows: 0 } }));
});
