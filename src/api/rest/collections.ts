// /v2/vectordb/collections/*: create, drop, has, describe, list, rename, load,
// refresh_load, release, flush, get_stats, get_load_state, alter_properties,
// drop_properties.
import { bad, optionalProperties, optionalString, optionalStringList, requireString, requireStringList } from './body.js';
import { planCreate } from './collection-create.js';
import { describeCollection } from './collection-describe.js';
import type { RestCall, RestHandler } from './envelope.js';

function collectionReq({ body, db }: RestCall) {
  return { db_name: db, collection_name: requireString(body, 'collectionName') };
}

async function load(c: RestCall): Promise<unknown> {
  await c.engine.loadCollection(collectionReq(c));
  return {};
}

export const collectionRoutes: Readonly<Record<string, RestHandler>> = {
  // Not atomic, as in Milvus: create, then each index, then load. Everything a client can
  // get wrong is checked first (planCreate); a step that still fails (a concurrent drop)
  // answers its coded error and leaves what the earlier steps made.
  'collections/create': async ({ engine, body, db }) => {
    const plan = planCreate(body, db);
    const req = { db_name: db, collection_name: plan.collection.collection_name };
    await engine.createCollection(plan.collection);
    for (const ix of plan.indexes) await engine.createIndex({ ...req, ...ix });
    if (plan.load) await engine.loadCollection(req);
    return {};
  },

  'collections/drop': async (c) => {
    await c.engine.dropCollection(collectionReq(c));
    return {};
  },

  'collections/has': async (c) => ({ has: (await c.engine.hasCollection(collectionReq(c))).value }),

  'collections/describe': async (c) => {
    const coll = c.engine.collectionMeta(collectionReq(c));
    const { aliases } = await c.engine.listAliases({ db_name: coll.db, collection_name: coll.name });
    return describeCollection(coll, aliases, c.int64AsNumbers, c.engine.collectionTimezone(coll));
  },

  'collections/list': async ({ engine, db }) => (await engine.showCollections({ db_name: db })).data.map((x) => x.name),

  'collections/rename': async (c) => {
    const newDb = optionalString(c.body, 'newDbName');
    await c.engine.renameCollection({
      ...collectionReq(c), new_collection_name: requireString(c.body, 'newCollectionName'), ...(newDb !== undefined ? { new_db_name: newDb } : {}),
    });
    return {};
  },

  'collections/load': load,
  'collections/refresh_load': load,

  'collections/release': async (c) => {
    await c.engine.releaseCollection(collectionReq(c));
    return {};
  },

  'collections/flush': async ({ engine, body, db }) => {
    await engine.flush({ db_name: db, collection_names: [requireString(body, 'collectionName')] });
    return {};
  },

  'collections/get_stats': async (c) => ({ rowCount: (await c.engine.getCollectionStatistics(collectionReq(c))).data.row_count }),

  // Milvus answers a collection that is not loaded with the state alone, and a loaded one
  // with its progress as well.
  'collections/get_load_state': async (c) => {
    const partitions = optionalStringList(c.body, 'partitionNames');
    const r = await c.engine.getLoadState({ ...collectionReq(c), ...(partitions && partitions.length > 0 ? { partition_names: partitions } : {}) });
    return r.state === 'LoadStateLoaded' ? { loadState: r.state, loadProgress: 100 } : { loadState: r.state };
  },

  'collections/alter_properties': async (c) => {
    const properties = optionalProperties(c.body, 'properties');
    if (properties === undefined) bad('properties is required and must be an object');
    await c.engine.alterCollectionProperties({ ...collectionReq(c), properties });
    return {};
  },

  // Milvus 2.6: { collectionName, fieldName, fieldParams: { max_length | max_capacity | mmap.enabled } }.
  'collections/fields/alter_properties': async (c) => {
    const params = optionalProperties(c.body, 'fieldParams');
    if (params === undefined) bad('fieldParams is required and must be an object');
    await c.engine.alterCollectionField({ ...collectionReq(c), field_name: requireString(c.body, 'fieldName'), properties: params as Record<string, string | number | boolean> });
    return {};
  },

  'collections/drop_properties': async (c) => {
    await c.engine.dropCollectionProperties({ ...collectionReq(c), properties: requireStringList(c.body, 'propertyKeys') });
    return {};
  },
};
