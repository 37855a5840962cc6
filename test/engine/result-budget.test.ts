// A result that would exceed its byte budget (resultBytesMax) is refused with a coded
// error before any row is assembled: exactly at the budget it is answered, one row over
// it is refused, for queries, searches (plain, grouped, range) and search iterators.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataType, openEngine } from './helpers.js';

const name = 'budget';
// Per row: id (Int64, 8 bytes) + v (4 floats, 16 bytes) = 24; a search hit adds 16 (key, score).
const queryRow = 24;
const hitRow = 40;

async function setup(resultBytesMax: number) {
  const h = await openEngine({ storage: 'memory', limits: { resultBytesMax } });
  await h.db.createCollection({ collection_name: name, fields: [
    { name: 'id', data_type: DataType.Int64, is_primary_key: true },
    { name: 'v', data_type: DataType.FloatVector, dim: 4 },
    { name: 'g', data_type: DataType.Int64 },
  ] });
  await h.db.insert({ collection_name: name, data: Array.from({ length: 50 }, (_, i) => ({ id: i, v: [i, 1, 2, 3], g: i % 5 })) });
  await h.db.loadCollection({ collection_name: name });
  return h;
}

test('query: exactly at resultBytesMax answers, one row over is RESULT_TOO_LARGE', async () => {
  const h = await setup(10 * queryRow);
  try {
    const q = (limit: number) => h.db.query({ collection_name: name, filter: 'id >= 0', output_fields: ['v'], limit, consistency_level: 'Strong' });
    assert.equal((await q(10)).data.length, 10);
    await assert.rejects(q(11), { code: 'RESULT_TOO_LARGE' });
    // Fewer output fields fit more rows: the error names what to change.
    const ids = await h.db.query({ collection_name: name, filter: 'id >= 0', output_fields: ['id'], limit: 30, consistency_level: 'Strong' });
    assert.equal(ids.data.length, 30);
  } finally {
    await h.dispose();
  }
});

test('search, grouped search, range search and search iterators: refused past resultBytesMax, answered at it', async () => {
  const h = await setup(10 * hitRow);
  try {
    const s = (extra: Record<string, unknown>) => h.db.search({ collection_name: name, data: [0, 1, 2, 3], output_fields: ['v'], consistency_level: 'Strong', ...extra });
    assert.equal(((await s({ limit: 10 })).results as unknown[]).length, 10);
    await assert.rejects(s({ limit: 11 }), { code: 'RESULT_TOO_LARGE' });
    await assert.rejects(s({ limit: 5, params: { group_by_field: 'g', group_size: 3 } }), { code: 'RESULT_TOO_LARGE' });
    assert.equal(((await s({ limit: 10, metric_type: 'L2', params: { radius: 1e9 } })).results as unknown[]).length, 10);
    await assert.rejects(s({ limit: 11, metric_type: 'L2', params: { radius: 1e9 } }), { code: 'RESULT_TOO_LARGE' });
    const page = (batchSize: number) => h.db.searchIterator({ collection_name: name, data: [0, 1, 2, 3], output_fields: ['v'], batchSize }).then(async (it) => {
      const first = await it.next();
      it.close();
      return first.value as unknown[];
    });
    assert.equal((await page(10)).length, 10);
    await assert.rejects(page(11), { code: 'RESULT_TOO_LARGE' });
  } finally {
    await h.dispose();
  }
});

test('query vectors per search (nq) and sub-searches per hybrid search: exactly at the limit answered, one over LIMIT_EXCEEDED', { timeout: 120_000 }, async () => {
  const h = await setup(1 << 30);
  try {
    const nqMax = 16_384;
    const queries = (n: number) => Array.from({ length: n }, (_, i) => [i % 50, 1, 2, 3]);
    const r = await h.db.search({ collection_name: name, data: queries(nqMax), limit: 1, consistency_level: 'Strong' });
    assert.equal((r.results as unknown[]).length, nqMax);
    await assert.rejects(h.db.search({ collection_name: name, data: queries(nqMax + 1), limit: 1 }), { code: 'LIMIT_EXCEEDED' });
    const hybridMax = 1024;
    const subs = (n: number) => Array.from({ length: n }, (_, i) => ({ anns_field: 'v', data: [i % 50, 1, 2, 3], limit: 2 }));
    const hy = await h.db.hybridSearch({ collection_name: name, data: subs(hybridMax), limit: 3, consistency_level: 'Strong' });
    assert.equal((hy.results as unknown[]).length, 3);
    await assert.rejects(h.db.hybridSearch({ collection_name: name, data: subs(hybridMax + 1), limit: 3 }), { code: 'LIMIT_EXCEEDED' });
  } finally {
    await h.dispose();
  }
});
