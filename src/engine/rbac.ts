// Roles and privileges (coordinator role): Milvus's CreateRole, DropRole, OperateUserRole,
// SelectRole, SelectUser, OperatePrivilege(V2), SelectGrant, the privilege group calls,
// BackupRBAC and RestoreRBAC, and the check every call passes when authentication is on
// (`allows`). Each fact is one key of the engine's metadata (catalog/rbac.ts), beside the
// users, and each change is one commit made in the coordinator queue after its checks,
// with no await between them: a crash leaves a change wholly there or not, and an
// acknowledged change is durable.
//
// Checks read a frozen snapshot of the stored facts, rebuilt when the metadata has
// changed since it was made, so a revoke takes effect on the very next call.
import { fail } from '../errors/index.js';
import {
  adminRole, anyName, builtinGroups, builtinRoles, credentialKeys, grantsAllow, objectTypeOf, objectTypes, privilegeLevelOf, privilegeNames,
  publicRole, rbacKeys, rbacLimits, rootUser, validateRoleName, validateUserName,
  type CredentialMeta, type GrantMeta, type Need, type ObjectType, type PrivilegeChange, type PrivilegeChangeV2, type PrivilegeGroupMeta, type RbacBackup,
  type RoleMeta, type UserRoleMeta,
} from '../catalog/index.js';
import { status } from '../gateway/requests.js';
import type { EngineCore } from './core.js';

type Status = typeof status;

/** The stored facts, frozen, as one check reads them. */
interface Snapshot {
  readonly revision: number;
  readonly roles: ReadonlySet<string>;
  readonly rolesOfUser: ReadonlyMap<string, readonly string[]>;
  readonly grantsOfRole: ReadonlyMap<string, readonly GrantMeta[]>;
  readonly groups: ReadonlyMap<string, readonly string[]>;
}

export class RbacRole {
  private snapshot: Snapshot | undefined;

  constructor(private readonly core: EngineCore) {}

  // ---------------------------------------------------------------- the check

  /** The roles bound to a user (public not included: every user has it). */
  rolesOf(user: string): readonly string[] {
    return this.state().rolesOfUser.get(user) ?? [];
  }

  /**
   * Whether `user` may make a call that needs `need`: root and members of admin may make
   * every call; a user may read and change itself (an object of type User named after
   * it); anyone else needs a grant of one of its roles or of public.
   */
  allows(user: string, need: Need): boolean {
    if (user === rootUser) return true;
    const s = this.state();
    const roles = [...(s.rolesOfUser.get(user) ?? []), publicRole];
    if (roles.includes(adminRole)) return true;
    if (need.objectType === 'User' && need.objectName === user) return true;
    const members = (name: string) => builtinGroups.get(name) ?? s.groups.get(name);
    return roles.some((role) => grantsAllow(s.grantsOfRole.get(role) ?? [], need, members));
  }

  // ---------------------------------------------------------------- roles

  async createRole(req: { roleName: string }): Promise<Status> {
    this.core.checkOpen();
    const name = validateRoleName(this.core.requireObject(req).roleName);
    return this.core.ddl(async () => {
      const s = this.state();
      if (s.roles.has(name)) fail('ROLE_ALREADY_EXISTS', { name });
      if (s.roles.size - builtinRoles.length >= rbacLimits.rolesMax) {
        fail('LIMIT_EXCEEDED', { what: 'role', detail: `at most ${rbacLimits.rolesMax} roles besides admin and public` });
      }
      const meta: RoleMeta = { name, createdMs: this.core.clock.now() };
      await this.commit({ put: { [rbacKeys.role(name)]: meta } });
      return status;
    });
  }

  /** Drops a role and its users' bindings; its grants too with `forceDrop`, else a role with grants is refused. */
  async dropRole(req: { roleName: string; forceDrop?: boolean }): Promise<Status> {
    this.core.checkOpen();
    const name = validateRoleName(this.core.requireObject(req).roleName);
    if (builtinRoles.includes(name)) fail('ROLE_NOT_DROPPABLE', { name });
    return this.core.ddl(async () => {
      const s = this.state();
      if (!s.roles.has(name)) fail('ROLE_NOT_FOUND', { name });
      const grants = s.grantsOfRole.get(name) ?? [];
      if (grants.length > 0 && req.forceDrop !== true) fail('ROLE_HAS_GRANTS', { name });
      const del = [rbacKeys.role(name), ...grants.map((g) => rbacKeys.grant(g))];
      for (const [user, roles] of s.rolesOfUser) if (roles.includes(name)) del.push(rbacKeys.userRole(user, name));
      await this.commit({ del });
      return status;
    });
  }

