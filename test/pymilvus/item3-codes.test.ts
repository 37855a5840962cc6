// Issue 21 item 3 (codes): the codes and texts Milvus 2.6 answers for things that do not
// exist and for schemas it refuses, which programs and Milvus's own test suites match.
//
// Not found: merr (pkg/util/merr/utils.go) WrapErrCollectionNotFoundWithDB →
// "collection not found[database=D][collection=X]", code 100; Status() maps code 100 to
// the legacy error_code CollectionNotExists. DescribeCollection answers differently
// (internal/proxy/service_provider.go CachedProxyServiceProvider.DescribeCollection, the
// 2.6 default): reason "can't find collection[database=D][collection=X]", error_code
// CollectionNotExists, and the merr code left unset (0); the non-cached path
// (task.go describeCollectionTask.Execute) keeps code 100 and sets error_code
// UnexpectedError. pymilvus's has_collection treats both as false. Query validates the
// name before the lookup (task_query.go PreExecute); Search does not (task_search.go
// PreExecute goes straight to GetCollectionID), so a malformed name there is "not found".
//
// Schemas: createCollectionTask.PreExecute (internal/proxy/task.go) and its validators in
// util.go. Only some use merr codes: no vector field and max_length out of range are 1100
// (WrapErrParameterInvalidMsg); the others are plain errors, which merr.Status turns into
// code 65535 (errUnexpected). Code 105 (illegal collection schema) is not used for any of
// these. (Milvus's python suite expects 65535 for the dimension cases too:
// tests/python_client/milvus_client/test_milvus_client_collection.py
// test_milvus_client_collection_invalid_dim.)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startWireServer, type WireServer } from './server.js';
import { quickSetup, vec } from './flows.js';
import { assertError, assertSuccess, lit } from './expect.js';
import {
  DataType, LegacyCode, createCollectionRequest, createIndexRequest, describeCollectionRequest, describeDatabaseRequest,
  describeIndexRequest, hasCollectionFromDescribe, hybridSearchRequest, loadCollectionRequest, partitionRequest, queryRequest,
  quickSetupSchema, searchRequest, type FieldSpec, type SchemaSpec,
} from './wire.js';

let w: WireServer;
before(async () => { w = await startWireServer(); });
after(async () => { await w?.close(); });

const notFound = (name: string) => ({ code: 100, errorCode: LegacyCode.CollectionNotExists, reason: new RegExp(`collection not found\\[database=default\\]\\[collection=${lit(name)}\\]`) });

