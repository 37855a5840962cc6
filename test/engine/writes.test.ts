// Invalid writes: each is refused as a whole with its code, and nothing of the batch
// is stored — count(*) at Strong consistency is the same before and after, and the good
// rows of the refused batch cannot be read.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Elanus } from '../../src/engine/index.js';
import { DataType, basicFields, basicRows, countOf, vec, withEngine } from './helpers.js';

const fields = basicFields(4, [
  { name: 'i8', data_type: DataType.Int8, nullable: true },
  { name: 'i32', data_type: DataType.Int32, nullable: true },
  { name: 'f', data_type: DataType.Float, nullable: true },
  { name: 'name', data_type: DataType.VarChar, max_length: 5, nullable: true },
  { name: 'flag', data_type: DataType.Bool, nullable: true },
  { name: 'tags', data_type: DataType.Array, element_type: DataType.Int32, max_capacity: 3, nullable: true },
  { name: 'strs', data_type: DataType.Array, element_type: DataType.VarChar, max_capacity: 3, max_length: 2, nullable: true },
  { name: 'doc', data_type: DataType.JSON, nullable: true },
  { name: 'required', data_type: DataType.Int16 },
  { name: 'bits', data_type: DataType.BinaryVector, dim: 16 },
]);

/** 100 valid rows with ids base..base+99. */
function good(base: number): Array<Record<string, unknown>> {
  return basicRows(base, base + 100, 4, (i) => ({ required: i % 1000, bits: [i & 0xff, 1] }));
}

/** Refuses a batch of 100 good rows with `bad` patched into row `at` (the last by default). */
async function refused(db: Elanus, code: string, bad: (row: Record<string, unknown>) => void, opts: { at?: number; upsert?: boolean } = {}): Promise<void> {
  const before = await countOf(db, 'w');
  const rows = good(10_000);
  const at = opts.at ?? rows.length - 1;
  bad(rows[at]!);
  const req = { collection_name: 'w', data: rows };
  await assert.rejects(opts.upsert ? db.upsert(req) : db.insert(req), { code }, `${code} at row ${at}`);
  assert.equal(await countOf(db, 'w'), before, `${code}: nothing of the batch is stored`);
  const got = await db.get({ collection_name: 'w', ids: [10_000, 10_000 + at], consistency_level: 'Strong' });
  assert.deepEqual(got.data, [], `${code}: the good rows of the batch are not readable either`);
}

