// Array of Structs through the official Node SDK 2.6, as its users declare and use it:
// a struct field (data_type Array, element_type Struct) with scalar and vector
// sub-fields, rows as arrays of objects, query output of the whole field or of a
// sub-field (`chunks[text]`), embedding-list search with the MAX_SIM metrics (scores
// computed here by brute force), the index types and metrics Milvus allows on a struct's
// vector sub-field, and the refusals Milvus documents.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DataType } from '@zilliz/milvus2-sdk-node';
import { assertErr, assertOk, kv, rng, startHarness, type Harness } from './helpers.js';

let h: Harness;
const dim = 4;
const r = rng(7);
const f32 = (x: number) => Math.fround(x);
const vec = () => Array.from({ length: dim }, () => f32(r() * 2 - 1));
const rows = Array.from({ length: 30 }, (_, i) => ({
  id: i + 1,
  title: `book ${i + 1}`,
  v: vec(),
  chunks: Array.from({ length: 1 + (i % 4) }, (_, e) => ({ text: `chunk ${i + 1}.${e}`, page: i * 10 + e, score: f32(e / 3), emb: vec() })),
}));

/** A row's structs as the SDK reads them back over gRPC: Int64 values as decimal strings (long_data), as for any Int64 array. */
const wire = (chunks: ReadonlyArray<Record<string, unknown>>) => chunks.map((x) => ('page' in x ? { ...x, page: String(x['page']) } : x));

const dot = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0);
const sims: Record<string, (a: number[], b: number[]) => number> = {
  MAX_SIM_IP: dot,
  MAX_SIM_COSINE: (a, b) => dot(a, b) / Math.sqrt(dot(a, a) * dot(b, b)),
  MAX_SIM_L2: (a, b) => a.reduce((s, x, i) => s + (x - b[i]!) ** 2, 0),
};

/** MAX_SIM by brute force: for each query vector its best score over the row's vectors, summed. */
function maxSim(metric: string, query: number[][], row: number[][]): number {
  const sim = sims[metric]!;
  const larger = metric !== 'MAX_SIM_L2';
  return query.reduce((sum, q) => sum + row.map((v) => sim(q, v)).reduce((b, s) => (larger ? Math.max(b, s) : Math.min(b, s))), 0);
}

function expected(metric: string, query: number[][], k: number): Array<{ id: number; score: number }> {
  const larger = metric !== 'MAX_SIM_L2';
  return rows.map((x) => ({ id: x.id, score: maxSim(metric, query, x.chunks.map((c) => c.emb)) }))
    .sort((a, b) => (larger ? b.score - a.score : a.score - b.score) || a.id - b.id).slice(0, k);
}

function assertHits(got: Array<{ score: number; [k: string]: unknown }>, want: Array<{ id: number; score: number }>): void {
  assert.deepEqual(got.map((g) => Number(g['id'])), want.map((w) => w.id));
  got.forEach((g, i) => assert.ok(Math.abs(g.score - want[i]!.score) <= 1e-5 * Math.max(1, Math.abs(want[i]!.score)), `hit ${i}: ${g.score} vs ${want[i]!.score}`));
}

const schema = (name: string, extra: object = {}) => ({
  collection_name: name,
  fields: [
    { name: 'id', data_type: DataType.Int64, is_primary_key: true },
    { name: 'title', data_type: DataType.VarChar, max_length: 64 },
    { name: 'v', data_type: DataType.FloatVector, dim },
    {
      name: 'chunks', data_type: DataType.Array, element_type: DataType.Struct, max_capacity: 4,
      fields: [
        { name: 'text', data_type: DataType.VarChar, max_length: 32 },
        { name: 'page', data_type: DataType.Int64 },
        { name: 'score', data_type: DataType.Float },
        { name: 'emb', data_type: DataType.FloatVector, dim },
      ],
      ...extra,
    },
  ],
});

before(async () => {
  h = await startHarness();
  assertOk(await h.client.createCollection(schema('books') as never));
});
after(() => h.close());

