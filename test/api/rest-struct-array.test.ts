// Array of Structs through Milvus's RESTful API v2 against the real server: a schema with
// schema.structArrayFields, rows whose struct field is an array of objects, query output
// of the whole field and of `chunks[text]`, embedding-list search (data: a list of
// embedding lists) with MAX_SIM scores computed here, and coded refusals that store nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { restHarness } from './rest-harness.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const { post } = restHarness('elanus-rest-struct-');

// Values that are exact in float32, so the stored floats read back as given.
const rows = [
  { id: 1, v: [1, 0], chunks: [{ text: 'a', emb: [1, 0] }, { text: 'b', emb: [0, 1] }] },
  { id: 2, v: [0, 1], chunks: [{ text: 'c', emb: [0.5, 0.5] }] },
  { id: 3, v: [1, 1], chunks: [{ text: 'd', emb: [-1, 0.25] }, { text: 'e', emb: [2, -1] }, { text: 'f', emb: [0, -2] }] },
];
const dot = (a: number[], b: number[]) => a[0]! * b[0]! + a[1]! * b[1]!;
const maxSimIp = (q: number[][], r: { chunks: Array<{ emb: number[] }> }) => q.reduce((s, x) => s + Math.max(...r.chunks.map((c) => dot(x, c.emb))), 0); // spread-bounded: three structs at most

test('REST: create with structArrayFields, describe, insert, query and search an embedding list', async () => {
  const created = await post('/collections/create', {
    collectionName: 'rs',
    schema: {
      fields: [
        { fieldName: 'id', dataType: 'Int64', isPrimary: true },
        { fieldName: 'v', dataType: 'FloatVector', elementTypeParams: { dim: 2 } },
      ],
      structArrayFields: [{ fieldName: 'chunks', elementTypeParams: { max_capacity: 3 }, fields: [
        { fieldName: 'text', dataType: 'VarChar', elementTypeParams: { max_length: 8 } },
        { fieldName: 'emb', dataType: 'FloatVector', elementTypeParams: { dim: 2 } },
      ] }],
    },
  });
  assert.equal(created.code, 0, created.message);
  const d = await post('/collections/describe', { collectionName: 'rs' });
  assert.equal(d.code, 0, d.message);
  assert.deepEqual(d.data.fields.map((f: Json) => f.name), ['id', 'v']);
  assert.equal(d.data.structArrayFields[0].name, 'chunks');
  assert.deepEqual(d.data.structArrayFields[0].fields.map((f: Json) => [f.name, f.type]), [['text', 'VarChar'], ['emb', 'FloatVector']]);

  const ins = await post('/entities/insert', { collectionName: 'rs', data: rows });
  assert.equal(ins.code, 0, ins.message);
  assert.equal(ins.data.insertCount, 3);
  assert.equal((await post('/collections/load', { collectionName: 'rs' })).code, 0);
  const q = await post('/entities/query', { collectionName: 'rs', filter: 'id > 0', outputFields: ['chunks'], limit: 10 });
  assert.equal(q.code, 0, q.message);
  assert.deepEqual(q.data.sort((a: Json, b: Json) => a.id - b.id).map((x: Json) => x.chunks), rows.map((r) => r.chunks));
  const t = await post('/entities/query', { collectionName: 'rs', filter: 'id == 3', outputFields: ['chunks[text]'] });
  assert.deepEqual(t.data[0].chunks, [{ text: 'd' }, { text: 'e' }, { text: 'f' }]);

  const q1 = [[1, 0], [0, 1]];
  const q2 = [[0.5, -0.5]];
  const s = await post('/entities/search', { collectionName: 'rs', data: [q1, q2], annsField: 'chunks[emb]', searchParams: { metric_type: 'MAX_SIM_IP' }, limit: 2, outputFields: ['chunks[text]'] });
  assert.equal(s.code, 0, s.message);
  const want = (q: number[][]) => rows.map((r) => ({ id: r.id, score: maxSimIp(q, r) })).sort((a, b) => b.score - a.score || a.id - b.id).slice(0, 2);
  const got = s.data as Json[];
  const expectedHits = [...want(q1), ...want(q2)];
  assert.deepEqual(got.map((h) => [h.id, h.distance]), expectedHits.map((w) => [w.id, w.score]));
  assert.deepEqual(got[0].chunks, rows.find((r) => r.id === expectedHits[0]!.id)!.chunks.map((c) => ({ text: c.text })));
});

test('REST: a bad struct is refused with a code and nothing of the batch is stored; filters on it are refused', async () => {
  const bad = await post('/entities/insert', { collectionName: 'rs', data: [{ id: 9, v: [1, 2], chunks: [] }, { id: 10, v: [1, 2], chunks: [{ text: 'x', emb: [1, 2, 3] }] }] });
  assert.equal(bad.code, 1100);
  assert.match(bad.message!, /WRONG_DIMENSION.*chunks\[emb\]/);
  const q = await post('/entities/query', { collectionName: 'rs', filter: 'id >= 9', outputFields: ['id'] });
  assert.deepEqual(q.data, []);
  const f = await post('/entities/query', { collectionName: 'rs', filter: 'array_length(chunks) > 0', outputFields: ['id'] });
  assert.equal(f.code, 1100);
  assert.match(f.message!, /FILTER_TYPE.*Array of Structs/);
});
