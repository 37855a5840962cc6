// Extra checks, not among issue 21's nine items: other parts of Milvus 2.6's replies that
// pymilvus 2.6 reads, found while preparing the item tests. Each names the pymilvus
// reader and the Milvus source of the expected value.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startWireServer, type WireServer } from './server.js';
import { insertRows, quickSetup, vec } from './flows.js';
import { assertSuccess } from './expect.js';
import {
  ConsistencyLevel, aliasRequest, createAliasRequest, createCollectionRequest, createDatabaseRequest, describeCollectionRequest,
  describeIndexRequest, quickSetupSchema,
} from './wire.js';

let w: WireServer;
before(async () => { w = await startWireServer(); });
after(async () => { await w?.close(); });

const dim = 4;

test('extra: Connect (pymilvus registers every new connection) answers success and a non-zero identifier', async () => {
  // prepare.py register_request; grpc_handler.py _internal_register reads status and
  // identifier, then sends it as the "identifier" header. Milvus: impl.go Connect
  // answers Identifier = a fresh timestamp.
  const r = await w.call('Connect', { client_info: { sdk_type: 'Python', sdk_version: '2.6.17', local_time: new Date().toISOString(), host: 'test-host', reserved: {} } });
  assertSuccess(r.status, 'Connect');
  assert.notEqual(String(r.identifier), '0');
});

test('extra: DescribeCollection carries what pymilvus\'s describe_collection dict reports', async () => {
  // abstract.py CollectionSchema.__pack reads schema.name, collectionID, shards_num,
  // num_partitions, consistency_level, created/update timestamps, aliases, properties.
  // Milvus: rootcoord create_collection_task.go (shards default common.DefaultShardsNum
  // = 1, one "_default" partition), the quick setup's Bounded level (pymilvus
  // DEFAULT_CONSISTENCY_LEVEL); the database interceptor fills db_name "default".
  await quickSetup(w, 'extra_describe', dim);
  const d = await w.call('DescribeCollection', describeCollectionRequest('extra_describe'));
  assertSuccess(d.status, 'DescribeCollection');
  assert.equal(d.schema.name, 'extra_describe');
  assert.equal(d.collection_name, 'extra_describe');
  assert.equal(d.db_name, 'default');
  assert.notEqual(String(d.collectionID), '0');
  assert.equal(Number(d.shards_num), 1);
  assert.equal(Number(d.num_partitions), 1);
  assert.equal(Number(d.consistency_level), ConsistencyLevel.Bounded);
  assert.notEqual(String(d.created_timestamp), '0');
  assert.notEqual(String(d.update_timestamp), '0');
  assert.deepEqual(d.aliases, []);
});

test('extra: aliases: DescribeCollection through an alias names the real collection and lists the alias; DescribeAlias and ListAliases', async () => {
  await quickSetup(w, 'extra_alias', dim);
  assertSuccess(await w.call('CreateAlias', createAliasRequest('extra_alias', 'extra_alias_a')), 'CreateAlias');
  const d = await w.call('DescribeCollection', describeCollectionRequest('extra_alias_a'));
  assertSuccess(d.status, 'DescribeCollection by alias');
  // pymilvus's describe_collection reports schema.name as collection_name.
  assert.equal(d.schema.name, 'extra_alias');
  assert.deepEqual(d.aliases, ['extra_alias_a']);
  const a = await w.call('DescribeAlias', aliasRequest('extra_alias_a'));
  assertSuccess(a.status, 'DescribeAlias');
  assert.deepEqual([a.alias, a.collection, a.db_name], ['extra_alias_a', 'extra_alias', 'default']);
  const l = await w.call('ListAliases', { collection_name: 'extra_alias', db_name: '' });
  assertSuccess(l.status, 'ListAliases');
  assert.deepEqual(l.aliases, ['extra_alias_a']);
});

test('extra: MilvusClient(db_name=...) sends the database in the dbname header only; the server honours it', async () => {
  // call_context.py: every call carries ("dbname", db_name); requests leave db_name empty.
  assertSuccess(await w.call('CreateDatabase', createDatabaseRequest('extra_app_db')), 'CreateDatabase');
  assertSuccess(await w.call('CreateCollection', createCollectionRequest('extra_in_db', quickSetupSchema(dim)), 'extra_app_db'), 'CreateCollection in extra_app_db');
  const inDb = await w.call('DescribeCollection', describeCollectionRequest('extra_in_db'), 'extra_app_db');
  assertSuccess(inDb.status, 'DescribeCollection in extra_app_db');
  assert.equal(inDb.db_name, 'extra_app_db');
  const shown = await w.call('ShowCollections', {}, 'extra_app_db');
  assertSuccess(shown.status, 'ShowCollections');
  assert.deepEqual(shown.collection_names, ['extra_in_db']);
  const inDefault = await w.call('DescribeCollection', describeCollectionRequest('extra_in_db'));
  assert.notEqual(Number(inDefault.status.error_code), 0, 'the collection is not in the default database');
});

test('extra: the insert reply: succ_index one per row, no err_index, a non-zero timestamp', async () => {
  // abstract.py MutationResult._pack reads succ_index, err_index, timestamp; pymilvus
  // keeps the timestamp as the collection's last write (ts_utils.update_collection_ts)
  // and sends it as guarantee_timestamp on the next search/query. Milvus: task_insert.go
  // sets SuccIndex to 0..n-1; impl.go Insert returns the insert's timestamp.
  await quickSetup(w, 'extra_insert', dim);
  const r = await insertRows(w, 'extra_insert', [0, 1, 2].map((id) => ({ id, vector: vec(id, dim) })));
  assert.deepEqual(r.succ_index, [0, 1, 2]);
  assert.deepEqual(r.err_index, []);
  assert.notEqual(String(r.timestamp), '0');
});

test('extra: describe_index of the quick-setup index: named after the field, AUTOINDEX with the metric as sent, Finished', async () => {
  // Milvus: datacoord names an unnamed index after its field; task_index.go sends back
  // the user's params (wrapUserIndexParams: index_type AUTOINDEX, metric_type) and
  // describe_index reads them into its dict. Milvus's python suite checks
  // list_indexes == ['vector'] after a quick setup (test_milvus_client_collection.py).
  await quickSetup(w, 'extra_index', dim, { metricType: 'IP' });
  const d = await w.call('DescribeIndex', describeIndexRequest('extra_index', ''));
  assertSuccess(d.status, 'DescribeIndex');
  assert.equal(d.index_descriptions.length, 1);
  const one = d.index_descriptions[0];
  assert.equal(one.index_name, 'vector');
  assert.equal(one.field_name, 'vector');
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const params = Object.fromEntries(one.params.map((p: any) => [p.key, p.value]));
  assert.equal(params.index_type, 'AUTOINDEX');
  assert.equal(params.metric_type, 'IP');
  assert.equal(Number(one.state), 3);
});
