// /v2/vectordb/entities/{get, query, search, hybrid_search (and its older name
// advanced_search)}.
//
// Defaults follow Milvus: query returns at most 100 rows and every field ("*") unless
// told otherwise; count(*) is a query whose only output field is "count(*)"; search
// returns at most 100 hits per query vector, each with the primary key as `id` and its
// score as `distance`, and `topks` beside `data` gives the hits per query vector.
import { type CollectionMeta, type ConsistencyLevel, DataType } from '../../catalog/index.js';
import { fail } from '../../errors/index.js';
import {
  type Body, bad, optionalInt, optionalObject, optionalString, optionalStringList, requireString, typeName,
} from './body.js';
import { Reply, type RestCall, type RestHandler } from './envelope.js';
import { int64Out, numbersOnly, rowsOut } from './int64.js';

/** Milvus's default limit of a query and of a search when the body gives none. */
const limitDefault = 100;

function readReq(c: RestCall) {
  const collection_name = requireString(c.body, 'collectionName');
  const partitions = optionalStringList(c.body, 'partitionNames');
  const level = optionalString(c.body, 'consistencyLevel');
  return {
    db_name: c.db,
    collection_name,
    ...(partitions !== undefined ? { partition_names: partitions } : {}),
    ...(level !== undefined ? { consistency_level: level as ConsistencyLevel } : {}),
  };
}

function isCount(outputs: readonly string[]): boolean {
  return outputs.some((o) => o.replace(/\s/g, '').toLowerCase() === 'count(*)');
}

/** Values of the filter's `{name}` placeholders. */
function templates(body: Body): { exprValues?: Record<string, unknown> } {
  const p = optionalObject(body, 'exprParams');
  return p !== undefined && Object.keys(p).length > 0 ? { exprValues: numbersOnly(p) as Record<string, unknown> } : {};
}

/** count(*) is an Int64 column in Milvus, so it follows the Int64 header like any other. */
function countRows(rows: ReadonlyArray<Record<string, unknown>>, int64AsNumbers: boolean) {
  return rows.map((r) => ({ ...r, 'count(*)': int64Out(r['count(*)'], int64AsNumbers) }));
}

export const readRoutes: Readonly<Record<string, RestHandler>> = {
  'entities/get': async (c) => {
    const req = readReq(c);
    const id = c.body['id'];
    if (id === undefined || id === null) bad('id is required: one primary key or a list of them');
    const ids = (Array.isArray(id) ? id : [id]) as Array<string | number | bigint>;
    const outputs = optionalStringList(c.body, 'outputFields') ?? ['*'];
    const coll = c.engine.collectionMeta(req);
    const r = await c.engine.get({ ...req, ids, output_fields: outputs });
    return rowsOut(coll, r.data, c.int64AsNumbers);
  },

  'entities/query': async (c) => {
    const req = { ...readReq(c), ...templates(c.body) };
    const outputs = optionalStringList(c.body, 'outputFields') ?? ['*'];
    const counting = isCount(outputs);
    // As in Milvus: a limit of 0 means "none given"; count(*) takes no limit.
    const limitGiven = optionalInt(c.body, 'limit');
    const limit = counting ? undefined : limitGiven === undefined ? limitDefault : limitGiven === 0 ? undefined : limitGiven;
    const offset = optionalInt(c.body, 'offset');
    const filter = optionalString(c.body, 'filter');
    const coll = c.engine.collectionMeta(req);
    const r = await c.engine.query({
      ...req, output_fields: outputs,
      ...(filter !== undefined ? { filter } : {}),
      ...(limit !== undefined ? { limit } : {}),
      ...(offset !== undefined && offset > 0 ? { offset } : {}),
    });
    return counting ? countRows(r.data, c.int64AsNumbers) : rowsOut(coll, r.data, c.int64AsNumbers);
  },

  'entities/search': async (c) => {
    const req = { ...readReq(c), ...templates(c.body) };
    const { body } = c;
    for (const k of ['searchAggregation', 'functionChains']) {
      const v = body[k];
      if (v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && v.length === 0)) fail('NOT_SUPPORTED', { what: `search with ${k}` });
    }
    const functions = optionalObject(body, 'functionScore')?.['functions'];
    if (Array.isArray(functions) && functions.length > 0) fail('NOT_SUPPORTED', { what: 'search with functionScore (rerankers)' });
    // `ids` in place of `data`: search by primary keys, each key's stored vector a query
    // (Milvus's SDKs send it; Milvus's own REST v2 does not take it yet).
    const ids = body['ids'];
    const data = body['data'];
    const byKeys = ids !== undefined && ids !== null;
    if (byKeys) {
      if (data !== undefined && data !== null) bad('give either ids (primary keys) or data (query vectors), not both');
      if (!Array.isArray(ids) || ids.length === 0) bad(`ids must be a non-empty list of primary keys, got ${typeName(ids)}`);
    } else if (!Array.isArray(data) || data.length === 0) bad(`data is required: a non-empty list of query vectors (or ids, primary keys), got ${typeName(data)}`);
    const sp = optionalObject(body, 'searchParams') ?? {};
    const inner = optionalObject(sp, 'params', 'searchParams.params') ?? {};
    const grouping = optionalString(body, 'groupingField');
    const groupSize = optionalInt(body, 'groupSize', 1);
    const strictGroupSize = body['strictGroupSize'] === true;
    const metric = optionalString(sp, 'metricType', 'searchParams.metricType') ?? optionalString(sp, 'metric_type', 'searchParams.metric_type');
    const anns = optionalString(body, 'annsField');
    const filter = optionalString(body, 'filter');
    const outputs = optionalStringList(body, 'outputFields') ?? [];
    const limit = optionalInt(body, 'limit', 1) ?? limitDefault;
    const offset = optionalInt(body, 'offset') ?? 0;
    const coll = c.engine.collectionMeta(req);
    const r = await c.engine.search({
      ...req, ...(byKeys ? { ids: ids as Array<string | number | bigint> } : { data: numbersOnly(data) }), limit, offset, output_fields: outputs, params: numbersOnly(inner) as Record<string, unknown>,
      ...(anns !== undefined ? { anns_field: anns } : {}),
      ...(metric !== undefined ? { metric_type: metric } : {}),
      ...(filter !== undefined ? { filter } : {}),
      ...(grouping !== undefined ? { group_by_field: grouping, strict_group_size: strictGroupSize } : {}),
      ...(groupSize !== undefined ? { group_size: groupSize } : {}),
    });
    const results = r.results as unknown[];
    // One list per query vector (per key, searching by keys); a single query written
    // without its outer list comes back flat.
    const lists = (byKeys || results.length === 0 || Array.isArray(results[0]) ? results : [results]) as Array<Array<Record<string, unknown>>>;
    return new Reply(lists.flatMap((hits) => hitsOut(coll, hits, c.int64AsNumbers)), { topks: lists.map((l) => l.length) });
  },

  'entities/hybrid_search': hybridSearch,
  'entities/advanced_search': hybridSearch,
};

