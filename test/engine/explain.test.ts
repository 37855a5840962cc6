// The engine's explain: the plan of a filter over a collection's current segments, with
// the collection's index specs (query/exec/explain.ts prints it; test/exec/explain.test.ts
// holds the text goldens).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataType, basicRows, createBasic, withEngine } from './helpers.js';

const extra = [{ name: 'year', data_type: DataType.Int64 }, { name: 'title', data_type: DataType.VarChar, max_length: 32 }];
const withYear = (i: number) => ({ year: 2000 + i, title: `t${i}` });

test('explain: access paths and estimates over flushed and growing segments', () => withEngine(async (db) => {
  await createBasic(db, 'c', { extra, load: false });
  await db.createIndex({ collection_name: 'c', field_name: 'vector', index_type: 'FLAT', metric_type: 'L2' });
  await db.createIndex({ collection_name: 'c', field_name: 'year', index_type: 'STL_SORT' });
  await db.loadCollection({ collection_name: 'c' });
  await db.insert({ collection_name: 'c', data: basicRows(0, 30, 4, withYear) });
  await db.flush({ collection_names: ['c'] });
  await db.insert({ collection_name: 'c', data: basicRows(30, 50, 4, withYear) });

  const r = await db.explain({ collection_name: 'c', filter: 'year >= {y} and title like "t1%"', exprValues: { y: 2025 } });
  assert.equal(r.status.error_code, 'Success');
  assert.equal(r.plan, [
    'filter over 2 segments (1 sealed), 50 rows; indexSelectivityMax 0.5',
    'AND',
    '  year >= 2025',
    '    -> index STL_SORT (sorted) on year: 1 segment, est. 5 of 30 rows',
    '    -> scan year (growing): 1 segment, 20 rows',
    '  title like "t1%"',
    '    -> scan title: 1 segment, 30 rows',
    '    -> scan title (growing): 1 segment, 20 rows',
  ].join('\n'));
  // Most rows match: the planner scans the flushed segment too, and says so.
  const wide = await db.explain({ collection_name: 'c', filter: 'year >= 2001' });
  assert.ok(wide.plan.includes('  -> scan year (index estimate above 0.5 of the rows): 1 segment, est. 29 of 30 rows'), wide.plan);

  assert.equal((await db.explain({ collection_name: 'c' })).plan, 'all rows (no filter)');
  await assert.rejects(db.explain({ collection_name: 'nope', filter: 'year > 1' }), { code: 'COLLECTION_NOT_FOUND' });
  await assert.rejects(db.explain({ collection_name: 'c', filter: 'nope > 1' }));
}));