  /** Binds a user to a role or unbinds it; binding twice or unbinding what is not bound changes nothing (as Milvus). */
  async operateUserRole(req: { username: string; roleName: string; remove: boolean }): Promise<Status> {
    this.core.checkOpen();
    const user = validateUserName(this.core.requireObject(req).username);
    const role = validateRoleName(req.roleName);
    return this.core.ddl(async () => {
      const s = this.state();
      if (!s.roles.has(role)) fail('ROLE_NOT_FOUND', { name: role });
      const bound = (s.rolesOfUser.get(user) ?? []).includes(role);
      if (req.remove) {
        if (bound) await this.commit({ del: [rbacKeys.userRole(user, role)] });
        return status;
      }
      if (!this.userExists(user)) fail('USER_NOT_FOUND', { name: user });
      if (!bound) {
        const meta: UserRoleMeta = { user, role };
        await this.commit({ put: { [rbacKeys.userRole(user, role)]: meta } });
      }
      return status;
    });
  }

  /** SelectRole: one role or all (admin, public, then the others by name), with their users when asked. */
  selectRole(req: { roleName?: string | undefined; includeUserInfo?: boolean }): { status: Status; results: Array<{ role: string; users: string[] }> } {
    this.core.checkOpen();
    const s = this.state();
    let names = [...s.roles];
    if (req.roleName !== undefined && req.roleName !== '') {
      const name = validateRoleName(req.roleName);
      names = s.roles.has(name) ? [name] : [];
    }
    const usersOf = (role: string) => [...s.rolesOfUser].filter(([, roles]) => roles.includes(role)).map(([u]) => u).sort();
    return { status, results: names.map((role) => ({ role, users: req.includeUserInfo ? usersOf(role) : [] })) };
  }

  /** SelectUser: one user or all (root first), with their roles when asked. */
  selectUser(req: { username?: string | undefined; includeRoleInfo?: boolean }): { status: Status; results: Array<{ user: string; roles: string[] }> } {
    this.core.checkOpen();
    let users = this.userNames();
    if (req.username !== undefined && req.username !== '') {
      const name = validateUserName(req.username);
      if (!this.userExists(name)) fail('USER_NOT_FOUND', { name });
      users = [name];
    }
    return { status, results: users.map((user) => ({ user, roles: req.includeRoleInfo ? [...this.rolesOf(user)] : [] })) };
  }

  // ---------------------------------------------------------------- grants

  /** OperatePrivilege (V1): a privilege or group on an object type and name, in a database. */
  async operatePrivilege(req: PrivilegeChange): Promise<Status> {
    this.core.checkOpen();
    const role = validateRoleName(this.core.requireObject(req).role);
    if (!(objectTypes as readonly string[]).includes(req.objectType)) {
      fail('INVALID_PRIVILEGE', { detail: `not found the object type[name: ${String(req.objectType)}], supported the object types: ${objectTypes.join(', ')}` });
    }
    const objectType = req.objectType as ObjectType;
    if (typeof req.objectName !== 'string' || req.objectName === '') fail('INVALID_PRIVILEGE', { detail: 'the object name must not be empty' });
    const privilege = this.privilegeName(req.privilege);
    if (privilegeNames.has(privilege) && privilege !== 'All' && objectTypeOf(privilege) !== objectType) {
      fail('INVALID_PRIVILEGE', { detail: `not found the privilege name[${privilege}] in object[${objectType}]` });
    }
    const dbName = req.dbName === undefined || req.dbName === '' ? 'default' : req.dbName;
    return this.changeGrant({ role, objectType, dbName, objectName: req.objectName, privilege, grantor: req.grantor ?? rootUser }, req.revoke);
  }

  /**
   * OperatePrivilegeV2: a privilege or group on a database and collection. The level of
   * a built-in privilege bounds its scope, as Milvus checks it: a cluster-level one is
   * granted on `*`.`*`, a database-level one on a database's `*`.
   */
  async operatePrivilegeV2(req: PrivilegeChangeV2): Promise<Status> {
    this.core.checkOpen();
    const role = validateRoleName(this.core.requireObject(req).role);
    const privilege = this.privilegeName(req.privilege);
    const level = privilegeLevelOf(privilege);
    const dbName = req.dbName === undefined || req.dbName === '' ? (level === 'Cluster' ? anyName : 'default') : req.dbName;
    const collectionName = req.collectionName === undefined || req.collectionName === '' ? anyName : req.collectionName;
    if (level === 'Cluster' && (dbName !== anyName || collectionName !== anyName)) {
      fail('INVALID_PRIVILEGE', { detail: `dbName and collectionName should be * for the cluster level privilege: ${privilege}` });
    }
    if (level === 'Database' && collectionName !== anyName) {
      fail('INVALID_PRIVILEGE', { detail: `collectionName should be * for the database level privilege: ${privilege}` });
    }
    return this.changeGrant({ role, objectType: objectTypeOf(privilege), dbName, objectName: collectionName, privilege, grantor: req.grantor ?? rootUser }, req.revoke);
  }

