// Who may make which call, once authentication is on: ONE table for every RPC of
// milvus.proto and every REST v2 route, saying the privilege it needs, the type of the
// object it acts on, and where the object's name is in the request (a field path, `*`
// when it names none). test/api/privileges.test.ts walks every RPC of the proto and every
// registered route against it.
//
// The privileges, object types and name fields are Milvus's own, as milvus.proto
// annotates each request (`common.privilege_ext_obj`); the test checks them against the
// annotations. Like Milvus, calls annotated as a Global object with no name
// (DescribeCollection, CreateCollection, DropCollection, ...) are judged on `*`: a
// privilege group granted on one collection that holds DescribeCollection lets its
// holder describe every collection of the database, while Query, Search, Insert and the
// other Collection calls are judged on the collection they name.
//
// `open` calls need no privilege, only an authenticated user: those Milvus leaves without
// an annotation (Connect, GetVersion, CheckHealth, HasCollection, ShowCollections,
// ListDatabases, state polls). A REST route needs what the RPC it stands for needs, with
// the name read from its JSON body.
import { ElanusError } from '../errors/index.js';
import { anyName, privilegeLevelOf, type Need, type ObjectType, type Privilege } from '../catalog/index.js';
import type { Gateway } from '../gateway/index.js';

export interface PrivilegeRule {
  readonly privilege: Privilege;
  readonly objectType: ObjectType;
  /** Path of the request field naming the object (`user.name`: a field of a message field); none: `*`. */
  readonly name?: string | undefined;
  /** Path of a field holding several names: the call needs the privilege on each. */
  readonly names?: string | undefined;
  /** SelectGrant: a user may always read the grants of a role it has (Milvus's isSelectMyRoleGrants). */
  readonly ownRole?: string;
}

export type Access = PrivilegeRule | 'open';

const open = 'open' as const;
const rule = (privilege: Privilege, objectType: ObjectType, name?: string, names?: string): PrivilegeRule =>
  Object.freeze({ privilege, objectType, name, names });

