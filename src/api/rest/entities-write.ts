// /v2/vectordb/entities/{insert, upsert, delete}.
import { bad, optionalString, requireString, typeName } from './body.js';
import type { RestCall, RestHandler } from './envelope.js';
import { int64Out, rowsIn } from './int64.js';

type Ids = { int_id: { data: Array<number | string> } } | { str_id: { data: string[] } };

function idsOut(ids: Ids, int64AsNumbers: boolean): unknown[] {
  return 'int_id' in ids ? ids.int_id.data.map((v) => int64Out(v, int64AsNumbers)) : ids.str_id.data;
}

/** The write request: rows (one object is taken as a batch of one), converted when the body held big integers. */
function writeReq(c: RestCall) {
  const collection_name = requireString(c.body, 'collectionName');
  let rows = c.body['data'];
  if (rows === undefined || rows === null) bad('data is required and must be an array of rows');
  if (typeof rows === 'object' && !Array.isArray(rows)) rows = [rows];
  if (!Array.isArray(rows)) bad('data must be an array of rows');
  if (c.hasBigInt) rows = rowsIn(c.engine.collectionMeta({ db_name: c.db, collection_name }), rows);
  const partition = optionalString(c.body, 'partitionName');
  return { db_name: c.db, collection_name, data: rows as Array<Record<string, unknown>>, ...(partition !== undefined ? { partition_name: partition } : {}) };
}

export const writeRoutes: Readonly<Record<string, RestHandler>> = {
  'entities/insert': async (c) => {
    const r = await c.engine.insert(writeReq(c));
    return { insertCount: r.insert_cnt, insertIds: idsOut(r.IDs, c.int64AsNumbers) };
  },

  // `partialUpdate: true`: fields a row leaves out keep their stored values (engine/partial-upsert.ts).
  'entities/upsert': async (c) => {
    const partial = c.body['partialUpdate'];
    if (partial !== undefined && partial !== null && typeof partial !== 'boolean') bad(`partialUpdate must be true or false, got ${typeName(partial)}`);
    const r = await c.engine.upsert({ ...writeReq(c), partial_update: partial === true });
    return { upsertCount: r.upsert_cnt, upsertIds: idsOut(r.IDs, c.int64AsNumbers) };
  },

  // Milvus deletes by filter; `id` (one key or a list) is accepted as the shorthand its
  // older REST versions took.
  'entities/delete': async ({ engine, body, db }) => {
    const collection_name = requireString(body, 'collectionName');
    const filter = optionalString(body, 'filter');
    const partition = optionalString(body, 'partitionName');
    const req = { db_name: db, collection_name, ...(partition !== undefined ? { partition_name: partition } : {}) };
    if (filter !== undefined) return { deleteCount: (await engine.delete({ ...req, filter })).delete_cnt };
    const id = body['id'];
    if (id === undefined || id === null) bad('filter is required (or id, the primary keys to delete)');
    const ids = (Array.isArray(id) ? id : [id]) as Array<string | number | bigint>;
    return { deleteCount: (await engine.delete({ ...req, ids })).delete_cnt };
  },
};
