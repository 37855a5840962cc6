// Issue 21 item 2: a query or search that matches no rows.
//
// pymilvus's query (grpc_handler.py query) raises "No fields returned" when the reply has
// no fields_data, and then reads every column's length (client/utils.py len_of), which
// needs the column's oneof member set (scalars.<x>_data, or vectors with a dim > 0).
// Milvus fills an empty reply with one empty column per output field:
// internal/proxy/task_query.go reduceRetrieveResultsAndFillIfEmpty →
// internal/util/typeutil/result_helper.go FillRetrieveResultIfEmpty →
// pkg/util/typeutil/gen_empty_field_data.go GenEmptyFieldData (type, field_name,
// field_id, is_dynamic, and the typed empty array; vectors carry their dim). The output
// fields are the translated ones (translateOutputFields: a dynamic key becomes "$meta")
// plus the primary key, which translateToOutputFieldIDs always appends; the column order
// follows a Go map for "*", so these tests compare columns by name.
// A search with no hits is fillInEmptyResult (search_reduce_util.go): num_queries = nq,
// one zero in topks per query, no columns; pymilvus's SearchResult reads that fine.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startWireServer, type WireServer } from './server.js';
import { createWithSchema, insertRows, vec } from './flows.js';
import { assertSuccess } from './expect.js';
import { DataType, describeCollectionRequest, dynamicFieldName, guaranteeAfter, lenOf, queryRequest, queryRowCount, searchRequest, type SchemaSpec } from './wire.js';

let w: WireServer;
before(async () => { w = await startWireServer(); });
after(async () => { await w?.close(); });

const dim = 4;
const schema: SchemaSpec = {
  enableDynamicField: true,
  fields: [
    { name: 'id', type: DataType.Int64, isPrimary: true },
    { name: 'vector', type: DataType.FloatVector, params: { dim } },
    { name: 'title', type: DataType.VarChar, params: { max_length: 32 } },
    { name: 'score', type: DataType.Double },
    { name: 'n', type: DataType.Int32 },
    { name: 'flag', type: DataType.Bool },
    { name: 'meta', type: DataType.JSON },
    { name: 'tags', type: DataType.Array, elementType: DataType.Int64, params: { max_capacity: 4 } },
  ],
};

/** The member GenEmptyFieldData sets for each type. */
const member: Record<number, string> = {
  [DataType.Int64]: 'long_data', [DataType.Int32]: 'int_data', [DataType.Double]: 'double_data', [DataType.Bool]: 'bool_data',
  [DataType.VarChar]: 'string_data', [DataType.JSON]: 'json_data', [DataType.Array]: 'array_data',
};

async function prepared(name: string): Promise<{ ts: string; ids: Map<string, string> }> {
  await createWithSchema(w, name, schema, 'vector');
  const r = await insertRows(w, name, [{ id: 1, vector: vec(1, dim), title: 't', score: 0.5, n: 3, flag: true, meta: { a: 1 }, tags: [1, 2], color: 'red' }]);
  const d = await w.call('DescribeCollection', describeCollectionRequest(name));
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return { ts: guaranteeAfter(r), ids: new Map(d.schema.fields.map((f: any) => [f.name, String(f.fieldID)])) };
}

test('issue 21 item 2: a query matching no rows returns one empty, typed column per output field plus the primary key', async () => {
  const { ts, ids } = await prepared('empty_query');
  const q = await w.call('Query', queryRequest('empty_query', {
    filter: 'id > 100',
    outputFields: ['title', 'score', 'n', 'flag', 'meta', 'tags', 'vector', 'color'],
    guaranteeTs: ts,
  }));
  assertSuccess(q.status, 'Query');
  // What pymilvus does with the reply: no "No fields returned", zero rows.
  assert.equal(queryRowCount(q), 0);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const cols = new Map<string, any>(q.fields_data.map((c: any) => [c.field_name, c]));
  assert.deepEqual([...cols.keys()].sort(), ['$meta', 'flag', 'id', 'meta', 'n', 'score', 'tags', 'title', 'vector']);
  for (const f of schema.fields) {
    const c = cols.get(f.name);
    assert.ok(c, `column ${f.name}`);
    assert.equal(Number(c.type), f.type, `type of ${f.name}`);
    assert.equal(String(c.field_id), ids.get(f.name), `field_id of ${f.name} (as DescribeCollection numbers it)`);
    assert.equal(lenOf(c), 0, `length of ${f.name}`);
    if (f.type === DataType.FloatVector) {
      assert.equal(c.vectors.data, 'float_vector');
      assert.equal(Number(c.vectors.dim), dim);
    } else {
      assert.equal(c.scalars.data, member[f.type], `member of ${f.name}`);
    }
    if (f.type === DataType.Array) assert.equal(Number(c.scalars.array_data.element_type), DataType.Int64);
  }
  const meta = cols.get(dynamicFieldName);
  assert.equal(meta.is_dynamic, true);
  assert.equal(Number(meta.type), DataType.JSON);
  assert.equal(meta.scalars.data, 'json_data');
});

test('issue 21 item 2: MilvusClient.query with default output fields ("*") on no match: columns for every field, nothing pymilvus refuses', async () => {
  const { ts } = await prepared('empty_query_star');
  const q = await w.call('Query', queryRequest('empty_query_star', { filter: 'title == "nobody"', guaranteeTs: ts }));
  assertSuccess(q.status, 'Query');
  assert.equal(queryRowCount(q), 0);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const names = new Set(q.fields_data.map((c: any) => c.field_name));
  for (const n of ['id', 'title', 'score', 'n', 'flag', 'meta', 'tags', '$meta']) assert.ok(names.has(n), `column ${n} in ${[...names].join(',')}`);
});

test('issue 21 item 2: a search with no hits answers one empty hit list per query vector', async () => {
  const { ts } = await prepared('empty_search');
  const s = await w.call('Search', searchRequest('empty_search', {
    data: [vec(1, dim), vec(2, dim)],
    filter: 'id > 100',
    outputFields: ['title'],
    searchParams: { metric_type: 'COSINE' },
    guaranteeTs: ts,
  }));
  assertSuccess(s.status, 'Search');
  assert.equal(Number(s.results.num_queries), 2);
  assert.deepEqual(s.results.topks.map(Number), [0, 0]);
  assert.equal(s.results.scores.length, 0);
  // Any column that does come back must read as zero rows.
  for (const c of s.results.fields_data ?? []) assert.equal(lenOf(c), 0);
});
