// Issue 21 item 4: drops are idempotent in Milvus 2.6.
//
// drop_collection: internal/proxy/task.go dropCollectionTask.PreExecute validates nothing
// ("also permit drop collection one with bad collection name"), and
// internal/rootcoord/drop_collection_task.go Execute returns success when the collection
// or its database is not found ("make dropping collection idempotent").
// drop_alias: task_alias.go DropAliasTask.PreExecute validates nothing; rootcoord
// drop_alias_task.go / meta_table.go DropAlias removes a key that may not be there.
// (Milvus's own python tests for a refused drop of a malformed name are skipped since
// milvus PR 43064: test_milvus_client_collection.py / test_milvus_client_alias.py.)
// drop_partition: rootcoord drop_partition_task.go returns success for a partition that
// does not exist; the proxy (task.go dropPartitionTask.PreExecute) still needs the
// collection (100 when it is missing) and a well-formed partition name.
// drop_index: internal/datacoord/index_service.go DropIndex returns success when no index
// has the name; the proxy (task_index.go dropIndexTask.PreExecute) still needs the
// collection.
// drop_database: rootcoord meta_table.go DropDatabase returns success for a missing database.
import { after, before, test } from 'node:test';
import { startWireServer, type WireServer } from './server.js';
import { quickSetup } from './flows.js';
import { assertError, assertSuccess } from './expect.js';
import { aliasRequest, createAliasRequest, createCollectionRequest, dropCollectionRequest, dropDatabaseRequest, dropIndexRequest, partitionRequest, quickSetupSchema } from './wire.js';

let w: WireServer;
before(async () => { w = await startWireServer(); });
after(async () => { await w?.close(); });

test('issue 21 item 4: dropping a collection that does not exist succeeds, whatever its name', async () => {
  assertSuccess(await w.call('DropCollection', dropCollectionRequest('never_created')), 'DropCollection never_created');
  // No name check on this path: a name Milvus would never create is simply not there.
  assertSuccess(await w.call('DropCollection', dropCollectionRequest('12-s')), 'DropCollection 12-s');
  // A database that does not exist: also "not found", also success.
  assertSuccess(await w.call('DropCollection', dropCollectionRequest('never_created'), 'no_such_db'), 'DropCollection in a missing database');
});

test('issue 21 item 4: dropping a collection twice succeeds both times', async () => {
  await quickSetup(w, 'drop_twice', 4);
  assertSuccess(await w.call('DropCollection', dropCollectionRequest('drop_twice')), 'first drop');
  assertSuccess(await w.call('DropCollection', dropCollectionRequest('drop_twice')), 'second drop');
});

test('issue 21 item 4: dropping a partition that does not exist succeeds; the collection must exist', async () => {
  // Not loaded: Milvus refuses to drop a loaded partition, and a partition created in a
  // loaded collection is loaded (task.go createPartitionTask → SyncNewCreatedPartition).
  assertSuccess(await w.call('CreateCollection', createCollectionRequest('drop_part', quickSetupSchema(4))), 'CreateCollection');
  assertSuccess(await w.call('DropPartition', partitionRequest('drop_part', 'never_created')), 'DropPartition never_created');
  assertSuccess(await w.call('CreatePartition', partitionRequest('drop_part', 'p1')), 'CreatePartition p1');
  assertSuccess(await w.call('DropPartition', partitionRequest('drop_part', 'p1')), 'DropPartition p1');
  assertSuccess(await w.call('DropPartition', partitionRequest('drop_part', 'p1')), 'DropPartition p1 again');
  // Not idempotent: the collection must exist (its message is item 3's, item3-codes.test.ts).
  assertError(await w.call('DropPartition', partitionRequest('drop_part_missing', 'p1')), { code: 100, reason: /drop_part_missing/ }, 'DropPartition in a missing collection');
});

test('issue 21 item 4: dropping an alias that does not exist succeeds, whatever its name', async () => {
  assertSuccess(await w.call('DropAlias', aliasRequest('never_created_alias')), 'DropAlias never_created_alias');
  assertSuccess(await w.call('DropAlias', aliasRequest('12-s')), 'DropAlias 12-s');
  await quickSetup(w, 'drop_alias_coll', 4);
  assertSuccess(await w.call('CreateAlias', createAliasRequest('drop_alias_coll', 'a1')), 'CreateAlias');
  assertSuccess(await w.call('DropAlias', aliasRequest('a1')), 'DropAlias a1');
  assertSuccess(await w.call('DropAlias', aliasRequest('a1')), 'DropAlias a1 again');
});

test('issue 21 item 4: dropping an index that does not exist succeeds; the collection must exist', async () => {
  await quickSetup(w, 'drop_index', 4);
  assertSuccess(await w.call('DropIndex', dropIndexRequest('drop_index', 'never_created_index')), 'DropIndex never_created_index');
  // Not idempotent: the collection must exist.
  assertError(await w.call('DropIndex', dropIndexRequest('drop_index_missing', 'idx')), { code: 100, reason: /drop_index_missing/ }, 'DropIndex in a missing collection');
});

test('issue 21 item 4: dropping a database that does not exist succeeds', async () => {
  assertSuccess(await w.call('DropDatabase', dropDatabaseRequest('never_created_db')), 'DropDatabase never_created_db');
});
