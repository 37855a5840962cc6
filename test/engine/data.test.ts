// Valid writes and what reads return for them: replace-on-insert and upsert (never two
// rows for one key), deletes by ids, by filter and per partition, auto ids, the column
// form, nullable fields and defaults, dynamic fields, Int64 beyond 2^53, half-precision
// and sparse vectors, and a round trip of every field type.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DataType, assertClose, basicFields, basicRows, countOf, createBasic, idsOf, range, vec, withEngine } from './helpers.js';

describe('insert, upsert and delete', () => {
  test('inserting an existing key replaces it exactly like upsert', () => withEngine(async (db) => {
    await createBasic(db, 'c', { extra: [{ name: 'v', data_type: DataType.Int32 }] });
    await db.insert({ collection_name: 'c', data: basicRows(0, 10, 4, () => ({ v: 1 })) });
    await db.flush({ collection_names: ['c'] });
    // The old rows are in a flushed segment now; the new ones go to a growing one.
    const r = await db.insert({ collection_name: 'c', data: basicRows(5, 15, 4, () => ({ v: 2 })) });
    assert.equal(r.insert_cnt, 10);
    assert.equal(await countOf(db, 'c'), 15);
    const up = await db.upsert({ collection_name: 'c', data: basicRows(0, 3, 4, () => ({ v: 3 })).concat(basicRows(20, 22, 4, () => ({ v: 3 }))) });
    assert.equal(up.upsert_cnt, 5);
    assert.deepEqual(up.IDs, { int_id: { data: [0, 1, 2, 20, 21] } });
    assert.equal(await countOf(db, 'c'), 17);

    const all = await db.query({ collection_name: 'c', limit: 100, output_fields: ['v'], consistency_level: 'Strong' });
    assert.equal(all.data.length, 17, 'one row per key');
    const v = new Map(all.data.map((x) => [x['id'], x['v']]));
    assert.equal(v.size, 17);
    for (const id of [0, 1, 2, 20, 21]) assert.equal(v.get(id), 3, `id ${id}`);
    for (const id of [3, 4]) assert.equal(v.get(id), 1, `id ${id}`);
    for (const id of range(5, 15)) assert.equal(v.get(id), 2, `id ${id}`);
    const got = await db.get({ collection_name: 'c', ids: [0, 7, 12], output_fields: ['v'] });
    assert.deepEqual(got.data.map((x) => [x['id'], x['v']]).sort(), [[0, 3], [12, 2], [7, 2]]);
    // The same key many times in a row, across a flush: still one row.
    for (let round = 0; round < 5; round++) {
      await db.insert({ collection_name: 'c', data: basicRows(7, 8, 4, () => ({ v: 100 + round })) });
      if (round === 2) await db.flush({ collection_names: ['c'] });
    }
    assert.equal(await countOf(db, 'c'), 17);
    assert.deepEqual((await db.query({ collection_name: 'c', filter: 'id == 7', output_fields: ['v'], consistency_level: 'Strong' })).data, [{ id: 7, v: 104 }]);
    const hits = await db.search({ collection_name: 'c', data: vec(7, 4), limit: 5, metric_type: 'L2', consistency_level: 'Strong' });
    assert.equal((hits.results as Array<Record<string, unknown>>).filter((h) => h['id'] === 7).length, 1, 'search returns the key once');
  }, { storage: 'memory' }));

  test('a key moved to another partition by insert lives only there', () => withEngine(async (db) => {
    await createBasic(db, 'c');
    await db.createPartition({ collection_name: 'c', partition_name: 'p' });
    await db.loadCollection({ collection_name: 'c' });
    await db.insert({ collection_name: 'c', data: basicRows(0, 3) });
    await db.insert({ collection_name: 'c', partition_name: 'p', data: basicRows(1, 2) });
    assert.equal(await countOf(db, 'c'), 3);
    assert.equal(await countOf(db, 'c', { partition_names: ['_default'] }), 2);
    assert.equal(await countOf(db, 'c', { partition_names: ['p'] }), 1);
  }, { storage: 'memory' }));

  test('delete by ids, by filter, and scoped to a partition', () => withEngine(async (db) => {
    await createBasic(db, 'c');
    await db.createPartition({ collection_name: 'c', partition_name: 'p' });
    await db.loadCollection({ collection_name: 'c' });
    await db.insert({ collection_name: 'c', data: basicRows(0, 20) });
    await db.insert({ collection_name: 'c', partition_name: 'p', data: basicRows(20, 30) });

    const d1 = await db.delete({ collection_name: 'c', ids: [0, 1, 1, 2] });
    assert.equal(d1.delete_cnt, 3);
    assert.equal(await countOf(db, 'c'), 27);
    await db.delete({ collection_name: 'c', filter: 'id in [3, 4, 999]' });
    await db.delete({ collection_name: 'c', expr: 'id == 5' });
    // A string literal against an Int64 key is a type error in the filter language, as in Milvus.
    await assert.rejects(db.delete({ collection_name: 'c', filter: 'id in ["6"]' }), { code: 'FILTER_TYPE' });
    await db.delete({ collection_name: 'c', filter: 'id in {ids}', exprValues: { ids: [6] } });
    assert.equal(await countOf(db, 'c'), 23);
    // Deleting in a partition leaves the same key in other partitions alone.
    await db.delete({ collection_name: 'c', partition_name: 'p', ids: [10, 20, 21] });
    assert.equal(await countOf(db, 'c'), 21);
    assert.deepEqual(idsOf((await db.get({ collection_name: 'c', ids: [10, 20, 21, 22] })).data), [10, 22]);
    await db.delete({ collection_name: 'c', partition_name: '_default', ids: [22] });
    assert.equal(await countOf(db, 'c'), 21, 'key 22 lives in p');
    // Deleting missing keys, or deleting twice, changes nothing.
    await db.delete({ collection_name: 'c', ids: [0, 1000] });
    assert.equal(await countOf(db, 'c'), 21);
    // A deleted key can come back.
    await db.insert({ collection_name: 'c', data: basicRows(0, 1) });
    assert.equal(await countOf(db, 'c'), 22);

    await assert.rejects(db.delete({ collection_name: 'c', filter: 'color == "red"' }), { code: 'FILTER_TYPE' }, 'no such field');
    await assert.rejects(db.delete({ collection_name: 'c' }), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(db.delete({ collection_name: 'c', filter: '' }), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(db.delete({ collection_name: 'c', filter: 'id in [1, 2' }), { code: 'FILTER_SYNTAX' });
    await assert.rejects(db.delete({ collection_name: 'c', ids: ['x'] }), { code: 'WRONG_TYPE' });
    assert.equal(await countOf(db, 'c'), 22);
    // Delete by a general expression: exactly the matching visible rows.
    const matching = await countOf(db, 'c', { filter: 'id > 25' });
    assert.ok(matching > 0);
    assert.equal((await db.delete({ collection_name: 'c', filter: 'id > 25' })).delete_cnt, matching);
    assert.equal(await countOf(db, 'c'), 22 - matching);
    assert.equal(await countOf(db, 'c', { filter: 'id > 25' }), 0);
  }, { storage: 'memory' }));

  test('auto ids are unique, returned in order, and stay unique across restarts', () => withEngine(async (_db, h) => {
    const create = () => h.db.createCollection({
      collection_name: 'a',
      fields: [{ name: 'id', data_type: DataType.Int64, is_primary_key: true, autoID: true }, { name: 'vector', data_type: DataType.FloatVector, dim: 2 }, { name: 'n', data_type: DataType.Int32 }],
    });
    await create();
    await h.db.loadCollection({ collection_name: 'a' });
    const ids = new Set<string>();
    const insert = async (from: number) => {
      const r = await h.db.insert({ collection_name: 'a', data: range(from, from + 50).map((n) => ({ vector: [n, 0], n })) });
      const got = (r.IDs as { int_id: { data: Array<number | string> } }).int_id.data;
      assert.equal(got.length, 50);
      for (const id of got) {
        assert.ok(!ids.has(String(id)), `id ${id} handed out twice`);
        ids.add(String(id));
      }
      // The returned ids name the rows in order.
      const rows = await h.db.get({ collection_name: 'a', ids: [got[0]!, got[49]!], output_fields: ['n'] });
      assert.deepEqual(rows.data.map((x) => x['n']).sort((a, b) => (a as number) - (b as number)), [from, from + 49]);
    };
    await insert(0);
    await insert(50);
    await h.reopen();
    await insert(100);
    await h.db.flush({ collection_names: ['a'] });
    await h.reopen();
    await insert(150);
    assert.equal(ids.size, 200);
    assert.equal(await countOf(h.db, 'a'), 200);
  }));

  test('the columns form inserts the same rows as the row form', () => withEngine(async (db) => {
    await createBasic(db, 'c', { extra: [{ name: 'name', data_type: DataType.VarChar, max_length: 10 }] });
    await db.insert({
      collection_name: 'c',
      columns: { id: [1, 2, 3], vector: [vec(1, 4), vec(2, 4), vec(3, 4)], name: ['a', 'b', 'c'] },
    });
    await db.upsert({ collection_name: 'c', columns: { id: [3, 4], vector: [vec(3, 4), vec(4, 4)], name: ['C', 'd'] } });
    const got = await db.query({ collection_name: 'c', filter: 'id in [1, 2, 3, 4]', output_fields: ['name', 'vector'], consistency_level: 'Strong' });
    assert.deepEqual(got.data.map((r) => [r['id'], r['name']]).sort(), [[1, 'a'], [2, 'b'], [3, 'C'], [4, 'd']]);
    const one = got.data.find((r) => r['id'] === 2)!;
    assertClose(one['vector'] as number[], vec(2, 4), 0);
    await assert.rejects(db.insert({ collection_name: 'c', columns: { id: [9], vector: [vec(9, 4)], name: ['way too long'] } }), { code: 'STRING_TOO_LONG' });
    assert.equal(await countOf(db, 'c'), 4);
  }, { storage: 'memory' }));
});

describe('what reads return for each kind of value', () => {
  test('nullable fields read back as null and defaults are filled', () => withEngine(async (db) => {
    await createBasic(db, 'c', {
      extra: [
        { name: 'note', data_type: DataType.VarChar, max_length: 10, nullable: true },
        { name: 'score', data_type: DataType.Double, nullable: true },
        { name: 'age', data_type: DataType.Int32, default_value: 18 },
        { name: 'big', data_type: DataType.Int64, default_value: 7 },
        { name: 'lang', data_type: DataType.VarChar, max_length: 5, default_value: 'en', nullable: true },
        { name: 'ok', data_type: DataType.Bool, default_value: true },
        { name: 'meta', data_type: DataType.JSON, nullable: true },
        { name: 'list', data_type: DataType.Array, element_type: DataType.Int32, max_capacity: 4, nullable: true },
      ],
    });
    await db.insert({
      collection_name: 'c',
      data: [
        { id: 1, vector: vec(1, 4) },
        { id: 2, vector: vec(2, 4), note: null, score: null, age: null, lang: null, meta: null, list: null },
        { id: 3, vector: vec(3, 4), note: 'hi', score: 2.5, age: 40, big: '9007199254740993', lang: 'fr', ok: false, meta: { a: [1] }, list: [1, 2] },
      ],
    });
    const got = await db.get({ collection_name: 'c', ids: [1, 2, 3], output_fields: ['note', 'score', 'age', 'big', 'lang', 'ok', 'meta', 'list'] });
    const byId = new Map(got.data.map((r) => [r['id'], r]));
    const defaults = { note: null, score: null, age: 18, big: 7, lang: 'en', ok: true, meta: null, list: null };
    assert.deepEqual(byId.get(1), { id: 1, ...defaults });
    assert.deepEqual(byId.get(2), { id: 2, ...defaults });
    assert.deepEqual(byId.get(3), { id: 3, note: 'hi', score: 2.5, age: 40, big: '9007199254740993', lang: 'fr', ok: false, meta: { a: [1] }, list: [1, 2] });
  }, { storage: 'memory' }));

  test('dynamic fields are stored in $meta and returned by name and with *', () => withEngine(async (db) => {
    await createBasic(db, 'c', { dynamic: true, extra: [{ name: 'n', data_type: DataType.Int32 }] });
    await db.insert({
      collection_name: 'c',
      data: [
        { id: 1, vector: vec(1, 4), n: 1, color: 'red', size: 3, nested: { deep: [1, 2] } },
        { id: 2, vector: vec(2, 4), n: 2, color: 'blue' },
        { id: 3, vector: vec(3, 4), n: 3, $meta: { color: 'green', extra: true } },
      ],
    });
    const named = await db.get({ collection_name: 'c', ids: [1, 2, 3], output_fields: ['color', 'size'] });
    assert.deepEqual(named.data.sort((a, b) => (a['id'] as number) - (b['id'] as number)), [
      { id: 1, color: 'red', size: 3 }, { id: 2, color: 'blue' }, { id: 3, color: 'green' },
    ]);
    const star = await db.get({ collection_name: 'c', ids: [1] });
    assert.deepEqual(Object.keys(star.data[0]!).sort(), ['color', 'id', 'n', 'nested', 'size', 'vector']);
    assert.deepEqual(star.data[0]!['nested'], { deep: [1, 2] });
    const meta = await db.get({ collection_name: 'c', ids: [3], output_fields: ['$meta'] });
    assert.deepEqual(meta.data[0], { id: 3, color: 'green', extra: true });
    const plain = await db.get({ collection_name: 'c', ids: [2], output_fields: ['n'] });
    assert.deepEqual(plain.data[0], { id: 2, n: 2 });
    await assert.rejects(db.get({ collection_name: 'c', ids: [2], output_fields: [5 as unknown as string] }), { code: 'INVALID_ARGUMENT' });
  }, { storage: 'memory' }));

  test('Int64 keys beyond 2^53, given as strings or bigint, round-trip exactly', () => withEngine(async (db) => {
    await createBasic(db, 'c', { extra: [{ name: 'ref', data_type: DataType.Int64 }] });
    const big = ['9007199254740993', '9223372036854775807', '-9223372036854775808', '1234567890123456789'];
    await db.insert({
      collection_name: 'c',
      data: [
        ...big.map((id, i) => ({ id, vector: vec(i, 4), ref: id })),
        { id: 12345678901234567890n - 10000000000000000000n, vector: vec(9, 4), ref: 2n ** 62n },
        { id: 42, vector: vec(10, 4), ref: '42' },
      ],
    });
    assert.equal(await countOf(db, 'c'), 6);
    const got = await db.get({ collection_name: 'c', ids: [...big, 2345678901234567890n, 42], output_fields: ['ref'] });
    const byId = new Map(got.data.map((r) => [String(r['id']), r['ref']]));
    for (const id of big) assert.equal(byId.get(id), id, `key ${id} comes back as its exact decimal string`);
    assert.equal(byId.get('2345678901234567890'), String(2n ** 62n));
    assert.equal(byId.get('42'), 42, 'safe integers come back as numbers');
    // Filters with long literals keep every digit, so they find exactly these keys.
    const q = await db.query({ collection_name: 'c', filter: 'id in [9007199254740993, 9223372036854775807]', consistency_level: 'Strong' });
    assert.deepEqual(q.data.map((r) => r['id']).sort(), ['9007199254740993', '9223372036854775807']);
    await db.delete({ collection_name: 'c', filter: 'id == 9007199254740993' });
    assert.deepEqual((await db.get({ collection_name: 'c', ids: ['9007199254740992', '9007199254740993'] })).data, [], 'the neighbour of a deleted big key never existed');
    assert.equal(await countOf(db, 'c'), 5);
    const hits = await db.search({ collection_name: 'c', data: vec(1, 4), limit: 1, metric_type: 'L2' });
    assert.equal((hits.results as Array<Record<string, unknown>>)[0]!['id'], '9223372036854775807');
  }, { storage: 'memory' }));

  test('Float16 and BFloat16 vectors read back approximately', () => withEngine(async (db) => {
    await db.createCollection({
      collection_name: 'h',
      fields: [
        { name: 'id', data_type: DataType.Int64, is_primary_key: true },
        { name: 'half', data_type: DataType.Float16Vector, dim: 8 },
        { name: 'brain', data_type: DataType.BFloat16Vector, dim: 8 },
      ],
    });
    await db.loadCollection({ collection_name: 'h' });
    const rows = range(0, 20).map((i) => ({ id: i, half: vec(i, 8).map((x) => x * 100), brain: vec(i, 8).map((x) => x * 1e15) }));
    await db.insert({ collection_name: 'h', data: rows });
    const got = await db.get({ collection_name: 'h', ids: range(0, 20) });
    for (const r of got.data) {
      const want = rows[r['id'] as number]!;
      // Float16 keeps 11 significant bits, BFloat16 8: relative error below 2^-11 and 2^-8.
      (r['half'] as number[]).forEach((x, k) => assert.ok(Math.abs(x - want.half[k]!) <= Math.abs(want.half[k]!) * 2 ** -11 + 1e-7, `half ${x} vs ${want.half[k]}`));
      (r['brain'] as number[]).forEach((x, k) => assert.ok(Math.abs(x - want.brain[k]!) <= Math.abs(want.brain[k]!) * 2 ** -8, `bf16 ${x} vs ${want.brain[k]}`));
    }
    await assert.rejects(db.insert({ collection_name: 'h', data: [{ id: 99, half: [7e4, 0, 0, 0, 0, 0, 0, 0], brain: vec(0, 8) }] }), { code: 'VALUE_OUT_OF_RANGE' });
    // Search needs anns_field here; each field searches at its stored precision.
    const hits = await db.search({ collection_name: 'h', anns_field: 'half', data: rows[7]!.half, limit: 1, metric_type: 'L2' });
    assert.equal((hits.results as Array<Record<string, unknown>>)[0]!['id'], 7);
    const hits2 = await db.search({ collection_name: 'h', anns_field: 'brain', data: rows[13]!.brain, limit: 1, metric_type: 'COSINE' });
    assert.equal((hits2.results as Array<Record<string, unknown>>)[0]!['id'], 13);
  }, { storage: 'memory' }));

  test('sparse vectors in every accepted form', () => withEngine(async (db) => {
    await db.createCollection({
      collection_name: 's',
      fields: [{ name: 'id', data_type: DataType.Int64, is_primary_key: true }, { name: 'sp', data_type: DataType.SparseFloatVector }],
    });
    await db.loadCollection({ collection_name: 's' });
    await db.insert({
      collection_name: 's',
      data: [
        { id: 1, sp: { 3: 0.5, 1: 0.25 } },
        { id: 2, sp: [{ index: 7, value: 1 }, { index: 2, value: 2 }] },
        { id: 3, sp: { indices: [100, 4_000_000_000], values: [1.5, -1] } },
        { id: 4, sp: {} },
      ],
    });
    const got = await db.get({ collection_name: 's', ids: [1, 2, 3, 4] });
    const byId = new Map(got.data.map((r) => [r['id'], r['sp']]));
    const asMap = (v: unknown) => {
      const s = v as { indices: number[]; values: number[] };
      return Object.fromEntries(s.indices.map((i, k) => [i, s.values[k]]));
    };
    assert.deepEqual(asMap(byId.get(1)), { 1: 0.25, 3: 0.5 });
    assert.deepEqual(asMap(byId.get(2)), { 2: 2, 7: 1 });
    assert.deepEqual(asMap(byId.get(3)), { 100: 1.5, 4000000000: -1 });
    assert.deepEqual(asMap(byId.get(4)), {});
    await assert.rejects(db.insert({ collection_name: 's', data: [{ id: 5, sp: { '-1': 1 } }] }), { code: 'WRONG_TYPE' });
    await assert.rejects(db.insert({ collection_name: 's', data: [{ id: 5, sp: { 1: Number.NaN } }] }), { code: 'VALUE_NOT_FINITE' });
    await assert.rejects(db.insert({ collection_name: 's', data: [{ id: 5, sp: [{ index: 1, value: 1 }, { index: 1, value: 2 }] }] }), { code: 'WRONG_TYPE' });
    await assert.rejects(db.insert({ collection_name: 's', data: [{ id: 5, sp: 'x' }] }), { code: 'WRONG_TYPE' });
    assert.equal(await countOf(db, 's'), 4);
  }, { storage: 'memory' }));

  test('every field type round-trips through insert, flush and get', () => withEngine(async (db) => {
    await db.createCollection({
      collection_name: 'all',
      fields: [
        { name: 'id', data_type: DataType.VarChar, is_primary_key: true, max_length: 10 },
        { name: 'b', data_type: DataType.Bool },
        { name: 'i8', data_type: DataType.Int8 },
        { name: 'i16', data_type: DataType.Int16 },
        { name: 'i32', data_type: DataType.Int32 },
        { name: 'i64', data_type: DataType.Int64 },
        { name: 'f', data_type: DataType.Float },
        { name: 'd', data_type: DataType.Double },
        { name: 's', data_type: DataType.VarChar, max_length: 20 },
        { name: 'j', data_type: DataType.JSON },
        { name: 'ai', data_type: DataType.Array, element_type: DataType.Int64, max_capacity: 5 },
        { name: 'as', data_type: DataType.Array, element_type: DataType.VarChar, max_capacity: 3, max_length: 8 },
        { name: 'ab', data_type: DataType.Array, element_type: DataType.Bool, max_capacity: 3 },
        { name: 'fv', data_type: DataType.FloatVector, dim: 4 },
        { name: 'bv', data_type: DataType.BinaryVector, dim: 16 },
      ],
    });
    await db.loadCollection({ collection_name: 'all' });
    const row = (k: number) => ({
      id: `k${k}`, b: k % 2 === 0, i8: -128 + k, i16: 32767 - k, i32: -2147483648 + k, i64: 2 ** 53 - 1 - k,
      f: 0.5 + k, d: Math.PI * k, s: `héllo ${k}`, j: { k, list: [k, `${k}`], nested: { ok: true } },
      ai: [k, -k - 1, 2 ** 40], as: ['a', `x${k}`], ab: [true, false], fv: vec(k, 4), bv: [k, 255 - k],
    });
    await db.insert({ collection_name: 'all', data: [row(0), row(1)] });
    await db.flush({ collection_names: ['all'] });
    await db.insert({ collection_name: 'all', data: [row(2)] });
    // Int64 array elements given as bigint or strings are stored like Int64 scalars.
    await db.insert({ collection_name: 'all', data: [{ ...row(3), ai: [5n, '6', '9007199254740993', -(2n ** 63n)] }] });
    assert.deepEqual((await db.get({ collection_name: 'all', ids: ['k3'], output_fields: ['ai'] })).data, [{ id: 'k3', ai: [5, 6, '9007199254740993', '-9223372036854775808'] }]);
    await db.flush({ collection_names: ['all'] });
    const got = await db.get({ collection_name: 'all', ids: ['k0', 'k1', 'k2'] });
    assert.equal(got.data.length, 3);
    for (const r of got.data) {
      const k = Number((r['id'] as string).slice(1));
      const want = row(k);
      assertClose(r['fv'] as number[], want.fv, 0, 'fv');
      assert.deepEqual({ ...r, fv: want.fv }, want, `row ${k}`);
    }
  }, { storage: 'memory' }));

  test('results are copies: changing them does not change stored rows', () => withEngine(async (db) => {
    await createBasic(db, 'c', {
      dynamic: true,
      extra: [
        { name: 'j', data_type: DataType.JSON },
        { name: 'tags', data_type: DataType.Array, element_type: DataType.VarChar, max_capacity: 4, max_length: 8 },
      ],
    });
    const input = { id: 1, vector: vec(1, 4), j: { a: [1, 2] }, tags: ['x'], extra: { deep: 1 } };
    await db.insert({ collection_name: 'c', data: [input] });
    // Neither the caller's input objects...
    input.j.a.push(3);
    input.tags.push('y');
    input.extra.deep = 2;
    const first = await db.get({ collection_name: 'c', ids: [1] });
    const r = first.data[0]!;
    assert.deepEqual([r['j'], r['tags'], r['extra']], [{ a: [1, 2] }, ['x'], { deep: 1 }]);
    // ...nor the returned ones alias what the engine holds.
    (r['j'] as { a: number[] }).a.push(99);
    (r['tags'] as string[]).push('z');
    (r['extra'] as { deep: number }).deep = 42;
    (r['vector'] as number[])[0] = 1000;
    const again = (await db.get({ collection_name: 'c', ids: [1] })).data[0]!;
    assert.deepEqual([again['j'], again['tags'], again['extra']], [{ a: [1, 2] }, ['x'], { deep: 1 }]);
    assertClose(again['vector'] as number[], vec(1, 4), 0);
  }, { storage: 'memory' }));
});