test('issue 21 item 3: DescribeCollection of a missing collection answers "can\'t find collection[database=default][collection=x]"; has_collection is false', async () => {
  const d = await w.call('DescribeCollection', describeCollectionRequest('gone_coll'));
  const s = d.status;
  assert.equal(Number(s.error_code), LegacyCode.CollectionNotExists, JSON.stringify(s));
  // 0 from Milvus's default (cached) provider, 100 from its task path; both read as "missing".
  assert.ok([0, 100].includes(Number(s.code)), `code ${s.code}`);
  assert.match(String(s.reason), /can't find collection\[database=default\]\[collection=gone_coll\]/);
  assert.equal(hasCollectionFromDescribe(d), false);
});

test('issue 21 item 3: Query of a missing collection is 100 "collection not found[database=default][collection=x]"; a malformed name is 1100 first', async () => {
  const q = await w.call('Query', queryRequest('gone_coll', { filter: 'id > 0' }));
  assertError(q.status, notFound('gone_coll'), 'Query gone_coll');
  const bad = await w.call('Query', queryRequest('1abc', { filter: 'id > 0' }));
  assertError(bad.status, { code: 1100, reason: /Invalid collection name: 1abc\.\s+the first character of a collection name must be an underscore or letter/ }, 'Query 1abc');
});

test('issue 21 item 3: Search and HybridSearch look the name up without validating it: 100 collection not found', async () => {
  for (const name of ['gone_coll', '1abc']) {
    const s = await w.call('Search', searchRequest(name, { data: [vec(0, 4)] }));
    assertError(s.status, notFound(name), `Search ${name}`);
    const h = await w.call('HybridSearch', hybridSearchRequest(name, [
      { data: [vec(0, 4)], annsField: 'vector', param: { metric_type: 'COSINE' }, limit: 5 },
      { data: [vec(1, 4)], annsField: 'vector', param: { metric_type: 'COSINE' }, limit: 5 },
    ]));
    assertError(h.status, notFound(name), `HybridSearch ${name}`);
  }
});

test('issue 21 item 3: load, create_index, describe_index and drop_partition on a missing collection: 100 collection not found', async () => {
  assertError(await w.call('LoadCollection', loadCollectionRequest('gone_coll')), notFound('gone_coll'), 'LoadCollection');
  assertError(await w.call('CreateIndex', createIndexRequest('gone_coll', 'vector', { indexType: 'AUTOINDEX', metricType: 'COSINE' })), notFound('gone_coll'), 'CreateIndex');
  assertError((await w.call('DescribeIndex', describeIndexRequest('gone_coll', ''))).status, notFound('gone_coll'), 'DescribeIndex');
  assertError(await w.call('DropPartition', partitionRequest('gone_coll', 'p1')), notFound('gone_coll'), 'DropPartition');
});

test('issue 21 item 3: a database that does not exist is 800 "database not found[database=x]"', async () => {
  const d = await w.call('DescribeDatabase', describeDatabaseRequest('gone_db'));
  assertError(d.status, { code: 800, reason: /database not found\[database=gone_db\]/ }, 'DescribeDatabase gone_db');
});

const pk: FieldSpec = { name: 'id', type: DataType.Int64, isPrimary: true };
const vector: FieldSpec = { name: 'vector', type: DataType.FloatVector, params: { dim: 4 } };
const schemaOf = (...fields: FieldSpec[]): SchemaSpec => ({ enableDynamicField: false, fields });

test('issue 21 item 3: refused schemas answer Milvus\'s codes (1100 or 65535, never 105) and texts', async () => {
  const cases: Array<[string, SchemaSpec, number, RegExp]> = [
    ['no vector field', schemaOf(pk, { name: 'n', type: DataType.Int64 }), 1100, /schema does not contain vector field/],
    ['duplicated field name', schemaOf(pk, vector, { name: 'n', type: DataType.Int64 }, { name: 'n', type: DataType.Int32 }), 65535, /duplicated field name n found/],
    ['no primary key', schemaOf({ name: 'n', type: DataType.Int64 }, vector), 65535, /primary key is not specified/],
    ['two primary keys', schemaOf(pk, { name: 'id2', type: DataType.Int64, isPrimary: true }, vector), 65535, /there are more than one primary key, field name = id, id2/],
    ['auto_id on a non-key field', schemaOf(pk, { name: 'n', type: DataType.Int64, autoId: true }, vector), 65535, /only primary field can speficy AutoID with true, field name = n/],
    ['varchar without max_length', schemaOf(pk, vector, { name: 'title', type: DataType.VarChar }), 65535, /type param\(max_length\) should be specified for the field\(title\) of collection bad_schema_6/],
    ['max_length over 65535', schemaOf(pk, vector, { name: 'title', type: DataType.VarChar, params: { max_length: 70000 } }), 1100, /the maximum length specified for the field\(title\) should be in \(0, 65535\], but got 70000 instead/],
    ['dim 1', schemaOf(pk, { name: 'vector', type: DataType.FloatVector, params: { dim: 1 } }), 65535, /invalid dimension: 1\. should be in range 2 ~ 32768/],
    ['dim 32769', schemaOf(pk, { name: 'vector', type: DataType.FloatVector, params: { dim: 32769 } }), 65535, /invalid dimension: 32769 of field vector\. float vector dimension should be in range 2 ~ 32768/],
    ['array without max_capacity', schemaOf(pk, vector, { name: 'tags', type: DataType.Array, elementType: DataType.Int64 }), 65535, /type param\(max_capacity\) should be specified for array field tags of collection bad_schema_10/],
  ];
  for (const [i, [what, schema, code, reason]] of cases.entries()) {
    const s = await w.call('CreateCollection', createCollectionRequest(`bad_schema_${i + 1}`, schema));
    assertError(s, { code, reason }, what);
  }
});

test('issue 21 item 3: creating an existing collection again with another schema is refused; with the same schema it succeeds', async () => {
  await quickSetup(w, 'twice', 4);
  // internal/rootcoord/create_collection_task.go: the same request again is accepted
  // (existedCollInfo.Equal); another schema is a plain error (65535).
  assertSuccess(await w.call('CreateCollection', createCollectionRequest('twice', quickSetupSchema(4))), 'CreateCollection twice, same schema');
  // A quick-setup schema has the dynamic field on; this one has not: different parameters.
  const other = await w.call('CreateCollection', createCollectionRequest('twice', schemaOf(pk, vector)));
  assertError(other, { code: 65535, reason: /create duplicate collection with different parameters, collection: twice/ }, 'CreateCollection twice, other schema');
});