/**
 * Body: { collectionName, search: [{ data: [vector], annsField, limit?, filter?,
 * searchParams?: { metricType?, params? } }], rerank: { strategy: 'rrf' | 'weighted',
 * params: { k } | { weights, norm_score? } }, limit?, offset?, outputFields? }.
 */
async function hybridSearch(c: RestCall): Promise<Reply> {
  const req = readReq(c);
  const { body } = c;
  const search = body['search'];
  if (!Array.isArray(search) || search.length === 0) bad(`search is required: a non-empty list of search requests, got ${typeName(search)}`);
  const subs = search.map((s, i) => {
    if (typeof s !== 'object' || s === null || Array.isArray(s)) bad(`search[${i}] must be an object`);
    const sub = s as Body;
    const data = sub['data'];
    if (!Array.isArray(data) || data.length !== 1) bad(`search[${i}].data must hold exactly one query vector`);
    const anns = requireString(sub, 'annsField', `search[${i}].annsField`);
    const sp = optionalObject(sub, 'searchParams', `search[${i}].searchParams`) ?? {};
    const metric = optionalString(sp, 'metricType', `search[${i}].searchParams.metricType`);
    const filter = optionalString(sub, 'filter', `search[${i}].filter`);
    const limit = optionalInt(sub, "limit", 1, Number.MAX_SAFE_INTEGER, `search[${i}].limit`);
    return {
      anns_field: anns, data: numbersOnly(data[0]),
      ...(limit !== undefined ? { limit } : {}),
      ...(metric !== undefined ? { metric_type: metric } : {}),
      ...(filter !== undefined ? { filter } : {}),
      params: (optionalObject(sp, 'params', `search[${i}].searchParams.params`) ?? {}) as Record<string, unknown>,
    };
  });
  const rerank = optionalObject(body, 'rerank') ?? { strategy: 'rrf', params: {} };
  const strategy = optionalString(rerank, 'strategy', 'rerank.strategy') ?? 'rrf';
  const params = (optionalObject(rerank, 'params', 'rerank.params') ?? {}) as { k?: number; weights?: number[]; norm_score?: boolean };
  const limit = optionalInt(body, 'limit', 1) ?? limitDefault;
  const offset = optionalInt(body, 'offset') ?? 0;
  const outputs = optionalStringList(body, 'outputFields') ?? [];
  const coll = c.engine.collectionMeta(req);
  const r = await c.engine.hybridSearch({ ...req, data: subs, rerank: { strategy, params }, limit, offset, output_fields: outputs });
  const hits = r.results as Array<Record<string, unknown>>;
  return new Reply(hitsOut(coll, hits, c.int64AsNumbers), { topks: [hits.length] });
}

function hitsOut(coll: CollectionMeta, hits: ReadonlyArray<Record<string, unknown>>, int64AsNumbers: boolean): Array<Record<string, unknown>> {
  const pk = coll.schema.fields.find((f) => f.isPrimary)!;
  const rows = hits.map((h) => {
    const { id, score, ...fields } = h;
    return { ...fields, id, distance: score };
  });
  const out = rowsOut(coll, rows, int64AsNumbers);
  if (pk.name === 'id') return out;
  return out.map((r) => ({ ...r, id: pk.type === DataType.Int64 ? int64Out(r['id'], int64AsNumbers) : r['id'] }));
}
