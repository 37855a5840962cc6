// Writes and reads through the official SDK: insert, upsert, delete, query, get, count,
// with every scalar and vector type round-tripped and compared with the in-process engine.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DataType } from '@zilliz/milvus2-sdk-node';
import { assertErr, assertOk, startHarness, type Harness } from './helpers.js';

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => {
  await h?.close();
});

const big = '9007199254740993'; // 2^53 + 1: not representable as a double
const bigNeg = '-9223372036854775807';

async function createAllTypes(name: string): Promise<void> {
  assertOk(await h.client.createCollection({
    collection_name: name,
    enable_dynamic_field: true,
    fields: [
      { name: 'pk', data_type: DataType.Int64, is_primary_key: true },
      { name: 'b', data_type: DataType.Bool },
      { name: 'i8', data_type: DataType.Int8 },
      { name: 'i16', data_type: DataType.Int16 },
      { name: 'i32', data_type: DataType.Int32, nullable: true },
      { name: 'i64', data_type: DataType.Int64, default_value: 42 },
      { name: 'f', data_type: DataType.Float },
      { name: 'd', data_type: DataType.Double, nullable: true, default_value: 1.5 },
      { name: 's', data_type: DataType.VarChar, max_length: 16, default_value: 'none' },
      { name: 'j', data_type: DataType.JSON, nullable: true },
      { name: 'ai', data_type: DataType.Array, element_type: DataType.Int64, max_capacity: 4 },
      { name: 'as', data_type: DataType.Array, element_type: DataType.VarChar, max_capacity: 3, max_length: 8 },
      { name: 'ab', data_type: DataType.Array, element_type: DataType.Bool, max_capacity: 3, nullable: true },
      { name: 'fv', data_type: DataType.FloatVector, dim: 4 },
      { name: 'hv', data_type: DataType.Float16Vector, dim: 4 },
      { name: 'bfv', data_type: DataType.BFloat16Vector, dim: 4 },
      { name: 'sv', data_type: DataType.SparseFloatVector },
    ],
  }));
  assertOk(await h.client.createIndex({ collection_name: name, field_name: 'fv', index_type: 'FLAT', metric_type: 'L2' }));
  assertOk(await h.client.createIndex({ collection_name: name, field_name: 'hv', index_type: 'FLAT', metric_type: 'L2' }));
  assertOk(await h.client.createIndex({ collection_name: name, field_name: 'bfv', index_type: 'FLAT', metric_type: 'IP' }));
  assertOk(await h.client.createIndex({ collection_name: name, field_name: 'sv', index_type: 'SPARSE_INVERTED_INDEX', metric_type: 'IP' }));
  assertOk(await h.client.loadCollectionAsync({ collection_name: name }));
}

const fullRow = {
  pk: big, b: true, i8: -128, i16: 32767, i32: -2147483648, i64: bigNeg, f: 1.25, d: 2.5e-300, s: 'héllo ✓', j: { a: 1, nested: { x: [1, 'two', null] }, t: true },
  ai: ['9007199254740995', 2, -3], as: ['x', 'yy', ''], ab: [true, false], fv: [0.1, -0.2, 0.3, 4.5], hv: [0.1, 0.2, -0.3, 1000], bfv: [0.1, 0.2, -0.3, 1000],
  sv: { 1: 0.5, 70000: -1.25 }, color: 'red', weight: 3.5, tags: ['a', 'b'],
};
const sparseRow = { pk: 2, b: false, i8: 0, i16: 0, i32: null, f: 0, d: null, j: null, ai: [], as: [], ab: null, fv: [0, 0, 0, 1], hv: [1, 1, 1, 1], bfv: [1, 1, 1, 1], sv: { 3: 1 } };

/** What the SDK returns for an engine row: Int64 as strings, sparse as an index map, dynamic keys under $meta. */
function engineRowAsSdk(row: Record<string, unknown>, int64: readonly string[], schemaNames: readonly string[], star: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const meta: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    if (!schemaNames.includes(k)) meta[k] = v;
    else if (int64.includes(k) && v !== null) out[k] = String(v);
    else if (k === 'ai' && Array.isArray(v)) out[k] = v.map(String);
    else if (v && typeof v === 'object' && 'indices' in v) {
      const s = v as { indices: number[]; values: number[] };
      out[k] = Object.fromEntries(s.indices.map((i, n) => [String(i), s.values[n]]));
    } else out[k] = v;
  }
  if (star || Object.keys(meta).length > 0) out.$meta = meta;
  return out;
}

