// Reads other than search: get, query with output_fields / limit / offset, count(*)
// (whole collection and per partition), collection statistics, the consistency levels,
// and every refusal of a malformed read.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConsistencyLevel } from '../../src/catalog/index.js';
import { DataType, assertClose, basicRows, countOf, createBasic, idsOf, range, vec, withEngine } from './helpers.js';

const extra = [
  { name: 'title', data_type: DataType.VarChar, max_length: 20 },
  { name: 'year', data_type: DataType.Int32 },
];
const withMeta = (i: number) => ({ title: `t${i}`, year: 2000 + i });

describe('get, query and count', () => {
  test('get returns every field by default, or the asked ones plus the key', () => withEngine(async (db) => {
    await createBasic(db, 'c', { extra });
    await db.insert({ collection_name: 'c', data: basicRows(0, 10, 4, withMeta) });
    const all = await db.get({ collection_name: 'c', ids: [3] });
    assert.deepEqual(Object.keys(all.data[0]!).sort(), ['id', 'title', 'vector', 'year']);
    assert.equal(all.data[0]!['title'], 't3');
    assertClose(all.data[0]!['vector'] as number[], vec(3, 4), 0);
    const some = await db.get({ collection_name: 'c', ids: [3, 4, 99], output_fields: ['year'] });
    assert.deepEqual(some.data.sort((a, b) => (a['id'] as number) - (b['id'] as number)), [{ id: 3, year: 2003 }, { id: 4, year: 2004 }]);
    const dup = await db.get({ collection_name: 'c', ids: [5, 5, '5'], output_fields: ['year'] });
    assert.deepEqual(dup.data, [{ id: 5, year: 2005 }], 'a key asked twice is returned once');
    assert.deepEqual((await db.get({ collection_name: 'c', ids: [] })).data, []);
    await assert.rejects(db.get({ collection_name: 'c', ids: [1], output_fields: ['nope'] }), { code: 'FIELD_NOT_FOUND' });
    await assert.rejects(db.get({ collection_name: 'c', ids: 3 as unknown as number[] }), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(db.get({ collection_name: 'c', ids: [1.5] }), { code: 'WRONG_TYPE' });
  }, { storage: 'memory' }));

  test('query: filters by key, output_fields, limit and offset', () => withEngine(async (db) => {
    await createBasic(db, 'c', { extra });
    await db.insert({ collection_name: 'c', data: basicRows(0, 30, 4, withMeta) });
    await db.flush({ collection_names: ['c'] });
    await db.insert({ collection_name: 'c', data: basicRows(30, 50, 4, withMeta) });
    const s = { consistency_level: 'Strong' as const };

    const byIn = await db.query({ collection_name: 'c', filter: 'id in [1, 31, 77]', output_fields: ['title'], ...s });
    assert.deepEqual(byIn.data.sort((a, b) => (a['id'] as number) - (b['id'] as number)), [{ id: 1, title: 't1' }, { id: 31, title: 't31' }]);
    assert.deepEqual((await db.query({ collection_name: 'c', expr: 'id == 40', ...s })).data, [{ id: 40 }]);
    assert.deepEqual((await db.query({ collection_name: 'c', filter: '  id   in  [ 2 ]  ', ...s })).data, [{ id: 2 }]);

    const page = (offset: number, limit: number) => db.query({ collection_name: 'c', limit, offset, output_fields: ['year'], ...s });
    const everything = (await page(0, 100)).data;
    assert.equal(everything.length, 50);
    assert.deepEqual(idsOf(everything), range(0, 50));
    // Pages of one scan order cover every row once.
    const seen: unknown[] = [];
    for (let off = 0; off < 50; off += 7) seen.push(...(await page(off, 7)).data.map((r) => r['id']));
    assert.deepEqual(seen, everything.map((r) => r['id']));
    assert.equal((await page(45, 10)).data.length, 5);
    assert.equal((await page(50, 10)).data.length, 0);
    // Offset and limit also apply to a key filter.
    const keyed = await db.query({ collection_name: 'c', filter: 'id in [1, 2, 3, 4, 5]', limit: 2, offset: 1, ...s });
    assert.equal(keyed.data.length, 2);
    const star = await db.query({ collection_name: 'c', filter: 'id == 3', output_fields: ['*'], ...s });
    assert.deepEqual(Object.keys(star.data[0]!).sort(), ['id', 'title', 'vector', 'year']);
  }, { storage: 'memory' }));

  test('count(*) of a collection, of partitions, and getCollectionStatistics', () => withEngine(async (db) => {
    await createBasic(db, 'c', { load: false });
    await db.createPartition({ collection_name: 'c', partition_name: 'p' });
    await db.loadCollection({ collection_name: 'c' });
    assert.equal(await countOf(db, 'c'), 0);
    await db.insert({ collection_name: 'c', data: basicRows(0, 25) });
    await db.insert({ collection_name: 'c', partition_name: 'p', data: basicRows(25, 40) });
    await db.flush({ collection_names: ['c'] });
    await db.insert({ collection_name: 'c', partition_name: 'p', data: basicRows(40, 45) });
    await db.delete({ collection_name: 'c', ids: [0, 1, 44] });
    assert.equal(await countOf(db, 'c'), 42);
    assert.equal(await countOf(db, 'c', { partition_names: ['_default'] }), 23);
    assert.equal(await countOf(db, 'c', { partition_names: ['p'] }), 19);
    assert.equal(await countOf(db, 'c', { partition_names: ['p', '_default'] }), 42);
    // count(*) through query, as the SDK sends it.
    const q = await db.query({ collection_name: 'c', output_fields: ['count(*)'], consistency_level: 'Strong' });
    assert.deepEqual(q.data, [{ 'count(*)': 42 }]);
    assert.deepEqual((await db.query({ collection_name: 'c', output_fields: ['COUNT( * )'], filter: 'id in [0, 2, 3, 999]', consistency_level: 'Strong' })).data, [{ 'count(*)': 2 }]);
    assert.equal(await countOf(db, 'c', { filter: 'id in [30, 40, 41]', partition_names: ['p'] }), 3);
    assert.equal((await db.getCollectionStatistics({ collection_name: 'c' })).data.row_count, 42);
    assert.deepEqual((await db.getCollectionStatistics({ collection_name: 'c' })).stats, [{ key: 'row_count', value: '42' }]);
    assert.equal((await db.getPartitionStatistics({ collection_name: 'c', partition_name: 'p' })).data.row_count, 19);
  }, { storage: 'memory' }));

  test('malformed reads are refused with a code', () => withEngine(async (db) => {
    await createBasic(db, 'c', { extra });
    await db.insert({ collection_name: 'c', data: basicRows(0, 3, 4, withMeta) });
    const q = (req: Record<string, unknown>) => db.query({ collection_name: 'c', ...req });
    await assert.rejects(q({}), { code: 'INVALID_ARGUMENT' }, 'no filter and no limit');
    await assert.rejects(q({ limit: 0 }), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(q({ limit: -1 }), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(q({ limit: 1.5 }), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(q({ limit: 10, offset: -2 }), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(q({ limit: 16_000, offset: 1000 }), { code: 'LIMIT_EXCEEDED' });
    // General filters (the expression language), on rows 0..2 (year 2000 + id).
    const ids = async (req: Record<string, unknown>) => idsOf((await q({ consistency_level: 'Strong', ...req })).data);
    assert.deepEqual(await ids({ filter: 'year > 2000', limit: 5 }), [1, 2]);
    assert.equal((await q({ filter: 'title like "t%"', limit: 1 })).data.length, 1);
    assert.deepEqual(await ids({ filter: 'id in [1] and year == 2001' }), [1]);
    assert.deepEqual(await ids({ filter: 'id in [1] or id in [2]' }), [1, 2]);
    assert.deepEqual(await ids({ filter: 'id == 1 || id == 2' }), [1, 2]);
    assert.deepEqual(await ids({ filter: 'id in [1, 2] && year in [2001]' }), [1]);
    assert.deepEqual(await ids({ filter: 'id in [1, 2,]' }), [1, 2], 'a trailing comma is allowed, as in Milvus');
    await assert.rejects(q({ filter: 'not id in [1]', limit: 1 }), { code: 'FILTER_TYPE' }, 'not binds tighter than in, as in Milvus');
    await assert.rejects(q({ filter: 'id in [1, 2' }), { code: 'FILTER_SYNTAX' }, 'a malformed key list');
    await assert.rejects(q({ filter: 'yaer > 1', limit: 1 }), { code: 'FILTER_TYPE' });
    await assert.rejects(q({ filter: 42 }), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(q({ output_fields: ['count(*)', 'title'], filter: 'id == 1' }), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(q({ output_fields: 'title', filter: 'id == 1' }), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(q({ output_fields: [1], filter: 'id == 1' }), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(q({ output_fields: ['color'], filter: 'id == 1' }), { code: 'FIELD_NOT_FOUND' });
    await assert.rejects(q({ filter: 'id == 1', consistency_level: 'Sometimes' }), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(q({ filter: 'id == "x"' }), { code: 'FILTER_TYPE' });
    await assert.rejects(db.query({ collection_name: 'nope', filter: 'id == 1' }), { code: 'COLLECTION_NOT_FOUND' });
    await assert.rejects(db.query(null as never), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(db.query({} as never), { code: 'INVALID_COLLECTION_NAME' });
  }, { storage: 'memory' }));
});

describe('consistency levels', () => {
  test('Strong, Bounded, Session and Eventually all see acknowledged writes', () => withEngine(async (db) => {
    await createBasic(db, 'c');
    const levels: ConsistencyLevel[] = ['Strong', 'Bounded', 'Session', 'Eventually'];
    let expected = 0;
    for (let round = 0; round < 8; round++) {
      await db.insert({ collection_name: 'c', data: basicRows(round * 10, round * 10 + 10) });
      expected += 10;
      if (round % 3 === 1) {
        await db.delete({ collection_name: 'c', ids: [round * 10] });
        expected--;
      }
      if (round === 4) await db.flush({ collection_names: ['c'] });
      for (const level of levels) {
        const n = await db.count({ collection_name: 'c', consistency_level: level });
        assert.equal(n.data, expected, `${level} after round ${round}`);
        const got = await db.get({ collection_name: 'c', ids: [round * 10 + 9], consistency_level: level });
        assert.equal(got.data.length, 1, `${level} reads its own write in round ${round}`);
        const hit = await db.search({ collection_name: 'c', data: vec(round * 10 + 9, 4), limit: 1, metric_type: 'L2', consistency_level: level });
        assert.equal((hit.results as Array<Record<string, unknown>>)[0]!['id'], round * 10 + 9, `${level} searches its own write`);
      }
    }
    // Without a level the collection's own (Bounded here) applies.
    assert.equal((await db.count({ collection_name: 'c' })).data, expected);
  }, { storage: 'memory' }));

  test('reads issued together with writes that were not yet acknowledged never count a row twice', () => withEngine(async (db) => {
    await createBasic(db, 'c');
    await db.insert({ collection_name: 'c', data: basicRows(0, 50) });
    const writes: Promise<unknown>[] = [];
    const reads: Array<Promise<{ data: number }>> = [];
    for (let i = 0; i < 20; i++) {
      writes.push(db.upsert({ collection_name: 'c', data: basicRows(i, i + 10) }));
      for (const level of ['Strong', 'Bounded', 'Session', 'Eventually'] as const) reads.push(db.count({ collection_name: 'c', consistency_level: level }));
    }
    await Promise.all(writes);
    for (const r of await Promise.all(reads)) assert.equal(r.data, 50, 'upserts of existing keys never change the count');
    assert.equal(await countOf(db, 'c'), 50);
  }, { storage: 'memory' }));
});
