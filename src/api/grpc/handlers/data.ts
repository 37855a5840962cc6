// Insert, upsert, delete, query, search, flush, compaction and segment introspection.
import { fail } from '../../../errors/index.js';
import { type CollectionMeta, DataType, isVector, structPathOf, validateName } from '../../../catalog/index.js';
import { type ResultColumn, type ResultColumns, planOutput } from '../../../gateway/index.js';
import { okStatus } from '../../status.js';
import type { CallContext, Handler } from '../context.js';
import { columnsFromFieldsData, consistencyFromProto, fieldsDataFromColumns, fieldsDataFromRows, outputNamesOfColumns, kvToObject, templateValues, vectorsFromPlaceholderGroup } from '../convert.js';

const ok = okStatus;

function idsOf(coll: CollectionMeta, ids: ReadonlyArray<number | string>) {
  const pk = coll.schema.fields.find((f) => f.isPrimary)!;
  return pk.type === DataType.Int64 ? { int_id: { data: ids.map(String) } } : { str_id: { data: ids.map(String) } };
}

async function write(r: { collection_name: string; partition_name?: string; fields_data: never[]; num_rows: number; partial_update?: boolean; field_ops?: unknown[] }, ctx: CallContext, upsert: boolean) {
  const req = { db_name: ctx.db, collection_name: r.collection_name };
  const coll = ctx.engine.collectionMeta(req);
  // Milvus 2.6.17's per-field operations (ARRAY_APPEND, ARRAY_REMOVE, ...) of a partial upsert.
  if (upsert && Array.isArray(r.field_ops) && r.field_ops.length > 0) fail('NOT_SUPPORTED', { what: 'upsert field operations (field_ops)' });
  const columnar = columnsFromFieldsData(r.fields_data, r.num_rows, coll);
  const partition_name = r.partition_name || undefined;
  const res = upsert
    ? await ctx.engine.upsert({ ...req, columnar, partition_name, partial_update: r.partial_update === true })
    : await ctx.engine.insert({ ...req, columnar, partition_name });
  const ids = 'int_id' in res.IDs ? res.IDs.int_id.data : res.IDs.str_id.data;
  const n = String(ids.length);
  return {
    status: ok, IDs: idsOf(coll, ids), succ_index: res.succ_index, err_index: [], acknowledged: true,
    insert_cnt: upsert ? '0' : n, delete_cnt: '0', upsert_cnt: upsert ? n : '0', timestamp: res.timestamp,
  };
}

/** Names of the columns to return, in schema order, then dynamic keys as they appear. */
function outputNames(coll: CollectionMeta, rows: ReadonlyArray<Record<string, unknown>>, skip: ReadonlySet<string> = new Set()): string[] {
  const names: string[] = [];
  const seen = new Set<string>();
  for (const f of coll.schema.fields) if (!f.isDynamic && rows.some((r) => f.name in r)) { names.push(f.name); seen.add(f.name); }
  for (const r of rows) for (const k of Object.keys(r)) if (!seen.has(k) && !skip.has(k)) { names.push(k); seen.add(k); }
  return names;
}

/** The columns a query's output fields name (the primary key first); the dynamic field as "$meta". */
function requestedNames(coll: CollectionMeta, output: readonly string[]): string[] {
  const plan = planOutput(coll.schema, coll.name, output);
  const names = plan.fields.map((f) => f.field.name);
  if (plan.dynamicIndex >= 0 && (plan.dynamicKeys === '*' || plan.dynamicKeys.length > 0)) names.push(coll.schema.fields[plan.dynamicIndex]!.name);
  return names;
}

/** The columns with `c` in place of the column of its field (or added). */
function withColumn(cols: ResultColumns, c: ResultColumn): ResultColumns {
  const others = cols.fields.filter((x) => x.field.name !== c.field.name);
  return { ...cols, fields: [...others, c] };
}

function optionalNumber(v: string | undefined, name: string): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) fail('INVALID_ARGUMENT', { detail: `${name} must be a number, got ${JSON.stringify(v)}` });
  return n;
}

/** common.CompactionState's numbers. */
const compactionStates = { UndefiedState: 0, Completed: 2 } as const;