const approx = (a: readonly number[], b: readonly number[], tol: number) => {
  assert.equal(a.length, b.length);
  a.forEach((x, i) => assert.ok(Math.abs(x - b[i]!) <= tol * Math.max(1, Math.abs(b[i]!)), `${x} ≈ ${b[i]} (±${tol})`));
};

test('every type round-trips: nulls, defaults, Int64 beyond 2^53, JSON, arrays, half vectors, sparse, dynamic', async () => {
  const c = h.client;
  await createAllTypes('rt');
  const ins = await c.insert({ collection_name: 'rt', data: [fullRow, sparseRow] });
  assertOk(ins.status);
  assert.deepEqual(ins.IDs, { int_id: { data: [big, '2'] }, id_field: 'int_id' });
  assert.equal(ins.insert_cnt, '2');
  assert.deepEqual(ins.succ_index, [0, 1]);
  assert.ok(BigInt(ins.timestamp) > 0n);

  const q = await c.query({ collection_name: 'rt', filter: `pk in [${big}, 2]`, output_fields: ['*'] });
  assertOk(q);
  assert.equal(q.data.length, 2);
  const [r1, r2] = [q.data.find((r) => r.pk === big)!, q.data.find((r) => r.pk === '2')!];
  // Exact for everything but the vectors stored in fewer bits.
  const { fv, hv, bfv, f: _f, ...rest1 } = r1 as Record<string, number[] & number>;
  assert.deepEqual(rest1, {
    pk: big, b: true, i8: -128, i16: 32767, i32: -2147483648, i64: bigNeg, d: 2.5e-300, s: 'héllo ✓', j: { a: 1, nested: { x: [1, 'two', null] }, t: true },
    ai: ['9007199254740995', '2', '-3'], as: ['x', 'yy', ''], ab: [true, false], sv: { 1: 0.5, 70000: -1.25 },
    $meta: { color: 'red', weight: 3.5, tags: ['a', 'b'] },
  });
  assert.equal(r1.f, 1.25);
  approx(fv, [0.1, -0.2, 0.3, 4.5], 1e-7); // float32
  approx(hv, [0.1, 0.2, -0.3, 1000], 1e-3); // float16: 10-bit mantissa
  approx(bfv, [0.1, 0.2, -0.3, 1000], 1e-2); // bfloat16: 7-bit mantissa
  // Nulls stay null; omitted fields with defaults get them; null in a nullable field with a default gets the default.
  assert.deepEqual(r2, {
    pk: '2', b: false, i8: 0, i16: 0, i32: null, i64: '42', f: 0, d: 1.5, s: 'none', j: null, ai: [], as: [], ab: null,
    fv: [0, 0, 0, 1], hv: [1, 1, 1, 1], bfv: [1, 1, 1, 1], sv: { 3: 1 }, $meta: {},
  });

  // The engine, asked the same, returns the same rows (modulo the wire's representations).
  const int64 = ['pk', 'i64'];
  const names = ['pk', 'b', 'i8', 'i16', 'i32', 'i64', 'f', 'd', 's', 'j', 'ai', 'as', 'ab', 'fv', 'hv', 'bfv', 'sv'];
  const e = await h.engine.query({ collection_name: 'rt', filter: `pk in [${big}, 2]`, output_fields: ['*'] });
  const expected = e.data.map((r) => engineRowAsSdk(r, int64, names, true));
  const sortPk = (rows: Array<Record<string, unknown>>) => [...rows].sort((a, b) => String(a.pk).localeCompare(String(b.pk)));
  const norm = (rows: Array<Record<string, unknown>>) => sortPk(rows).map((r) => ({ ...r, f: Math.fround(r.f as number), fv: (r.fv as number[]).map(Math.fround), hv: (r.hv as number[]).map((x) => Math.round(x * 64) / 64), bfv: (r.bfv as number[]).map((x) => Math.round(x * 16) / 16) }));
  assert.deepEqual(norm(q.data), norm(expected));

  // Selected output fields; a dynamic key comes back inside $meta (the SDK's query shape).
  const sel = await c.query({ collection_name: 'rt', filter: `pk == ${big}`, output_fields: ['s', 'ai', 'color'] });
  assert.deepEqual(sel.data, [{ pk: big, s: 'héllo ✓', ai: ['9007199254740995', '2', '-3'], $meta: { color: 'red' } }]);
  const metaOnly = await c.query({ collection_name: 'rt', filter: `pk in [${big}]`, output_fields: ['$meta'] });
  assert.deepEqual(metaOnly.data, [{ pk: big, $meta: { color: 'red', weight: 3.5, tags: ['a', 'b'] } }]);

  // get() by ids, with vectors.
  const g = await c.get({ collection_name: 'rt', ids: ['2'], output_fields: ['pk', 'sv', 'fv'] });
  assertOk(g);
  assert.deepEqual(g.data, [{ pk: '2', sv: { 3: 1 }, fv: [0, 0, 0, 1] }]);
  const missing = await c.get({ collection_name: 'rt', ids: ['12345'], output_fields: ['pk'] });
  assert.deepEqual(missing.data, []);

  // JSON values need not be objects. (Not false, 0 or '': the SDK sends falsy JSON values as
  // empty bytes, which mean null on the wire.)
  const base = { b: true, i8: 1, i16: 1, f: 1, ai: [], as: [], fv: [1, 0, 0, 0], hv: [1, 0, 0, 0], bfv: [1, 0, 0, 0], sv: { 0: 1 } };
  const jsons: unknown[] = [[1, 'a', { b: null }], 'just text', 7.25, true, {}];
  assertOk((await c.insert({ collection_name: 'rt', data: jsons.map((j, i) => ({ ...base, pk: 100 + i, j })) as never })).status);
  const js = await c.query({ collection_name: 'rt', filter: 'pk in [100, 101, 102, 103, 104]', output_fields: ['j'] });
  assert.deepEqual(js.data.sort((a, b) => Number(a.pk) - Number(b.pk)).map((r) => r.j), jsons);

  // Keys beyond 2^53 are exact in delete as well: 2^53 + 1 goes, 2^53 + 2 stays.
  const neighbour = '9007199254740994';
  assertOk((await c.insert({ collection_name: 'rt', data: [{ ...base, pk: neighbour }] as never })).status);
  const del = await c.delete({ collection_name: 'rt', ids: [big] });
  assertOk(del.status);
  const left = await c.query({ collection_name: 'rt', filter: `pk in [${big}, ${neighbour}]`, output_fields: ['pk'] });
  assert.deepEqual(left.data, [{ pk: neighbour }]);
});

