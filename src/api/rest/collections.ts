// /v2/vectordb/collections/*: create, drop, has, describe, list, rename, load,
// refresh_load, release, flush, get_stats, get_load_state, alter_properties,
// drop_properties, fields/add, fields/alter_properties, truncate, compact,
// get_compaction_state.
import { bad, optionalBool, optionalObject, optionalProperties, optionalString, optionalStringList, requireString, requireStringList, typeName } from './body.js';
import { fieldInput, planCreate } from './collection-create.js';
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

  // Milvus 2.6: { collectionName, schema: { fieldName, dataType, nullable, defaultValue, elementTypeParams, … } },
  // the field as collections/create takes one; the engine says which fields can be added.
  'collections/fields/add': async (c) => {
    const schema = optionalObject(c.body, 'schema');
    if (schema === undefined) bad('schema is required and must be an object describing the field');
    await c.engine.addCollectionField({ ...collectionReq(c), field: fieldInput(schema, 'schema', false) });
    return {};
  },

  'collections/truncate': async (c) => {
    await c.engine.truncateCollection(collectionReq(c));
    return {};
  },

  // Milvus answers { compactionID }. isClustering (a clustering compaction) needs a
  // clustering key, which no collection here has.
  'collections/compact': async (c) => {
    const req = collectionReq(c);
    if (optionalBool(c.body, 'isClustering')) bad('isClustering: a clustering compaction needs a clustering key field, and the collection has none');
    return { compactionID: (await c.engine.compact(req)).compactionID };
  },

  // Milvus answers { compactionID, state, executingPlanNumber, timeoutPlanNumber, completedPlanNumber }
  // for the body's jobID (an int64; 0 when missing, as Go decodes it). The Node SDK's
  // HttpClient sends the id as compactionID, which Milvus ignores; it is read here too.
  'collections/get_compaction_state': async ({ engine, body }) => {
    const id = body['jobID'] ?? body['compactionID'] ?? 0;
    if (!(typeof id === 'number' && Number.isSafeInteger(id)) && typeof id !== 'bigint') bad(`jobID must be an integer, got ${typeName(id)}`);
    const s = engine.getCompactionState({ compactionID: id });
    return { compactionID: id, state: s.state, executingPlanNumber: 0, timeoutPlanNumber: 0, completedPlanNumber: s.completedPlans };
  },
};