export const rpcAccess: Readonly<Record<string, Access>> = Object.freeze({
  CreateCollection: rule('CreateCollection', 'Global'),
  DropCollection: rule('DropCollection', 'Global'),
  HasCollection: open,
  LoadCollection: rule('Load', 'Collection', 'collection_name'),
  ReleaseCollection: rule('Release', 'Collection', 'collection_name'),
  DescribeCollection: rule('DescribeCollection', 'Global'),
  BatchDescribeCollection: rule('DescribeCollection', 'Global'),
  GetCollectionStatistics: rule('GetStatistics', 'Collection', 'collection_name'),
  ShowCollections: open,
  AlterCollection: rule('CreateCollection', 'Global'),
  AlterCollectionField: rule('CreateCollection', 'Global'),
  AddCollectionFunction: rule('CreateCollection', 'Global'),
  AlterCollectionFunction: rule('CreateCollection', 'Global'),
  DropCollectionFunction: rule('CreateCollection', 'Global'),
  TruncateCollection: rule('DropCollection', 'Global'),
  CreatePartition: rule('CreatePartition', 'Collection', 'collection_name'),
  DropPartition: rule('DropPartition', 'Collection', 'collection_name'),
  HasPartition: rule('HasPartition', 'Collection', 'collection_name'),
  LoadPartitions: rule('Load', 'Collection', 'collection_name'),
  ReleasePartitions: rule('Release', 'Collection', 'collection_name'),
  GetPartitionStatistics: open,
  ShowPartitions: rule('ShowPartitions', 'Collection', 'collection_name'),
  GetLoadingProgress: rule('GetLoadState', 'Collection', 'collection_name'),
  GetLoadState: rule('GetLoadState', 'Collection', 'collection_name'),
  CreateAlias: rule('CreateAlias', 'Global'),
  DropAlias: rule('DropAlias', 'Global'),
  AlterAlias: rule('CreateAlias', 'Global'),
  DescribeAlias: rule('DescribeAlias', 'Global'),
  ListAliases: rule('ListAliases', 'Global'),
  CreateIndex: rule('CreateIndex', 'Collection', 'collection_name'),
  AlterIndex: rule('CreateIndex', 'Collection', 'collection_name'),
  DescribeIndex: rule('IndexDetail', 'Collection', 'collection_name'),
  GetIndexStatistics: rule('IndexDetail', 'Collection', 'collection_name'),
  GetIndexState: rule('IndexDetail', 'Collection', 'collection_name'),
  GetIndexBuildProgress: rule('IndexDetail', 'Collection', 'collection_name'),
  DropIndex: rule('DropIndex', 'Collection', 'collection_name'),
  Insert: rule('Insert', 'Collection', 'collection_name'),
  Delete: rule('Delete', 'Collection', 'collection_name'),
  Upsert: rule('Upsert', 'Collection', 'collection_name'),
  Search: rule('Search', 'Collection', 'collection_name'),
  HybridSearch: rule('Search', 'Collection', 'collection_name'),
  Flush: rule('Flush', 'Collection', undefined, 'collection_names'),
  Query: rule('Query', 'Collection', 'collection_name'),
  CalcDistance: open,
  FlushAll: rule('FlushAll', 'Global'),
  AddCollectionField: rule('AddCollectionField', 'Collection', 'collection_name'),
  GetFlushState: rule('GetFlushState', 'Collection', 'collection_name'),
  GetFlushAllState: open,
  GetPersistentSegmentInfo: open,
  GetQuerySegmentInfo: open,
  GetReplicas: open,
  Dummy: open,
  RegisterLink: open,
  GetMetrics: open,
  GetComponentStates: open,
  LoadBalance: rule('LoadBalance', 'Collection', 'collectionName'),
  GetCompactionState: open,
  ManualCompaction: rule('Compaction', 'Collection', 'collection_name'),
  GetCompactionStateWithPlans: open,
  Import: rule('Import', 'Collection', 'collection_name'),
  GetImportState: open,
  ListImportTasks: open,
  CreateCredential: rule('CreateOwnership', 'Global'),
  UpdateCredential: rule('UpdateUser', 'User', 'username'),
  DeleteCredential: rule('DropOwnership', 'Global'),
  ListCredUsers: rule('SelectOwnership', 'Global'),
  CreateRole: rule('CreateOwnership', 'Global'),
  DropRole: rule('DropOwnership', 'Global'),
  OperateUserRole: rule('ManageOwnership', 'Global'),
  SelectRole: rule('SelectOwnership', 'Global'),
  SelectUser: rule('SelectUser', 'User', 'user.name'),
  OperatePrivilege: rule('ManageOwnership', 'Global'),
  OperatePrivilegeV2: rule('ManageOwnership', 'Global'),
  SelectGrant: { ...rule('SelectOwnership', 'Global'), ownRole: 'entity.role.name' },
  GetVersion: open,
  CheckHealth: open,
  CreateResourceGroup: rule('CreateResourceGroup', 'Global'),
  DropResourceGroup: rule('DropResourceGroup', 'Global'),
  UpdateResourceGroups: rule('UpdateResourceGroups', 'Global'),
  TransferNode: rule('TransferNode', 'Global'),
  TransferReplica: rule('TransferReplica', 'Global'),
  ListResourceGroups: rule('ListResourceGroups', 'Global'),
  DescribeResourceGroup: rule('DescribeResourceGroup', 'Global'),
  RenameCollection: rule('RenameCollection', 'Global'),
  ListIndexedSegment: open,
  DescribeSegmentIndexData: open,
  Connect: open,
  AllocTimestamp: open,
  CreateDatabase: rule('CreateDatabase', 'Global'),
  DropDatabase: rule('DropDatabase', 'Global'),
  ListDatabases: open,
  AlterDatabase: rule('AlterDatabase', 'Global'),
  DescribeDatabase: rule('DescribeDatabase', 'Global'),
  ReplicateMessage: open,
  BackupRBAC: rule('BackupRBAC', 'Global'),
  RestoreRBAC: rule('RestoreRBAC', 'Global'),
  CreatePrivilegeGroup: rule('CreatePrivilegeGroup', 'Global'),
  DropPrivilegeGroup: rule('DropPrivilegeGroup', 'Global'),
  ListPrivilegeGroups: rule('ListPrivilegeGroups', 'Global'),
  OperatePrivilegeGroup: rule('OperatePrivilegeGroup', 'Global'),
  RunAnalyzer: open,
  AddFileResource: rule('AddFileResource', 'Global'),
  RemoveFileResource: rule('RemoveFileResource', 'Global'),
  ListFileResources: rule('ListFileResources', 'Global'),
  AddUserTags: rule('UpdateUser', 'User', 'user_name'),
  DeleteUserTags: rule('UpdateUser', 'User', 'user_name'),
  GetUserTags: rule('SelectUser', 'User', 'user_name'),
  ListUsersWithTag: rule('SelectUser', 'User'),
  CreateRowPolicy: rule('CreateOwnership', 'Collection', 'collection_name'),
  DropRowPolicy: rule('DropOwnership', 'Collection', 'collection_name'),
  ListRowPolicies: rule('SelectOwnership', 'Collection', 'collection_name'),
  UpdateReplicateConfiguration: rule('UpdateReplicateConfiguration', 'Global'),
  GetReplicateConfiguration: rule('GetReplicateConfiguration', 'Global'),
  GetReplicateInfo: open,
  CreateReplicateStream: open,
  DumpMessages: open,
});

