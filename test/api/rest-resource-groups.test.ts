// REST v2 /v2/vectordb/resource_groups/*, against the real server. The Node SDK's
// HttpClient has no resource group methods, so these are plain POSTs with Milvus's bodies.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Elanus } from '../../src/engine/index.js';
import { type RunningServer, startServer } from '../../src/api/server.js';
import { registerRestRoutes } from '../../src/api/rest/index.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
const DEF = '__default_resource_group';
let dir: string;
let engine: Elanus;
let server: RunningServer;
let base: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'elanus-rest-rg-'));
  engine = await Elanus.open({ path: dir, limits: { backgroundIntervalMs: 0 } });
  const logger = pino({ level: 'silent' });
  server = await startServer({ engine, host: '127.0.0.1', port: 0, messageBytesMax: 1 << 20, logger, http: (app) => registerRestRoutes(app, engine, logger) });
  base = `http://127.0.0.1:${server.port}/v2/vectordb`;
});
after(async () => {
  await server?.close();
  await engine?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function post(path: string, body: unknown): Promise<Json> {
  const r = await fetch(`${base}/${path}`, { method: 'POST', body: JSON.stringify(body) });
  assert.equal(r.status, 200);
  return r.json();
}
function ok(res: Json): Json {
  assert.equal(res.code, 0, `expected success, got ${res.code}: ${res.message}`);
  return res.data;
}
function fails(res: Json, milvusCode: number, code: string, reason?: RegExp): void {
  assert.equal(res.code, milvusCode, `expected ${milvusCode}, got ${res.code}: ${res.message}`);
  assert.match(res.message, new RegExp(`^${code}: `));
  if (reason) assert.match(res.message, reason);
}
const cfg = (requests: number, limits: number) => ({ requests: { node_num: requests }, limits: { node_num: limits } });

test('resource_groups/list and describe: the default group holds the node; Go leaves empty fields out', async () => {
  assert.deepEqual(ok(await post('resource_groups/list', {})), [DEF]);
  const res = await post('resource_groups/describe', { name: DEF });
  const d = ok(res);
  // Milvus puts the group at the top level of the body; it is in data too.
  assert.deepEqual(res.resource_group, d.resource_group);
  const { hostname, ...node } = d.resource_group.nodes[0];
  assert.equal(typeof hostname, 'string');
  assert.deepEqual({ ...d.resource_group, nodes: [node] }, {
    name: DEF, capacity: 1_000_000, num_available_node: 1,
    config: { requests: {}, limits: { node_num: 1_000_000 }, node_filter: {} },
    nodes: [{ node_id: 1, address: 'embedded' }],
  });
  fails(await post('resource_groups/describe', { name: 'ghost' }), 300, 'RESOURCE_GROUP_NOT_FOUND');
  fails(await post('resource_groups/describe', {}), 1100, 'INVALID_ARGUMENT', /name is required/);
});

test('resource_groups/create: with and without config, idempotent, refused configs and names', async () => {
  ok(await post('resource_groups/create', { name: 'rest_rg' }));
  ok(await post('resource_groups/create', { name: 'rest_rg' }));
  fails(await post('resource_groups/create', { name: 'rest_rg', config: cfg(0, 1) }), 301, 'RESOURCE_GROUP_ALREADY_EXISTS');
  fails(await post('resource_groups/create', { name: 'rest_bad', config: cfg(2, 1) }), 303, 'RESOURCE_GROUP_ILLEGAL_CONFIG', /limits node num should not less than requests/);
  fails(await post('resource_groups/create', { name: 'rest_bad', config: { limits: { node_num: 1 } } }), 303, 'RESOURCE_GROUP_ILLEGAL_CONFIG', /requests or limits is required/);
  fails(await post('resource_groups/create', { name: 'rest_bad', config: 'x' }), 1100, 'INVALID_ARGUMENT');
  fails(await post('resource_groups/create', { name: '9lives' }), 1100, 'INVALID_RESOURCE_GROUP_NAME');
  ok(await post('resource_groups/create', { name: 'rest_cfg', config: { ...cfg(0, 2), transfer_from: [{ resource_group: DEF }], transfer_to: [{ resource_group: 'rest_rg' }] } }));
  const d = ok(await post('resource_groups/describe', { name: 'rest_cfg' })).resource_group;
  assert.deepEqual(d, { name: 'rest_cfg', config: { requests: {}, limits: { node_num: 2 }, transfer_from: [{ resource_group: DEF }], transfer_to: [{ resource_group: 'rest_rg' }], node_filter: {} } });
  assert.deepEqual(ok(await post('resource_groups/list', {})), [DEF, 'rest_cfg', 'rest_rg']);
  fails(await post('resource_groups/drop', { name: 'rest_rg' }), 1100, 'RESOURCE_GROUP_NOT_DROPPABLE', /used by rest_cfg's `TransferTo`/);
  fails(await post('resource_groups/drop', { name: 'rest_cfg' }), 1100, 'RESOURCE_GROUP_NOT_DROPPABLE', /limits node num is not 0/);
  ok(await post('resource_groups/alter', { resource_groups: { rest_cfg: cfg(0, 0) } }));
  ok(await post('resource_groups/drop', { name: 'rest_cfg' }));
  ok(await post('resource_groups/drop', { name: 'rest_rg' }));
  ok(await post('resource_groups/drop', { name: 'rest_rg' }));
  fails(await post('resource_groups/drop', { name: DEF }), 1100, 'RESOURCE_GROUP_NOT_DROPPABLE', /not deletable/);
  assert.deepEqual(ok(await post('resource_groups/list', {})), [DEF]);
});

test('resource_groups/alter moves the node; resource_groups/transfer_replica moves a loaded collection\'s replica', async () => {
  ok(await post('resource_groups/create', { name: 'rest_a', config: cfg(0, 0) }));
  fails(await post('resource_groups/alter', { resource_groups: { ghost: cfg(0, 0) } }), 300, 'RESOURCE_GROUP_NOT_FOUND');
  fails(await post('resource_groups/alter', {}), 1100, 'INVALID_ARGUMENT', /resource_groups is required/);
  ok(await post('resource_groups/alter', { resource_groups: { rest_a: cfg(1, 1) } }));
  assert.equal(ok(await post('resource_groups/describe', { name: 'rest_a' })).resource_group.num_available_node, 1);
  assert.equal(ok(await post('resource_groups/describe', { name: DEF })).resource_group.num_available_node, undefined, 'zero is left out, as Go does');

  // Quick setup loads the collection into the default group, which has no node now: the
  // collection is made, its load refused (as in Milvus, the steps are not one transaction).
  fails(await post('collections/create', { collectionName: 'rest_rc', dimension: 2 }), 304, 'RESOURCE_GROUP_NODE_NOT_ENOUGH');
  const loaded = await engine.getLoadState({ collection_name: 'rest_rc' });
  assert.equal(loaded.state, 'LoadStateNotLoad');
  await engine.loadCollection({ collection_name: 'rest_rc', resource_groups: ['rest_a'] });
  const body = { collectionName: 'rest_rc', sourceRgName: 'rest_a', targetRgName: DEF, replicaNum: 1 };
  fails(await post('resource_groups/transfer_replica', body), 304, 'RESOURCE_GROUP_NODE_NOT_ENOUGH');
  fails(await post('resource_groups/transfer_replica', { ...body, replicaNum: 0 }), 1100, 'INVALID_ARGUMENT', /invalid NumReplica 0/);
  fails(await post('resource_groups/transfer_replica', { ...body, replicaNum: 'one' }), 1100, 'INVALID_ARGUMENT', /replicaNum/);
  fails(await post('resource_groups/transfer_replica', { ...body, collectionName: 'ghost' }), 100, 'COLLECTION_NOT_FOUND');
  ok(await post('resource_groups/alter', { resource_groups: { rest_a: cfg(0, 0) } }));
  assert.deepEqual(ok(await post('resource_groups/describe', { name: 'rest_a' })).resource_group.num_outgoing_node, { rest_rc: 1 });
  ok(await post('resource_groups/transfer_replica', body));
  const d = ok(await post('resource_groups/describe', { name: DEF })).resource_group;
  assert.deepEqual([d.num_loaded_replica, d.num_available_node, d.num_incoming_node], [{ rest_rc: 1 }, 1, undefined]);
  ok(await post('resource_groups/drop', { name: 'rest_a' }));
});