export const dataHandlers: Record<string, Handler> = {
  Insert: (r, ctx) => write(r, ctx, false),
  Upsert: (r, ctx) => write(r, ctx, true),

  async Delete(r, ctx) {
    const req = { db_name: ctx.db, collection_name: r.collection_name };
    const coll = ctx.engine.collectionMeta(req);
    const res = await ctx.engine.delete({ ...req, filter: r.expr, exprValues: templateValues(r.expr_template_values), partition_name: r.partition_name || undefined });
    return { status: ok, IDs: idsOf(coll, []), succ_index: [], err_index: [], acknowledged: true, insert_cnt: '0', delete_cnt: String(res.delete_cnt), upsert_cnt: '0', timestamp: res.timestamp };
  },

  async Query(r, ctx) {
    // Milvus checks a query's collection name before it looks it up (a search does not).
    validateName('collection', r.collection_name);
    const req = { db_name: ctx.db, collection_name: r.collection_name };
    const coll = ctx.engine.collectionMeta(req);
    const params = kvToObject(r.query_params);
    const output: string[] = r.output_fields ?? [];
    const res = await ctx.engine.queryColumns({
      ...req,
      filter: r.expr,
      exprValues: templateValues(r.expr_template_values),
      output_fields: output,
      partition_names: r.partition_names,
      limit: optionalNumber(params.limit, 'limit'),
      offset: optionalNumber(params.offset, 'offset'),
      // Milvus reads a query's timezone from its query params (pymilvus: timezone=...).
      timezone: params.timezone || undefined,
      consistency_level: consistencyFromProto(r.consistency_level, r.use_default_consistency),
    });
    const pk = coll.schema.fields.find((f) => f.isPrimary)!;
    if (res.count !== undefined) {
      const n = res.count;
      return {
        status: ok, collection_name: coll.name, output_fields: ['count(*)'], primary_field_name: pk.name,
        fields_data: [{ type: DataType.Int64, field_name: 'count(*)', field_id: '0', is_dynamic: false, scalars: { long_data: { data: [String(n)] } }, valid_data: [] }],
      };
    }
    // With no rows the columns come from what was asked for, as Milvus answers: one empty,
    // typed column per output field and the primary key (pymilvus refuses a reply with none).
    const cols = res.columns;
    const names = cols.count > 0 ? outputNamesOfColumns(coll, cols) : requestedNames(coll, output);
    return { status: ok, collection_name: coll.name, output_fields: names, primary_field_name: pk.name, fields_data: fieldsDataFromColumns(coll, cols, names) };
  },

  async Search(r, ctx) {
    const req = { db_name: ctx.db, collection_name: r.collection_name };
    const coll = ctx.engine.collectionMeta(req);
    const sp = kvToObject(r.search_params);
    const extra = sp.params ? parseJsonObject(sp.params, 'search params') : {};
    // Search by primary keys: `ids` in place of the placeholder group (the oneof
    // search_input). The deprecated search_by_primary_keys flag is ignored, as in Milvus.
    const byKeys = r.search_input === 'ids' || r.ids?.int_id || r.ids?.str_id ? searchIds(coll, r.ids) : undefined;
    const vectorFields = coll.schema.fields.filter((f) => isVector(f.type));
    // `chunks[vec]`: a struct's vector sub-field, searched with embedding lists.
    const path = structPathOf(coll.schema, sp.anns_field);
    const field = path ? { ...path.sub, name: sp.anns_field, type: DataType.ArrayOfVector }
      : sp.anns_field ? coll.schema.fields.find((f) => f.name === sp.anns_field) : vectorFields.length === 1 ? vectorFields[0] : undefined;
    if (!field) {
      if (sp.anns_field) fail('FIELD_NOT_FOUND', { field: sp.anns_field, collection: coll.name });
      fail('INVALID_ARGUMENT', { detail: `the collection has ${vectorFields.length} vector fields; say which one with anns_field` });
    }
    const vectors = byKeys ? undefined : vectorsFromPlaceholderGroup(r.placeholder_group, field);
    const limit = optionalNumber(sp.topk ?? sp.limit, 'topk') ?? 10;
    const offset = optionalNumber(sp.offset, 'offset') ?? 0;
    const roundDecimal = optionalNumber(sp.round_decimal, 'round_decimal') ?? -1;
    const res = await ctx.engine.searchColumns({
      ...req,
      anns_field: field.name,
      ...(byKeys ? { ids: byKeys } : { data: vectors }),
      limit,
      offset,
      metric_type: sp.metric_type || undefined,
      filter: r.dsl,
      exprValues: templateValues(r.expr_template_values),
      output_fields: r.output_fields ?? [],
      partition_names: r.partition_names,
      params: extra,
      group_by_field: sp.group_by_field || undefined,
      group_size: optionalNumber(sp.group_size, 'group_size'),
      strict_group_size: sp.strict_group_size === 'true',
      timezone: sp.timezone || undefined,
      consistency_level: consistencyFromProto(r.consistency_level, r.use_default_consistency),
    });
    const iterator = res.search_iterator_v2_results;
    const lists = res.lists;
    const pk = coll.schema.fields.find((f) => f.isPrimary)!;
    const groupField = res.groupField === undefined ? undefined : coll.schema.fields.find((f) => f.name === res.groupField);
    const flat = lists.flat();
    const round = (x: number) => (roundDecimal >= 0 ? Number(x.toFixed(roundDecimal)) : x);
    // A grouping search's hits carry their group's value as that field's column.
    const cols = groupField ? withColumn(res.columns, { field: groupField, kind: 'values', values: flat.map((h) => h.group) }) : res.columns;
    // Milvus always returns the primary key among a search's output fields; the SDK
    // builds each hit from output_fields, so this is where a hit gets its id.
    const names = outputNamesOfColumns(coll, cols);
    if (!names.includes(pk.name)) names.unshift(pk.name);
    const ids = flat.map((h) => h.key);
    return {
      status: ok,
      collection_name: coll.name,
      results: {
        num_queries: String(lists.length),
        top_k: String(limit),
        fields_data: fieldsDataFromColumns(coll, cols, names),
        scores: flat.map((h) => round(h.score as number)),
        ids: idsOf(coll, ids),
        topks: lists.map((l) => String(l.length)),
        output_fields: names,
        primary_field_name: pk.name,
        // Milvus reports each hit's group value here (pymilvus reads it; the Node SDK reads the output field).
        ...(groupField ? { group_by_field_value: fieldsDataFromColumns(coll, cols, [groupField.name])[0] } : {}),
        ...(iterator ? { search_iterator_v2_results: iterator } : {}),
      },
      ...(res.session_ts !== undefined ? { session_ts: res.session_ts } : {}),
    };
  },

  async HybridSearch(r, ctx) {
    const req = { db_name: ctx.db, collection_name: r.collection_name };
    const coll = ctx.engine.collectionMeta(req);
    const rank = kvToObject(r.rank_params);
    const rankParams = rank.params ? parseJsonObject(rank.params, 'rank params') : {};
    const subs = (r.requests ?? []).map((sr: { search_params: never; placeholder_group: Uint8Array; dsl: string; expr_template_values?: never }) => {
      const sp = kvToObject(sr.search_params);
      const field = coll.schema.fields.find((f) => f.name === sp.anns_field);
      if (!field) fail('FIELD_NOT_FOUND', { field: sp.anns_field ?? '', collection: coll.name });
      const vectors = vectorsFromPlaceholderGroup(sr.placeholder_group, field);
      if (vectors.length !== 1) fail('NOT_SUPPORTED', { what: 'hybrid search with more than one query vector per request' });
      return {
        anns_field: field.name, data: vectors[0], limit: optionalNumber(sp.topk ?? sp.limit, 'topk'),
        metric_type: sp.metric_type || undefined, filter: sr.dsl || undefined,
        exprValues: templateValues(sr.expr_template_values),
        params: sp.params ? parseJsonObject(sp.params, 'search params') : undefined,
      };
    });
    const limit = optionalNumber(rank.limit, 'limit') ?? 10;
    const roundDecimal = optionalNumber(rank.round_decimal, 'round_decimal') ?? -1;
    const res = await ctx.engine.hybridSearch({
      ...req,
      data: subs,
      rerank: { strategy: rank.strategy ?? 'rrf', params: rankParams as { k?: number; weights?: number[]; norm_score?: boolean } },
      limit,
      offset: optionalNumber(rank.offset, 'offset'),
      output_fields: r.output_fields ?? [],
      partition_names: r.partition_names,
      timezone: rank.timezone || undefined,
      consistency_level: consistencyFromProto(r.consistency_level, r.use_default_consistency),
    });
    const hits = res.results as Array<Record<string, unknown>>;
    const pk = coll.schema.fields.find((f) => f.isPrimary)!;
    const rows = hits.map((h) => {
      const { id, score: _score, ...rest } = h;
      return { ...rest, [pk.name]: id ?? rest[pk.name] };
    });
    const names = outputNames(coll, rows);
    if (!names.includes(pk.name)) names.unshift(pk.name);
    const round = (x: number) => (roundDecimal >= 0 ? Number(x.toFixed(roundDecimal)) : x);
    return {
      status: ok,
      collection_name: coll.name,
      results: {
        num_queries: '1', top_k: String(limit), fields_data: fieldsDataFromRows(coll, rows, names),
        scores: hits.map((h) => round(h.score as number)), ids: idsOf(coll, rows.map((x) => x[pk.name] as number | string)),
        topks: [String(hits.length)], output_fields: names, primary_field_name: pk.name,
      },
    };
  },

  async TruncateCollection(r, ctx) {
    await ctx.engine.truncateCollection({ db_name: ctx.db, collection_name: r.collection_name });
    return { status: ok };
  },

  async Flush(r, ctx) {
    const names: string[] = r.collection_names ?? [];
    const res = await ctx.engine.flush({ db_name: ctx.db, collection_names: names });
    const ts = ctx.engine.allocTimestamp().toString();
    const coll_segIDs: Record<string, { data: string[] }> = {};
    const coll_seal_times: Record<string, string> = {};
    const coll_flush_ts: Record<string, string> = {};
    for (const [n, v] of Object.entries(res.coll_segIDs)) {
      coll_segIDs[n] = { data: v.data.map(String) };
      coll_seal_times[n] = String(Math.floor(Date.now() / 1000));
      coll_flush_ts[n] = ts;
    }
    return { status: ok, db_name: ctx.db, coll_segIDs, flush_coll_segIDs: coll_segIDs, coll_seal_times, coll_flush_ts, channel_cps: {} };
  },

  async GetFlushState(r, ctx) {
    // Flush returns only once its segments are flushed, so a segment named here is flushed
    // unless it is still growing or sealed (never flushed) — or a later compaction merged it.
    if (!r.collection_name) return { status: ok, flushed: true };
    const segs = ctx.engine.segmentInfo({ db_name: r.db_name || ctx.db, collection_name: r.collection_name });
    const ids = new Set((r.segmentIDs ?? []).map(String));
    const flushTs = BigInt(r.flush_ts || '0');
    const pending = segs.some((s) => s.state !== 'flushed' && (ids.has(String(s.id)) || (flushTs > 0n && s.rows > 0 && s.minTs <= flushTs)));
    return { status: ok, flushed: !pending };
  },

  async FlushAll(r, ctx) {
    const db = r.db_name || ctx.db;
    const { data } = await ctx.engine.showCollections({ db_name: db });
    if (data.length > 0) await ctx.engine.flush({ db_name: db, collection_names: data.map((c) => c.name) });
    return { status: ok, flush_all_ts: ctx.engine.allocTimestamp().toString(), flush_results: [] };
  },

  async GetFlushAllState(r, ctx) {
    const db = r.db_name || ctx.db;
    const ts = BigInt(r.flush_all_ts || '0');
    const { data } = await ctx.engine.showCollections({ db_name: db });
    const flushed = data.every((c) => ctx.engine.segmentInfo({ db_name: db, collection_name: c.name }).every((s) => s.state === 'flushed' || s.rows === 0 || s.minTs > ts));
    return { status: ok, flushed, flush_states: [] };
  },

  async ManualCompaction(r, ctx) {
    const db = r.db_name || ctx.db;
    const coll = r.collection_name ? ctx.engine.collectionMeta({ db_name: db, collection_name: r.collection_name }) : await collectionByIdAnyDb(ctx, db, Number(r.collectionID));
    const res = await ctx.engine.compact({ db_name: coll.db, collection_name: coll.name });
    return { status: ok, compactionID: String(res.compactionID), compactionPlanCount: res.merged > 0 ? 1 : 0 };
  },

  async GetCompactionState(r, ctx) {
    // Compaction runs to completion inside ManualCompaction.
    const c = ctx.engine.getCompactionState({ compactionID: String(r.compactionID) });
    return { status: ok, state: compactionStates[c.state], executingPlanNo: '0', timeoutPlanNo: '0', completedPlanNo: String(c.completedPlans), failedPlanNo: '0' };
  },

  async GetCompactionStateWithPlans(r, ctx) {
    return { status: ok, state: compactionStates[ctx.engine.getCompactionState({ compactionID: String(r.compactionID) }).state], mergeInfos: [] };
  },

  async GetPersistentSegmentInfo(r, ctx) {
    const req = { db_name: r.dbName || ctx.db, collection_name: r.collectionName };
    const coll = ctx.engine.collectionMeta(req);
    const infos = ctx.engine.segmentInfo(req).filter((s) => s.state === 'flushed').map((s) => ({
      segmentID: String(s.id), collectionID: String(coll.id), partitionID: String(s.partitionId), num_rows: String(s.rows),
      state: 4, level: 2, is_sorted: false, storage_version: '0',
    }));
    return { status: ok, infos };
  },

  async GetQuerySegmentInfo(r, ctx) {
    const req = { db_name: r.dbName || ctx.db, collection_name: r.collectionName };
    const coll = ctx.engine.collectionMeta(req);
    if (!coll.loaded) return { status: ok, infos: [] };
    const states: Record<string, number> = { growing: 2, sealed: 3, flushed: 4 };
    const infos = ctx.engine.segmentInfo(req).map((s) => ({
      segmentID: String(s.id), collectionID: String(coll.id), partitionID: String(s.partitionId), mem_size: String(s.memoryBytes),
      num_rows: String(s.rows), index_name: '', indexID: '0', nodeID: '1', state: states[s.state] ?? 0, nodeIds: ['1'], level: 2, is_sorted: false, storage_version: '0',
    }));
    return { status: ok, infos };
  },

  async GetReplicas(r, ctx) {
    const db = r.db_name || ctx.db;
    const coll = r.collection_name ? ctx.engine.collectionMeta({ db_name: db, collection_name: r.collection_name }) : await collectionByIdAnyDb(ctx, db, Number(r.collectionID));
    if (!coll.loaded) return { status: ok, replicas: [] };
    // One replica per group placement (engine/resource-groups.ts); its node serves every shard.
    const replicas = ctx.engine.replicasOf({ db_name: coll.db, collection_name: coll.name }).map((rep, i) => {
      const nodes = rep.nodes.map(String);
      return {
        // Unique across collections, as Milvus's replica ids are (a collection has few replicas).
        replicaID: String((BigInt(coll.id) << 8n) + BigInt(i + 1)), collectionID: String(coll.id),
        partition_ids: (coll.loadedPartitions.length ? coll.loadedPartitions : coll.partitions.map((p) => p.id)).map(String),
        shard_replicas: Array.from({ length: coll.shardsNum }, (_, s) => ({ leaderID: nodes[0], leader_addr: 'embedded', dm_channel_name: `c${coll.id}s${s}`, node_ids: nodes })),
        node_ids: nodes, resource_group_name: rep.resourceGroup, num_outbound_node: rep.outbound,
      };
    });
    return { status: ok, replicas };
  },
};