describe('invalid writes store nothing', () => {
  test('each problem has its code; a bad last row of 100 refuses all 100', () => withEngine(async (db) => {
    await db.createCollection({ collection_name: 'w', fields });
    await db.loadCollection({ collection_name: 'w' });
    await db.insert({ collection_name: 'w', data: good(0) });
    assert.equal(await countOf(db, 'w'), 100);

    await refused(db, 'WRONG_DIMENSION', (r) => { r['vector'] = [1, 2, 3]; });
    await refused(db, 'WRONG_DIMENSION', (r) => { r['vector'] = [1, 2, 3, 4, 5]; }, { at: 0 });
    await refused(db, 'WRONG_DIMENSION', (r) => { r['bits'] = [1, 2, 3]; });
    await refused(db, 'WRONG_TYPE', (r) => { r['vector'] = 'not a vector'; });
    await refused(db, 'WRONG_TYPE', (r) => { r['vector'] = [1, 2, '3', 4]; });
    await refused(db, 'WRONG_TYPE', (r) => { r['i32'] = 'seven'; });
    await refused(db, 'WRONG_TYPE', (r) => { r['i32'] = 1.5; });
    await refused(db, 'WRONG_TYPE', (r) => { r['flag'] = 1; });
    await refused(db, 'WRONG_TYPE', (r) => { r['name'] = 42; });
    await refused(db, 'WRONG_TYPE', (r) => { r['tags'] = 'a,b'; });
    await refused(db, 'WRONG_TYPE', (r) => { r['tags'] = [1, 'x']; });
    await refused(db, 'WRONG_TYPE', (r) => { r['id'] = 'abc'; });
    await refused(db, 'WRONG_TYPE', (r) => { r['bits'] = [256, 0]; });
    await refused(db, 'WRONG_TYPE', (r) => { r['doc'] = { n: 10n }; });
    await refused(db, 'MISSING_FIELD', (r) => { delete r['vector']; });
    await refused(db, 'MISSING_FIELD', (r) => { delete r['required']; });
    await refused(db, 'MISSING_FIELD', (r) => { delete r['id']; });
    await refused(db, 'STRING_TOO_LONG', (r) => { r['name'] = 'toolong'; });
    await refused(db, 'STRING_TOO_LONG', (r) => { r['strs'] = ['ok', 'long']; });
    await refused(db, 'VALUE_NOT_FINITE', (r) => { r['vector'] = [1, Number.NaN, 0, 0]; });
    await refused(db, 'VALUE_NOT_FINITE', (r) => { r['vector'] = [Number.POSITIVE_INFINITY, 0, 0, 0]; });
    await refused(db, 'VALUE_NOT_FINITE', (r) => { r['vector'] = [0, 0, 0, Number.NEGATIVE_INFINITY]; }, { at: 50 });
    await refused(db, 'ARRAY_TOO_LONG', (r) => { r['tags'] = [1, 2, 3, 4]; });
    await refused(db, 'UNKNOWN_FIELD', (r) => { r['color'] = 'red'; });
    await refused(db, 'DUPLICATE_PRIMARY_KEY', (r) => { r['id'] = 10_000; }, { upsert: true });
    await refused(db, 'DUPLICATE_PRIMARY_KEY', (r) => { r['id'] = '10000'; }, { upsert: true });
    await refused(db, 'NULL_NOT_ALLOWED', (r) => { r['required'] = null; });
    await refused(db, 'NULL_NOT_ALLOWED', (r) => { r['vector'] = null; });
    await refused(db, 'VALUE_OUT_OF_RANGE', (r) => { r['i8'] = 200; });
    await refused(db, 'VALUE_OUT_OF_RANGE', (r) => { r['i8'] = -129; });
    await refused(db, 'VALUE_OUT_OF_RANGE', (r) => { r['required'] = 40_000; });
    await refused(db, 'VALUE_OUT_OF_RANGE', (r) => { r['vector'] = [1e39, 0, 0, 0]; });
    // A finite double beyond float32's range would be stored as Infinity.
    await refused(db, 'VALUE_OUT_OF_RANGE', (r) => { r['f'] = 1e39; });
    await refused(db, 'VALUE_OUT_OF_RANGE', (r) => { r['id'] = 2 ** 53 + 2; });
    await refused(db, 'WRONG_TYPE', (r) => { Object.assign(r, { id: '9223372036854775808' }); });

    assert.equal(await countOf(db, 'w'), 100);
    assert.equal((await db.getCollectionStatistics({ collection_name: 'w' })).data.row_count, 100);
  }, { storage: 'memory' }));

  test('request-level refusals', () => withEngine(async (db) => {
    await db.createCollection({ collection_name: 'w', fields });
    await db.loadCollection({ collection_name: 'w' });
    await assert.rejects(db.insert({ collection_name: 'w', data: [] }), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(db.insert({ collection_name: 'w' }), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(db.insert({ collection_name: 'w', data: [5 as unknown as Record<string, unknown>] }), { code: 'WRONG_TYPE' });
    await assert.rejects(db.insert({ collection_name: 'w', columns: { id: [1, 2], vector: [vec(1, 4)] } }), { code: 'INVALID_ARGUMENT' });
    // The row limit is checked before any row is looked at.
    const huge = new Array(100_001).fill({});
    await assert.rejects(db.insert({ collection_name: 'w', data: huge }), { code: 'BATCH_TOO_LARGE' });
    await assert.rejects(db.insert({ collection_name: 'missing', data: good(0) }), { code: 'COLLECTION_NOT_FOUND' });
    await assert.rejects(db.insert({ collection_name: 'w', data: good(0), db_name: 'missing' }), { code: 'DATABASE_NOT_FOUND' });
    assert.equal(await countOf(db, 'w'), 0);
  }, { storage: 'memory' }));

  test('auto-id collections refuse given keys on insert and need them on upsert', () => withEngine(async (db) => {
    await db.createCollection({
      collection_name: 'a',
      fields: [{ name: 'id', data_type: DataType.Int64, is_primary_key: true, autoID: true }, { name: 'vector', data_type: DataType.FloatVector, dim: 2 }],
    });
    await db.loadCollection({ collection_name: 'a' });
    const rows = Array.from({ length: 100 }, (_, i) => ({ vector: [i, 1] }));
    await assert.rejects(db.insert({ collection_name: 'a', data: [...rows, { id: 5, vector: [0, 0] }] }), { code: 'AUTO_ID_GIVEN' });
    assert.equal(await countOf(db, 'a'), 0);
    await assert.rejects(db.upsert({ collection_name: 'a', data: rows }), { code: 'MISSING_FIELD' });
    assert.equal(await countOf(db, 'a'), 0);
    const r = await db.insert({ collection_name: 'a', data: rows });
    assert.equal(r.insert_cnt, 100);
    assert.equal(await countOf(db, 'a'), 100);
  }, { storage: 'memory' }));

  test('dynamic collections accept unknown fields; a bad value in a schema field still refuses all', () => withEngine(async (db) => {
    await db.createCollection({ collection_name: 'w', fields, enable_dynamic_field: true });
    await db.loadCollection({ collection_name: 'w' });
    const rows: Array<Record<string, unknown>> = good(0).map((r, i) => ({ ...r, color: `c${i}` }));
    rows[99]!['i8'] = 1000;
    await assert.rejects(db.insert({ collection_name: 'w', data: rows }), { code: 'VALUE_OUT_OF_RANGE' });
    assert.equal(await countOf(db, 'w'), 0);
    rows[99]!['i8'] = 1;
    await db.insert({ collection_name: 'w', data: rows });
    assert.equal(await countOf(db, 'w'), 100);
  }, { storage: 'memory' }));
});

test('an insert that repeats a key keeps the last row of the key, before and after a flush and a restart (Milvus accepts such a batch)', () => withEngine(async (db, h) => {
  await db.createCollection({ collection_name: 'dup', fields: [
    { name: 'id', data_type: DataType.Int64, is_primary_key: true },
    { name: 'tag', data_type: DataType.VarChar, max_length: 16 },
    { name: 'vector', data_type: DataType.FloatVector, dim: 4 },
  ] });
  await db.loadCollection({ collection_name: 'dup' });
  const row = (id: number, tag: string) => ({ id, tag, vector: [id, 1, 2, 3] });
  const r = await db.insert({ collection_name: 'dup', data: [row(1, 'first'), row(2, 'only'), row(1, 'middle'), row(1, 'last')] });
  assert.equal(r.insert_cnt, 4);
  assert.deepEqual(r.IDs, { int_id: { data: [1, 2, 1, 1] } });
  const check = async (d: Elanus, when: string) => {
    assert.equal(await countOf(d, 'dup'), 2, when);
    const got = await d.query({ collection_name: 'dup', filter: 'id >= 0', output_fields: ['tag'], consistency_level: 'Strong' });
    assert.deepEqual(got.data.map((x) => [x['id'], x['tag']]).sort(), [[1, 'last'], [2, 'only']], when);
    const hits = await d.search({ collection_name: 'dup', data: [1, 1, 2, 3], limit: 10, output_fields: ['tag'], consistency_level: 'Strong' });
    assert.deepEqual((hits.results as Array<Record<string, unknown>>).map((x) => x['tag']).sort(), ['last', 'only'], when);
  };
  await check(db, 'in memory');
  await db.flush({ collection_names: ['dup'] });
  await check(db, 'flushed');
  const again = await h.reopen();
  await again.loadCollection({ collection_name: 'dup' });
  await check(again, 'after a restart');
  // From the log alone too: a second batch, not flushed, then a restart.
  await again.insert({ collection_name: 'dup', data: [row(3, 'a'), row(3, 'b')] });
  const third = await h.reopen();
  await third.loadCollection({ collection_name: 'dup' });
  const got = await third.query({ collection_name: 'dup', filter: 'id == 3', output_fields: ['tag'], consistency_level: 'Strong' });
  assert.deepEqual(got.data.map((x) => x['tag']), ['b']);
}));
