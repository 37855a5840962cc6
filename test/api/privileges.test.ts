// The privilege table (api/privileges.ts) against milvus.proto and the REST routes: every
// RPC of the proto and every registered REST route has an entry, and each entry is the
// proto's own annotation. Then every RPC and every route is called over the wire on a
// server with authentication on, by an anonymous caller, a user with no role, a user
// with CollectionReadOnly on one collection, and root, and each outcome is checked
// against what those callers may do (computed here from Milvus's documented lists).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { DataType, MilvusClient } from '@zilliz/milvus2-sdk-node';
import { Elanus } from '../../src/index.js';
import { startServer, type RunningServer } from '../../src/api/server.js';
import { Authenticator } from '../../src/api/auth.js';
import { packageDefinition, root as protoRoot, serviceName } from '../../src/api/proto.js';
import { restAccess, restAccessOf, rpcAccess, type Access } from '../../src/api/privileges.js';
import { registerRestRoutes } from '../../src/api/rest/index.js';
import { builtinGroups, privilegeNames } from '../../src/catalog/index.js';
import { aliasRoutes } from '../../src/api/rest/aliases.js';
import { collectionRoutes } from '../../src/api/rest/collections.js';
import { databaseRoutes } from '../../src/api/rest/databases.js';
import { readRoutes } from '../../src/api/rest/entities-read.js';
import { writeRoutes } from '../../src/api/rest/entities-write.js';
import { indexRoutes } from '../../src/api/rest/indexes.js';
import { partitionRoutes } from '../../src/api/rest/partitions.js';
import { resourceGroupRoutes } from '../../src/api/rest/resource-groups.js';
import { roleRoutes } from '../../src/api/rest/roles.js';
import { unsupportedRoutes } from '../../src/api/rest/unsupported.js';
import { userRoutes } from '../../src/api/rest/users.js';

const service = packageDefinition[serviceName] as unknown as Record<string, { requestType: { type: { name: string } }; requestStream: boolean; responseStream: boolean }>;
const rpcs = Object.keys(service).sort();
const routes = Object.keys({
  ...databaseRoutes, ...collectionRoutes, ...partitionRoutes, ...aliasRoutes, ...indexRoutes, ...writeRoutes, ...readRoutes, ...resourceGroupRoutes,
  ...userRoutes, ...roleRoutes, ...unsupportedRoutes,
}).sort();

function requestType(rpc: string) {
  const name = service[rpc]!.requestType.type.name;
  // Most requests are in milvus.proto.milvus; a few come from the other packages of the proto.
  return protoRoot.lookup(`milvus.proto.milvus.${name}`) ? protoRoot.lookupType(`milvus.proto.milvus.${name}`) : protoRoot.lookupType(name);
}

/** The proto's annotation of an RPC's request, with its name fields by name; undefined when it has none. */
function annotation(rpc: string): { privilege: string; objectType: string; name?: string; names?: string } | undefined {
  const type = requestType(rpc);
  const o = (type.options ?? {}) as Record<string, unknown>;
  const privilege = o['(common.privilege_ext_obj).object_privilege'] as string | undefined;
  if (privilege === undefined) return undefined;
  const field = (index: unknown) => {
    if (typeof index !== 'number' || index <= 0) return undefined;
    const f = type.fieldsById[index]!;
    // A message field (a UserEntity) is named by its first field, as Milvus reads it.
    return f.resolve().resolvedType && 'fieldsById' in f.resolvedType! ? `${f.name}.name` : f.name;
  };
  return {
    privilege: privilege.replace(/^Privilege/, ''), objectType: o['(common.privilege_ext_obj).object_type'] as string,
    name: field(o['(common.privilege_ext_obj).object_name_index']), names: field(o['(common.privilege_ext_obj).object_name_indexs']),
  };
}

test('the table has one entry for every RPC of milvus.proto, each as the proto annotates it', () => {
  assert.deepEqual(Object.keys(rpcAccess).sort(), rpcs);
  for (const rpc of rpcs) {
    const a = rpcAccess[rpc]!;
    const want = annotation(rpc);
    if (want === undefined) {
      assert.equal(a, 'open', `${rpc} has no annotation in the proto`);
      continue;
    }
    assert.notEqual(a, 'open', rpc);
    if (a === 'open') continue;
    assert.deepEqual({ privilege: a.privilege, objectType: a.objectType, name: a.name, names: a.names }, want, rpc);
    assert.ok(privilegeNames.has(a.privilege), `${rpc}: ${a.privilege} is a privilege`);
  }
});