/**
 * A collection by id. Ids are unique across databases (as in Milvus), and the SDK's
 * compact() and getReplicas() send only the id, without a database: so after the
 * addressed database, every other is tried. (Fix: only the addressed database — usually
 * "default" — was searched, and a collection elsewhere was reported as not found.)
 */
async function collectionByIdAnyDb(ctx: CallContext, db: string, id: number): Promise<CollectionMeta> {
  try {
    return ctx.engine.collectionMetaById(db, id);
  } catch (e) {
    for (const other of (await ctx.engine.listDatabases()).db_names) {
      if (other === db) continue;
      try {
        return ctx.engine.collectionMetaById(other, id);
      } catch {
        // not there either
      }
    }
    throw e; // the addressed database's coded COLLECTION_NOT_FOUND
  }
}

/** A search's `ids` (schema.IDs): the keys, of the primary key's type. */
function searchIds(coll: CollectionMeta, ids: { int_id?: { data?: string[] } | null; str_id?: { data?: string[] } | null } | null | undefined): string[] {
  const pk = coll.schema.fields.find((f) => f.isPrimary)!;
  const int64 = pk.type === DataType.Int64;
  const given = int64 ? ids?.int_id : ids?.str_id;
  const other = int64 ? ids?.str_id : ids?.int_id;
  if (!given && other) {
    fail('INVALID_ARGUMENT', { detail: `the primary key "${pk.name}" is ${int64 ? 'Int64' : 'VarChar'}, but ids holds ${int64 ? 'strings (str_id)' : 'integers (int_id)'}` });
  }
  return given?.data ?? [];
}

function parseJsonObject(text: string, what: string): Record<string, unknown> {
  try {
    const v = JSON.parse(text) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // fall through
  }
  fail('INVALID_ARGUMENT', { detail: `${what} must be a JSON object, got ${JSON.stringify(text.slice(0, 80))}` });
}
