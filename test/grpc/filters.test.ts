// Filter expressions over gRPC: query, count, search and delete with general filters and
// template values (expr_template_values), as the SDK sends them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataType } from '@zilliz/milvus2-sdk-node';
import { assertErr, assertOk, startHarness } from './helpers.js';

test('query, count, search and delete with filters and template values', async () => {
  const h = await startHarness();
  try {
    const c = h.client;
    assertOk(await c.createCollection({ collection_name: 'f', enable_dynamic_field: true, fields: [
      { name: 'id', data_type: DataType.Int64, is_primary_key: true },
      { name: 'n', data_type: DataType.Int32 },
      { name: 'color', data_type: DataType.VarChar, max_length: 10, nullable: true },
      { name: 'tags', data_type: DataType.Array, element_type: DataType.VarChar, max_capacity: 4, max_length: 8 },
      { name: 'v', data_type: DataType.FloatVector, dim: 2 },
    ] }));
    const rows = Array.from({ length: 10 }, (_, i) => ({ id: i, n: i * 10, color: i % 3 === 0 ? null : i % 2 ? 'red' : 'blue', tags: i % 2 ? ['sale'] : [], v: [i, 1], extra: { k: i } }));
    assertOk((await c.insert({ collection_name: 'f', data: rows })).status);
    assertOk(await c.loadCollection({ collection_name: 'f' }));
    const ids = async (filter: string, exprValues?: Record<string, unknown>) => {
      const r = await c.query({ collection_name: 'f', filter, exprValues, output_fields: ['n'], consistency_level: 'Strong' as never });
      assertOk(r.status);
      return r.data.map((x) => Number(x.id)).sort((a, b) => a - b);
    };
    const expect = (pred: (r: (typeof rows)[number]) => boolean) => rows.filter(pred).map((r) => r.id);
    assert.deepEqual(await ids('n > 40 and color == "red"'), expect((r) => r.n > 40 && r.color === 'red'));
    assert.deepEqual(await ids('color is null'), expect((r) => r.color === null));
    assert.deepEqual(await ids('array_contains(tags, "sale") or n < 15'), expect((r) => r.tags.includes('sale') || r.n < 15));
    assert.deepEqual(await ids('extra["k"] >= 7'), expect((r) => r.extra.k >= 7));
    assert.deepEqual(await ids('n in {ns} and id > {min}', { ns: [10, 20, 30, 90], min: 1 }), [2, 3, 9]);
    const counted = await c.count({ collection_name: 'f', expr: 'color like "r%"' });
    assert.equal(counted.data, expect((r) => r.color === 'red').length);
    const hits = await c.search({ collection_name: 'f', data: [0, 1], limit: 3, metric_type: 'L2', filter: 'n >= {x}', exprValues: { x: 50 } });
    assertOk(hits.status);
    assert.deepEqual(hits.results.map((r) => Number(r.id)), [5, 6, 7]);
    const del = await c.delete({ collection_name: 'f', filter: 'color == "blue"' });
    assertOk(del.status);
    assert.equal(Number(del.delete_cnt), expect((r) => r.color === 'blue').length);
    assert.deepEqual(await ids('n >= 0'), expect((r) => r.color !== 'blue'));
    assertErr((await c.query({ collection_name: 'f', filter: 'n >', output_fields: ['n'] })).status, { code: 1100, elanus: 'FILTER_SYNTAX' });
    assertErr((await c.query({ collection_name: 'f', filter: 'color > 3', output_fields: ['n'] })).status, { code: 1100, elanus: 'FILTER_TYPE' });
  } finally {
    await h.close();
  }
});

test('query results come in primary-key order, so the SDK query iterator pages through every row once', async () => {
  const h = await startHarness();
  try {
    const c = h.client;
    assertOk(await c.createCollection({ collection_name: 'it', fields: [
      { name: 'id', data_type: DataType.Int64, is_primary_key: true },
      { name: 'n', data_type: DataType.Int32 },
      { name: 'v', data_type: DataType.FloatVector, dim: 2 },
    ] }));
    // Keys spread over several segments and out of order.
    const keys = Array.from({ length: 250 }, (_, i) => (i * 7919) % 1000);
    for (let b = 0; b < keys.length; b += 50) {
      assertOk((await c.insert({ collection_name: 'it', data: keys.slice(b, b + 50).map((id) => ({ id, n: id % 7, v: [id, 1] })) })).status);
      if (b === 100) await c.flushSync({ collection_names: ['it'] });
    }
    assertOk(await c.loadCollection({ collection_name: 'it' }));
    const page = await c.query({ collection_name: 'it', filter: 'n != 3', limit: 10, output_fields: ['n'], consistency_level: 'Strong' as never });
    const expected = keys.filter((k) => k % 7 !== 3).sort((a, b) => a - b);
    assert.deepEqual(page.data.map((r) => Number(r.id)), expected.slice(0, 10));
    const seen: number[] = [];
    const it = await c.queryIterator({ collection_name: 'it', filter: 'n != 3', batchSize: 37, output_fields: ['n'] });
    for await (const batch of it) for (const r of batch) seen.push(Number(r.id));
    assert.deepEqual(seen, expected);
  } finally {
    await h.close();
  }
});

