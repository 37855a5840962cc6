// Resource groups, replica placement, replica transfer and load balance through the
// official Node SDK, with the standalone semantics Milvus has: one query node, held by the
// default group until configs send it elsewhere (engine/resource-groups.ts).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { DataType, MilvusClient } from '@zilliz/milvus2-sdk-node';
import { Elanus } from '../../src/index.js';
import { startServer } from '../../src/api/server.js';
import { assertErr, assertOk, startHarness, type Harness } from './helpers.js';

const DEF = '__default_resource_group';
let h: Harness;
let c: MilvusClient;

before(async () => {
  h = await startHarness();
  c = h.client;
});
after(async () => {
  await h.close();
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;
const describe = async (name: string) => {
  const r: Any = await c.describeResourceGroup({ resource_group: name });
  assertOk(r, `describe ${name}`);
  return r.resource_group;
};
/** What a test states about a group: capacity, nodes, and the three per-collection maps. */
const shape = (g: Any) => ({
  capacity: g.capacity, available: g.num_available_node, nodes: g.nodes.map((n: Any) => String(n.node_id)),
  loaded: g.num_loaded_replica, outgoing: g.num_outgoing_node, incoming: g.num_incoming_node,
  requests: g.config.requests.node_num, limits: g.config.limits.node_num,
});
const cfg = (requests: number, limits: number, extra: Any = {}) => ({ requests: { node_num: requests }, limits: { node_num: limits }, ...extra });

async function makeCollection(name: string): Promise<string> {
  await c.createCollection({ collection_name: name, fields: [
    { name: 'id', data_type: DataType.Int64, is_primary_key: true },
    { name: 'v', data_type: DataType.FloatVector, dim: 2 },
  ] });
  await c.createIndex({ collection_name: name, field_name: 'v', index_type: 'FLAT', metric_type: 'L2' });
  return (await c.describeCollection({ collection_name: name })).collectionID;
}

test('ListResourceGroups and DescribeResourceGroup: the default group holds the one node', async () => {
  const list: Any = await c.listResourceGroups();
  assertOk(list);
  assert.deepEqual(list.resource_groups, [DEF]);
  assert.deepEqual(shape(await describe(DEF)), { capacity: 1_000_000, available: 1, nodes: ['1'], loaded: {}, outgoing: {}, incoming: {}, requests: 0, limits: 1_000_000 });
  assertErr(await c.describeResourceGroup({ resource_group: 'nope' }), { code: 300, elanus: 'RESOURCE_GROUP_NOT_FOUND', reason: /resource group not found\[rg=nope\]/ });
});

test('CreateResourceGroup: idempotent with the same config, refused with another, names and configs checked', async () => {
  assertOk(await c.createResourceGroup({ resource_group: 'rg_plain' }));
  assertOk(await c.createResourceGroup({ resource_group: 'rg_plain' }), 'same (empty) config again');
  assert.deepEqual(shape(await describe('rg_plain')), { capacity: 0, available: 0, nodes: [], loaded: {}, outgoing: {}, incoming: {}, requests: 0, limits: 0 });
  assertErr(await c.createResourceGroup({ resource_group: 'rg_plain', config: cfg(0, 3) }), { code: 301, elanus: 'RESOURCE_GROUP_ALREADY_EXISTS' });
  // Names (Milvus's proxy rule).
  assertErr(await c.createResourceGroup({ resource_group: '' }), { code: 65535, elanus: 'RESOURCE_GROUP_NAME_EMPTY' });
  assertErr(await c.createResourceGroup({ resource_group: '1rg' }), { code: 1100, elanus: 'INVALID_RESOURCE_GROUP_NAME', reason: /first character/ });
  assertErr(await c.createResourceGroup({ resource_group: 'rg-x' }), { code: 1100, elanus: 'INVALID_RESOURCE_GROUP_NAME', reason: /numbers, letters and underscores/ });
  assertErr(await c.createResourceGroup({ resource_group: 'r'.repeat(256) }), { code: 1100, elanus: 'INVALID_RESOURCE_GROUP_NAME', reason: /length/ });
  // Configs (Milvus's resource manager rules).
  const illegal = { code: 303, elanus: 'RESOURCE_GROUP_ILLEGAL_CONFIG' };
  assertErr(await c.createResourceGroup({ resource_group: 'rg_bad', config: {} }), { ...illegal, reason: /requests or limits is required/ });
  assertErr(await c.createResourceGroup({ resource_group: 'rg_bad', config: cfg(2, 1) }), { ...illegal, reason: /limits node num should not less than requests/ });
  assertErr(await c.createResourceGroup({ resource_group: 'rg_bad', config: cfg(-1, 1) }), { ...illegal, reason: /should not less than 0/ });
  assertErr(await c.createResourceGroup({ resource_group: 'rg_bad', config: cfg(0, 1, { transfer_from: [{ resource_group: 'ghost' }] }) }), { ...illegal, reason: /`TransferFrom` ghost not exist/ });
  assertErr(await c.createResourceGroup({ resource_group: 'rg_bad', config: cfg(0, 1, { transfer_to: [{ resource_group: 'rg_bad' }] }) }), { ...illegal, reason: /should not be itself/ });
  assert.deepEqual((await c.listResourceGroups() as Any).resource_groups, [DEF, 'rg_plain'], 'nothing of a refused create is stored');
  assertOk(await c.dropResourceGroup({ resource_group: 'rg_plain' }));
});

test('DropResourceGroup: the default group, a group with limits, a group named in another\'s transfer list are refused; a missing one is fine', async () => {
  const notDroppable = { code: 1100, elanus: 'RESOURCE_GROUP_NOT_DROPPABLE' };
  assertErr(await c.dropResourceGroup({ resource_group: DEF }), { ...notDroppable, reason: /default resource group is not deletable/ });
  assertOk(await c.dropResourceGroup({ resource_group: 'never_made' }));
  assertOk(await c.createResourceGroup({ resource_group: 'rg_lim', config: cfg(0, 2, { node_filter: { node_labels: [{ key: 'zone', value: 'a' }] } }) }));
  assertErr(await c.dropResourceGroup({ resource_group: 'rg_lim' }), { ...notDroppable, reason: /limits node num is not 0/ });
  // The node carries no labels, so a labelled group never takes it, even with room.
  assert.equal((await describe('rg_lim')).num_available_node, 0);
  assertOk(await c.createResourceGroup({ resource_group: 'rg_ref', config: cfg(0, 0, { transfer_from: [{ resource_group: 'rg_lim' }] }) }));
  assertOk(await c.updateResourceGroups({ resource_groups: { rg_lim: cfg(0, 0) } }));
  assertErr(await c.dropResourceGroup({ resource_group: 'rg_lim' }), { ...notDroppable, reason: /used by rg_ref's `TransferFrom`/ });
  assertOk(await c.dropResourceGroup({ resource_group: 'rg_ref' }));
  assertOk(await c.dropResourceGroup({ resource_group: 'rg_lim' }));
  assert.deepEqual((await c.listResourceGroups() as Any).resource_groups, [DEF]);
});

test('UpdateResourceGroups: the node follows the configs; unknown groups and bad configs are refused whole', async () => {
  assertOk(await c.createResourceGroup({ resource_group: 'rg_u' }));
  assertErr(await c.updateResourceGroups({ resource_groups: { rg_u: cfg(1, 1), ghost: cfg(0, 0) } }), { code: 300, elanus: 'RESOURCE_GROUP_NOT_FOUND' });
  assertErr(await c.updateResourceGroups({ resource_groups: { rg_u: cfg(3, 1) } }), { code: 303, elanus: 'RESOURCE_GROUP_ILLEGAL_CONFIG' });
  assert.equal((await describe('rg_u')).config.requests.node_num, 0, 'nothing of a refused update is stored');
  // rg_u requests a node; the default group requests none, so it gives its node up.
  assertOk(await c.updateResourceGroups({ resource_groups: { rg_u: cfg(1, 1) } }));
  assert.deepEqual([shape(await describe('rg_u')).nodes, shape(await describe(DEF)).nodes], [['1'], []]);
  // Limits 0 make the node redundant there: it goes to the default group.
  assertOk(await c.updateResourceGroups({ resource_groups: { rg_u: cfg(0, 0) } }));
  assert.deepEqual([shape(await describe('rg_u')).nodes, shape(await describe(DEF)).nodes], [[], ['1']]);
  assertOk(await c.dropResourceGroup({ resource_group: 'rg_u' }));
});

test('TransferNode moves the only node as Milvus does (by changing both configs), and refuses what Milvus refuses', async () => {
  assertOk(await c.createResourceGroup({ resource_group: 'rg_t' }));
  const t = { source_resource_group: DEF, target_resource_group: 'rg_t' };
  assertErr(await c.transferNode({ ...t, num_node: 2 }), { code: 304, elanus: 'RESOURCE_GROUP_NODE_NOT_ENOUGH', reason: /current=1\]\[expected=2\]/ });
  assertErr(await c.transferNode({ ...t, num_node: 0 }), { code: 1100, elanus: 'INVALID_ARGUMENT', reason: /invalid NumNode 0/ });
  assertErr(await c.transferNode({ source_resource_group: DEF, target_resource_group: DEF, num_node: 1 }), { code: 1100, elanus: 'INVALID_ARGUMENT', reason: /should not be the same/ });
  assertErr(await c.transferNode({ ...t, target_resource_group: 'ghost', num_node: 1 }), { code: 300, elanus: 'RESOURCE_GROUP_NOT_FOUND' });
  assertOk(await c.transferNode({ ...t, num_node: 1 }));
  assert.deepEqual(shape(await describe('rg_t')), { capacity: 1, available: 1, nodes: ['1'], loaded: {}, outgoing: {}, incoming: {}, requests: 1, limits: 1 });
  assert.deepEqual(shape(await describe(DEF)), { capacity: 1_000_000, available: 0, nodes: [], loaded: {}, outgoing: {}, incoming: {}, requests: 0, limits: 1_000_000 });
  // And back: rg_t's requests and limits drop to 0, the default group requests the node.
  assertOk(await c.transferNode({ source_resource_group: 'rg_t', target_resource_group: DEF, num_node: 1 }));
  assert.deepEqual([shape(await describe('rg_t')), shape(await describe(DEF)).nodes], [
    { capacity: 0, available: 0, nodes: [], loaded: {}, outgoing: {}, incoming: {}, requests: 0, limits: 0 }, ['1'],
  ]);
  assertOk(await c.updateResourceGroups({ resource_groups: { [DEF]: cfg(0, 1_000_000) } }));
  assertOk(await c.dropResourceGroup({ resource_group: 'rg_t' }));
});

test('loading into resource groups: replicas need a node each; placement shows in GetReplicas and DescribeResourceGroup', async () => {
  const id = await makeCollection('rg_load');
  assertOk(await c.createResourceGroup({ resource_group: 'rg_l', config: cfg(0, 1) }));
  // rg_l has room but requests nothing: the node stays in the default group.
  assertErr(await c.loadCollectionAsync({ collection_name: 'rg_load', resource_groups: ['rg_l'] }), { code: 304, elanus: 'RESOURCE_GROUP_NODE_NOT_ENOUGH', reason: /rg=rg_l\]\[current=0\]\[expected=1\]/ });
  assertErr(await c.loadCollectionAsync({ collection_name: 'rg_load', replica_number: 2 }), { code: 304, elanus: 'RESOURCE_GROUP_NODE_NOT_ENOUGH', reason: /current=1\]\[expected=2\]/ });
  assertErr(await c.loadCollectionAsync({ collection_name: 'rg_load', replica_number: 1, resource_groups: [DEF, 'rg_l'] }), { code: 65535, elanus: 'RESOURCE_GROUP_REPLICA_MISMATCH' });
  assertErr(await c.loadCollectionAsync({ collection_name: 'rg_load', resource_groups: ['ghost'] }), { code: 300, elanus: 'RESOURCE_GROUP_NOT_FOUND' });
  assertErr(await c.loadPartitions({ collection_name: 'rg_load', partition_names: ['_default'], resource_groups: ['rg_l'] } as Any), { code: 304, elanus: 'RESOURCE_GROUP_NODE_NOT_ENOUGH' });
  assertErr(await c.loadPartitions({ collection_name: 'rg_load', partition_names: ['_default'], replica_number: 3 } as Any), { code: 304, elanus: 'RESOURCE_GROUP_NODE_NOT_ENOUGH' });
  assert.equal((await c.getLoadState({ collection_name: 'rg_load', partition_names: ['_default'] })).state, 'LoadStateNotLoad');
  assert.equal((await c.getLoadState({ collection_name: 'rg_load' })).state, 'LoadStateNotLoad', 'nothing of a refused load is stored');
  assert.deepEqual((await c.getReplicas({ collectionID: id })).replicas, []);

  assertOk(await c.updateResourceGroups({ resource_groups: { rg_l: cfg(1, 1) } }));
  assertOk(await c.loadCollection({ collection_name: 'rg_load', resource_groups: ['rg_l'] }));
  assert.equal((await c.getLoadState({ collection_name: 'rg_load' })).state, 'LoadStateLoaded');
  assert.equal(String((await c.getLoadingProgress({ collection_name: 'rg_load' })).progress), '100');
  const rep: Any = await c.getReplicas({ collectionID: id });
  assert.deepEqual(rep.replicas.map((r: Any) => ({ rg: r.resource_group_name, nodes: r.node_ids.map(String), out: r.num_outbound_node })), [{ rg: 'rg_l', nodes: ['1'], out: {} }]);
  assert.equal(String(rep.replicas[0].collectionID), id);
  assert.deepEqual(shape(await describe('rg_l')).loaded, { rg_load: 1 });
  assert.deepEqual(shape(await describe(DEF)).loaded, {});
  // A loaded collection keeps its placement: the same load again is fine, another is refused.
  assertOk(await c.loadCollectionAsync({ collection_name: 'rg_load', resource_groups: ['rg_l'], replica_number: 1 }));
  assertErr(await c.loadCollectionAsync({ collection_name: 'rg_load', resource_groups: [DEF] }), { code: 1100, elanus: 'INVALID_ARGUMENT', reason: /given resource group not found/ });
  assertErr(await c.loadCollectionAsync({ collection_name: 'rg_load', resource_groups: ['rg_l'], replica_number: 2 }), { code: 1100, elanus: 'INVALID_ARGUMENT', reason: /can't change the replica number for loaded collection/ });
  assertErr(await c.loadCollectionAsync({ collection_name: 'rg_load' }), { code: 1100, elanus: 'INVALID_ARGUMENT', reason: /can't change the resource groups/ });
  assert.deepEqual(shape(await describe('rg_l')).loaded, { rg_load: 1 }, 'refused loads change nothing');
  // The default group has no node now: a plain load of another collection is refused.
  await makeCollection('rg_load2');
  assertErr(await c.loadCollectionAsync({ collection_name: 'rg_load2' }), { code: 304, elanus: 'RESOURCE_GROUP_NODE_NOT_ENOUGH', reason: /rg=__default_resource_group\]\[current=0\]/ });
  assertErr(await c.dropResourceGroup({ resource_group: 'rg_l' }), { code: 1100, elanus: 'RESOURCE_GROUP_NOT_DROPPABLE', reason: /still loaded in resource group\[rg_l\]/ });

  // The node leaves rg_l: the replica keeps it (outgoing from rg_l, incoming to the default group).
  assertOk(await c.updateResourceGroups({ resource_groups: { rg_l: cfg(0, 0) } }));
  assert.deepEqual([shape(await describe('rg_l')).outgoing, shape(await describe(DEF)).incoming], [{ rg_load: 1 }, { rg_load: 1 }]);
  const lent: Any = await c.getReplicas({ collectionID: id });
  assert.deepEqual(lent.replicas[0].num_outbound_node, { [DEF]: 1 });

  // TransferReplica: errors first, then the move.
  const tr = { collection_name: 'rg_load', source_resource_group: 'rg_l', target_resource_group: DEF };
  assertErr(await c.transferReplica({ ...tr, num_replica: 0 }), { code: 1100, elanus: 'INVALID_ARGUMENT', reason: /invalid NumReplica 0/ });
  assertErr(await c.transferReplica({ ...tr, num_replica: 2 }), { code: 1100, elanus: 'INVALID_ARGUMENT', reason: /greater than the number of replicas/ });
  assertErr(await c.transferReplica({ ...tr, source_resource_group: 'ghost', num_replica: 1 }), { code: 300, elanus: 'RESOURCE_GROUP_NOT_FOUND' });
  assertErr(await c.transferReplica({ ...tr, target_resource_group: 'rg_l', num_replica: 1 }), { code: 1100, elanus: 'INVALID_ARGUMENT', reason: /should not be the same/ });
  assertErr(await c.transferReplica({ ...tr, source_resource_group: DEF, target_resource_group: 'rg_l', num_replica: 1 }), { code: 1100, elanus: 'INVALID_ARGUMENT', reason: /only found \[0\] replicas/ });
  assertErr(await c.transferReplica({ ...tr, collection_name: 'rg_load2', num_replica: 1 }), { code: 101, elanus: 'COLLECTION_NOT_LOADED' });
  assertOk(await c.transferReplica({ ...tr, num_replica: 1 }));
  assert.deepEqual([shape(await describe('rg_l')).loaded, shape(await describe(DEF)).loaded, shape(await describe(DEF)).incoming], [{}, { rg_load: 1 }, {}]);
  const moved: Any = await c.getReplicas({ collectionID: id });
  assert.deepEqual(moved.replicas.map((r: Any) => [r.resource_group_name, r.num_outbound_node]), [[DEF, {}]]);
  // Back into rg_l, which holds no node: refused.
  assertErr(await c.transferReplica({ ...tr, source_resource_group: DEF, target_resource_group: 'rg_l', num_replica: 1 }), { code: 304, elanus: 'RESOURCE_GROUP_NODE_NOT_ENOUGH' });
  assertOk(await c.releaseCollection({ collection_name: 'rg_load' }));
  assertOk(await c.dropResourceGroup({ resource_group: 'rg_l' }));
  await c.dropCollection({ collection_name: 'rg_load' });
  await c.dropCollection({ collection_name: 'rg_load2' });
});

test('LoadBalance: checked as Milvus checks it; with one node nothing moves', async () => {
  await makeCollection('rg_lb');
  await c.insert({ collection_name: 'rg_lb', data: [{ id: 1, v: [1, 0] }, { id: 2, v: [0, 1] }] });
  await c.flushSync({ collection_names: ['rg_lb'] });
  const segs = h.engine.segmentInfo({ collection_name: 'rg_lb' });
  const sealed = segs.find((s) => s.state !== 'growing')!;
  assert.ok(sealed, 'a flushed segment');
  const lb = (x: Any) => c.loadBalance({ collectionName: 'rg_lb', src_nodeID: 1, ...x } as Any);
  assertErr(await lb({}), { code: 103, elanus: 'COLLECTION_NOT_FULLY_LOADED' });
  assertOk(await c.loadCollection({ collection_name: 'rg_lb' }));
  assertErr(await lb({ src_nodeID: 7 }), { code: 901, elanus: 'NODE_NOT_FOUND', reason: /source node not found in any replica/ });
  assertErr(await lb({ dst_nodeIDs: [9] }), { code: 901, elanus: 'NODE_NOT_FOUND', reason: /destination node not found in the same replica/ });
  assertErr(await lb({ sealed_segmentIDs: [123456789] }), { code: 600, elanus: 'SEGMENT_NOT_FOUND' });
  assertErr(await lb({ collectionName: 'ghost' }), { code: 100, elanus: 'COLLECTION_NOT_FOUND' });
  assertOk(await lb({}));
  assertOk(await lb({ dst_nodeIDs: [1], sealed_segmentIDs: [String(sealed.id)] }));
  assert.deepEqual(h.engine.segmentInfo({ collection_name: 'rg_lb' }).map((s) => s.id), segs.map((s) => s.id), 'no segment moved or changed');
  const q = await c.query({ collection_name: 'rg_lb', filter: 'id > 0', output_fields: ['id'] });
  assert.deepEqual(q.data.map((r) => Number(r.id)).sort(), [1, 2]);
  await c.dropCollection({ collection_name: 'rg_lb' });
});

test('GetMetrics system_info: nodes_info as Milvus returns it, the query node listing loaded collections\' rows', async () => {
  const id = await makeCollection('rg_metrics');
  await c.insert({ collection_name: 'rg_metrics', data: [{ id: 1, v: [1, 0] }, { id: 2, v: [0, 1] }, { id: 3, v: [1, 1] }] });
  await c.loadCollection({ collection_name: 'rg_metrics' });
  const m: Any = await c.getMetric({ request: { metric_type: 'system_info' } });
  assertOk(m);
  assert.equal(m.component_name, 'proxy1');
  const nodes = m.response.nodes_info as Any[];
  assert.deepEqual(nodes.map((n) => n.infos.type), ['proxy', 'rootcoord', 'querycoord', 'datacoord', 'querynode', 'datanode']);
  for (const n of nodes) {
    assert.equal(n.identifier, 1);
    assert.equal(n.infos.name, `${n.infos.type}1`);
    assert.deepEqual(Object.keys(n.infos.hardware_infos).sort(), ['cpu_core_count', 'cpu_core_usage', 'disk', 'disk_usage', 'ip', 'memory', 'memory_usage']);
    assert.ok(n.infos.hardware_infos.cpu_core_count >= 1 && n.infos.hardware_infos.memory > 0);
    assert.equal(n.infos.system_info.deploy_mode, 'STANDALONE');
    assert.equal(n.infos.has_error, false);
  }
  assert.deepEqual(nodes[0].connected.map((e: Any) => e.target_type), ['rootcoord', 'querycoord', 'datacoord', 'querynode', 'datanode']);
  const qn = nodes.find((n) => n.infos.type === 'querynode');
  assert.equal(qn.infos.collection_metrics.CollectionRows[id], 3);
  await c.dropCollection({ collection_name: 'rg_metrics' });
});

test('resource groups, the node\'s place and replica placement are the same after a restart', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'elanus-rg-'));
  const run = async (work: (client: MilvusClient) => Promise<void>) => {
    const engine = await Elanus.open({ path: dir, limits: { backgroundIntervalMs: 0 } });
    const server = await startServer({ engine, host: '127.0.0.1', port: 0, messageBytesMax: 1 << 20, logger: pino({ level: 'silent' }) });
    const client = new MilvusClient({ address: `127.0.0.1:${server.port}`, logLevel: 'error' });
    await client.connectPromise;
    try {
      await work(client);
    } finally {
      await client.closeConnection();
      await server.close(2_000);
      await engine.close();
    }
  };
  let before: Any;
  await run(async (k) => {
    assertOk(await k.createResourceGroup({ resource_group: 'rg_keep', config: cfg(1, 2, { transfer_to: [{ resource_group: DEF }] }) }));
    assertOk(await k.createResourceGroup({ resource_group: 'rg_idle', config: cfg(0, 0) }));
    await k.createCollection({ collection_name: 'kept', fields: [
      { name: 'id', data_type: DataType.Int64, is_primary_key: true },
      { name: 'v', data_type: DataType.FloatVector, dim: 2 },
    ] });
    await k.createIndex({ collection_name: 'kept', field_name: 'v', index_type: 'FLAT', metric_type: 'L2' });
    assertOk(await k.loadCollection({ collection_name: 'kept', resource_groups: ['rg_keep'] }));
    before = await Promise.all([DEF, 'rg_keep', 'rg_idle'].map(async (n) => (await k.describeResourceGroup({ resource_group: n }) as Any).resource_group));
    assert.deepEqual(before.map((g: Any) => g.num_available_node), [0, 1, 0]);
  });
  await run(async (k) => {
    assert.deepEqual((await k.listResourceGroups() as Any).resource_groups, [DEF, 'rg_idle', 'rg_keep']);
    const after = await Promise.all([DEF, 'rg_keep', 'rg_idle'].map(async (n) => (await k.describeResourceGroup({ resource_group: n }) as Any).resource_group));
    assert.deepEqual(after, before);
    const rep: Any = await k.getReplicas({ collectionID: (await k.describeCollection({ collection_name: 'kept' })).collectionID });
    assert.deepEqual(rep.replicas.map((r: Any) => r.resource_group_name), ['rg_keep']);
  });
  await rm(dir, { recursive: true, force: true });
});