test('concurrent writers and readers through one client: every acknowledged row is counted once', async () => {
  const c = h.client;
  assertOk(await c.createCollection({ collection_name: 'cc', fields: [
    { name: 'id', data_type: DataType.Int64, is_primary_key: true },
    { name: 'v', data_type: DataType.FloatVector, dim: 2 },
  ] }));
  assertOk(await c.createIndex({ collection_name: 'cc', field_name: 'v', index_type: 'FLAT', metric_type: 'L2' }));
  assertOk(await c.loadCollectionAsync({ collection_name: 'cc' }));
  const writers = Array.from({ length: 16 }, (_, w) => (async () => {
    for (let k = 0; k < 5; k++) {
      const ids = Array.from({ length: 10 }, (_, i) => w * 1000 + k * 10 + i);
      const res = w % 4 === 0 ? await c.upsert({ collection_name: 'cc', data: ids.map((id) => ({ id, v: [id, 0] })) }) : await c.insert({ collection_name: 'cc', data: ids.map((id) => ({ id, v: [id, 0] })) });
      assertOk(res.status);
      if (k === 2 && w % 5 === 0) await c.flush({ collection_names: ['cc'] });
    }
  })());
  const readers = Array.from({ length: 4 }, () => (async () => {
    for (let k = 0; k < 5; k++) {
      const n = (await c.count({ collection_name: 'cc' })).data;
      assert.ok(n >= 0 && n <= 800);
      assertOk(await c.search({ collection_name: 'cc', data: [1, 0], limit: 3 }));
    }
  })());
  await Promise.all([...writers, ...readers]);
  assert.equal((await c.count({ collection_name: 'cc' })).data, 800);
  assert.equal((await h.engine.count({ collection_name: 'cc' })).data, 800);
  // Upserting the same keys again changes nothing in the count.
  assertOk((await c.upsert({ collection_name: 'cc', data: Array.from({ length: 10 }, (_, i) => ({ id: i, v: [0, 0] })) })).status);
  assert.equal((await c.count({ collection_name: 'cc' })).data, 800);
});

