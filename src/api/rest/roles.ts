// /v2/vectordb/roles/*, privilege_groups/* and users/grant_role|revoke_role: Milvus 2.6's
// RESTful v2 role endpoints over the engine's roles and grants (engine/rbac.ts). A grant
// with no dbName in its body is made in `default`; the grantor is the caller.
import type { RestCall, RestHandler } from './envelope.js';

const str = (call: RestCall, key: string) => call.body[key] as string;

function privilegeChange(call: RestCall, revoke: boolean) {
  return {
    role: str(call, 'roleName'), objectType: str(call, 'objectType'), objectName: str(call, 'objectName'), dbName: call.db,
    privilege: str(call, 'privilege'), grantor: call.user, revoke,
  };
}

function privilegeChangeV2(call: RestCall, revoke: boolean) {
  return {
    role: str(call, 'roleName'), privilege: str(call, 'privilege'), dbName: str(call, 'dbName'), collectionName: str(call, 'collectionName'),
    grantor: call.user, revoke,
  };
}

function groupChange(call: RestCall, remove: boolean) {
  const privileges = call.body['privileges'];
  return { groupName: str(call, 'privilegeGroupName'), privileges: (Array.isArray(privileges) ? privileges : []) as string[], remove };
}

export const roleRoutes: Readonly<Record<string, RestHandler>> = {
  'users/grant_role': async ({ engine, body }) => {
    await engine.operateUserRole({ username: body['userName'] as string, roleName: body['roleName'] as string, remove: false });
    return {};
  },
  'users/revoke_role': async ({ engine, body }) => {
    await engine.operateUserRole({ username: body['userName'] as string, roleName: body['roleName'] as string, remove: true });
    return {};
  },

  'roles/list': async ({ engine }) => engine.selectRole({}).results.map((r) => r.role),

  'roles/describe': async ({ engine, body }) => engine.selectGrant({ role: body['roleName'] as string }).grants.map((g) => ({
    objectType: g.objectType, objectName: g.objectName, dbName: g.dbName, privilege: g.privilege, grantor: g.grantor,
  })),

  'roles/create': async ({ engine, body }) => {
    await engine.createRole({ roleName: body['roleName'] as string });
    return {};
  },
  'roles/drop': async ({ engine, body }) => {
    await engine.dropRole({ roleName: body['roleName'] as string, forceDrop: body['forceDrop'] === true });
    return {};
  },
  'roles/grant_privilege': async (call) => {
    await call.engine.operatePrivilege(privilegeChange(call, false));
    return {};
  },
  'roles/revoke_privilege': async (call) => {
    await call.engine.operatePrivilege(privilegeChange(call, true));
    return {};
  },
  'roles/grant_privilege_v2': async (call) => {
    await call.engine.operatePrivilegeV2(privilegeChangeV2(call, false));
    return {};
  },
  'roles/revoke_privilege_v2': async (call) => {
    await call.engine.operatePrivilegeV2(privilegeChangeV2(call, true));
    return {};
  },

  'privilege_groups/create': async ({ engine, body }) => {
    await engine.createPrivilegeGroup({ groupName: body['privilegeGroupName'] as string });
    return {};
  },
  'privilege_groups/drop': async ({ engine, body }) => {
    await engine.dropPrivilegeGroup({ groupName: body['privilegeGroupName'] as string });
    return {};
  },
  // Milvus answers each group's privileges as one comma-separated string.
  'privilege_groups/list': async ({ engine }) => ({
    privilegeGroups: engine.listPrivilegeGroups().groups.map((g) => ({ privilegeGroupName: g.name, privileges: g.privileges.join(',') })),
  }),
  'privilege_groups/add_privileges_to_group': async (call) => {
    await call.engine.operatePrivilegeGroup(groupChange(call, false));
    return {};
  },
  'privilege_groups/remove_privileges_from_group': async (call) => {
    await call.engine.operatePrivilegeGroup(groupChange(call, true));
    return {};
  },
};