test('describe reports the struct field apart, its sub-fields as Array / ArrayOfVector with the max_capacity', async () => {
  const d = await h.client.describeCollection({ collection_name: 'books' });
  assertOk(d);
  // The SDK rewrites what it receives: each sub-field's data_type becomes the element_type
  // Milvus sent, and max_capacity moves from the sub-fields' type_params to the struct.
  const raw = d.schema as unknown as { struct_array_fields: Array<{ name: string; fieldID: string; fields: Array<{ name: string; data_type: string; fieldID: string; max_capacity: string; type_params: Array<{ key: string; value: string }> }> }> };
  assert.equal(raw.struct_array_fields.length, 1);
  const s = raw.struct_array_fields[0]!;
  assert.equal(s.name, 'chunks');
  assert.deepEqual(s.fields.map((f) => [f.name, f.data_type, f.max_capacity]), [['text', 'VarChar', '4'], ['page', 'Int64', '4'], ['score', 'Float', '4'], ['emb', 'FloatVector', '4']]);
  const emb = s.fields.find((f) => f.name === 'emb')!;
  assert.deepEqual(kv(emb.type_params), { dim: String(dim) });
  assert.equal(kv(s.fields[0]!.type_params)['max_length'], '32');
  // Every field id is distinct: the struct's, and its sub-fields' after the collection's.
  const ids = [...d.schema.fields.map((f) => f.fieldID), ...s.fields.map((f) => f.fieldID)];
  assert.equal(new Set(ids).size, ids.length);
  // The SDK's own view: the struct merged into fields as Array<Struct>, its vector sub-field an anns field.
  const merged = d.schema.fields.find((f) => f.name === 'chunks') as unknown as { data_type: string; element_type: string; max_capacity: string };
  assert.equal(merged.data_type, 'Array');
  assert.equal(merged.element_type, 'Struct');
  assert.equal(merged.max_capacity, '4');
  assert.ok('chunks[emb]' in (d as unknown as { anns_fields: object }).anns_fields);
});

test('insert, then query returns each row\'s structs exactly (floats as float32), whole or by sub-field', async () => {
  const c = h.client;
  const ins = await c.insert({ collection_name: 'books', data: rows });
  assertOk(ins.status);
  assert.equal(ins.insert_cnt, String(rows.length));
  assertOk(await c.loadCollectionSync({ collection_name: 'books' }));
  const q = await c.query({ collection_name: 'books', filter: 'id in [1, 2, 7]', output_fields: ['id', 'chunks'] });
  assertOk(q);
  const byId = new Map(q.data.map((x) => [Number(x['id']), x['chunks']]));
  for (const id of [1, 2, 7]) assert.deepEqual(byId.get(id), wire(rows[id - 1]!.chunks));
  const t = await c.query({ collection_name: 'books', filter: 'id == 4', output_fields: ['chunks[text]', 'chunks[page]'] });
  assertOk(t);
  assert.deepEqual(t.data[0]!['chunks'], wire(rows[3]!.chunks.map((x) => ({ text: x.text, page: x.page }))));
  const n = await c.count({ collection_name: 'books' });
  assert.equal(n.data, rows.length);
});

test('embedding-list search: each row scored by MAX_SIM over its vectors, exactly, for every metric', async () => {
  const c = h.client;
  const q1 = [vec(), vec()];
  const q2 = [vec()];
  for (const metric of ['MAX_SIM_COSINE', 'MAX_SIM_IP', 'MAX_SIM_L2']) {
    const one = await c.search({ collection_name: 'books', anns_field: 'chunks[emb]', data: q1, limit: 5, metric_type: metric, output_fields: ['title'] } as never);
    assertOk(one.status);
    assertHits(one.results as never, expected(metric, q1, 5));
    assert.equal((one.results as Array<Record<string, unknown>>)[0]!['title'], `book ${expected(metric, q1, 1)[0]!.id}`);
    const two = await c.search({ collection_name: 'books', anns_field: 'chunks[emb]', data: [q1, q2], limit: 3, metric_type: metric } as never);
    assertOk(two.status);
    const lists = two.results as unknown as Array<Array<{ score: number }>>;
    assertHits(lists[0]!, expected(metric, q1, 3));
    assertHits(lists[1]!, expected(metric, q2, 3));
  }
  // A filter on the collection's own fields narrows the rows scored.
  const f = await c.search({ collection_name: 'books', anns_field: 'chunks[emb]', data: q1, limit: 3, metric_type: 'MAX_SIM_IP', filter: 'id > 20' } as never);
  assertOk(f.status);
  const want = rows.filter((x) => x.id > 20).map((x) => ({ id: x.id, score: maxSim('MAX_SIM_IP', q1, x.chunks.map((c) => c.emb)) })).sort((a, b) => b.score - a.score).slice(0, 3);
  assertHits(f.results as never, want);
});