  /** SelectGrant: a role's grants, narrowed to an object type, object name and database when given. */
  selectGrant(req: { role: string; objectType?: string | undefined; objectName?: string | undefined; dbName?: string | undefined }): { status: Status; grants: GrantMeta[] } {
    this.core.checkOpen();
    const role = validateRoleName(this.core.requireObject(req).role);
    const s = this.state();
    if (!s.roles.has(role)) fail('ROLE_NOT_FOUND', { name: role });
    const given = (v: string | undefined) => v !== undefined && v !== '';
    const grants = (s.grantsOfRole.get(role) ?? []).filter((g) => (!given(req.objectType) || g.objectType === req.objectType)
      && (!given(req.objectName) || g.objectName === req.objectName) && (!given(req.dbName) || req.dbName === anyName || g.dbName === req.dbName || g.dbName === anyName));
    return { status, grants };
  }

  // ---------------------------------------------------------------- privilege groups

  async createPrivilegeGroup(req: { groupName: string }): Promise<Status> {
    this.core.checkOpen();
    const name = this.customGroupName(this.core.requireObject(req).groupName);
    return this.core.ddl(async () => {
      const s = this.state();
      if (s.groups.has(name)) fail('PRIVILEGE_GROUP_ALREADY_EXISTS', { name });
      if (s.groups.size >= rbacLimits.privilegeGroupsMax) fail('LIMIT_EXCEEDED', { what: 'privilege group', detail: `at most ${rbacLimits.privilegeGroupsMax} custom privilege groups` });
      const meta: PrivilegeGroupMeta = { name, privileges: [] };
      await this.commit({ put: { [rbacKeys.group(name)]: meta } });
      return status;
    });
  }

  /** Drops a custom group; one that a role is granted is refused (revoke it first). */
  async dropPrivilegeGroup(req: { groupName: string }): Promise<Status> {
    this.core.checkOpen();
    const name = this.customGroupName(this.core.requireObject(req).groupName);
    return this.core.ddl(async () => {
      const s = this.state();
      if (!s.groups.has(name)) return status;
      for (const [role, grants] of s.grantsOfRole) if (grants.some((g) => g.privilege === name)) fail('PRIVILEGE_GROUP_IN_USE', { name, role });
      await this.commit({ del: [rbacKeys.group(name)] });
      return status;
    });
  }

  /** The built-in groups, then the custom ones by name, each with its privileges. */
  listPrivilegeGroups(): { status: Status; groups: Array<{ name: string; privileges: string[] }> } {
    this.core.checkOpen();
    const s = this.state();
    const groups = [...builtinGroups, ...[...s.groups].sort(([a], [b]) => (a < b ? -1 : 1))].map(([name, privileges]) => ({ name, privileges: [...privileges] }));
    return { status, groups };
  }

  /** Adds privileges to a custom group or removes them; each must be a privilege, not a group. */
  async operatePrivilegeGroup(req: { groupName: string; privileges: readonly string[]; remove: boolean }): Promise<Status> {
    this.core.checkOpen();
    const name = this.customGroupName(this.core.requireObject(req).groupName);
    if (!Array.isArray(req.privileges) || req.privileges.length === 0) fail('INVALID_PRIVILEGE', { detail: 'privileges must name at least one privilege' });
    if (req.privileges.length > rbacLimits.privilegesPerCallMax) fail('LIMIT_EXCEEDED', { what: 'privileges per call', detail: `at most ${rbacLimits.privilegesPerCallMax}` });
    for (const p of req.privileges) {
      if (typeof p !== 'string' || !privilegeNames.has(p) || p === 'All') fail('INVALID_PRIVILEGE', { detail: `privilege name [${String(p)}] is not a privilege that a group can hold` });
    }
    return this.core.ddl(async () => {
      const current = this.state().groups.get(name);
      if (!current) fail('PRIVILEGE_GROUP_NOT_FOUND', { name });
      const next = req.remove ? current.filter((p) => !req.privileges.includes(p)) : [...new Set([...current, ...req.privileges])];
      if (next.length !== current.length || next.some((p, i) => p !== current[i])) {
        const meta: PrivilegeGroupMeta = { name, privileges: next };
        await this.commit({ put: { [rbacKeys.group(name)]: meta } });
      }
      return status;
    });
  }