test('sparse vectors in every SDK input form; VarChar primary keys', async () => {
  const c = h.client;
  assertOk(await c.createCollection({ collection_name: 'sp', fields: [
    { name: 'key', data_type: DataType.VarChar, is_primary_key: true, max_length: 32 },
    { name: 'sv', data_type: DataType.SparseFloatVector },
  ] }));
  assertOk(await c.createIndex({ collection_name: 'sp', field_name: 'sv', index_type: 'SPARSE_INVERTED_INDEX', metric_type: 'IP' }));
  assertOk(await c.loadCollectionAsync({ collection_name: 'sp' }));
  const ins = await c.insert({ collection_name: 'sp', data: [
    { key: 'dict', sv: { 5: 0.5, 9: 2 } },
    { key: 'coo', sv: [{ index: 5, value: 1 }, { index: 11, value: 3 }] },
  ] });
  assertOk(ins.status);
  assert.deepEqual(ins.IDs, { str_id: { data: ['dict', 'coo'] }, id_field: 'str_id' });
  const q = await c.query({ collection_name: 'sp', filter: 'key in ["dict", "coo"]', output_fields: ['key', 'sv'] });
  assert.deepEqual(q.data.sort((a, b) => a.key.localeCompare(b.key)), [{ key: 'coo', sv: { 5: 1, 11: 3 } }, { key: 'dict', sv: { 5: 0.5, 9: 2 } }]);
  assertOk(await c.releaseCollection({ collection_name: 'sp' }));
  assertOk(await c.dropCollection({ collection_name: 'sp' }));
});

test('upsert replaces rows; delete by ids and by filter; counts stay exact', async () => {
  const c = h.client;
  assertOk(await c.createCollection({ collection_name: 'up', fields: [
    { name: 'id', data_type: DataType.Int64, is_primary_key: true },
    { name: 'name', data_type: DataType.VarChar, max_length: 20 },
    { name: 'v', data_type: DataType.FloatVector, dim: 2 },
  ] }));
  assertOk(await c.createIndex({ collection_name: 'up', field_name: 'v', index_type: 'FLAT', metric_type: 'L2' }));
  assertOk(await c.loadCollectionAsync({ collection_name: 'up' }));
  const rows = Array.from({ length: 10 }, (_, i) => ({ id: i + 1, name: `n${i + 1}`, v: [i, i] }));
  assertOk((await c.insert({ collection_name: 'up', data: rows })).status);
  const count = async () => (await c.count({ collection_name: 'up' })).data;
  assert.equal(await count(), 10);

  const up = await c.upsert({ collection_name: 'up', data: [{ id: 3, name: 'three', v: [30, 30] }, { id: 11, name: 'eleven', v: [11, 11] }] });
  assertOk(up.status);
  assert.equal(up.upsert_cnt, '2');
  assert.deepEqual((up.IDs as unknown as { int_id: { data: string[] } }).int_id.data, ['3', '11']);
  assert.equal(await count(), 11);
  const q = await c.query({ collection_name: 'up', filter: 'id in [3, 11]', output_fields: ['id', 'name', 'v'] });
  assert.deepEqual(q.data.sort((a, b) => Number(a.id) - Number(b.id)), [{ id: '3', name: 'three', v: [30, 30] }, { id: '11', name: 'eleven', v: [11, 11] }]);

  const delIds = await c.delete({ collection_name: 'up', ids: [1, 2, 99] });
  assertOk(delIds.status);
  // As Milvus and the engine count a delete by keys: every distinct key named (99 never existed).
  assert.equal(delIds.delete_cnt, '3');
  const delFilter = await c.deleteEntities({ collection_name: 'up', filter: 'id in [4, 5, 6]' });
  assertOk(delFilter.status);
  assert.equal(delFilter.delete_cnt, '3');
  assert.equal(await count(), 6);
  // count(*) with a filter, through the Query RPC directly.
  const counted = await c.query({ collection_name: 'up', filter: 'id in [3, 4, 7, 8]', output_fields: ['count(*)'] });
  assert.deepEqual(counted.data, [{ 'count(*)': '3' }]); // 3, 7, 8 remain
  // Flushed and growing rows count alike; a deleted row does not come back after a flush.
  await c.flushSync({ collection_names: ['up'] });
  assert.equal(await count(), 6);
  assert.deepEqual((await c.get({ collection_name: 'up', ids: [1, 4], output_fields: ['id'] })).data, []);
  assert.equal((await h.engine.count({ collection_name: 'up' })).data, 6);
});

