// Roles, grants and privilege groups as Milvus 2.5/2.6 define them: the names of the
// privileges and of the nine built-in privilege groups with their members, the stored
// forms and their keys, the checks names are held to, and the one rule that decides
// whether a set of grants allows a call (`grantsAllow`). Pure data and functions: the
// engine's RbacRole (engine/rbac.ts) owns the stored state and commits its changes.
//
// A grant is (role, object type, database, object name, privilege or group). A call needs
// one privilege on one object (api/privileges.ts says which); a role allows it when one
// of its grants, in the call's database (or `*`), either
//   - names that privilege on that object type and that object name (or `*`), or
//   - names `All`, or a privilege group holding that privilege, on that object name or
//     `*` (a group's members span object types, so only the names are compared; a call
//     on no particular object, `*`, is allowed by a group granted on any one of them).
import { fail } from '../errors/index.js';

/** The two roles that always exist and cannot be dropped. */
export const adminRole = 'admin';
export const publicRole = 'public';
export const builtinRoles: readonly string[] = [adminRole, publicRole];
/** Milvus's wildcard for an object name or a database. */
export const anyName = '*';

export const rbacLimits = Object.freeze({
  /** Milvus's proxy.maxRoleNum: custom roles (admin and public do not count). */
  rolesMax: 10,
  /** Milvus's proxy.maxNameLength, for role and privilege group names. */
  nameBytesMax: 255,
  /** Custom privilege groups (Milvus has no separate setting; this bounds what one node keeps). */
  privilegeGroupsMax: 100,
  /** Grants of one role (bounds SelectGrant's answer and each check's walk). */
  grantsPerRoleMax: 1000,
  /** Privileges named in one OperatePrivilegeGroup call. */
  privilegesPerCallMax: 100,
});

export type ObjectType = 'Global' | 'Collection' | 'User';
export const objectTypes: readonly ObjectType[] = ['Global', 'Collection', 'User'];

/** Each privilege Milvus names (common.proto ObjectPrivilege, without `Privilege`), by the object type it belongs to. */
const collectionPrivileges = [
  'Load', 'Release', 'Compaction', 'Insert', 'Delete', 'Upsert', 'GetStatistics', 'CreateIndex', 'IndexDetail', 'DropIndex', 'Search',
  'Flush', 'Query', 'LoadBalance', 'Import', 'GetLoadingProgress', 'GetLoadState', 'CreatePartition', 'DropPartition', 'ShowPartitions',
  'HasPartition', 'GetFlushState', 'AddCollectionField',
] as const;
const globalPrivileges = [
  'All', 'CreateCollection', 'DropCollection', 'DescribeCollection', 'ShowCollections', 'RenameCollection', 'CreateOwnership',
  'DropOwnership', 'SelectOwnership', 'ManageOwnership', 'BackupRBAC', 'RestoreRBAC', 'CreateResourceGroup', 'UpdateResourceGroups',
  'DropResourceGroup', 'DescribeResourceGroup', 'ListResourceGroups', 'TransferReplica', 'TransferNode', 'FlushAll', 'CreateDatabase',
  'DropDatabase', 'ListDatabases', 'AlterDatabase', 'DescribeDatabase', 'CreateAlias', 'DropAlias', 'DescribeAlias', 'ListAliases',
  'CreatePrivilegeGroup', 'DropPrivilegeGroup', 'ListPrivilegeGroups', 'OperatePrivilegeGroup', 'GetImportProgress', 'ListImport',
  'AddFileResource', 'RemoveFileResource', 'ListFileResources', 'UpdateReplicateConfiguration', 'GetReplicateConfiguration',
] as const;
const userPrivileges = ['UpdateUser', 'SelectUser'] as const;

export type Privilege = (typeof collectionPrivileges)[number] | (typeof globalPrivileges)[number] | (typeof userPrivileges)[number];

export const privilegeNames: ReadonlySet<string> = new Set<string>([...collectionPrivileges, ...globalPrivileges, ...userPrivileges]);

