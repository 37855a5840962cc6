// Issue 21 item 1: MilvusClient.insert/upsert into a collection with the dynamic field.
//
// pymilvus builds its insert columns from the fields DescribeCollection lists
// (prepare.py _parse_row_request) and adds its own "$meta" column (is_dynamic) when the
// schema says enable_dynamic_field. Milvus leaves the internal dynamic field out of the
// schema it returns: internal/proxy/service_provider.go CachedProxyServiceProvider
// .DescribeCollection filters `!field.IsDynamic` (the default provider in 2.6,
// proxy.enableCachedServiceProvider=true), and task.go describeCollectionTask.Execute
// skips `field.IsDynamic` the same way. A server that lists "$meta" makes pymilvus call
// .get() on a FieldData and fail with "Unexpected error, message=<get>" before sending.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startWireServer, type WireServer } from './server.js';
import { describeSchema, insertRows, quickSetup, upsertRows, vec } from './flows.js';
import { assertSuccess } from './expect.js';
import { DataType, describeCollectionRequest, dynamicFieldName, dynamicValues, guaranteeAfter, insertRequest, queryRequest, queryRowCount } from './wire.js';

let w: WireServer;
before(async () => { w = await startWireServer(); });
after(async () => { await w?.close(); });

const dim = 4;

test('issue 21 item 1: DescribeCollection of a quick-setup collection lists id and vector only, and reports enable_dynamic_field', async () => {
  await quickSetup(w, 'dyn_describe', dim);
  const d = await w.call('DescribeCollection', describeCollectionRequest('dyn_describe'));
  assertSuccess(d.status, 'DescribeCollection');
  assert.equal(d.schema.enable_dynamic_field, true);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  assert.deepEqual(d.schema.fields.map((f: any) => [f.name, f.data_type, f.is_primary_key, !!f.is_dynamic]), [
    ['id', DataType.Int64, true, false],
    ['vector', DataType.FloatVector, false, false],
  ]);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  assert.deepEqual(d.schema.fields[1].type_params.map((p: any) => [p.key, p.value]), [['dim', String(dim)]]);
});

test('issue 21 item 1: MilvusClient.insert of rows with dynamic keys sends the $meta column and is accepted', async () => {
  await quickSetup(w, 'dyn_insert', dim);
  const schema = await describeSchema(w, 'dyn_insert');
  const rows = [1, 2, 3].map((id) => ({ id, vector: vec(id, dim), color: id === 2 ? 'red' : 'blue', rank: id }));
  // Built exactly as pymilvus builds it from the described schema: this throws where
  // pymilvus fails on its own side.
  const req = insertRequest('dyn_insert', rows, schema);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  assert.deepEqual((req.fields_data as any[]).map((c) => [c.field_name, !!c.is_dynamic]), [['id', false], ['vector', false], [dynamicFieldName, true]]);
  const r = await w.call('Insert', req);
  assertSuccess(r.status, 'Insert');
  assert.equal(Number(r.insert_cnt), 3);
  assert.deepEqual(r.IDs.int_id.data.map(Number), [1, 2, 3]);

  const q = await w.call('Query', queryRequest('dyn_insert', { filter: 'color == "red"', guaranteeTs: guaranteeAfter(r) }));
  assert.equal(queryRowCount(q), 1);
  assert.deepEqual(dynamicValues(q), [{ color: 'red', rank: 2 }]);
});

test('issue 21 item 1: MilvusClient.upsert into a dynamic collection replaces the row, dynamic keys included', async () => {
  await quickSetup(w, 'dyn_upsert', dim);
  await insertRows(w, 'dyn_upsert', [{ id: 7, vector: vec(7, dim), color: 'blue' }]);
  const r = await upsertRows(w, 'dyn_upsert', [{ id: 7, vector: vec(8, dim), color: 'green', size: 3 }]);
  assert.equal(Number(r.upsert_cnt), 1);
  const q = await w.call('Query', queryRequest('dyn_upsert', { filter: 'id == 7', guaranteeTs: guaranteeAfter(r) }));
  assert.equal(queryRowCount(q), 1);
  assert.deepEqual(dynamicValues(q), [{ color: 'green', size: 3 }]);
});