test('the table has one entry for every REST route, each naming an RPC of the table or a rule of its own', () => {
  assert.deepEqual(Object.keys(restAccess).sort(), routes);
  for (const path of routes) {
    const a = restAccess[path]!;
    if (typeof a === 'object' && 'rpc' in a) assert.ok(rpcAccess[a.rpc] !== undefined, `${path}: ${a.rpc} is an RPC`);
    const resolved = restAccessOf(path);
    assert.ok(resolved !== undefined, path);
    if (resolved !== 'open') assert.ok(privilegeNames.has(resolved.privilege), `${path}: ${resolved.privilege}`);
  }
});

// Milvus 2.5/2.6's built-in privilege groups, as its documentation lists them.
const collectionReadOnly = ['Query', 'Search', 'IndexDetail', 'GetFlushState', 'GetLoadState', 'GetLoadingProgress', 'HasPartition', 'ShowPartitions',
  'DescribeCollection', 'DescribeAlias', 'GetStatistics', 'ListAliases'];

test('the nine built-in privilege groups hold Milvus\'s members', () => {
  const sorted = (a: readonly string[]) => [...a].sort();
  assert.deepEqual([...builtinGroups.keys()], ['CollectionReadOnly', 'CollectionReadWrite', 'CollectionAdmin', 'DatabaseReadOnly', 'DatabaseReadWrite',
    'DatabaseAdmin', 'ClusterReadOnly', 'ClusterReadWrite', 'ClusterAdmin']);
  assert.deepEqual(sorted(builtinGroups.get('CollectionReadOnly')!), sorted(collectionReadOnly));
  const rw = [...collectionReadOnly, 'Load', 'Release', 'Insert', 'Delete', 'Upsert', 'Import', 'Flush', 'Compaction', 'LoadBalance', 'CreateIndex',
    'DropIndex', 'CreatePartition', 'DropPartition'];
  assert.deepEqual(sorted(builtinGroups.get('CollectionReadWrite')!), sorted(rw));
  assert.deepEqual(sorted(builtinGroups.get('CollectionAdmin')!), sorted([...rw, 'CreateAlias', 'DropAlias']));
  assert.deepEqual(sorted(builtinGroups.get('DatabaseReadOnly')!), ['DescribeDatabase', 'ShowCollections']);
  assert.deepEqual(sorted(builtinGroups.get('DatabaseReadWrite')!), ['AlterDatabase', 'DescribeDatabase', 'ShowCollections']);
  assert.deepEqual(sorted(builtinGroups.get('DatabaseAdmin')!), ['AlterDatabase', 'CreateCollection', 'DescribeDatabase', 'DropCollection', 'ShowCollections']);
  const cro = ['ListDatabases', 'SelectOwnership', 'SelectUser', 'DescribeResourceGroup', 'ListResourceGroups', 'ListPrivilegeGroups'];
  assert.deepEqual(sorted(builtinGroups.get('ClusterReadOnly')!), sorted(cro));
  const crw = [...cro, 'FlushAll', 'TransferNode', 'TransferReplica', 'UpdateResourceGroups'];
  assert.deepEqual(sorted(builtinGroups.get('ClusterReadWrite')!), sorted(crw));
  assert.deepEqual(sorted(builtinGroups.get('ClusterAdmin')!), sorted([...crw, 'BackupRBAC', 'RestoreRBAC', 'CreateDatabase', 'DropDatabase', 'CreateOwnership',
    'DropOwnership', 'ManageOwnership', 'CreateResourceGroup', 'DropResourceGroup', 'UpdateUser', 'RenameCollection', 'CreatePrivilegeGroup',
    'DropPrivilegeGroup', 'OperatePrivilegeGroup']));
});

// ---------------------------------------------------------------- over the wire

let dir: string;
let engine: Elanus;
let server: RunningServer;
let rawClient: grpc.Client & Record<string, (req: unknown, md: grpc.Metadata, opts: grpc.CallOptions, cb: (e: grpc.ServiceError | null) => void) => void>;

type Caller = 'anonymous' | 'nobody' | 'reader' | 'root';
const passwords: Record<Exclude<Caller, 'anonymous'>, string> = { nobody: 'nobody-pass', reader: 'reader-pass', root: 'Milvus' };
/** Each caller names this collection in its calls: root one that is not there, so no call of its changes anything. */
const collectionOf = (caller: Caller) => (caller === 'root' ? 'no_such' : 'books');
const dbOf = (caller: Caller) => (caller === 'root' ? 'no_such_db' : 'default');

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'elanus-privileges-'));
  engine = await Elanus.open({ path: dir, limits: { backgroundIntervalMs: 0 } });
  const logger = pino({ level: 'silent' });
  const auth = new Authenticator({ users: engine, logger });
  server = await startServer({
    engine, host: '127.0.0.1', port: 0, messageBytesMax: 16 * 1024 * 1024, logger, auth, http: (app) => registerRestRoutes(app, engine, logger, auth),
  });
  const admin = new MilvusClient({ address: `127.0.0.1:${server.port}`, logLevel: 'error', username: 'root', password: 'Milvus' });
  await admin.connectPromise;
  await admin.createCollection({ collection_name: 'books', fields: [
    { name: 'id', data_type: DataType.Int64, is_primary_key: true }, { name: 'v', data_type: DataType.FloatVector, dim: 2 }] });
  for (const user of ['nobody', 'reader'] as const) await admin.createUser({ username: user, password: passwords[user] });
  await admin.createRole({ roleName: 'ro' });
  await admin.addUserToRole({ username: 'reader', roleName: 'ro' });
  await admin.grantPrivilegeV2({ role: 'ro', privilege: 'CollectionReadOnly', db_name: 'default', collection_name: 'books' });
  await admin.closeConnection();
  const Ctor = grpc.makeGenericClientConstructor(packageDefinition[serviceName] as grpc.ServiceDefinition, 'MilvusService');
  rawClient = new Ctor(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure()) as typeof rawClient;
});