test('query: limit and offset page through rows; output fields; consistency levels', async () => {
  const c = h.client;
  assertOk(await c.createCollection({ collection_name: 'pg', consistency_level: 'Bounded', fields: [
    { name: 'id', data_type: DataType.Int64, is_primary_key: true },
    { name: 'v', data_type: DataType.FloatVector, dim: 2 },
  ] }));
  assertOk(await c.createIndex({ collection_name: 'pg', field_name: 'v', index_type: 'FLAT', metric_type: 'L2' }));
  assertOk(await c.loadCollectionAsync({ collection_name: 'pg' }));
  assertOk((await c.insert({ collection_name: 'pg', data: Array.from({ length: 25 }, (_, i) => ({ id: i, v: [i, 0] })) })).status);
  const pages: string[] = [];
  for (let offset = 0; offset < 30; offset += 10) {
    const p = await c.query({ collection_name: 'pg', filter: '', limit: 10, offset, output_fields: ['id'] });
    assertOk(p);
    pages.push(...p.data.map((r) => r.id as string));
  }
  assert.deepEqual(pages.map(Number).sort((a, b) => a - b), Array.from({ length: 25 }, (_, i) => i));
  // The same page from the engine.
  const e = await h.engine.query({ collection_name: 'pg', limit: 10, offset: 10, output_fields: ['id'] });
  const p2 = await c.query({ collection_name: 'pg', filter: '', limit: 10, offset: 10, output_fields: ['id'] });
  assert.deepEqual(p2.data.map((r) => r.id), e.data.map((r) => String(r.id)));
  // Without output fields the SDK asks for '*' and gets every field.
  const all = await c.query({ collection_name: 'pg', filter: 'id == 7' });
  assert.deepEqual(all.data, [{ id: '7', v: [7, 0] }]);
  assertErr(await c.query({ collection_name: 'pg', filter: '', output_fields: ['count(*)', 'id'] }), { code: 1100, elanus: 'INVALID_ARGUMENT', reason: /count\(\*\) cannot be combined/ });
  // A query without a filter needs a limit.
  assertErr(await c.query({ collection_name: 'pg', filter: '' }), { code: 1100, elanus: 'INVALID_ARGUMENT', reason: /needs a limit/ });
  assertErr(await c.query({ collection_name: 'pg', filter: 'id == 1', output_fields: ['nope'] }), { code: 1100, elanus: 'FIELD_NOT_FOUND', reason: /"nope"/ });

  // Every consistency level reads an acknowledged write back (one process: nothing lags).
  for (const [i, level] of (['Strong', 'Session', 'Bounded', 'Eventually', 'Customized'] as const).entries()) {
    const id = 1000 + i;
    assertOk((await c.insert({ collection_name: 'pg', data: [{ id, v: [1, 1] }] })).status);
    const r = await c.query({ collection_name: 'pg', filter: `id == ${id}`, output_fields: ['id'], consistency_level: level as never });
    assertOk(r, level);
    assert.deepEqual(r.data, [{ id: String(id) }], level);
  }
  const cnt = await c.query({ collection_name: 'pg', filter: '', output_fields: ['count(*)'], consistency_level: 'Strong' as never });
  assert.deepEqual(cnt.data, [{ 'count(*)': '30' }]);
});