test('index on the vector sub-field: HNSW or AUTOINDEX with a MAX_SIM metric, as Milvus allows; searches stay exact', async () => {
  const c = h.client;
  assertErr(await c.createIndex({ collection_name: 'books', field_name: 'chunks[emb]', index_type: 'IVF_FLAT', metric_type: 'MAX_SIM_IP', params: { nlist: 4 } }), { code: 1100, elanus: 'INDEX_TYPE_INVALID' });
  assertErr(await c.createIndex({ collection_name: 'books', field_name: 'chunks[emb]', index_type: 'HNSW', metric_type: 'L2' }), { code: 1100, elanus: 'METRIC_TYPE_INVALID', reason: /MAX_SIM_COSINE, MAX_SIM_IP, MAX_SIM_L2/ });
  assertErr(await c.createIndex({ collection_name: 'books', field_name: 'chunks[page]', index_type: 'INVERTED' }), { code: 1100, elanus: 'INDEX_TYPE_INVALID' });
  assertOk(await c.createIndex({ collection_name: 'books', field_name: 'chunks[emb]', index_type: 'HNSW', metric_type: 'MAX_SIM_L2', params: { M: 8, efConstruction: 32 } }));
  const d = await c.describeIndex({ collection_name: 'books', field_name: 'chunks[emb]' });
  assertOk(d);
  assert.equal(d.index_descriptions[0]!.field_name, 'chunks[emb]');
  assert.equal(kv(d.index_descriptions[0]!.params as never)['metric_type'], 'MAX_SIM_L2');
  assertOk(await c.flushSync({ collection_names: ['books'] }));
  const q = [vec(), vec(), vec()];
  const s = await c.search({ collection_name: 'books', anns_field: 'chunks[emb]', data: q, limit: 4 } as never);
  assertOk(s.status);
  assertHits(s.results as never, expected('MAX_SIM_L2', q, 4));
  // Another metric than the index's is refused, as for any vector field.
  assertErr(await c.search({ collection_name: 'books', anns_field: 'chunks[emb]', data: q, limit: 4, metric_type: 'MAX_SIM_IP' } as never), { code: 1100, elanus: 'METRIC_MISMATCH' });
});

test('refusals: capacity, sub-field types and dims, unknown keys; nothing of a refused batch is stored', async () => {
  const c = h.client;
  const good = { id: 100, title: 't', v: vec(), chunks: [{ text: 'a', page: 1, score: 0.5, emb: vec() }] };
  const cases: Array<[object, string, RegExp]> = [
    [{ chunks: Array.from({ length: 5 }, () => good.chunks[0]) }, 'ARRAY_TOO_LONG', /max_capacity is 4/],
    [{ chunks: [{ ...good.chunks[0], emb: [1, 2, 3] }] }, 'WRONG_DIMENSION', /chunks\[emb\]/],
    [{ chunks: [{ ...good.chunks[0], text: 'x'.repeat(33) }] }, 'STRING_TOO_LONG', /chunks\[text\]/],
  ];
  for (const [change, code, reason] of cases) {
    const res = await c.insert({ collection_name: 'books', data: [{ ...good, id: 101 }, { ...good, ...change }] });
    assertErr(res.status, { code: 1100, elanus: code, reason });
  }
  const q = await c.query({ collection_name: 'books', filter: 'id >= 100', output_fields: ['id'] });
  assertOk(q);
  assert.equal(q.data.length, 0);
});

test('filters on a struct field or its sub-fields are refused, as Milvus 2.6 refuses them', async () => {
  const c = h.client;
  for (const filter of ['array_length(chunks) > 1', 'chunks["page"] > 3', 'id > 0 and chunks is not null']) {
    assertErr(await c.query({ collection_name: 'books', filter, output_fields: ['id'] }), { code: 1100, elanus: 'FILTER_TYPE', reason: /Array of Structs/ });
  }
});

test('schema refusals: nullable sub-fields, sub-field types Milvus does not allow in a struct, no max_capacity', async () => {
  const c = h.client;
  const nullable = schema('bad1');
  (nullable.fields[3] as { fields: object[] }).fields.push({ name: 'n', data_type: DataType.Int32, nullable: true });
  assertErr(await c.createCollection(nullable as never).catch((e: unknown) => e), { code: 65535, elanus: 'INVALID_SCHEMA', reason: /cannot be nullable/ });
  const bad = schema('bad2');
  (bad.fields[3] as { fields: object[] }).fields.push({ name: 'j', data_type: DataType.JSON });
  assertErr(await c.createCollection(bad as never).catch((e: unknown) => e), { code: 65535, elanus: 'INVALID_SCHEMA', reason: /not allowed in a struct/ });
  const noCap = schema('bad3', { max_capacity: undefined });
  assertErr(await c.createCollection(noCap as never).catch((e: unknown) => e), { code: 65535, elanus: 'INVALID_SCHEMA', reason: /max_capacity/ });
});

test('upsert replaces a row\'s structs; a partial upsert (merge mode) is refused, as Milvus refuses it for structs', async () => {
  const c = h.client;
  const row = { ...rows[0]!, chunks: [{ text: 'new', page: 7, score: 0.25, emb: vec() }] };
  assertOk((await c.upsert({ collection_name: 'books', data: [row] })).status);
  const q = await c.query({ collection_name: 'books', filter: 'id == 1', output_fields: ['chunks'] });
  assert.deepEqual(q.data[0]!['chunks'], wire(row.chunks));
  const p = await c.upsert({ collection_name: 'books', data: [{ id: 1, title: 'renamed' }], partial_update: true } as never);
  assertErr(p.status, { code: 1100, elanus: 'INVALID_ARGUMENT', reason: /Array of Structs/ });
  const after = await c.query({ collection_name: 'books', filter: 'id == 1', output_fields: ['title', 'chunks'] });
  assert.equal(after.data[0]!['title'], rows[0]!.title);
  rows[0] = row;
});
