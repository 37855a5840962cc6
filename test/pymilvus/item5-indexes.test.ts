// Issue 21 item 5: indexes as pymilvus 2.6 creates them against Milvus 2.6.
//
// JSON-path indexes: internal/proxy/task_index.go createIndexTask.parseIndexParams
// upper-cases json_cast_type and fills json_path with the field name when it is absent;
// getIndexedFieldAndFunction resolves a name that is not a field to the dynamic field
// (pkg/util/typeutil/schema.go GetFieldFromNameDefaultJSON), so create_index("color",
// ...) indexes $meta["color"]. internal/util/indexparamcheck/inverted_checker.go requires
// json_cast_type (BOOL, DOUBLE, VARCHAR, ARRAY_BOOL, ARRAY_DOUBLE, ARRAY_VARCHAR, JSON).
// internal/datacoord/index_service.go CreateIndex turns json_path into a JSON pointer
// (internal/util/typeutil/json_util.go ParseAndVerifyNestedPath) and names an unnamed
// index field name + pointer ("meta/a/b", "$meta/color"); index_meta.go canCreateIndex
// allows several indexes on one JSON field when their json_path differs, refuses a second
// index on the same path ("creating multiple indexes on same field is not supported"),
// and a reused name with other params ("at most one distinct index is allowed per
// field"); the same request again is accepted. DescribeIndex (task_index.go
// describeIndexTask.Execute) answers the user's own params and, for the dynamic field,
// the first key of the path as field_name. Milvus's python suite checks exactly these
// names: tests/python_client/milvus_client/test_milvus_client_index.py
// test_milvus_client_json_path_index_default ("my_json/a/b", "$meta/my_json/a/b").
//
// Ignored params: scalar checkers (indexparamcheck/scalar_index_checker.go,
// bitmap_index_checker.go, auto_index_checker.go) check no params at all; a scalar
// AUTOINDEX takes its type from config and never looks at metric_type; knowhere ignores
// keys a vector index does not use (Milvus's own tests build BIN_FLAT with nlist=128).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startWireServer, type WireServer } from './server.js';
import { createIndexAndWait, insertRows, loadAndWait, vec } from './flows.js';
import { assertError, assertSuccess } from './expect.js';
import {
  DataType, LegacyCode, createCollectionRequest, createIndexRequest, describeIndexRequest, queryRequest, queryRowCount,
  guaranteeAfter, type SchemaSpec,
} from './wire.js';

let w: WireServer;
before(async () => { w = await startWireServer(); });
after(async () => { await w?.close(); });

const dim = 4;
const schema: SchemaSpec = {
  enableDynamicField: true,
  fields: [
    { name: 'id', type: DataType.Int64, isPrimary: true },
    { name: 'vector', type: DataType.FloatVector, params: { dim } },
    { name: 'meta', type: DataType.JSON },
    { name: 'title', type: DataType.VarChar, params: { max_length: 32 } },
    { name: 'n', type: DataType.Int64 },
    { name: 'bits', type: DataType.BinaryVector, params: { dim: 16 } },
  ],
};

async function fresh(name: string): Promise<void> {
  assertSuccess(await w.call('CreateCollection', createCollectionRequest(name, schema)), 'CreateCollection');
}