test('write errors: wrong dimension, range, too-long string, array capacity, duplicates, NaN, missing field', async () => {
  const c = h.client;
  assertOk(await c.createCollection({ collection_name: 'we', fields: [
    { name: 'pk', data_type: DataType.Int64, is_primary_key: true },
    { name: 'i8', data_type: DataType.Int8 },
    { name: 's', data_type: DataType.VarChar, max_length: 4 },
    { name: 'ai', data_type: DataType.Array, element_type: DataType.Int32, max_capacity: 2 },
    { name: 'fv', data_type: DataType.FloatVector, dim: 4 },
    { name: 'hv', data_type: DataType.Float16Vector, dim: 4 },
  ] }));
  const base = { pk: 1, i8: 1, s: 'ab', ai: [1], fv: [1, 2, 3, 4], hv: [1, 2, 3, 4] };
  const ins = async (data: Array<Record<string, unknown>>) => (await c.insert({ collection_name: 'we', data: data as never })).status;
  assertErr(await ins([{ ...base, fv: [1, 2, 3] }]), { code: 1100, error_code: 'IllegalDimension', elanus: 'WRONG_DIMENSION', reason: /"fv".*expects dimension 4, got 3/ });
  assertErr(await ins([{ ...base, hv: [1, 2, 3, 4, 5, 6] }]), { code: 1100, error_code: 'IllegalDimension', elanus: 'WRONG_DIMENSION', reason: /"hv"/ });
  assertErr(await ins([{ ...base, i8: 1000 }]), { code: 1100, error_code: 'IllegalArgument', elanus: 'VALUE_OUT_OF_RANGE', reason: /Int8/ });
  assertErr(await ins([base, { ...base, pk: 2, s: 'abcdefg' }]), { code: 1100, elanus: 'STRING_TOO_LONG', reason: /row 1 is 7 characters long, max_length is 4/ });
  assertErr(await ins([{ ...base, ai: [1, 2, 3] }]), { code: 1100, elanus: 'ARRAY_TOO_LONG', reason: /max_capacity is 2/ });
  // An upsert batch may not repeat a key (as in Milvus 2.6); an insert may (test/engine/writes.test.ts).
  assertErr((await c.upsert({ collection_name: 'we', data: [base, { ...base }] as never })).status, { code: 1100, elanus: 'DUPLICATE_PRIMARY_KEY', reason: /duplicate primary keys are not allowed in the same batch: 1 is in rows 0 and 1/ });
  assertErr(await ins([{ ...base, fv: [1, Number.NaN, 3, 4] }]), { code: 1100, elanus: 'VALUE_NOT_FINITE' });
  // A missing non-nullable field: the SDK sends a short column.
  assertErr(await ins([{ pk: 1, s: 'ab', ai: [1], fv: [1, 2, 3, 4], hv: [1, 2, 3, 4] }]), { code: 1100, elanus: 'INVALID_ARGUMENT', reason: /"i8" has 0 values for 1 rows/ });
  // Nothing was written by the refused batches.
  assert.equal((await c.getCollectionStatistics({ collection_name: 'we' })).data.row_count, '0');
  assertErr((await c.upsert({ collection_name: 'we', data: [{ ...base, fv: [1] }] })).status, { code: 1100, elanus: 'WRONG_DIMENSION' });
  assertErr((await c.insert({ collection_name: 'we', partition_name: 'nope', data: [base] })).status, { code: 200, elanus: 'PARTITION_NOT_FOUND' });

  // The SDK coerces scalars to the column's type before sending (so 'abc' in an Int32
  // column arrives as 0, as with Milvus); a non-object dynamic field reaches the server.
  assertOk(await c.createCollection({ collection_name: 'we_dyn', enable_dynamic_field: true, fields: [
    { name: 'pk', data_type: DataType.Int64, is_primary_key: true },
    { name: 'v', data_type: DataType.FloatVector, dim: 2 },
  ] }));
  assertErr((await c.insert({ collection_name: 'we_dyn', data: [{ pk: 1, v: [1, 2], $meta: 5 }] })).status, { code: 1100, error_code: 'IllegalArgument', elanus: 'WRONG_TYPE', reason: /"\$meta".*a JSON object, got number/ });

  // autoID collections generate distinct keys.
  assertOk(await c.createCollection({ collection_name: 'we_auto', fields: [
    { name: 'id', data_type: DataType.Int64, is_primary_key: true, autoID: true },
    { name: 'v', data_type: DataType.FloatVector, dim: 2 },
  ] }));
  const auto = await c.insert({ collection_name: 'we_auto', data: [{ v: [1, 2] }, { v: [3, 4] }] });
  assertOk(auto.status);
  const ids = (auto.IDs as unknown as { int_id: { data: string[] } }).int_id.data.map((x) => BigInt(x));
  assert.equal(ids.length, 2);
  assert.ok(ids[0]! > 0n && ids[0] !== ids[1]);
});