  // ---------------------------------------------------------------- backup and restore

  /** Every user but root (with its stored password hash and roles), custom role, grant and custom group. */
  backupRbac(): { status: Status; backup: RbacBackup } {
    this.core.checkOpen();
    const s = this.state();
    const users = this.core.meta.scan(credentialKeys.prefix).map(([, v]) => v as CredentialMeta).filter((u) => u.name !== rootUser)
      .map((u) => ({ user: u.name, password: u.hash, roles: [...(s.rolesOfUser.get(u.name) ?? [])] }));
    const roles = [...s.roles].filter((r) => !builtinRoles.includes(r));
    const grants = [...s.grantsOfRole.values()].flat();
    const privilegeGroups = [...s.groups].map(([name, privileges]) => ({ name, privileges: [...privileges] }));
    return { status, backup: { users, roles, grants, privilegeGroups } };
  }

  /**
   * Restores a backup in one commit: nothing of it may exist already (a user, role or
   * group of the same name is refused, and nothing is stored), as Milvus refuses.
   */
  async restoreRbac(req: { backup: RbacBackup; grantor?: string | undefined }): Promise<Status> {
    this.core.checkOpen();
    const b = this.core.requireObject(req).backup;
    if (typeof b !== 'object' || b === null) fail('INVALID_ARGUMENT', { detail: 'the RBAC backup is missing' });
    const roles = (b.roles ?? []).map((r) => validateRoleName(r));
    const groups = (b.privilegeGroups ?? []).map((g) => ({ name: this.customGroupName(g.name), privileges: g.privileges ?? [] }));
    for (const g of groups) for (const p of g.privileges) if (!privilegeNames.has(p)) fail('INVALID_PRIVILEGE', { detail: `privilege name [${p}] of group [${g.name}] is not a privilege` });
    const users = (b.users ?? []).map((u) => {
      const user = validateUserName(u.user);
      if (typeof u.password !== 'string' || !u.password.startsWith('scrypt$')) fail('INVALID_ARGUMENT', { detail: `the password of user ${user} in the backup is not a stored hash` });
      return { user, password: u.password, roles: (u.roles ?? []).map((r) => validateRoleName(r)) };
    });
    return this.core.ddl(async () => {
      const s = this.state();
      const put: Record<string, unknown> = {};
      const now = this.core.clock.now();
      for (const name of roles) {
        if (s.roles.has(name)) fail('ROLE_ALREADY_EXISTS', { name });
        put[rbacKeys.role(name)] = { name, createdMs: now } satisfies RoleMeta;
      }
      const allRoles = new Set([...s.roles, ...roles]);
      if (allRoles.size - builtinRoles.length > rbacLimits.rolesMax) fail('LIMIT_EXCEEDED', { what: 'role', detail: `at most ${rbacLimits.rolesMax} roles besides admin and public` });
      for (const g of groups) {
        if (s.groups.has(g.name)) fail('PRIVILEGE_GROUP_ALREADY_EXISTS', { name: g.name });
        put[rbacKeys.group(g.name)] = { name: g.name, privileges: [...new Set(g.privileges)] } satisfies PrivilegeGroupMeta;
      }
      for (const u of users) {
        if (this.userExists(u.user)) fail('USER_ALREADY_EXISTS', { name: u.user });
        put[credentialKeys.user(u.user)] = { name: u.user, hash: u.password, createdMs: now, updatedMs: now } satisfies CredentialMeta;
        for (const role of u.roles) {
          if (!allRoles.has(role)) fail('ROLE_NOT_FOUND', { name: role });
          put[rbacKeys.userRole(u.user, role)] = { user: u.user, role } satisfies UserRoleMeta;
        }
      }
      const groupNames = new Set([...s.groups.keys(), ...groups.map((g) => g.name)]);
      for (const g of b.grants ?? []) {
        const role = validateRoleName(g.role);
        if (!allRoles.has(role)) fail('ROLE_NOT_FOUND', { name: role });
        if (!(objectTypes as readonly string[]).includes(g.objectType)) fail('INVALID_PRIVILEGE', { detail: `not found the object type[name: ${String(g.objectType)}]` });
        if (!privilegeNames.has(g.privilege) && !builtinGroups.has(g.privilege) && !groupNames.has(g.privilege)) {
          fail('INVALID_PRIVILEGE', { detail: `not found the privilege name[${String(g.privilege)}]` });
        }
        const grant: GrantMeta = {
          role, objectType: g.objectType, dbName: g.dbName || 'default', objectName: g.objectName || anyName, privilege: g.privilege, grantor: g.grantor || req.grantor || rootUser,
        };
        put[rbacKeys.grant(grant)] = grant;
      }
      await this.commit({ put });
      return status;
    });
  }