/** The object type a privilege belongs to (Milvus's GetObjectType): a group or an unknown name is Global. */
export function objectTypeOf(privilege: string): ObjectType {
  if ((collectionPrivileges as readonly string[]).includes(privilege)) return 'Collection';
  if ((userPrivileges as readonly string[]).includes(privilege)) return 'User';
  return 'Global';
}

// The nine built-in groups, each level holding the one below it, as Milvus 2.5/2.6 list
// them (its pkg/util constant lists and the privilege group documentation).
const collectionReadOnly = [
  'Query', 'Search', 'IndexDetail', 'GetFlushState', 'GetLoadState', 'GetLoadingProgress', 'HasPartition', 'ShowPartitions',
  'DescribeCollection', 'DescribeAlias', 'GetStatistics', 'ListAliases',
];
const collectionReadWrite = [
  ...collectionReadOnly, 'Load', 'Release', 'Insert', 'Delete', 'Upsert', 'Import', 'Flush', 'Compaction', 'LoadBalance', 'CreateIndex',
  'DropIndex', 'CreatePartition', 'DropPartition',
];
const collectionAdmin = [...collectionReadWrite, 'CreateAlias', 'DropAlias'];
const databaseReadOnly = ['ShowCollections', 'DescribeDatabase'];
const databaseReadWrite = [...databaseReadOnly, 'AlterDatabase'];
const databaseAdmin = [...databaseReadWrite, 'CreateCollection', 'DropCollection'];
const clusterReadOnly = ['ListDatabases', 'SelectOwnership', 'SelectUser', 'DescribeResourceGroup', 'ListResourceGroups', 'ListPrivilegeGroups'];
const clusterReadWrite = [...clusterReadOnly, 'FlushAll', 'TransferNode', 'TransferReplica', 'UpdateResourceGroups'];
const clusterAdmin = [
  ...clusterReadWrite, 'BackupRBAC', 'RestoreRBAC', 'CreateDatabase', 'DropDatabase', 'CreateOwnership', 'DropOwnership', 'ManageOwnership',
  'CreateResourceGroup', 'DropResourceGroup', 'UpdateUser', 'RenameCollection', 'CreatePrivilegeGroup', 'DropPrivilegeGroup',
  'OperatePrivilegeGroup',
];

export type PrivilegeLevel = 'Cluster' | 'Database' | 'Collection';

export const builtinGroups: ReadonlyMap<string, readonly string[]> = new Map<string, readonly string[]>([
  ['CollectionReadOnly', collectionReadOnly], ['CollectionReadWrite', collectionReadWrite], ['CollectionAdmin', collectionAdmin],
  ['DatabaseReadOnly', databaseReadOnly], ['DatabaseReadWrite', databaseReadWrite], ['DatabaseAdmin', databaseAdmin],
  ['ClusterReadOnly', clusterReadOnly], ['ClusterReadWrite', clusterReadWrite], ['ClusterAdmin', clusterAdmin],
].map(([name, members]) => [name as string, Object.freeze([...(members as string[])])]));

/**
 * Milvus's GetPrivilegeLevel: Cluster for what ClusterAdmin holds, else Database for what
 * DatabaseAdmin holds, else Collection for what CollectionAdmin holds; a built-in group is
 * of its own level. Undefined for the rest (custom groups, All, privileges in no group).
 */
export function privilegeLevelOf(name: string): PrivilegeLevel | undefined {
  for (const level of ['Cluster', 'Database', 'Collection'] as const) {
    if (name.startsWith(level) && builtinGroups.has(name)) return level;
    if (builtinGroups.get(`${level}Admin`)!.includes(name)) return level;
  }
  return undefined;
}

export interface RoleMeta { readonly name: string; readonly createdMs: number }
export interface UserRoleMeta { readonly user: string; readonly role: string }
export interface GrantMeta {
  readonly role: string;
  readonly objectType: ObjectType;
  readonly dbName: string;
  readonly objectName: string;
  /** A privilege, `All`, or a privilege group (built-in or custom). */
  readonly privilege: string;
  readonly grantor: string;
}
export interface PrivilegeGroupMeta { readonly name: string; readonly privileges: readonly string[] }

