// Cluster nodes (cli/cluster-node.ts) in one process, on shared stores: the embedded
// MetaStore, log and object store stand in for etcd, JetStream and S3 (the same
// interfaces; the real services have suites of their own). Each node serves the Milvus
// protocols on its own port. One wins the coordinator lease and runs the engine; the
// other forwards to it. When the coordinator is cut off (its server gone, its store
// calls failing, as for a dead process), the standby takes over from the stores within
// the lease's TTL and every acknowledged write is there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataType, MilvusClient } from '@zilliz/milvus2-sdk-node';
import { ClusterNode, coordinatorKey } from '../../src/cli/cluster-node.js';
import { FsObjectStore, LocalMetaStore, NodeFileSystem, type MetaStore } from '../../src/storage/index.js';
import { WalLogStore } from '../../src/wal/index.js';
import { leaseTtlMs, logger, sharedStores, startNode, until } from './in-process.js';

async function count(client: MilvusClient): Promise<number> {
  const r = await client.query({ collection_name: 'c', filter: '', output_fields: ['count(*)'], consistency_level: 'Strong' as never });
  assert.equal(r.status.error_code, 'Success', r.status.reason);
  return Number(r.data[0]?.['count(*)']);
}

test('a standby forwards to the coordinator, and takes over with every acknowledged write when the coordinator dies', async () => {
  const { shared, release } = await sharedStores('node');
  const a = await startNode('node-a', shared);
  await until('node-a to coordinate', () => a.node.isCoordinator());
  const b = await startNode('node-b', shared);
  await until('node-b to see the coordinator', () => b.node.leader()?.node === 'node-a');
  assert.equal(b.node.isCoordinator(), false);
  assert.equal(b.node.forwardTo(), a.address);

  const client = new MilvusClient({ address: b.address, logLevel: 'error' });
  try {
    await client.connectPromise;
    const created = await client.createCollection({
      collection_name: 'c',
      fields: [{ name: 'id', data_type: DataType.Int64, is_primary_key: true }, { name: 'v', data_type: DataType.FloatVector, dim: 4 }],
    });
    assert.equal(created.error_code, 'Success', created.reason);
    await client.createIndex({ collection_name: 'c', field_name: 'v', index_type: 'FLAT', metric_type: 'L2' });
    await client.loadCollectionSync({ collection_name: 'c' });
    for (let i = 0; i < 5; i++) {
      const r = await client.insert({ collection_name: 'c', data: Array.from({ length: 200 }, (_, j) => ({ id: i * 200 + j, v: [j, 1, 0, 0] })) });
      assert.equal(r.status.error_code, 'Success', r.status.reason);
    }
    await client.flushSync({ collection_names: ['c'] });
    const more = await client.insert({ collection_name: 'c', data: Array.from({ length: 100 }, (_, j) => ({ id: 1000 + j, v: [j, 2, 0, 0] })) });
    assert.equal(more.status.error_code, 'Success', more.status.reason);
    const del = await client.delete({ collection_name: 'c', filter: 'id < 10' });
    assert.equal(del.status.error_code, 'Success', del.status.reason);
    assert.equal(await count(client), 1090);

    // node-a dies: its port closes and it can no longer reach the stores.
    a.sever();
    await a.server.close(0);
    await until('node-b to take over', () => b.node.isCoordinator(), 4 * leaseTtlMs + 10_000);
    assert.match(await a.node.lost, /keep-alive|lease/);
    assert.equal(b.node.forwardTo(), undefined);

    assert.equal(await count(client), 1090, 'the flushed segment, the log past it and the delete are all there');
    const r = await client.insert({ collection_name: 'c', data: [{ id: 5000, v: [0, 0, 0, 1] }] });
    assert.equal(r.status.error_code, 'Success', r.status.reason);
    assert.equal(await count(client), 1091);
    const found = await client.search({ collection_name: 'c', data: [[0, 0, 0, 1]], limit: 1 });
    assert.equal(String(found.results[0]?.id), '5000');
  } finally {
    await client.closeConnection().catch(() => undefined);
    await b.server.close(1_000);
    await b.node.close();
    await a.node.close();
    await release();
  }
});