/** A REST route: the RPC whose access it has, and the body's field paths for the names. */
interface RestAccess {
  readonly rpc: string;
  readonly name?: string;
  readonly names?: string;
  readonly ownRole?: string;
}

const rest = (rpc: string, name?: string, names?: string): RestAccess => Object.freeze({ rpc, ...(name ? { name } : {}), ...(names ? { names } : {}) });
const coll = (rpc: string): RestAccess => rest(rpc, 'collectionName');

export const restAccess: Readonly<Record<string, RestAccess | Access>> = Object.freeze({
  'databases/create': rest('CreateDatabase'),
  'databases/drop': rest('DropDatabase'),
  'databases/list': rest('ListDatabases'),
  'databases/describe': rest('DescribeDatabase'),
  'databases/alter': rest('AlterDatabase'),
  'databases/alter_properties': rest('AlterDatabase'),
  'databases/drop_properties': rest('AlterDatabase'),
  'collections/create': coll('CreateCollection'),
  'collections/drop': coll('DropCollection'),
  'collections/has': coll('HasCollection'),
  'collections/describe': coll('DescribeCollection'),
  'collections/list': rest('ShowCollections'),
  'collections/rename': rest('RenameCollection'),
  'collections/load': coll('LoadCollection'),
  'collections/refresh_load': coll('LoadCollection'),
  'collections/release': coll('ReleaseCollection'),
  'collections/flush': rest('Flush', undefined, 'collectionName'),
  'collections/get_stats': coll('GetCollectionStatistics'),
  'collections/get_load_state': coll('GetLoadState'),
  'collections/alter_properties': coll('AlterCollection'),
  'collections/fields/alter_properties': coll('AlterCollectionField'),
  'collections/drop_properties': coll('AlterCollection'),
  'collections/truncate': coll('TruncateCollection'),
  'collections/compact': coll('ManualCompaction'),
  'collections/get_compaction_state': rest('GetCompactionState'),
  'collections/fields/add': coll('AddCollectionField'),
  'collections/fields/drop': coll('AlterCollection'),
  'collections/add_function': coll('AddCollectionFunction'),
  'collections/alter_function': coll('AlterCollectionFunction'),
  'collections/drop_function': coll('DropCollectionFunction'),
  'partitions/create': coll('CreatePartition'),
  'partitions/drop': coll('DropPartition'),
  'partitions/has': coll('HasPartition'),
  'partitions/list': coll('ShowPartitions'),
  'partitions/load': coll('LoadPartitions'),
  'partitions/release': coll('ReleasePartitions'),
  'partitions/get_stats': coll('GetPartitionStatistics'),
  'aliases/create': rest('CreateAlias'),
  'aliases/drop': rest('DropAlias'),
  'aliases/alter': rest('AlterAlias'),
  'aliases/describe': rest('DescribeAlias'),
  'aliases/list': rest('ListAliases'),
  'indexes/create': coll('CreateIndex'),
  'indexes/describe': coll('DescribeIndex'),
  'indexes/list': coll('DescribeIndex'),
  'indexes/drop': coll('DropIndex'),
  'indexes/alter_properties': coll('AlterIndex'),
  'indexes/drop_properties': coll('AlterIndex'),
  'entities/insert': coll('Insert'),
  'entities/upsert': coll('Upsert'),
  'entities/delete': coll('Delete'),
  'entities/get': coll('Query'),
  'entities/query': coll('Query'),
  'entities/search': coll('Search'),
  'entities/hybrid_search': coll('HybridSearch'),
  'entities/advanced_search': coll('HybridSearch'),
  'resource_groups/create': rest('CreateResourceGroup'),
  'resource_groups/drop': rest('DropResourceGroup'),
  'resource_groups/alter': rest('UpdateResourceGroups'),
  'resource_groups/describe': rest('DescribeResourceGroup'),
  'resource_groups/list': rest('ListResourceGroups'),
  'resource_groups/transfer_replica': rest('TransferReplica'),
  'users/list': rest('ListCredUsers'),
  'users/describe': rest('SelectUser', 'userName'),
  'users/create': rest('CreateCredential'),
  'users/update_password': rest('UpdateCredential', 'userName'),
  'users/drop': rest('DeleteCredential'),
  'users/grant_role': rest('OperateUserRole'),
  'users/revoke_role': rest('OperateUserRole'),
  'roles/list': rest('SelectRole'),
  // Milvus's roles/describe lists the role's grants (SelectGrant), which a member may read.
  'roles/describe': { rpc: 'SelectGrant', ownRole: 'roleName' },
  'roles/create': rest('CreateRole'),
  'roles/drop': rest('DropRole'),
  'roles/grant_privilege': rest('OperatePrivilege'),
  'roles/revoke_privilege': rest('OperatePrivilege'),
  'roles/grant_privilege_v2': rest('OperatePrivilegeV2'),
  'roles/revoke_privilege_v2': rest('OperatePrivilegeV2'),
  'privilege_groups/create': rest('CreatePrivilegeGroup'),
  'privilege_groups/drop': rest('DropPrivilegeGroup'),
  'privilege_groups/list': rest('ListPrivilegeGroups'),
  'privilege_groups/add_privileges_to_group': rest('OperatePrivilegeGroup'),
  'privilege_groups/remove_privileges_from_group': rest('OperatePrivilegeGroup'),
  // Milvus's import jobs have access rules of their own (its proto's *AuthPlaceholder messages).
  'jobs/import/list': rule('ListImport', 'Global'),
  'jobs/import/create': rule('Import', 'Collection', 'collectionName'),
  'jobs/import/get_progress': rule('GetImportProgress', 'Global'),
  'jobs/import/describe': rule('GetImportProgress', 'Global'),
});