/** grpc_handler.py describe_index: the one description, its params as a dict. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function describeIndex(collection: string, indexName: string): Promise<Record<string, any>> {
  const d = await w.call('DescribeIndex', describeIndexRequest(collection, indexName));
  assertSuccess(d.status, `DescribeIndex ${indexName}`);
  assert.equal(d.index_descriptions.length, 1, `one description for ${indexName}`);
  const one = d.index_descriptions[0];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return { ...Object.fromEntries(one.params.map((p: any) => [p.key, p.value])), field_name: one.field_name, index_name: one.index_name };
}

test('issue 21 item 5: several JSON-path indexes on one JSON field, each found by its default name', async () => {
  await fresh('json_paths');
  await createIndexAndWait(w, 'json_paths', 'meta', { indexType: 'INVERTED', params: { json_cast_type: 'double', json_path: "meta['a']['b']" } });
  await createIndexAndWait(w, 'json_paths', 'meta', { indexType: 'INVERTED', params: { json_cast_type: 'varchar', json_path: "meta['tag']" } });
  await createIndexAndWait(w, 'json_paths', 'meta', { indexType: 'INVERTED', params: { json_cast_type: 'double', json_path: "meta['a'][0]" } });
  const ab = await describeIndex('json_paths', 'meta/a/b');
  assert.deepEqual(ab, { json_cast_type: 'double', json_path: "meta['a']['b']", index_type: 'INVERTED', field_name: 'meta', index_name: 'meta/a/b' });
  assert.equal((await describeIndex('json_paths', 'meta/tag')).json_cast_type, 'varchar');
  assert.equal((await describeIndex('json_paths', 'meta/a/0')).json_path, "meta['a'][0]");
  // The same request again is accepted (datacoord returns the existing index).
  assertSuccess(await w.call('CreateIndex', createIndexRequest('json_paths', 'meta', { indexType: 'INVERTED', params: { json_cast_type: 'double', json_path: "meta['a']['b']" } })), 'same index again');
});

test('issue 21 item 5: one index per JSON path: another cast type on the same path is refused', async () => {
  await fresh('json_same_path');
  await createIndexAndWait(w, 'json_same_path', 'meta', { indexType: 'INVERTED', indexName: 'by_a', params: { json_cast_type: 'double', json_path: "meta['a']" } });
  const otherName = await w.call('CreateIndex', createIndexRequest('json_same_path', 'meta', { indexType: 'INVERTED', indexName: 'by_a2', params: { json_cast_type: 'varchar', json_path: "meta['a']" } }));
  assertError(otherName, { code: 65535, reason: /CreateIndex failed: creating multiple indexes on same field is not supported/ }, 'same path, other name');
  const sameName = await w.call('CreateIndex', createIndexRequest('json_same_path', 'meta', { indexType: 'INVERTED', indexName: 'by_a', params: { json_cast_type: 'varchar', json_path: "meta['a']" } }));
  assertError(sameName, { code: 65535, reason: /CreateIndex failed: at most one distinct index is allowed per field/ }, 'same path, same name, other cast');
});

test('issue 21 item 5: a JSON-path index on a key of the dynamic field, by the key\'s name or by $meta["key"]', async () => {
  await fresh('json_dynamic');
  // bits is a BinaryVector of dim 16: two bytes per row, as pymilvus takes bytes.
  const rows = [1, 2, 3].map((id) => ({ id, vector: vec(id, dim), meta: { a: { b: id } }, title: `t${id}`, n: id, bits: Buffer.from([id, 0]), color: id === 2 ? 'red' : 'blue', size: id }));
  // The $meta index first: pymilvus's create_index then waits on a description whose
  // field_name is what it sent, and with two dynamic-key indexes there would be no
  // "$meta" one (Milvus reports the key), which pymilvus takes for an ambiguous name.
  await createIndexAndWait(w, 'json_dynamic', '$meta', { indexType: 'INVERTED', params: { json_cast_type: 'double', json_path: '$meta["size"]' } });
  await createIndexAndWait(w, 'json_dynamic', 'color', { indexType: 'INVERTED', params: { json_cast_type: 'varchar' } });
  const byKey = await describeIndex('json_dynamic', '$meta/color');
  assert.equal(byKey.field_name, 'color');
  assert.equal(byKey.index_name, '$meta/color');
  assert.equal(byKey.json_cast_type, 'varchar');
  const byMeta = await describeIndex('json_dynamic', '$meta/size');
  assert.equal(byMeta.field_name, 'size');
  assert.equal(byMeta.json_path, '$meta["size"]');
  // The indexed keys still filter.
  await createIndexAndWait(w, 'json_dynamic', 'vector', { indexType: 'AUTOINDEX', metricType: 'COSINE' });
  await createIndexAndWait(w, 'json_dynamic', 'bits', { indexType: 'BIN_FLAT', metricType: 'HAMMING' });
  await loadAndWait(w, 'json_dynamic');
  const ins = await insertRows(w, 'json_dynamic', rows);
  const q = await w.call('Query', queryRequest('json_dynamic', { filter: 'color == "red" and size >= 2', outputFields: ['id'], guaranteeTs: guaranteeAfter(ins) }));
  assert.equal(queryRowCount(q), 1);
});

test('issue 21 item 5: a JSON index needs json_cast_type (1100), and only the supported ones', async () => {
  await fresh('json_cast');
  const noCast = await w.call('CreateIndex', createIndexRequest('json_cast', 'meta', { indexType: 'INVERTED', params: { json_path: "meta['a']" } }));
  assertError(noCast, {
    code: 1100,
    reason: /json index must specify cast type: missing parameter\[missing_param=json_cast_type\]: invalid parameter\[expected=valid index params\]\[actual=invalid index params\]/,
  }, 'no json_cast_type');
  const badCast = await w.call('CreateIndex', createIndexRequest('json_cast', 'meta', { indexType: 'INVERTED', params: { json_cast_type: 'int', json_path: "meta['a']" } }));
  assertError(badCast, { code: 1100, reason: /json_cast_type INT is not supported/ }, 'json_cast_type int');
  // No json_path: the whole field, named after it.
  await createIndexAndWait(w, 'json_cast', 'meta', { indexType: 'INVERTED', params: { json_cast_type: 'JSON' } });
  assert.equal((await describeIndex('json_cast', 'meta')).json_cast_type, 'JSON');
});

test('issue 21 item 5: describe_index of a name that does not exist is 700 / IndexNotExist (pymilvus returns None)', async () => {
  await fresh('index_missing');
  const d = await w.call('DescribeIndex', describeIndexRequest('index_missing', 'no_such_index'));
  assertError(d.status, { code: 700, errorCode: LegacyCode.IndexNotExist, reason: /index not found\[indexName=no_such_index\]/ }, 'DescribeIndex no_such_index');
});

test('issue 21 item 5: parameters Milvus ignores are accepted: nlist on FLAT and BIN_FLAT, tokenizer on BITMAP and AUTOINDEX, metric_type on a scalar AUTOINDEX', async () => {
  await fresh('ignored_params');
  await createIndexAndWait(w, 'ignored_params', 'vector', { indexType: 'FLAT', metricType: 'L2', params: { nlist: 128 } });
  await createIndexAndWait(w, 'ignored_params', 'bits', { indexType: 'BIN_FLAT', metricType: 'JACCARD', params: { nlist: 128 } });
  await createIndexAndWait(w, 'ignored_params', 'title', { indexType: 'BITMAP', params: { tokenizer: 'standard' } });
  await createIndexAndWait(w, 'ignored_params', 'n', { indexType: 'AUTOINDEX', metricType: 'L2' });
  await fresh('ignored_params2');
  await createIndexAndWait(w, 'ignored_params2', 'title', { indexType: 'AUTOINDEX', params: { tokenizer: 'standard' } });
});