  // ---------------------------------------------------------------- helpers

  private changeGrant(grant: GrantMeta, revoke: boolean): Promise<Status> {
    return this.core.ddl(async () => {
      const s = this.state();
      if (!s.roles.has(grant.role)) fail('ROLE_NOT_FOUND', { name: grant.role });
      const key = rbacKeys.grant(grant);
      const exists = this.core.meta.get(key) !== undefined;
      // Granting what is granted, or revoking what is not, changes nothing (Milvus ignores both).
      if (revoke) {
        if (exists) await this.commit({ del: [key] });
        return status;
      }
      if (!privilegeNames.has(grant.privilege) && !builtinGroups.has(grant.privilege) && !s.groups.has(grant.privilege)) {
        fail('INVALID_PRIVILEGE', { detail: `not found the privilege name[${grant.privilege}]` });
      }
      if (exists) return status;
      if ((s.grantsOfRole.get(grant.role) ?? []).length >= rbacLimits.grantsPerRoleMax) {
        fail('LIMIT_EXCEEDED', { what: 'grant', detail: `at most ${rbacLimits.grantsPerRoleMax} grants per role` });
      }
      await this.commit({ put: { [key]: grant } });
      return status;
    });
  }

  /** A privilege or group name as a grant takes it: a string, not empty (whether it exists is judged in the queue). */
  private privilegeName(v: unknown): string {
    if (typeof v !== 'string' || v === '') fail('INVALID_PRIVILEGE', { detail: 'the privilege name must not be empty' });
    return v;
  }

  /** A custom group's name: Milvus's name rules, and not the name of a privilege or a built-in group. */
  private customGroupName(v: unknown): string {
    const name = validateRoleName(v, 'privilege group');
    if (privilegeNames.has(name) || builtinGroups.has(name)) {
      fail('INVALID_PRIVILEGE_GROUP_NAME', { name, rule: 'the name is a privilege or a built-in privilege group' });
    }
    return name;
  }

  private userExists(user: string): boolean {
    return user === rootUser || this.core.meta.get(credentialKeys.user(user)) !== undefined;
  }

  /** Every user, root first, then by name. */
  private userNames(): string[] {
    const stored = this.core.meta.scan(credentialKeys.prefix).map(([, v]) => (v as CredentialMeta).name).filter((n) => n !== rootUser);
    return [rootUser, ...stored.sort()];
  }

  private async commit(txn: { put?: Record<string, unknown>; del?: string[] }): Promise<void> {
    this.snapshot = undefined;
    try {
      await this.core.catalog.commit(txn as Parameters<EngineCore['catalog']['commit']>[0]);
    } finally {
      this.snapshot = undefined;
    }
  }

  private state(): Snapshot {
    const revision = this.core.meta.revision;
    if (this.snapshot && this.snapshot.revision === revision) return this.snapshot;
    const roles = new Set<string>(builtinRoles);
    for (const [, v] of this.core.meta.scan(rbacKeys.rolePrefix)) roles.add((v as RoleMeta).name);
    const rolesOfUser = new Map<string, string[]>();
    for (const [, v] of this.core.meta.scan(rbacKeys.userRolePrefix)) {
      const { user, role } = v as UserRoleMeta;
      rolesOfUser.set(user, [...(rolesOfUser.get(user) ?? []), role]);
    }
    const grantsOfRole = new Map<string, GrantMeta[]>();
    for (const [, v] of this.core.meta.scan(rbacKeys.grantPrefix)) {
      const g = Object.freeze(v as GrantMeta);
      grantsOfRole.set(g.role, [...(grantsOfRole.get(g.role) ?? []), g]);
    }
    const groups = new Map<string, readonly string[]>();
    for (const [, v] of this.core.meta.scan(rbacKeys.groupPrefix)) groups.set((v as PrivilegeGroupMeta).name, Object.freeze([...(v as PrivilegeGroupMeta).privileges]));
    this.snapshot = Object.freeze({ revision, roles, rolesOfUser, grantsOfRole, groups });
    return this.snapshot;
  }
}