after(async () => {
  rawClient?.close();
  await server?.close(2_000);
  await engine?.close();
  await rm(dir, { recursive: true, force: true });
});

/** What Milvus lets each caller do: root everything, others the open calls, the reader also what CollectionReadOnly holds on books. */
function expected(caller: Caller, access: Access, named: (path: string) => unknown): 'allowed' | 'denied' | 'unauthenticated' {
  if (caller === 'anonymous') return 'unauthenticated';
  if (caller === 'root' || access === 'open') return 'allowed';
  if (caller === 'nobody') return 'denied';
  const names = access.names !== undefined ? [named(access.names)].flat() : access.name !== undefined ? [named(access.name)] : ['*'];
  const onBooks = names.every((n) => n === 'books' || n === '*' || n === undefined);
  return collectionReadOnly.includes(access.privilege) && onBooks ? 'allowed' : 'denied';
}

function grpcCall(rpc: string, caller: Caller): Promise<string> {
  const c = collectionOf(caller);
  // The request's database, and the collection in each field that holds one (a list where the field is repeated).
  const req: Record<string, unknown> = {};
  for (const f of requestType(rpc).fieldsArray) {
    if (f.name === 'db_name' && f.type === 'string') req[f.name] = dbOf(caller);
    if (['collection_name', 'collection_names', 'collectionName'].includes(f.name) && f.type === 'string') req[f.name] = f.repeated ? [c] : c;
  }
  const md = new grpc.Metadata();
  if (caller !== 'anonymous') md.set('authorization', Buffer.from(`${caller}:${passwords[caller]}`).toString('base64'));
  return new Promise((resolve, reject) => {
    rawClient[rpc]!(req, md, { deadline: Date.now() + 10_000 }, (e) => {
      if (e === null || e.code === 0) return resolve('allowed');
      if (e.code !== 7 && e.code !== 16) return reject(e);
      resolve(e.code === 7 ? 'denied' : 'unauthenticated');
    });
  });
}

test('every RPC, for an anonymous caller, a user with no role, a CollectionReadOnly user on one collection, and root', async () => {
  const wrong: string[] = [];
  for (const rpc of rpcs) {
    if (service[rpc]!.requestStream || service[rpc]!.responseStream) continue;
    for (const caller of ['anonymous', 'nobody', 'reader', 'root'] as const) {
      const c = collectionOf(caller);
      const want = expected(caller, rpcAccess[rpc]!, (path) => (path.startsWith('collection') ? c : undefined));
      const got = await grpcCall(rpc, caller);
      if (got !== want) wrong.push(`${rpc} by ${caller}: ${got}, expected ${want}`);
    }
  }
  assert.deepEqual(wrong, []);
});

test('every REST route, for the same four callers', async () => {
  const wrong: string[] = [];
  for (const path of routes) {
    for (const caller of ['anonymous', 'nobody', 'reader', 'root'] as const) {
      const c = collectionOf(caller);
      const headers: Record<string, string> = { 'Content-Type': 'application/json' };
      if (caller !== 'anonymous') headers['Authorization'] = `Bearer ${caller}:${passwords[caller]}`;
      const r = await fetch(`http://127.0.0.1:${server.port}/v2/vectordb/${path}`, {
        method: 'POST', headers, body: JSON.stringify({ dbName: dbOf(caller), collectionName: c }),
      });
      const json = await r.json() as { code: number };
      const got = r.status === 401 ? 'unauthenticated' : r.status === 403 && json.code === 1401 ? 'denied' : 'allowed';
      const want = expected(caller, restAccessOf(path)!, (p) => (p === 'collectionName' ? c : undefined));
      if (got !== want) wrong.push(`${path} by ${caller}: ${got}, expected ${want}`);
    }
  }
  assert.deepEqual(wrong, []);
});
