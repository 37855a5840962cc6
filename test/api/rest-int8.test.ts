// Int8Vector through Milvus's RESTful API v2 against the real server: a schema with an
// Int8Vector field (elementTypeParams.dim), rows and query vectors as JSON arrays of
// integers, query output as the same integers, and coded errors for values that are not
// int8, with nothing of a refused request stored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { restHarness } from './rest-harness.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const { post } = restHarness('elanus-rest-int8-');

const dim = 4;
const rows = [
  { id: 1, v: [-128, 127, 0, 1] },
  { id: 2, v: [10, -20, 30, -40] },
  { id: 3, v: [127, 127, 127, 127] },
  { id: 4, v: [-1, -2, -3, -4] },
  { id: 5, v: [0, 0, 0, 5] },
];
const l2 = (a: number[], b: number[]) => a.reduce((s, x, i) => s + (x - b[i]!) ** 2, 0);

test('REST: create, describe, insert, query and search an Int8Vector field', async () => {
  const created = await post('/collections/create', {
    collectionName: 'r8',
    schema: { fields: [
      { fieldName: 'id', dataType: 'Int64', isPrimary: true },
      { fieldName: 'v', dataType: 'Int8Vector', elementTypeParams: { dim } },
    ] },
    indexParams: [{ fieldName: 'v', indexName: 'v', metricType: 'L2', indexType: 'HNSW', params: { M: 8, efConstruction: 64 } }],
  });
  assert.equal(created.code, 0, created.message);
  const d = await post('/collections/describe', { collectionName: 'r8' });
  assert.equal(d.code, 0, d.message);
  const f = (d.data.fields as Json[]).find((x) => x.name === 'v');
  assert.equal(f.type, 'Int8Vector');
  assert.deepEqual(f.params, [{ key: 'dim', value: String(dim) }]);

  const ins = await post('/entities/insert', { collectionName: 'r8', data: rows });
  assert.equal(ins.code, 0, ins.message);
  assert.equal(ins.data.insertCount, rows.length);

  const q = await post('/entities/query', { collectionName: 'r8', filter: 'id > 0', outputFields: ['v'], limit: 10 });
  assert.equal(q.code, 0, q.message);
  assert.deepEqual((q.data as Json[]).map((x) => ({ id: Number(x.id), v: x.v })).sort((a, b) => a.id - b.id), rows);

  const query = [5, -7, 100, -128];
  const s = await post('/entities/search', { collectionName: 'r8', annsField: 'v', data: [query], limit: 3, outputFields: ['v'] });
  assert.equal(s.code, 0, s.message);
  const want = rows.map((r) => ({ id: r.id, distance: l2(r.v, query), v: r.v })).sort((a, b) => a.distance - b.distance).slice(0, 3);
  assert.deepEqual((s.data as Json[]).map((x) => ({ id: Number(x.id), distance: x.distance, v: x.v })), want);
});

test('REST: values that are not int8 are refused with field and row, and nothing is stored', async () => {
  const before = await post('/entities/query', { collectionName: 'r8', filter: 'id > 0', outputFields: ['id'], limit: 100 });
  const n = (before.data as Json[]).length;
  for (const [bad, re] of [[[1, 2, 3, 128], /VALUE_OUT_OF_RANGE: field "v" in row 1: value 128/], [[1, 2, 3, -129], /VALUE_OUT_OF_RANGE: field "v" in row 1/], [[1, 2, 3, 0.5], /WRONG_TYPE: field "v" in row 1/], [[1, 2, 3], /WRONG_DIMENSION: vector field "v" in row 1/]] as const) {
    const r = await post('/entities/insert', { collectionName: 'r8', data: [{ id: 10, v: [0, 0, 0, 0] }, { id: 11, v: bad }] });
    assert.equal(r.code, 1100, JSON.stringify(r));
    assert.match(r.message ?? '', re);
  }
  const up = await post('/entities/upsert', { collectionName: 'r8', data: [{ id: 1, v: [300, 0, 0, 0] }] });
  assert.equal(up.code, 1100);
  const after = await post('/entities/query', { collectionName: 'r8', filter: 'id > 0', outputFields: ['v'], limit: 100 });
  assert.equal((after.data as Json[]).length, n);
  assert.deepEqual((after.data as Json[]).find((x) => Number(x.id) === 1).v, rows[0]!.v, 'the refused upsert left row 1 as it was');
  const s = await post('/entities/search', { collectionName: 'r8', annsField: 'v', data: [[1, 2, 3, 999]], limit: 3 });
  assert.equal(s.code, 1100);
  assert.match(s.message ?? '', /VALUE_OUT_OF_RANGE/);
});
