// Issue 21 item 9: MilvusClient.drop_database_properties(db, property_keys).
//
// pymilvus sends an AlterDatabaseRequest with delete_keys only (prepare.py
// drop_database_properties_req). Milvus: internal/proxy/task_database.go
// alterDatabaseTask passes delete_keys to rootcoord; internal/rootcoord/
// alter_database_task.go Execute removes those keys from the database's properties
// (DeleteProperties: keys not set are simply not there) and refuses a request that sets
// properties and deletes keys at once. A database that does not exist is
// merr.WrapErrDatabaseNotFound: 800 "database not found[database=x]".
// The same shape for collections, drop_collection_properties (AlterCollectionRequest with
// delete_keys; rootcoord alter_collection_task.go), is checked here too.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startWireServer, type WireServer } from './server.js';
import { quickSetup } from './flows.js';
import { assertError, assertSuccess } from './expect.js';
import { alterDatabaseRequest, createDatabaseRequest, describeCollectionRequest, describeDatabaseRequest, dropDatabasePropertiesRequest } from './wire.js';

let w: WireServer;
before(async () => { w = await startWireServer(); });
after(async () => { await w?.close(); });

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const props = (list: any[] | undefined) => Object.fromEntries((list ?? []).map((p) => [p.key, p.value]));

test('issue 21 item 9: drop_database_properties removes the keys; absent keys are no error', async () => {
  assertSuccess(await w.call('CreateDatabase', createDatabaseRequest('props_db')), 'CreateDatabase');
  assertSuccess(await w.call('AlterDatabase', alterDatabaseRequest('props_db', { 'database.max.collections': 10, 'database.diskQuota.mb': 1024 })), 'alter_database_properties');
  const before = await w.call('DescribeDatabase', describeDatabaseRequest('props_db'));
  assertSuccess(before.status, 'DescribeDatabase');
  assert.equal(props(before.properties)['database.max.collections'], '10');

  assertSuccess(await w.call('AlterDatabase', dropDatabasePropertiesRequest('props_db', ['database.max.collections'])), 'drop_database_properties');
  const after = await w.call('DescribeDatabase', describeDatabaseRequest('props_db'));
  assertSuccess(after.status, 'DescribeDatabase');
  assert.equal('database.max.collections' in props(after.properties), false);
  assert.equal(props(after.properties)['database.diskQuota.mb'], '1024');

  assertSuccess(await w.call('AlterDatabase', dropDatabasePropertiesRequest('props_db', ['never.set'])), 'drop a key that is not set');
});

test('issue 21 item 9: drop_database_properties on a database that does not exist is 800', async () => {
  assertError(await w.call('AlterDatabase', dropDatabasePropertiesRequest('gone_db', ['database.max.collections'])), {
    code: 800, reason: /database not found\[database=gone_db\]/,
  }, 'drop_database_properties gone_db');
});

test('issue 21 item 9: drop_collection_properties (AlterCollection with delete_keys) removes the keys', async () => {
  await quickSetup(w, 'props_coll', 4);
  assertSuccess(await w.call('AlterCollection', { collection_name: 'props_coll', properties: [{ key: 'collection.ttl.seconds', value: '3600' }] }), 'alter_collection_properties');
  assertSuccess(await w.call('AlterCollection', { collection_name: 'props_coll', properties: [], delete_keys: ['collection.ttl.seconds'] }), 'drop_collection_properties');
  const d = await w.call('DescribeCollection', describeCollectionRequest('props_coll'));
  assertSuccess(d.status, 'DescribeCollection');
  assert.equal('collection.ttl.seconds' in props(d.properties), false);
});
