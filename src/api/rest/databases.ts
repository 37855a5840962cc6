// /v2/vectordb/databases/*: create, drop, list, describe, alter (and alter_properties,
// Milvus's other name for it). The body's dbName is the database acted on.
import { fail } from '../../errors/index.js';
import { optionalProperties, optionalStringList, requireString } from './body.js';
import type { RestHandler } from './envelope.js';

export const databaseRoutes: Readonly<Record<string, RestHandler>> = {
  'databases/create': async ({ engine, body }) => {
    await engine.createDatabase({ db_name: requireString(body, 'dbName'), properties: stringProps(optionalProperties(body, 'properties')) });
    return {};
  },

  'databases/drop': async ({ engine, body }) => {
    await engine.dropDatabase({ db_name: requireString(body, 'dbName') });
    return {};
  },

  'databases/list': async ({ engine }) => (await engine.listDatabases()).db_names,

  'databases/describe': async ({ engine, body }) => {
    const d = await engine.describeDatabase({ db_name: requireString(body, 'dbName') });
    return { dbName: d.db_name, dbID: d.dbID, properties: d.properties };
  },

  'databases/alter': alter,
  'databases/alter_properties': alter,

  'databases/drop_properties': async ({ engine, body }) => {
    const keys = optionalStringList(body, 'propertyKeys');
    if (keys === undefined) fail('INVALID_ARGUMENT', { detail: 'propertyKeys is required: the names of the properties to drop' });
    await engine.dropDatabaseProperties({ db_name: requireString(body, 'dbName'), properties: keys });
    return {};
  },
};

async function alter({ engine, body }: Parameters<RestHandler>[0]): Promise<unknown> {
  const properties = optionalProperties(body, 'properties');
  if (properties === undefined) fail('INVALID_ARGUMENT', { detail: 'properties is required and must be an object' });
  await engine.alterDatabase({ db_name: requireString(body, 'dbName'), properties: stringProps(properties) });
  return {};
}

function stringProps(p: Record<string, string | number | boolean> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(p ?? {})) out[k] = String(v);
  return out;
}