test('a standby that finds no coordinator learns of the one elected right after its read', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'elanus-cluster-follow-'));
  const fs = new NodeFileSystem();
  const meta = await LocalMetaStore.open({ fs, dir: join(dir, 'etcd') });
  const log = await WalLogStore.open({ fs, dir: join(dir, 'jetstream') });
  const objects = await FsObjectStore.open({ fs, dir: join(dir, 's3') });
  // Another node wins the election between the standby's read of the key (empty) and
  // whatever it does next; the standby's own campaign waits until then.
  let elected!: () => void;
  const other = new Promise<void>((r) => (elected = r));
  let injected = false;
  const afterEmptyRead = async <T>(found: boolean, result: T): Promise<T> => {
    if (!found && !injected) {
      injected = true;
      const lease = await meta.grantLease(60_000);
      await meta.put(coordinatorKey, JSON.stringify({ node: 'node-x', address: '127.0.0.1:1' }), { lease });
      elected();
    }
    return result;
  };
  const view = new Proxy(meta, {
    get(target, name) {
      const value = (target as unknown as Record<string | symbol, unknown>)[name];
      if (typeof value !== 'function') return value;
      if (name === 'get') return async (key: string) => { const kv = await target.get(key); return key === coordinatorKey ? afterEmptyRead(kv !== undefined, kv) : kv; };
      if (name === 'range') {
        return async (prefix: string, o?: Parameters<MetaStore['range']>[1]) => {
          const r = await target.range(prefix, o);
          return prefix === coordinatorKey ? afterEmptyRead(r.kvs.some((kv) => kv.key === coordinatorKey), r) : r;
        };
      }
      if (name === 'grantLease') return async (ttl: number) => { await other; return target.grantLease(ttl); };
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
  const node = new ClusterNode({
    node: 'node-b', address: '127.0.0.1:2', stores: { meta: view, log, objects }, leaseTtlMs, logger,
    engine: { limits: { backgroundIntervalMs: 0, interimIndexRows: 0 } },
  });
  try {
    await until('node-b to see node-x as coordinator', () => node.leader()?.node === 'node-x', 5_000);
    assert.equal(node.forwardTo(), '127.0.0.1:1');
    assert.equal(node.isCoordinator(), false);
  } finally {
    await node.close();
    await objects.close();
    await log.close();
    await meta.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('roles: a gateway-only node forwards and never coordinates; a coordinator-only standby does not forward, and takes over', async () => {
  const { shared, release } = await sharedStores('roles');
  const a = await startNode('node-a', shared);
  await until('node-a to coordinate', () => a.node.isCoordinator());
  const g = await startNode('node-g', shared, ['gateway']);
  const c = await startNode('node-c', shared, ['coordinator']);
  await until('both to see the coordinator', () => g.node.leader()?.node === 'node-a' && c.node.leader()?.node === 'node-a');
  const viaG = new MilvusClient({ address: g.address, logLevel: 'error' });
  const viaC = new MilvusClient({ address: c.address, logLevel: 'error' });
  try {
    await viaG.connectPromise;
    await viaC.connectPromise;
    assert.equal(g.node.forwardTo(), a.address);
    assert.equal(c.node.forwardTo(), undefined);
    const created = await viaG.createCollection({
      collection_name: 'c',
      fields: [{ name: 'id', data_type: DataType.Int64, is_primary_key: true }, { name: 'v', data_type: DataType.FloatVector, dim: 4 }],
    });
    assert.equal(created.error_code, 'Success', created.reason);
    const refused = await viaC.showCollections({});
    assert.notEqual(refused.status.error_code, 'Success');
    assert.match(refused.status.reason, /NOT_COORDINATOR.*node node-c is not a gateway \(its roles: coordinator\).*node-a/);

    a.sever();
    await a.server.close(0);
    await until('node-c to take over', () => c.node.isCoordinator(), 4 * leaseTtlMs + 10_000);
    assert.equal(g.node.isCoordinator(), false, 'a gateway only never coordinates');
    await until('node-g to forward to node-c', () => g.node.forwardTo() === c.address);
    const listed = await viaG.showCollections({});
    assert.equal(listed.status.error_code, 'Success', listed.status.reason);
    assert.deepEqual(listed.data.map((x) => x.name), ['c']);
  } finally {
    await viaG.closeConnection().catch(() => undefined);
    await viaC.closeConnection().catch(() => undefined);
    for (const n of [g, c]) await n.server.close(1_000);
    for (const n of [g, c, a]) await n.node.close();
    await release();
  }
});

test('a standby rides out an etcd outage: it keeps forwarding, does not exit, and still takes over afterwards', async () => {
  const { shared, release } = await sharedStores('outage');
  const a = await startNode('node-a', shared);
  await until('node-a to coordinate', () => a.node.isCoordinator());
  const b = await startNode('node-b', shared);
  await until('node-b to see the coordinator', () => b.node.leader()?.node === 'node-a');
  let exited: string | undefined;
  void b.node.lost.then((reason) => (exited = reason));
  try {
    b.sever();
    await new Promise((r) => setTimeout(r, 1_500));
    assert.equal(exited, undefined, 'a standby does not exit when etcd is out of reach');
    assert.equal(b.node.forwardTo(), a.address, 'it forwards to the coordinator it last saw');
    b.heal();
    // The coordinator resigns (a clean stop): the standby, whose campaign outlived the outage, takes over.
    await a.server.close(0);
    await a.node.close();
    await until('node-b to take over', () => b.node.isCoordinator(), 4 * leaseTtlMs + 10_000);
    assert.equal(exited, undefined);
  } finally {
    await b.server.close(1_000);
    await b.node.close();
    await a.node.close();
    await release();
  }
});
