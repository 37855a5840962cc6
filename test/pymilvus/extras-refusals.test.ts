// Extra checks, not among issue 21's nine items: the drops Milvus 2.6 does refuse, with
// its codes and texts. Most are plain errors in Milvus (code 65535); Elanus answers its
// own codes today.
import { after, before, test } from 'node:test';
import { startWireServer, type WireServer } from './server.js';
import { quickSetup } from './flows.js';
import { assertError, assertSuccess } from './expect.js';
import {
  createAliasRequest, createCollectionRequest, createDatabaseRequest, dropCollectionRequest, dropDatabaseRequest, dropIndexRequest,
  partitionRequest, quickSetupSchema,
} from './wire.js';

let w: WireServer;
before(async () => { w = await startWireServer(); });
after(async () => { await w?.close(); });

test('extra: dropping a collection that still has aliases is refused (rootcoord drop_collection_task.go)', async () => {
  await quickSetup(w, 'refuse_aliased', 4);
  assertSuccess(await w.call('CreateAlias', createAliasRequest('refuse_aliased', 'refuse_a1')), 'CreateAlias');
  assertError(await w.call('DropCollection', dropCollectionRequest('refuse_aliased')), {
    code: 65535,
    reason: /unable to drop the collection \[refuse_aliased\] because it has associated aliases \[refuse_a1\], please remove all aliases before dropping the collection/,
  }, 'DropCollection with an alias');
  // Nor can a collection be dropped by its alias (dropCollectionTask.validate).
  assertError(await w.call('DropCollection', dropCollectionRequest('refuse_a1')), { code: 65535, reason: /cannot drop the collection via alias = refuse_a1/ }, 'DropCollection by alias');
});

test('extra: a loaded partition cannot be dropped; a partition created in a loaded collection is loaded (task.go dropPartitionTask, createPartitionTask)', async () => {
  await quickSetup(w, 'refuse_loaded_part', 4);
  assertSuccess(await w.call('CreatePartition', partitionRequest('refuse_loaded_part', 'p1')), 'CreatePartition');
  assertError(await w.call('DropPartition', partitionRequest('refuse_loaded_part', 'p1')), {
    code: 65535, reason: /partition cannot be dropped, partition is loaded, please release it first/,
  }, 'DropPartition of a loaded partition');
});

test('extra: the _default partition cannot be dropped (rootcoord drop_partition_task.go)', async () => {
  assertSuccess(await w.call('CreateCollection', createCollectionRequest('refuse_default_part', quickSetupSchema(4))), 'CreateCollection');
  assertError(await w.call('DropPartition', partitionRequest('refuse_default_part', '_default')), { code: 65535, reason: /default partition cannot be deleted/ }, 'DropPartition _default');
});

test('extra: a vector index of a loaded collection cannot be dropped (datacoord index_service.go DropIndex)', async () => {
  await quickSetup(w, 'refuse_index', 4);
  assertError(await w.call('DropIndex', dropIndexRequest('refuse_index', 'vector')), {
    code: 1100, reason: /vector index cannot be dropped on loaded collection: \d+/,
  }, 'DropIndex of a loaded vector index');
});

test('extra: a database that holds collections, or the default one, cannot be dropped (rootcoord meta_table.go, drop_db_task.go)', async () => {
  assertSuccess(await w.call('CreateDatabase', createDatabaseRequest('refuse_db')), 'CreateDatabase');
  assertSuccess(await w.call('CreateCollection', createCollectionRequest('in_refuse_db', quickSetupSchema(4)), 'refuse_db'), 'CreateCollection');
  assertError(await w.call('DropDatabase', dropDatabaseRequest('refuse_db')), {
    code: 65535, reason: /database:refuse_db not empty, must drop all collections before drop database/,
  }, 'DropDatabase refuse_db');
  assertError(await w.call('DropDatabase', dropDatabaseRequest('default')), { code: 65535, reason: /can not drop default database/ }, 'DropDatabase default');
});
