// Resource groups in cluster mode: they live in the shared MetaStore (etcd's stand-in
// here) like the catalog, so a call through a standby is forwarded to the coordinator, and
// the node that takes over after it dies answers with the same groups and placements.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataType, MilvusClient } from '@zilliz/milvus2-sdk-node';
import { leaseTtlMs, sharedStores, startNode, until } from './in-process.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
const ok = (s: Any) => assert.equal((s.status ?? s).error_code, 'Success', (s.status ?? s).reason);

test('resource groups made through a standby are the coordinator\'s, and the next coordinator has them', async () => {
  const { shared, release } = await sharedStores('rg');
  const a = await startNode('node-a', shared);
  await until('node-a to coordinate', () => a.node.isCoordinator());
  const b = await startNode('node-b', shared);
  await until('node-b to see the coordinator', () => b.node.leader()?.node === 'node-a');
  const client = new MilvusClient({ address: b.address, logLevel: 'error' });
  const describe = async () => Promise.all(['__default_resource_group', 'rg_c'].map(async (n) => (await client.describeResourceGroup({ resource_group: n }) as Any).resource_group));
  try {
    await client.connectPromise;
    ok(await client.createResourceGroup({ resource_group: 'rg_c', config: { requests: { node_num: 1 }, limits: { node_num: 1 } } }));
    ok(await client.createCollection({ collection_name: 'c', fields: [
      { name: 'id', data_type: DataType.Int64, is_primary_key: true },
      { name: 'v', data_type: DataType.FloatVector, dim: 2 },
    ] }));
    ok(await client.createIndex({ collection_name: 'c', field_name: 'v', index_type: 'FLAT', metric_type: 'L2' }));
    ok(await client.loadCollectionAsync({ collection_name: 'c', resource_groups: ['rg_c'] }));
    const before = await describe();
    assert.deepEqual(before.map((g: Any) => [g.num_available_node, g.num_loaded_replica]), [[0, {}], [1, { c: 1 }]]);

    a.sever();
    await a.server.close(0);
    await until('node-b to take over', () => b.node.isCoordinator(), 4 * leaseTtlMs + 10_000);
    assert.deepEqual(await describe(), before);
    const rep: Any = await client.getReplicas({ collectionID: (await client.describeCollection({ collection_name: 'c' })).collectionID });
    assert.deepEqual(rep.replicas.map((r: Any) => r.resource_group_name), ['rg_c']);
  } finally {
    await client.closeConnection().catch(() => undefined);
    await b.server.close(1_000);
    await b.node.close();
    await a.node.close();
    await release();
  }
});
