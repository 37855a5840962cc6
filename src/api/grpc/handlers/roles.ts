// Roles and privileges: CreateRole, DropRole, OperateUserRole, SelectRole, SelectUser,
// OperatePrivilege(V2), SelectGrant, the privilege group RPCs, BackupRBAC and RestoreRBAC,
// translated between milvus.proto's entities ({ name } wrappers) and the engine's plain
// names (engine/rbac.ts). The grantor of a grant is the authenticated caller (root when
// authentication is off); a grant that names no database is made in the call's.
import type { GrantMeta, RbacBackup } from '../../../catalog/index.js';
import { okStatus } from '../../status.js';
import type { Handler } from '../context.js';

const ok = okStatus as unknown as Record<string, unknown>;

type Named = { name?: string } | undefined | null;
const nameOf = (v: Named): string | undefined => v?.name ?? undefined;
const named = (name: string) => ({ name });
/** OperatePrivilegeType and the other two-valued enums: 1 is the removing one. */
const removes = (type: unknown) => type === 1;

function grantEntity(g: GrantMeta): Record<string, unknown> {
  return {
    role: named(g.role), object: named(g.objectType), object_name: g.objectName, db_name: g.dbName,
    grantor: { user: named(g.grantor), privilege: named(g.privilege) },
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function grantOf(e: any): GrantMeta {
  return {
    role: nameOf(e?.role) ?? '', objectType: nameOf(e?.object) as GrantMeta['objectType'], objectName: e?.object_name ?? '', dbName: e?.db_name ?? '',
    privilege: nameOf(e?.grantor?.privilege) ?? '', grantor: nameOf(e?.grantor?.user) ?? '',
  };
}

export const roleHandlers: Record<string, Handler> = {
  async CreateRole(r, ctx) {
    await ctx.engine.createRole({ roleName: nameOf(r.entity) as string });
    return ok;
  },
  async DropRole(r, ctx) {
    await ctx.engine.dropRole({ roleName: r.role_name, forceDrop: r.force_drop === true });
    return ok;
  },
  async OperateUserRole(r, ctx) {
    await ctx.engine.operateUserRole({ username: r.username, roleName: r.role_name, remove: removes(r.type) });
    return ok;
  },
  async SelectRole(r, ctx) {
    const res = ctx.engine.selectRole({ roleName: nameOf(r.role), includeUserInfo: r.include_user_info === true });
    return { status: okStatus, results: res.results.map((x) => ({ role: named(x.role), users: x.users.map(named) })) };
  },
  async SelectUser(r, ctx) {
    const res = ctx.engine.selectUser({ username: nameOf(r.user), includeRoleInfo: r.include_role_info === true });
    return { status: okStatus, results: res.results.map((x) => ({ user: named(x.user), roles: x.roles.map(named) })) };
  },
  async OperatePrivilege(r, ctx) {
    const g = grantOf(r.entity);
    await ctx.engine.operatePrivilege({
      role: g.role, objectType: g.objectType, objectName: g.objectName, dbName: g.dbName || ctx.db, privilege: g.privilege, grantor: ctx.user, revoke: removes(r.type),
    });
    return ok;
  },
  async OperatePrivilegeV2(r, ctx) {
    await ctx.engine.operatePrivilegeV2({
      role: nameOf(r.role) as string, privilege: nameOf(r.grantor?.privilege) as string, dbName: r.db_name, collectionName: r.collection_name, grantor: ctx.user,
      revoke: removes(r.type),
    });
    return ok;
  },
  async SelectGrant(r, ctx) {
    const e = r.entity;
    const res = ctx.engine.selectGrant({ role: nameOf(e?.role) as string, objectType: nameOf(e?.object), objectName: e?.object_name, dbName: e?.db_name });
    return { status: okStatus, entities: res.grants.map(grantEntity) };
  },
  async CreatePrivilegeGroup(r, ctx) {
    await ctx.engine.createPrivilegeGroup({ groupName: r.group_name });
    return ok;
  },
  async DropPrivilegeGroup(r, ctx) {
    await ctx.engine.dropPrivilegeGroup({ groupName: r.group_name });
    return ok;
  },
  async ListPrivilegeGroups(_r, ctx) {
    const res = ctx.engine.listPrivilegeGroups();
    return { status: okStatus, privilege_groups: res.groups.map((g) => ({ group_name: g.name, privileges: g.privileges.map(named) })) };
  },
  async OperatePrivilegeGroup(r, ctx) {
    const privileges = (Array.isArray(r.privileges) ? r.privileges : []).map((p: Named) => nameOf(p) ?? '');
    await ctx.engine.operatePrivilegeGroup({ groupName: r.group_name, privileges, remove: removes(r.type) });
    return ok;
  },
  async BackupRBAC(_r, ctx) {
    const b = ctx.engine.backupRbac().backup;
    return {
      status: okStatus,
      RBAC_meta: {
        users: b.users.map((u) => ({ user: u.user, password: u.password, roles: u.roles.map(named) })),
        roles: b.roles.map(named),
        grants: b.grants.map(grantEntity),
        privilege_groups: b.privilegeGroups.map((g) => ({ group_name: g.name, privileges: g.privileges.map(named) })),
      },
    };
  },
  async RestoreRBAC(r, ctx) {
    const m = r.RBAC_meta ?? {};
    const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
    const backup: RbacBackup = {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      users: list(m.users).map((u: any) => ({ user: u?.user, password: u?.password, roles: list(u?.roles).map((x) => nameOf(x as Named) ?? '') })),
      roles: list(m.roles).map((x) => nameOf(x as Named) ?? ''),
      grants: list(m.grants).map(grantOf),
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      privilegeGroups: list(m.privilege_groups).map((g: any) => ({ name: g?.group_name, privileges: list(g?.privileges).map((x) => nameOf(x as Named) ?? '') })),
    };
    await ctx.engine.restoreRbac({ backup, grantor: ctx.user });
    return ok;
  },
};