// Milvus's filter semantics through the SDK (query/expr/README.md): an Array index past
// the end matches nothing under != too, json_contains_all of [] holds for every row,
// exists is false for a JSON null, a JSON array compares with a list literal element by
// element (false where the value is no array, != included); and forms Milvus's plan
// parser refuses are refused with code 1100.
test('filter semantics and typing as Milvus 2.6 through the SDK', async () => {
  const h = await startHarness();
  try {
    const c = h.client;
    assertOk(await c.createCollection({ collection_name: 'm', fields: [
      { name: 'id', data_type: DataType.Int64, is_primary_key: true },
      { name: 'stock', data_type: DataType.Int32 },
      { name: 'flag', data_type: DataType.Bool },
      { name: 'info', data_type: DataType.JSON },
      { name: 'nums', data_type: DataType.Array, element_type: DataType.Int64, max_capacity: 8 },
      { name: 'v', data_type: DataType.FloatVector, dim: 2 },
    ] }));
    const rows = [
      { id: 1, stock: 10, flag: true, info: { a: 1, dims: [1, 2, 3] }, nums: [1, 2, 3, 4], v: [1, 0] },
      { id: 2, stock: 20, flag: false, info: { a: null, dims: [1, 2] }, nums: [5], v: [0, 1] },
      { id: 3, stock: 30, flag: true, info: { dims: 'x' }, nums: [], v: [1, 1] },
      { id: 4, stock: 40, flag: false, info: { a: 'b', dims: [3, 2, 1] }, nums: [7, 7, 7, 1, 9], v: [2, 1] },
    ];
    assertOk((await c.insert({ collection_name: 'm', data: rows })).status);
    assertOk(await c.loadCollection({ collection_name: 'm' }));
    const ids = async (filter: string) => {
      const r = await c.query({ collection_name: 'm', filter, output_fields: ['stock'], consistency_level: 'Strong' as never });
      assertOk(r.status);
      return r.data.map((x) => Number(x.id)).sort((a, b) => a - b);
    };
    assert.deepEqual(await ids('nums[3] != 1'), [1]);
    assert.deepEqual(await ids('nums[3] == 1'), [4]);
    assert.deepEqual(await ids('json_contains_all(info["dims"], [])'), [1, 2, 3, 4]);
    assert.deepEqual(await ids('json_contains_any(info["dims"], [])'), []);
    assert.deepEqual(await ids('exists info["a"]'), [1, 4]);
    assert.deepEqual(await ids('info["a"] is null'), [2, 3]);
    assert.deepEqual(await ids('info["dims"] == [1, 2, 3]'), [1]);
    assert.deepEqual(await ids('info["dims"] != [1, 2, 3]'), [2, 4]);
    assert.deepEqual(await ids('info["dims"] > [1, 2]'), []);
    assert.deepEqual(await ids('stock * 2 == 40 or flag == false'), [2, 4]);
    assert.deepEqual(await ids('info["a"] < 0x1.8p0'), [1]);
    for (const [filter, elanus] of [
      ['stock > 2.5', 'FILTER_TYPE'], ['flag', 'FILTER_TYPE'], ['not flag', 'FILTER_TYPE'], ['stock + stock == 20', 'FILTER_TYPE'],
      ['stock / 0 == 1', 'FILTER_TYPE'], ['5 < stock < 5', 'FILTER_TYPE'], ['exists info', 'FILTER_TYPE'],
      ['info["a" ] == 1', 'FILTER_SYNTAX'], ['stock is  null', 'FILTER_SYNTAX'], ['info["a"] == "\\d"', 'FILTER_SYNTAX'],
    ] as const) {
      assertErr((await c.query({ collection_name: 'm', filter, output_fields: ['stock'] })).status, { code: 1100, elanus });
    }
  } finally {
    await h.close();
  }
});
