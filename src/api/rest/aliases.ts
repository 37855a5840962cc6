// /v2/vectordb/aliases/*: create, drop, alter, describe, list.
import { optionalString, requireString } from './body.js';
import type { RestHandler } from './envelope.js';

export const aliasRoutes: Readonly<Record<string, RestHandler>> = {
  'aliases/create': async ({ engine, body, db }) => {
    await engine.createAlias({ db_name: db, collection_name: requireString(body, 'collectionName'), alias: requireString(body, 'aliasName') });
    return {};
  },

  'aliases/drop': async ({ engine, body, db }) => {
    await engine.dropAlias({ db_name: db, alias: requireString(body, 'aliasName') });
    return {};
  },

  'aliases/alter': async ({ engine, body, db }) => {
    await engine.alterAlias({ db_name: db, collection_name: requireString(body, 'collectionName'), alias: requireString(body, 'aliasName') });
    return {};
  },

  'aliases/describe': async ({ engine, body, db }) => {
    const a = await engine.describeAlias({ db_name: db, alias: requireString(body, 'aliasName') });
    return { aliasName: a.alias, collectionName: a.collection, dbName: a.db_name };
  },

  'aliases/list': async ({ engine, body, db }) => {
    const collection = optionalString(body, 'collectionName');
    return (await engine.listAliases({ db_name: db, ...(collection !== undefined ? { collection_name: collection } : {}) })).aliases;
  },
};
