// /v2/vectordb/indexes/*: create, describe, list, drop, alter_properties, drop_properties.
// Index requests are checked as the engine checks them (gateway/indexes.ts
// checkCreateIndex: the field or dynamic-field key, the spec, a JSON path); create checks
// every requested index before recording the first, so a bad third index leaves nothing behind.
import type { CollectionMeta, FieldSchema } from '../../catalog/index.js';
import { checkCreateIndex } from '../../gateway/index.js';
import { type Body, bad, optionalArray, optionalObject, optionalProperties, optionalString, requireString, requireStringList } from './body.js';
import type { RestHandler } from './envelope.js';
import { numbersOnly } from './int64.js';

/** One entry of Milvus's indexParams, in the engine's createIndex shape. */
export interface IndexRequest {
  field_name: string;
  index_name?: string;
  index_type?: string;
  metric_type?: string;
  params?: unknown;
}

/** Reads `{ fieldName, indexName?, indexType?, metricType?, params? }`. */
export function indexRequest(p: unknown, where: string): IndexRequest {
  if (typeof p !== 'object' || p === null || Array.isArray(p)) bad(`${where} must be an object`);
  const b = p as Body;
  const out: IndexRequest = { field_name: requireString(b, 'fieldName', `${where}.fieldName`) };
  const name = optionalString(b, 'indexName', `${where}.indexName`);
  const type = optionalString(b, 'indexType', `${where}.indexType`);
  const metric = optionalString(b, 'metricType', `${where}.metricType`);
  const params = optionalObject(b, 'params', `${where}.params`);
  if (name !== undefined) out.index_name = name;
  if (type !== undefined) out.index_type = type;
  if (metric !== undefined) out.metric_type = metric;
  if (params !== undefined) out.params = numbersOnly(params);
  return out;
}

/** Validates an index request against a field list (as the engine will), before anything is created. */
export function checkIndex(fields: readonly FieldSchema[], collection: string, ix: IndexRequest): void {
  checkCreateIndex({ fields, enableDynamicField: fields.some((f) => f.isDynamic), description: '' }, collection, ix);
}

export function indexRequests(body: Body): IndexRequest[] {
  const list = optionalArray(body, 'indexParams') ?? [];
  return list.map((p, i) => indexRequest(p, `indexParams[${i}]`));
}

export const indexRoutes: Readonly<Record<string, RestHandler>> = {
  'indexes/create': async ({ engine, body, db }) => {
    const collection_name = requireString(body, 'collectionName');
    const requests = indexRequests(body);
    if (requests.length === 0) bad('indexParams is required and must be a non-empty array');
    const coll: CollectionMeta = engine.collectionMeta({ db_name: db, collection_name });
    for (const ix of requests) checkIndex(coll.schema.fields, coll.name, ix);
    for (const ix of requests) await engine.createIndex({ db_name: db, collection_name, ...ix });
    return {};
  },

  'indexes/describe': async ({ engine, body, db }) => {
    const index_name = optionalString(body, 'indexName');
    const r = await engine.describeIndex({ db_name: db, collection_name: requireString(body, 'collectionName'), ...(index_name !== undefined ? { index_name } : {}) });
    return r.index_descriptions.map((d) => {
      const params = Object.fromEntries(d.params.map((kv) => [kv.key, kv.value]));
      return {
        indexName: d.index_name,
        fieldName: d.field_name,
        indexType: params['index_type'] ?? '',
        metricType: params['metric_type'] ?? '',
        totalRows: d.total_rows,
        indexedRows: d.indexed_rows,
        pendingRows: d.pending_index_rows,
        indexState: d.state,
        failReason: d.index_state_fail_reason,
      };
    });
  },

  'indexes/list': async ({ engine, body, db }) => (await engine.listIndexes({ db_name: db, collection_name: requireString(body, 'collectionName') })).indexes,

  'indexes/drop': async ({ engine, body, db }) => {
    await engine.dropIndex({ db_name: db, collection_name: requireString(body, 'collectionName'), index_name: requireString(body, 'indexName') });
    return {};
  },

  'indexes/alter_properties': async ({ engine, body, db }) => {
    const properties = optionalProperties(body, 'properties');
    if (properties === undefined) bad('properties is required and must be an object');
    await engine.alterIndexProperties({ db_name: db, collection_name: requireString(body, 'collectionName'), index_name: requireString(body, 'indexName'), properties });
    return {};
  },

  'indexes/drop_properties': async ({ engine, body, db }) => {
    await engine.dropIndexProperties({
      db_name: db, collection_name: requireString(body, 'collectionName'), index_name: requireString(body, 'indexName'), properties: requireStringList(body, 'propertyKeys'),
    });
    return {};
  },
};