/** The access of a REST route (its RPC's, with the body's field paths). */
export function restAccessOf(path: string): Access | undefined {
  const a = restAccess[path];
  if (a === undefined || a === open || 'privilege' in a) return a;
  const base = rpcAccess[a.rpc];
  if (base === undefined || base === open) return base;
  return { ...base, name: a.name, names: a.names, ...(a.ownRole ? { ownRole: a.ownRole } : {}) };
}

function at(req: unknown, path: string): unknown {
  let v: unknown = req;
  for (const part of path.split('.')) v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[part] : undefined;
  return v;
}

/** What one call needs: one Need per object it names (a call naming none needs the privilege on `*`). */
export function needsOf(access: PrivilegeRule, req: unknown, db: string): Need[] {
  // A cluster-level privilege belongs to no database (Milvus judges it on `*`).
  const dbName = privilegeLevelOf(access.privilege) === 'Cluster' ? anyName : db;
  const need = (objectName: string): Need => ({ privilege: access.privilege, objectType: access.objectType, objectName, dbName });
  if (access.names !== undefined) {
    const v = at(req, access.names);
    const list = (Array.isArray(v) ? v : [v]).filter((n): n is string => typeof n === 'string' && n !== '');
    return list.length > 0 ? list.map(need) : [need(anyName)];
  }
  if (access.name === undefined) return [need(anyName)];
  const v = at(req, access.name);
  return [need(typeof v === 'string' && v !== '' ? v : anyName)];
}

/**
 * Refuses a call `user` may not make with PERMISSION_DENIED, as Milvus's privilege
 * interceptor answers; does nothing for an `open` call or one the user may make.
 */
export function authorize(engine: Pick<Gateway, 'allows' | 'selectUser'>, access: Access | undefined, req: unknown, db: string, user: string): void {
  // A call missing from the table is a programmer error the table's test catches; here it is refused rather than let through.
  if (access === undefined) throw new ElanusError('PERMISSION_DENIED', { privilege: 'PrivilegeAll', user, db });
  if (access === open) return;
  if (access.ownRole !== undefined) {
    const role = at(req, access.ownRole);
    if (typeof role === 'string' && (role === 'public' || ownRoles(engine, user).includes(role))) return;
  }
  for (const need of needsOf(access, req, db)) {
    if (!engine.allows(user, need)) throw new ElanusError('PERMISSION_DENIED', { privilege: `Privilege${need.privilege}`, user, db: need.dbName });
  }
}

function ownRoles(engine: Pick<Gateway, 'selectUser'>, user: string): string[] {
  try {
    return engine.selectUser({ username: user, includeRoleInfo: true }).results[0]?.roles ?? [];
  } catch {
    return [];
  }
}
