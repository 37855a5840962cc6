// Milvus REST v2 endpoints that exist in Milvus but not here yet. They answer a coded
// NOT_SUPPORTED envelope (HTTP 200, as Milvus answers errors), so a client learns what
// is missing rather than meeting a 404 it could take for a wrong address.
import { fail } from '../../errors/index.js';
import type { RestHandler } from './envelope.js';

const paths = [
  'collections/fields/drop',
  'collections/add_function', 'collections/alter_function', 'collections/drop_function',
  'users/grant_role', 'users/revoke_role',
  'roles/list', 'roles/describe', 'roles/create', 'roles/drop', 'roles/grant_privilege', 'roles/revoke_privilege',
  'roles/grant_privilege_v2', 'roles/revoke_privilege_v2',
  'privilege_groups/create', 'privilege_groups/drop', 'privilege_groups/list',
  'privilege_groups/add_privileges_to_group', 'privilege_groups/remove_privileges_from_group',
  'jobs/import/list', 'jobs/import/create', 'jobs/import/get_progress', 'jobs/import/describe',
];

export const unsupportedRoutes: Readonly<Record<string, RestHandler>> = Object.fromEntries(
  paths.map((p) => [p, async () => fail('NOT_SUPPORTED', { what: `the REST endpoint /v2/vectordb/${p}` })]),
);