test('partial upserts (partial_update): left-out fields and dynamic keys keep their values, also under concurrent writers', async () => {
  const c = h.client;
  const flags = Array.from({ length: 8 }, (_, i) => `f${i}`);
  assertOk(await c.createCollection({ collection_name: 'pu', enable_dynamic_field: true, fields: [
    { name: 'id', data_type: DataType.Int64, is_primary_key: true },
    { name: 'name', data_type: DataType.VarChar, max_length: 20, nullable: true },
    { name: 'v', data_type: DataType.FloatVector, dim: 2 },
    ...flags.map((name) => ({ name, data_type: DataType.Int32, nullable: true })),
  ] }));
  assertOk(await c.createIndex({ collection_name: 'pu', field_name: 'v', index_type: 'FLAT', metric_type: 'L2' }));
  assertOk(await c.loadCollectionAsync({ collection_name: 'pu' }));
  assertOk((await c.insert({ collection_name: 'pu', data: [{ id: 1, name: 'one', v: [1, 1], color: 'red', size: 2 }] })).status);

  const up = await c.upsert({ collection_name: 'pu', partial_update: true, data: [{ id: 1, f0: 5, color: 'blue' }] });
  assertOk(up.status);
  assert.equal(up.upsert_cnt, '1');
  const got = await c.get({ collection_name: 'pu', ids: [1], output_fields: ['*'] });
  assert.deepEqual(got.data, [{ id: '1', name: 'one', v: [1, 1], f0: 5, f1: null, f2: null, f3: null, f4: null, f5: null, f6: null, f7: null, $meta: { color: 'blue', size: 2 } }]);
  // A new key without the vector: refused, with the field and row named.
  assertErr((await c.upsert({ collection_name: 'pu', partial_update: true, data: [{ id: 2, name: 'two' }] })).status, { code: 1100, elanus: 'MISSING_FIELD', reason: /field "v" is required but missing in row 0/ });
  assert.equal((await c.count({ collection_name: 'pu' })).data, 1);

  // Eight writers per round each set one field of the same rows at once: a merge that
  // read a row another one was replacing would lose that field.
  const ids = [10, 11, 12];
  for (let round = 0; round < 5; round++) {
    assertOk((await c.upsert({ collection_name: 'pu', data: ids.map((id) => ({ id, v: [id, round] })) })).status);
    const res = await Promise.all(flags.map((f, k) => c.upsert({ collection_name: 'pu', partial_update: true, data: ids.map((id) => ({ id, [f]: round * 100 + k })) })));
    for (const r of res) assertOk(r.status);
    const rows = await c.get({ collection_name: 'pu', ids, output_fields: ['id', 'v', ...flags] });
    assert.deepEqual(rows.data.sort((a, b) => Number(a.id) - Number(b.id)), ids.map((id) => ({
      id: String(id), v: [id, round], ...Object.fromEntries(flags.map((f, k) => [f, round * 100 + k])),
    })), `round ${round}`);
  }
});
