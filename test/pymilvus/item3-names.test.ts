// Issue 21 item 3 (names): Milvus checks a name's form before it looks the name up, and
// answers with its own code and text. The codes differ by kind of name; they are what
// Milvus 2.6's proxy returns (internal/proxy/util.go, pkg/util/merr):
//   collection, alias: validateCollectionNameOrAlias → merr.WrapErrParameterInvalidMsg:
//     code 1100 (error_code IllegalArgument), "Invalid collection name: X. <rule>: invalid parameter"
//   field:     validateFieldName → merr.WrapErrFieldNameInvalid: code 1701,
//     "Invalid field name: X. <rule>.: field name invalid[field=X]"; reserved words are
//     pkg/common/keywords.go FieldNameKeywords ("X is keyword in milvus.")
//   partition: validatePartitionTag → a plain error: code 65535 (errUnexpected),
//     error_code UnexpectedError, "Invalid partition name: X. <rule>."
//   index:     validateIndexName → a plain error: code 65535, "Invalid index name: X. <rule>."
//   database:  ValidateDatabaseName → merr.WrapErrDatabaseNameInvalid: code 802,
//     "<rule>: invalid database name[database=X]"
// Which RPC checks what, and in which order (internal/proxy/task*.go PreExecute):
// DescribeCollection and HasCollection validate the collection name first (so pymilvus's
// has_collection, which sends DescribeCollection, raises instead of answering false);
// HasPartition validates collection then partition name; CreatePartition validates the
// collection name, looks the collection up, then validates the partition name;
// CreateIndex looks the collection up before it validates the index name; drops validate
// nothing (item 4). Note: Milvus's python tests compare messages only (check/func_check.py
// assert_exception ignores err_code), so the codes here come from the Go source.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startWireServer, type WireServer } from './server.js';
import { quickSetup } from './flows.js';
import { assertError, assertSuccess, lit } from './expect.js';
import {
  DataType, LegacyCode, MilvusException, aliasRequest, createAliasRequest, createCollectionRequest, createDatabaseRequest,
  createIndexRequest, describeCollectionRequest, dropDatabaseRequest, hasCollectionFromDescribe, partitionRequest,
  quickSetupSchema, type SchemaSpec,
} from './wire.js';

let w: WireServer;
before(async () => { w = await startWireServer(); });
after(async () => { await w?.close(); });

const invalidCollection = (name: string, rule: RegExp | string) => ({
  code: 1100,
  errorCode: LegacyCode.IllegalArgument,
  reason: new RegExp(`Invalid collection name: ${lit(name)}\\.\\s+${typeof rule === 'string' ? lit(rule) : rule.source}`),
});

test('issue 21 item 3: CreateCollection refuses a malformed collection name with 1100 and Milvus\'s text', async () => {
  const cases: Array<[string, string]> = [
    ['1abc', 'the first character of a collection name must be an underscore or letter'],
    ['a-b', 'collection name can only contain numbers, letters and underscores'],
    ['x'.repeat(256), 'the length of a collection name must be less than 255 characters'],
  ];
  for (const [name, rule] of cases) {
    const s = await w.call('CreateCollection', createCollectionRequest(name, quickSetupSchema(4)));
    assertError(s, invalidCollection(name, rule), `CreateCollection ${name.slice(0, 12)}`);
  }
});

test('issue 21 item 3: has_collection (DescribeCollection) with a malformed name is an error, not false', async () => {
  const d = await w.call('DescribeCollection', describeCollectionRequest('1abc'));
  assertError(d.status, invalidCollection('1abc', 'the first character of a collection name must be an underscore or letter'), 'DescribeCollection 1abc');
  assert.throws(() => hasCollectionFromDescribe(d), (e: unknown) => e instanceof MilvusException && e.code === 1100);
});

test('issue 21 item 3: the HasCollection RPC validates the name first; a well-formed missing name is false', async () => {
  const bad = await w.call('HasCollection', { collection_name: 'a b' });
  assertError(bad.status, invalidCollection('a b', 'collection name can only contain numbers, letters and underscores'), 'HasCollection "a b"');
  const missing = await w.call('HasCollection', { collection_name: 'no_such_coll' });
  assertSuccess(missing.status, 'HasCollection no_such_coll');
  assert.equal(missing.value, false);
});

test('issue 21 item 3: has_partition with a malformed collection or partition name is an error, not false', async () => {
  await quickSetup(w, 'names_part', 4);
  const badColl = await w.call('HasPartition', partitionRequest('1abc', 'p1'));
  assertError(badColl.status, invalidCollection('1abc', 'the first character of a collection name must be an underscore or letter'), 'HasPartition 1abc');
  const badPart = await w.call('HasPartition', partitionRequest('names_part', 'p$q'));
  assertError(badPart.status, { code: 65535, errorCode: LegacyCode.UnexpectedError, reason: /Invalid partition name: p\$q\. Partition name can only contain numbers, letters and underscores/ }, 'HasPartition p$q');
  const firstChar = await w.call('HasPartition', partitionRequest('names_part', '$p'));
  assertError(firstChar.status, { code: 65535, reason: /Invalid partition name: \$p\. The first character of a partition name must be an underscore or letter/ }, 'HasPartition $p');
  const empty = await w.call('HasPartition', partitionRequest('names_part', ''));
  assertError(empty.status, { code: 65535, reason: /Invalid partition name: \. Partition name should not be empty/ }, 'HasPartition ""');
  const ok = await w.call('HasPartition', partitionRequest('names_part', 'p_missing'));
  assertSuccess(ok.status, 'HasPartition p_missing');
  assert.equal(ok.value, false);
});