/** One grant or revoke, as OperatePrivilege (V1) names it. */
export interface PrivilegeChange {
  readonly role: string;
  readonly objectType: string;
  readonly objectName: string;
  readonly dbName?: string | undefined;
  readonly privilege: string;
  readonly grantor?: string | undefined;
  readonly revoke: boolean;
}

/** One grant or revoke, as OperatePrivilegeV2 names it (the object follows from the privilege's level). */
export interface PrivilegeChangeV2 {
  readonly role: string;
  readonly privilege: string;
  readonly dbName?: string | undefined;
  readonly collectionName?: string | undefined;
  readonly grantor?: string | undefined;
  readonly revoke: boolean;
}

/** What BackupRBAC returns and RestoreRBAC takes. Passwords are stored hashes, never passwords. */
export interface RbacBackup {
  readonly users: ReadonlyArray<{ user: string; password: string; roles: string[] }>;
  readonly roles: readonly string[];
  readonly grants: readonly GrantMeta[];
  readonly privilegeGroups: ReadonlyArray<{ name: string; privileges: string[] }>;
}

// Each fact is its own key, so one change is one commit of a few keys and a crash leaves
// it wholly there or not; names are URI-encoded, so a `/` in an object name cannot
// stand for a separator.
const enc = encodeURIComponent;
export const rbacKeys = Object.freeze({
  rolePrefix: 'role/',
  role: (name: string) => `role/${enc(name)}`,
  userRolePrefix: 'user-role/',
  userRolesOf: (user: string) => `user-role/${enc(user)}/`,
  userRole: (user: string, role: string) => `user-role/${enc(user)}/${enc(role)}`,
  grantPrefix: 'grant/',
  grantsOf: (role: string) => `grant/${enc(role)}/`,
  grant: (g: Pick<GrantMeta, 'role' | 'objectType' | 'dbName' | 'objectName' | 'privilege'>) =>
    `grant/${enc(g.role)}/${enc(g.objectType)}/${enc(g.dbName)}/${enc(g.objectName)}/${enc(g.privilege)}`,
  groupPrefix: 'privilege-group/',
  group: (name: string) => `privilege-group/${enc(name)}`,
});

/** Milvus's ValidateRoleName (and ValidatePrivilegeGroupName, the same rules). */
export function validateRoleName(name: unknown, what: 'role' | 'privilege group' = 'role'): string {
  const code = what === 'role' ? 'INVALID_ROLE_NAME' : 'INVALID_PRIVILEGE_GROUP_NAME';
  if (typeof name !== 'string' || name === '') fail(code, { name: JSON.stringify(name ?? ''), rule: `the ${what} name must not be empty` });
  if (Buffer.byteLength(name) > rbacLimits.nameBytesMax) fail(code, { name, rule: `the length of a ${what} name must be less than ${rbacLimits.nameBytesMax} characters` });
  if (!/^[A-Za-z_]/.test(name)) fail(code, { name, rule: `the first character of a ${what} name must be an underscore or letter` });
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) fail(code, { name, rule: `a ${what} name can only contain numbers, letters and underscores` });
  return name;
}

/** What a call needs: one privilege on one object of a database. */
export interface Need {
  readonly privilege: string;
  readonly objectType: ObjectType;
  /** The object's name, `*` when the call names none. */
  readonly objectName: string;
  /** The database the call works in, `*` for a cluster-level privilege. */
  readonly dbName: string;
}

/** Whether `grants` (of the caller's roles) allow `need`; `groupMembers` resolves a group name (built-in or custom) to its privileges. */
export function grantsAllow(grants: Iterable<GrantMeta>, need: Need, groupMembers: (name: string) => readonly string[] | undefined): boolean {
  for (const g of grants) {
    if (g.dbName !== anyName && g.dbName !== need.dbName) continue;
    const nameMatches = g.objectName === anyName || g.objectName === need.objectName;
    if (g.privilege === need.privilege) {
      if (g.objectType === need.objectType && nameMatches) return true;
      continue;
    }
    if (g.privilege === 'All') return true;
    const members = groupMembers(g.privilege);
    if (members && members.includes(need.privilege) && (nameMatches || need.objectName === anyName)) return true;
  }
  return false;
}
