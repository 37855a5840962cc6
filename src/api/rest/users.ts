// /v2/vectordb/users/*: list, describe, create, update_password, drop (Milvus's RESTful
// v2 user endpoints). Names and passwords go to the engine as sent: it holds them to
// Milvus's rules (catalog/credentials.ts) and answers INVALID_USER_NAME or
// INVALID_PASSWORD. update_password takes the old password in `password`, as Milvus's;
// root may leave it wrong (docs/SECURITY.md). Roles (`grant_role`, `revoke_role`, and a
// user's roles in describe) come with issue 17's next slice: describe lists none.
import type { RestHandler } from './envelope.js';

export const userRoutes: Readonly<Record<string, RestHandler>> = {
  'users/list': async ({ engine }) => (await engine.listCredUsers()).usernames,

  'users/describe': async ({ engine, body }) => (await engine.describeUser({ username: body['userName'] as string })).roles,

  'users/create': async ({ engine, body }) => {
    await engine.createCredential({ username: body['userName'] as string, password: body['password'] as string });
    return {};
  },

  'users/update_password': async ({ engine, body, user }) => {
    await engine.updateCredential({
      username: body['userName'] as string, oldPassword: body['password'] as string | undefined, newPassword: body['newPassword'] as string, caller: user,
    });
    return {};
  },

  'users/drop': async ({ engine, body }) => {
    await engine.deleteCredential({ username: body['userName'] as string });
    return {};
  },
};
