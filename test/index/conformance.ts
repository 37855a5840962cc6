// The shared body of the index conformance suite: put a real data set into a collection
// (90% of the rows flushed into several segments that get the index, the last 10%
// added afterwards into a growing segment that is scanned exactly), build the index, wait for it, search every
// query and measure tie-aware recall@10 against the exact answer.
import assert from 'node:assert/strict';
import { DataType } from '../../src/catalog/index.js';
import type { Elanus } from '../../src/engine/index.js';
import { type Dataset, exactTopK, recall, row } from './datasets.js';

export interface IndexCase {
  readonly name: string;
  readonly index: { index_type: string; metric_type?: string; params?: Record<string, unknown> };
  readonly search: Record<string, unknown>;
  /** Recall@10 this index and these parameters must reach. */
  readonly floor: number;
  readonly vectorType?: DataType;
}

export const tagOf = (i: number) => i % 100;

/** Creates `name` with id, tag (i % 100) and the vector; inserts and flushes the first 90% of the base. */
export async function loadDataset(db: Elanus, name: string, ds: Dataset, vectorType = DataType.FloatVector): Promise<void> {
  await db.createCollection({
    collection_name: name,
    fields: [
      { name: 'id', data_type: DataType.Int64, is_primary_key: true },
      { name: 'tag', data_type: DataType.Int32 },
      { name: 'vector', data_type: vectorType, dim: ds.base.d },
    ],
  });
  await insertRows(db, name, ds, 0, flushedRows(ds));
  await db.flush({ collection_names: [name] });
}

const flushedRows = (ds: Dataset) => Math.floor(ds.base.n * 0.9);

/** Inserts the last 10% of the base without flushing: they stay in a growing segment. */
export async function insertRest(db: Elanus, name: string, ds: Dataset): Promise<void> {
  await insertRows(db, name, ds, flushedRows(ds), ds.base.n);
}

async function insertRows(db: Elanus, name: string, ds: Dataset, from: number, to: number): Promise<void> {
  for (let f = from; f < to; f += 1000) {
    const rows = [];
    for (let i = f; i < Math.min(to, f + 1000); i++) rows.push({ id: i, tag: tagOf(i), vector: row(ds.base, i) });
    await db.insert({ collection_name: name, data: rows });
  }
}

/** Builds the index on the flushed rows, waits for it, loads, then adds the rest (growing). */
export async function indexAndLoad(db: Elanus, name: string, ds: Dataset, c: IndexCase): Promise<void> {
  await db.createIndex({ collection_name: name, field_name: 'vector', ...c.index });
  const stats = await db.waitForIndexes();
  assert.equal(stats.failed, 0, 'no index build failed');
  const state = await db.getIndexState({ collection_name: name, field_name: 'vector' });
  assert.equal(state.state, 'Finished');
  const p = await db.getIndexBuildProgress({ collection_name: name, field_name: 'vector' });
  assert.equal(p.indexed_rows, p.total_rows);
  assert.ok(p.total_rows > 0);
  await db.loadCollection({ collection_name: name });
  await insertRest(db, name, ds);
}

/** Searches every query (one call, nq = all) and returns the ids per query. */
export async function searchAll(db: Elanus, name: string, ds: Dataset, params: Record<string, unknown>, k = 10, filter?: string): Promise<number[][]> {
  const data = Array.from({ length: ds.queries.n }, (_, q) => row(ds.queries, q));
  const r = await db.search({ collection_name: name, data, limit: k, params, ...(filter ? { filter } : {}), consistency_level: 'Strong' });
  const lists = r.results as Array<Array<{ id: number }>>;
  assert.equal(lists.length, ds.queries.n);
  return lists.map((l) => l.map((h) => Number(h.id)));
}

export function truthOf(ds: Dataset, k = 10, allow?: (i: number) => boolean): Array<Array<{ id: number; score: number }>> {
  return Array.from({ length: ds.queries.n }, (_, q) => exactTopK(ds, q, k, allow));
}

export function assertRecall(ds: Dataset, got: number[][], truth: Array<Array<{ id: number; score: number }>>, floor: number, what: string): number {
  const r = recall(ds, got, truth, 10);
  assert.ok(r >= floor, `${what}: recall@10 ${r.toFixed(4)} is below the floor ${floor}`);
  console.log(`# ${what}: recall@10 ${r.toFixed(4)} (floor ${floor})`);
  return r;
}