test('issue 21 item 3: CreatePartition looks the collection up before it checks the partition name', async () => {
  const s = await w.call('CreatePartition', partitionRequest('no_such_coll', 'p$q'));
  assertError(s, { code: 100, reason: /collection not found\[database=default\]\[collection=no_such_coll\]/ }, 'CreatePartition on a missing collection');
  await quickSetup(w, 'names_part2', 4);
  const bad = await w.call('CreatePartition', partitionRequest('names_part2', 'p$q'));
  assertError(bad, { code: 65535, reason: /Invalid partition name: p\$q\. Partition name can only contain numbers, letters and underscores/ }, 'CreatePartition p$q');
});

test('issue 21 item 3: alias names follow the collection-name rule (1100, "Invalid collection alias")', async () => {
  await quickSetup(w, 'names_alias', 4);
  const reason = /Invalid collection alias: 1al\.\s+the first character of a collection alias must be an underscore or letter/;
  assertError(await w.call('CreateAlias', createAliasRequest('names_alias', '1al')), { code: 1100, errorCode: LegacyCode.IllegalArgument, reason }, 'CreateAlias 1al');
  const d = await w.call('DescribeAlias', aliasRequest('1al'));
  assertError(d.status, { code: 1100, reason }, 'DescribeAlias 1al');
  const missing = await w.call('DescribeAlias', aliasRequest('no_such_alias'));
  assertError(missing.status, { code: 1600, reason: /alias not found\[database=default\]\[alias=no_such_alias\]/ }, 'DescribeAlias no_such_alias');
});

function withField(name: string): SchemaSpec {
  return { enableDynamicField: false, fields: [{ name: 'id', type: DataType.Int64, isPrimary: true }, { name: 'vector', type: DataType.FloatVector, params: { dim: 4 } }, { name, type: DataType.Int64 }] };
}

test('issue 21 item 3: a malformed field name is refused with 1701 "field name invalid"', async () => {
  const cases: Array<[string, string]> = [
    ['1f', 'The first character of a field name must be an underscore or letter.'],
    ['f-g', 'Field name can only contain numbers, letters, and underscores.'],
    ['$meta', 'The first character of a field name must be an underscore or letter.'],
  ];
  for (const [i, [name, rule]] of cases.entries()) {
    const s = await w.call('CreateCollection', createCollectionRequest(`names_field_${i}`, withField(name)));
    assertError(s, { code: 1701, reason: new RegExp(`Invalid field name: ${lit(name)}\\. ${lit(rule)}.*field name invalid\\[field=${lit(name)}\\]`) }, `field ${name}`);
  }
});

test('issue 21 item 3: reserved keywords are refused as field names', async () => {
  // A sample of pkg/common/keywords.go FieldNameKeywords: operators, literals, functions.
  const words = ['like', 'and', 'or', 'not', 'in', 'exists', 'true', 'FALSE', 'json_contains', 'ARRAY_CONTAINS_ANY', 'array_length', 'text_match', 'phrase_match', 'random_sample'];
  for (const [i, kw] of words.entries()) {
    const s = await w.call('CreateCollection', createCollectionRequest(`names_kw_${i}`, withField(kw)));
    assertError(s, { code: 1701, reason: new RegExp(`Invalid field name: ${lit(kw)}\\. ${lit(kw)} is keyword in milvus\\..*field name invalid\\[field=${lit(kw)}\\]`) }, `keyword ${kw}`);
  }
  // Not every word is reserved: "like_count" and "Like" are ordinary names.
  assertSuccess(await w.call('CreateCollection', createCollectionRequest('names_kw_ok', withField('like_count'))), 'field like_count');
});

test('issue 21 item 3: CreateIndex looks the collection up first, then refuses a malformed index name (65535)', async () => {
  const missing = await w.call('CreateIndex', createIndexRequest('no_such_coll', 'vector', { indexName: '1idx', indexType: 'FLAT', metricType: 'L2' }));
  assertError(missing, { code: 100, reason: /collection not found\[database=default\]\[collection=no_such_coll\]/ }, 'CreateIndex on a missing collection');
  assertSuccess(await w.call('CreateCollection', createCollectionRequest('names_index', quickSetupSchema(4))), 'CreateCollection');
  const bad = await w.call('CreateIndex', createIndexRequest('names_index', 'vector', { indexName: '1idx', indexType: 'FLAT', metricType: 'L2' }));
  assertError(bad, { code: 65535, reason: /Invalid index name: 1idx\. The first character of a index name must be an underscore or letter\./ }, 'CreateIndex 1idx');
});

test('issue 21 item 3: database names are checked by create and drop (802 "invalid database name")', async () => {
  assertError(await w.call('CreateDatabase', createDatabaseRequest('1db')), {
    code: 802,
    reason: /the first character of a database name must be an underscore or letter: invalid database name\[database=1db\]/,
  }, 'CreateDatabase 1db');
  assertError(await w.call('DropDatabase', dropDatabaseRequest('a-b')), {
    code: 802,
    reason: /database name can only contain numbers, letters and underscores: invalid database name\[database=a-b\]/,
  }, 'DropDatabase a-b');
});
