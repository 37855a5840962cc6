// Authentication in cluster mode, with nodes in one process on shared stores
// (in-process.ts): a standby forwards calls with their credentials and the coordinator
// judges them, its refusals reaching the client unchanged (gRPC status and REST 401);
// users live in the shared metadata store, so the node that takes over after the
// coordinator dies knows every acknowledged user and password change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MilvusClient } from '@zilliz/milvus2-sdk-node';
import { leaseTtlMs, sharedStores, startNode, until } from './in-process.js';

interface GrpcError { code?: number; details?: string }

test('a standby forwards credentials; the coordinator judges them; users survive a failover', async () => {
  const { shared, release } = await sharedStores('auth');
  const a = await startNode('node-a', shared, undefined, {}, { auth: true });
  await until('node-a to coordinate', () => a.node.isCoordinator());
  const b = await startNode('node-b', shared, undefined, {}, { auth: true });
  await until('node-b to see the coordinator', () => b.node.leader()?.node === 'node-a');
  await until('node-b to forward to it', () => b.node.forwardTo() === a.address);
  const clients: MilvusClient[] = [];
  const connect = async (creds: Record<string, string>) => {
    const c = new MilvusClient({ address: b.address, logLevel: 'error', ...creds });
    clients.push(c);
    await c.connectPromise;
    return c;
  };
  const refused = (p: Promise<unknown>, elanus: string) => assert.rejects(p, (e: GrpcError) => {
    assert.equal(e.code, 16, String(e.details));
    assert.ok(e.details?.startsWith(`${elanus}: `), String(e.details));
    return true;
  });
  try {
    // The coordinator holds the lease before its engine has started: until then a call
    // (credentials or none) answers NOT_COORDINATOR. Wait until root is served.
    const root = await connect({ username: 'root', password: 'Milvus' });
    await until('the coordinator to serve', async () => (await root.listUsers()).status.error_code === 'Success');
    await refused(connect({}), 'AUTH_MISSING');
    await refused(connect({ username: 'root', password: 'wrong-pass' }), 'AUTH_FAILED');
    const rest = await fetch(`http://${b.address}/v2/vectordb/users/list`, { method: 'POST', body: '{}', headers: { Authorization: 'Bearer root:wrong-pass' } });
    assert.equal(rest.status, 401);
    assert.equal(((await rest.json()) as { code: number }).code, 1800);

    assert.equal((await root.createUser({ username: 'alice', password: 'alice-pass-1' })).error_code, 'Success');
    assert.equal((await root.createUser({ username: 'bob', password: 'bob-pass-1' })).error_code, 'Success');
    assert.equal((await root.updateUser({ username: 'alice', oldPassword: 'alice-pass-1', newPassword: 'alice-pass-2' })).error_code, 'Success');
    assert.equal((await root.deleteUser({ username: 'bob' })).error_code, 'Success');

    // node-a dies; node-b takes over with the users as they were acknowledged.
    a.sever();
    await a.server.close(0);
    await until('node-b to take over', () => b.node.isCoordinator(), 4 * leaseTtlMs + 10_000);
    assert.deepEqual((await root.listUsers()).usernames, ['root', 'alice']);
    const alice = await connect({ username: 'alice', password: 'alice-pass-2' });
    assert.equal((await alice.listDatabases()).status.error_code, 'Success');
    await refused(connect({ username: 'alice', password: 'alice-pass-1' }), 'AUTH_FAILED');
    await refused(connect({ username: 'bob', password: 'bob-pass-1' }), 'AUTH_FAILED');
  } finally {
    for (const c of clients) await c.closeConnection().catch(() => undefined);
    await b.server.close(1_000);
    await b.node.close();
    await a.node.close();
    await release();
  }
});

test('with authentication on, a standby with a read replica answers nothing from it: reads go to the coordinator, which judges them', async () => {
  const { shared, release } = await sharedStores('auth-replica');
  const a = await startNode('node-a', shared, undefined, {}, { auth: true });
  await until('node-a to coordinate', () => a.node.isCoordinator());
  const b = await startNode('node-b', shared, ['gateway', 'coordinator', 'data'], {}, { auth: true });
  const root = new MilvusClient({ address: b.address, logLevel: 'error', username: 'root', password: 'Milvus' });
  try {
    await root.connectPromise;
    await until('the coordinator to serve', async () => (await root.listUsers()).status.error_code === 'Success');
    assert.equal((await root.createCollection({ collection_name: 'c', dimension: 2 } as never)).error_code, 'Success');
    assert.equal((await root.insert({ collection_name: 'c', data: [{ id: 1, vector: [1, 2] }, { id: 2, vector: [2, 1] }] })).status.error_code, 'Success');
    await until('the replica to register', () => a.node.replicas()?.nodes().includes('node-b') ?? false);
    for (let i = 0; i < 5; i++) {
      const r = await root.query({ collection_name: 'c', filter: '', output_fields: ['count(*)'], consistency_level: 'Strong' as never });
      assert.equal(Number(r.data[0]?.['count(*)']), 2);
    }
    const noAuth = await fetch(`http://${b.address}/v2/vectordb/entities/query`, { method: 'POST', body: JSON.stringify({ collectionName: 'c', filter: '', outputFields: ['count(*)'] }) });
    assert.equal(noAuth.status, 401, 'a REST read without credentials is refused, not answered from the replica');
    assert.equal(b.node.replicaStats()?.gatewayAnswered ?? 0, 0, 'nothing was answered on the standby');
  } finally {
    await root.closeConnection().catch(() => undefined);
    for (const n of [b, a]) await n.server.close(1_000).catch(() => undefined);
    for (const n of [b, a]) await n.node.close();
    await release();
  }
});
