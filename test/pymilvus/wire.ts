// The request messages pymilvus 2.6 puts on the wire, and the way it reads the replies.
//
// Source: github.com/milvus-io/pymilvus, tag v2.6.17 (commit 05e8a0c4ac9f). Every builder
// names the pymilvus function it mirrors; "prepare.py" is pymilvus/client/prepare.py,
// "grpc_handler.py" is pymilvus/client/grpc_handler.py, "milvus_client.py" is
// pymilvus/milvus_client/milvus_client.py. Fields pymilvus leaves unset stay unset here,
// values pymilvus turns into strings are turned into the same strings (Python's str()
// for scalars, orjson for dicts), so that a server passing these tests answers a Python
// program the same way. Nothing here is copied from pymilvus: it is the message shape,
// rewritten.
import assert from 'node:assert/strict';
import { root, types } from '../../src/api/proto.js';

/** schema.proto DataType numbers (pymilvus DataType has the same values). */
export const DataType = Object.freeze({
  Bool: 1, Int8: 2, Int16: 3, Int32: 4, Int64: 5, Float: 10, Double: 11,
  VarChar: 21, Array: 22, JSON: 23, BinaryVector: 100, FloatVector: 101,
});

/** common.proto ConsistencyLevel; pymilvus DEFAULT_CONSISTENCY_LEVEL is Bounded (client/constants.py). */
export const ConsistencyLevel = Object.freeze({ Strong: 0, Session: 1, Bounded: 2, Eventually: 3, Customized: 4 });

/** Legacy common.ErrorCode values pymilvus compares against (client/types.py Status, grpc_handler.py). */
export const LegacyCode = Object.freeze({ Success: 0, UnexpectedError: 1, CollectionNotExists: 4, IllegalArgument: 5, IndexNotExist: 25 });

/** constants.py DYNAMIC_FIELD_NAME. */
export const dynamicFieldName = '$meta';

/** constants.py EVENTUALLY_TS: the guarantee_timestamp pymilvus sends before it has seen a write. */
export const eventuallyTs = '1';

/**
 * ts_utils.py construct_guarantee_ts (no consistency_level given): the write timestamp
 * pymilvus cached from the last mutation reply on this collection
 * (update_collection_ts), or EVENTUALLY_TS when that is 0 or absent.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const guaranteeAfter = (mutationReply: any): string => {
  const ts = String(mutationReply?.timestamp ?? '0');
  return ts === '0' ? eventuallyTs : ts;
};

/**
 * call_context.py CallContext.to_grpc_metadata: every MilvusClient call carries these
 * three headers; dbname is the client's db_name, "" unless the program chose one.
 */
export function callMetadata(db = ''): Array<[string, string]> {
  return [['dbname', db], ['client-request-id', ''], ['client-request-unixmsec', String(Date.now())]];
}

/**
 * Python's str() of the scalar values pymilvus stringifies (utils.dumps for non-dicts,
 * the KeyValuePair values of create_collection properties): True/False, ints, floats.
 */
export function pyStr(v: unknown): string {
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (v === null || v === undefined) return 'None';
  // A JavaScript number cannot tell Python's 1 from 1.0; the tests pass floats only
  // where they are not integral (str(0.5) and String(0.5) agree).
  return String(v);
}

/** utils.py dumps: dicts as compact JSON (orjson), everything else through str(). */
export function pyDumps(v: unknown): string {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? JSON.stringify(v) : pyStr(v);
}

const kv = (key: string, value: string) => ({ key, value });

// ---------------------------------------------------------------------------------------
// Collections

export interface FieldSpec {
  readonly name: string;
  readonly type: number;
  readonly isPrimary?: boolean;
  readonly autoId?: boolean;
  readonly nullable?: boolean;
  readonly isPartitionKey?: boolean;
  readonly elementType?: number;
  /** FieldSchema params (dim, max_length, max_capacity, ...). */
  readonly params?: Readonly<Record<string, unknown>>;
}

export interface SchemaSpec {
  readonly fields: readonly FieldSpec[];
  readonly enableDynamicField?: boolean;
  readonly description?: string;
}

/**
 * prepare.py Prepare.get_schema_from_collection_schema: the CollectionSchema bytes of a
 * CreateCollectionRequest. Type params that are not strings are JSON-encoded (orjson).
 */
export function encodeSchema(collection: string, s: SchemaSpec): Buffer {
  const fields = s.fields.map((f) => {
    const out: Record<string, unknown> = { name: f.name, data_type: f.type, description: '' };
    if (f.isPrimary) out.is_primary_key = true;
    if (f.autoId) out.autoID = true;
    if (f.nullable) out.nullable = true;
    if (f.isPartitionKey) out.is_partition_key = true;
    if (f.elementType !== undefined) out.element_type = f.elementType;
    out.type_params = Object.entries(f.params ?? {}).map(([k, v]) => kv(k === 'mmap_enabled' ? 'mmap.enabled' : k, typeof v === 'string' ? v : JSON.stringify(v)));
    return out;
  });
  const msg = types.collectionSchema.fromObject({
    name: collection,
    description: s.description ?? '',
    // orm/schema.py CollectionSchema.auto_id: the primary key's auto_id.
    autoID: s.fields.some((f) => f.isPrimary && f.autoId),
    enable_dynamic_field: s.enableDynamicField ?? false,
    fields,
  });
  return Buffer.from(types.collectionSchema.encode(msg).finish());
}

/**
 * prepare.py Prepare.create_collection_request for MilvusClient.create_collection with a
 * schema (milvus_client.py _create_collection_with_schema): consistency level Bounded
 * unless given, no shards_num, no properties unless given.
 */
export function createCollectionRequest(collection: string, s: SchemaSpec, opts: { consistencyLevel?: number; properties?: Record<string, unknown> } = {}): Record<string, unknown> {
  const req: Record<string, unknown> = {
    collection_name: collection,
    schema: encodeSchema(collection, s),
    consistency_level: opts.consistencyLevel ?? ConsistencyLevel.Bounded,
  };
  if (opts.properties) req.properties = Object.entries(opts.properties).map(([k, v]) => kv(k, pyStr(v)));
  return req;
}

export interface QuickSetup {
  readonly idType?: 'int' | 'string';
  readonly autoId?: boolean;
  readonly primaryField?: string;
  readonly vectorField?: string;
  readonly metricType?: string;
  readonly enableDynamicField?: boolean;
  readonly maxLength?: number;
}

/**
 * milvus_client.py MilvusClient._fast_create_collection (create_collection(name, dimension)):
 * enable_dynamic_field defaults to True, the primary key "id" (INT64, or VARCHAR with
 * max_length only when given), the vector "vector" FLOAT_VECTOR with dim.
 */
export function quickSetupSchema(dim: number, o: QuickSetup = {}): SchemaSpec {
  const pk: FieldSpec = o.idType === 'string'
    ? { name: o.primaryField ?? 'id', type: DataType.VarChar, isPrimary: true, autoId: o.autoId, params: o.maxLength ? { max_length: o.maxLength } : {} }
    : { name: o.primaryField ?? 'id', type: DataType.Int64, isPrimary: true, autoId: o.autoId };
  return {
    enableDynamicField: o.enableDynamicField ?? true,
    fields: [pk, { name: o.vectorField ?? 'vector', type: DataType.FloatVector, params: { dim } }],
  };
}

/** prepare.py Prepare.describe_collection_request (also what has_collection sends). */
export const describeCollectionRequest = (collection: string) => ({ collection_name: collection });
/** prepare.py Prepare.drop_collection_request. */
export const dropCollectionRequest = (collection: string) => ({ collection_name: collection });
/** prepare.py Prepare.create_partition_request / drop_partition_request / has_partition_request. */
export const partitionRequest = (collection: string, partition: string) => ({ collection_name: collection, partition_name: partition });
/** prepare.py Prepare.create_alias_request. */
export const createAliasRequest = (collection: string, alias: string) => ({ collection_name: collection, alias });
/** prepare.py Prepare.drop_alias_request / describe_alias_request. */
export const aliasRequest = (alias: string) => ({ alias });
/** prepare.py Prepare.load_collection (no replica_number, no load_fields). */
export const loadCollectionRequest = (collection: string) => ({ collection_name: collection });
/** prepare.py Prepare.get_loading_progress. */
export const loadingProgressRequest = (collection: string) => ({ collection_name: collection });
/** prepare.py Prepare.create_database_req (properties as str(v)). */
export const createDatabaseRequest = (db: string, properties: Record<string, unknown> = {}) => ({ db_name: db, properties: Object.entries(properties).map(([k, v]) => kv(k, pyStr(v))) });
/** prepare.py Prepare.alter_database_properties_req. */
export const alterDatabaseRequest = (db: string, properties: Record<string, unknown>) => ({ db_name: db, properties: Object.entries(properties).map(([k, v]) => kv(k, pyStr(v))) });
/** prepare.py Prepare.drop_database_properties_req: an AlterDatabaseRequest with delete_keys only. */
export const dropDatabasePropertiesRequest = (db: string, keys: readonly string[]) => ({ db_name: db, delete_keys: [...keys] });
/** prepare.py Prepare.describe_database_req. */
export const describeDatabaseRequest = (db: string) => ({ db_name: db });
/** prepare.py Prepare.drop_database_req. */
export const dropDatabaseRequest = (db: string) => ({ db_name: db });

// ---------------------------------------------------------------------------------------
// Indexes

/**
 * milvus_client/index.py IndexParam.get_index_configs + prepare.py
 * Prepare.create_index_request, as MilvusClient.create_index sends one IndexParam:
 * `params` flattened first, then the keyword arguments (metric_type, ...), then
 * index_type last; each value through utils.dumps. index_name "" unless given.
 */
export function createIndexRequest(collection: string, field: string, o: { indexType?: string; indexName?: string; metricType?: string; params?: Record<string, unknown> } = {}): Record<string, unknown> {
  const configs: Record<string, unknown> = { ...(o.params ?? {}) };
  if (o.metricType !== undefined) configs.metric_type = o.metricType;
  if (o.indexType) configs.index_type = o.indexType;
  return {
    collection_name: collection,
    field_name: field,
    index_name: o.indexName ?? '',
    extra_params: Object.entries(configs).filter(([, v]) => v !== null && v !== undefined).map(([k, v]) => kv(k, pyDumps(v))),
  };
}

/** prepare.py Prepare.describe_index_request (describe_index, list_indexes with index_name ""). */
export const describeIndexRequest = (collection: string, indexName: string, timestamp?: string) =>
  (timestamp === undefined ? { collection_name: collection, index_name: indexName } : { collection_name: collection, index_name: indexName, timestamp });

/** prepare.py Prepare.drop_index_request as MilvusClient.drop_index calls it (field_name ""). */
export const dropIndexRequest = (collection: string, indexName: string) => ({ db_name: '', collection_name: collection, field_name: '', index_name: indexName });

// ---------------------------------------------------------------------------------------
// Rows in (insert, upsert)

/** One field of the schema dict pymilvus builds from DescribeCollection (abstract.py FieldSchema.dict). */
export interface SchemaField {
  readonly name: string;
  readonly type: number;
  readonly params: Record<string, unknown>;
  readonly is_primary?: boolean;
  readonly auto_id?: boolean;
  readonly is_dynamic?: boolean;
  readonly nullable?: boolean;
  readonly default_value?: unknown;
  readonly is_function_output?: boolean;
  readonly element_type?: number;
}

export interface SchemaDict {
  readonly fields: readonly SchemaField[];
  readonly enable_dynamic_field: boolean;
  readonly update_timestamp: string;
}

/** abstract.py CollectionSchema(raw=DescribeCollectionResponse).dict(): what insert and query read. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function schemaDict(reply: any): SchemaDict {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const fields: SchemaField[] = (reply.schema?.fields ?? []).map((f: any) => {
    const params: Record<string, unknown> = {};
    for (const p of f.type_params ?? []) params[p.key] = p.key === 'dim' || p.key === 'max_length' ? Number(p.value) : p.value;
    const out: Record<string, unknown> = { name: f.name, type: f.data_type, params };
    if (f.is_primary_key) out.is_primary = true;
    if (f.autoID) out.auto_id = true;
    if (f.is_dynamic) out.is_dynamic = true;
    if (f.nullable) out.nullable = true;
    if (f.default_value && f.default_value.data) out.default_value = f.default_value;
    if (f.is_function_output) out.is_function_output = true;
    if (f.element_type) out.element_type = f.element_type;
    return out as unknown as SchemaField;
  });
  return { fields, enable_dynamic_field: !!reply.schema?.enable_dynamic_field, update_timestamp: String(reply.update_timestamp ?? '0') };
}

/**
 * What pymilvus raises on its own side, before anything is sent. `message` is what the
 * Python program prints (pymilvus wraps unexpected exceptions as
 * "Unexpected error, message=<...>" in decorators.py error_handler).
 */
export class PymilvusClientError extends Error {}

/** entity_helper.py _get_protobuf_payload: which ScalarField member a row value goes into. */
const scalarMember: Readonly<Record<number, string>> = {
  [DataType.Bool]: 'bool_data', [DataType.Int8]: 'int_data', [DataType.Int16]: 'int_data', [DataType.Int32]: 'int_data',
  [DataType.Int64]: 'long_data', [DataType.Float]: 'float_data', [DataType.Double]: 'double_data',
  [DataType.VarChar]: 'string_data', [DataType.JSON]: 'json_data', [DataType.Array]: 'array_data',
};

interface WireFieldData {
  field_name: string;
  type: number;
  is_dynamic?: boolean;
  scalars?: Record<string, { data: unknown[] }>;
  vectors?: { dim: number; float_vector?: { data: number[] }; binary_vector?: Buffer };
  valid_data?: boolean[];
}

/** entity_helper.py pack_field_value_to_field_data for the types these tests use. */
function pack(fd: WireFieldData, value: unknown, info: SchemaField): void {
  if (fd.type === DataType.FloatVector) {
    const v = value as number[];
    fd.vectors ??= { dim: 0, float_vector: { data: [] } };
    fd.vectors.dim = v.length;
    fd.vectors.float_vector!.data.push(...v); // spread-bounded: one vector of a test row
    return;
  }
  if (fd.type === DataType.BinaryVector) {
    // entity_helper.py _pack_byte_vector_row: the row's bytes appended, dim from the schema.
    fd.vectors ??= { dim: Number(info.params.dim), binary_vector: Buffer.alloc(0) };
    fd.vectors.binary_vector = Buffer.concat([fd.vectors.binary_vector ?? Buffer.alloc(0), Buffer.from(value as Uint8Array)]);
    return;
  }
  const member = scalarMember[fd.type];
  if (!member) throw new PymilvusClientError(`Unsupported data type: ${fd.type}`);
  fd.scalars ??= { [member]: { data: [] } };
  const payload = fd.scalars[member];
  assert.ok(payload);
  if (value === null || value === undefined) return;
  if (fd.type === DataType.JSON) {
    // entity_helper.py convert_to_json: orjson.dumps, compact.
    payload.data.push(Buffer.from(JSON.stringify(value)));
  } else if (fd.type === DataType.Array) {
    // entity_helper.py convert_to_array: one ScalarField per row, the elements in the
    // member of the field's element_type; ArrayArray.element_type is left unset.
    const inner = scalarMember[info.element_type ?? 0];
    if (!inner || inner === 'json_data' || inner === 'array_data') throw new PymilvusClientError(`Unsupported element type: ${info.element_type} for Array field: ${info.name}`);
    payload.data.push({ [inner]: { data: value } });
  } else {
    payload.data.push(value);
  }
}

type Row = Readonly<Record<string, unknown>>;

/** The rows of a batch, column by column, the way _parse_row_request and _parse_upsert_row_request build them. */
function rowColumns(rows: readonly Row[], schema: SchemaDict, isUpsert: boolean): WireFieldData[] {
  // prepare.py _is_input_field: auto_id fields only on upsert; never function outputs.
  const input = schema.fields.filter((f) => (!f.auto_id || isUpsert) && !f.is_function_output);
  if (!isUpsert) {
    const pk = schema.fields.find((f) => f.is_primary);
    if (pk?.auto_id && rows.length > 0 && pk.name in rows[0]!) input.push(pk);
  }
  const columns = new Map<string, WireFieldData>();
  // field_info_map holds schema dicts, and one FieldData: the dynamic column.
  const info = new Map<string, SchemaField | WireFieldData>();
  for (const f of input) {
    columns.set(f.name, { field_name: f.name, type: f.type });
    info.set(f.name, f);
  }
  let dynamic: WireFieldData | undefined;
  if (schema.enable_dynamic_field) {
    dynamic = { field_name: dynamicFieldName, type: DataType.JSON, is_dynamic: true, scalars: { json_data: { data: [] } } };
    columns.set(dynamicFieldName, dynamic);
    info.set(dynamicFieldName, dynamic);
  }
  // The crash of issue 21 item 1: when DescribeCollection lists "$meta", the schema
  // loop below meets the FieldData that replaced it in field_info_map and calls
  // .get("nullable") on it; protobuf messages have no .get.
  const fieldInfo = (name: string): SchemaField => {
    const i = info.get(name);
    if (i && 'field_name' in i) throw new PymilvusClientError('Unexpected error, message=<get>');
    assert.ok(i);
    return i;
  };
  for (const row of rows) {
    for (const [k, v] of Object.entries(row)) {
      if (!columns.has(k) && !schema.enable_dynamic_field) throw new PymilvusClientError(`Attempt to insert an unexpected field \`${k}\` to collection without enabling dynamic field`);
      const col = columns.get(k);
      if (!col) continue;
      const f = fieldInfo(k);
      if (f.nullable || f.default_value) (col.valid_data ??= []).push(v !== null && v !== undefined);
      pack(col, v, f);
    }
    for (const f of input) {
      if (f.name in row) continue;
      const fi = fieldInfo(f.name);
      if (!(fi.nullable || fi.default_value)) throw new PymilvusClientError(`Insert missed an field \`${f.name}\` to collection without set nullable==true or set default_value`);
      const col = columns.get(f.name);
      assert.ok(col);
      (col.valid_data ??= []).push(false);
      pack(col, null, fi);
    }
    if (dynamic) {
      const extra = Object.fromEntries(Object.entries(row).filter(([k]) => !columns.has(k)));
      dynamic.scalars!.json_data!.data.push(Buffer.from(JSON.stringify(extra)));
    }
  }
  return [...columns.values()];
}

/**
 * prepare.py Prepare.row_insert_param / _parse_row_request, as MilvusClient.insert calls
 * it (grpc_handler.py insert_rows → _prepare_row_insert_request): the schema comes from
 * DescribeCollection (schemaDict of its reply), the dynamic keys of each row go as one
 * JSON object into a "$meta" column with is_dynamic, schema_timestamp is the described
 * update_timestamp.
 */
export function insertRequest(collection: string, rows: readonly Row[], schema: SchemaDict, partition = ''): Record<string, unknown> {
  return {
    collection_name: collection,
    partition_name: partition,
    num_rows: rows.length,
    schema_timestamp: schema.update_timestamp,
    fields_data: rowColumns(rows, schema, false),
  };
}

/** prepare.py Prepare.row_upsert_param / _parse_upsert_row_request (partial_update false). */
export function upsertRequest(collection: string, rows: readonly Row[], schema: SchemaDict, partition = ''): Record<string, unknown> {
  return {
    collection_name: collection,
    partition_name: partition,
    num_rows: rows.length,
    schema_timestamp: schema.update_timestamp,
    partial_update: false,
    fields_data: rowColumns(rows, schema, true),
  };
}

// ---------------------------------------------------------------------------------------
// Reads out (query, search, hybrid search)

/**
 * prepare.py Prepare.prepare_expression_template: filter_params / expr_params as
 * TemplateValue (int → int64_val, float → float_val, str → string_val, bool → bool_val,
 * list → array_val). A JavaScript number that is an integer goes as Python int.
 */
export function exprTemplateValues(values: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const one = (v: unknown): Record<string, unknown> => {
    if (typeof v === 'boolean') return { bool_val: v };
    if (typeof v === 'number') return Number.isInteger(v) ? { int64_val: String(v) } : { float_val: v };
    if (typeof v === 'string') return { string_val: v };
    if (Array.isArray(v)) {
      if (v.length === 0) return { array_val: {} };
      const first = v[0];
      if (typeof first === 'boolean') return { array_val: { bool_data: { data: v } } };
      if (typeof first === 'number' && v.every((x) => Number.isInteger(x))) return { array_val: { long_data: { data: v.map(String) } } };
      if (typeof first === 'number') return { array_val: { double_data: { data: v } } };
      return { array_val: { string_data: { data: v.map(String) } } };
    }
    throw new PymilvusClientError(`Unsupported element type: ${typeof v}`);
  };
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, one(v)]));
}

/** blob.py vector_float_to_bytes + prepare.py _prepare_placeholder_str: tag "$0", FloatVector (101). */
export function placeholderGroup(vectors: readonly (readonly number[])[]): Buffer {
  const values = vectors.map((v) => {
    const b = Buffer.alloc(v.length * 4);
    v.forEach((x, i) => b.writeFloatLE(x, i * 4));
    return b;
  });
  const msg = types.placeholderGroup.fromObject({ placeholders: [{ tag: '$0', type: 101, values }] });
  return Buffer.from(types.placeholderGroup.encode(msg).finish());
}

export interface SearchSpec {
  readonly data: readonly (readonly number[])[];
  readonly filter?: string;
  readonly limit?: number;
  readonly outputFields?: readonly string[];
  /** MilvusClient.search(search_params=...): {"metric_type": ..., "params": {...}}. */
  readonly searchParams?: Readonly<Record<string, unknown>>;
  readonly annsField?: string;
  /** MilvusClient.search(filter_params=...) / AnnSearchRequest(expr_params=...). */
  readonly exprParams?: Readonly<Record<string, unknown>>;
  readonly partitionNames?: readonly string[];
  /**
   * ts_utils.py construct_guarantee_ts with no consistency_level: the last write
   * timestamp pymilvus cached for the collection (the insert reply's timestamp), or 1.
   */
  readonly guaranteeTs?: string;
}

/** utils.py get_params: the search params' "params" with every top-level key merged in. */
function mergedParams(p: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const params: Record<string, unknown> = { ...((p.params as Record<string, unknown>) ?? {}) };
  for (const [k, v] of Object.entries(p)) if (k !== 'params' && !(k in params)) params[k] = v;
  return params;
}

/**
 * prepare.py Prepare.search_requests_with_expr as MilvusClient.search calls it
 * (grpc_handler.py search): search_params KeyValuePairs topk, round_decimal (-1),
 * ignore_growing, metric_type (when given), anns_field (when given), params (JSON);
 * dsl_type BoolExprV1, use_default_consistency true, consistency_level 0.
 */
export function searchRequest(collection: string, s: SearchSpec): Record<string, unknown> {
  const p = s.searchParams ?? {};
  const sp: Array<{ key: string; value: string }> = [kv('topk', pyStr(s.limit ?? 10)), kv('round_decimal', '-1'), kv('ignore_growing', pyStr(!!p.ignore_growing))];
  if (p.metric_type !== undefined) sp.push(kv('metric_type', pyStr(p.metric_type)));
  if (s.annsField) sp.push(kv('anns_field', s.annsField));
  sp.push(kv('params', JSON.stringify(mergedParams(p))));
  return {
    collection_name: collection,
    partition_names: [...(s.partitionNames ?? [])],
    output_fields: [...(s.outputFields ?? [])],
    guarantee_timestamp: s.guaranteeTs ?? eventuallyTs,
    use_default_consistency: true,
    consistency_level: 0,
    dsl_type: 1,
    search_params: sp,
    expr_template_values: exprTemplateValues(s.exprParams ?? {}),
    nq: String(s.data.length),
    placeholder_group: placeholderGroup(s.data),
    dsl: s.filter ?? '',
  };
}

export interface AnnRequest {
  readonly data: readonly (readonly number[])[];
  readonly annsField: string;
  /** AnnSearchRequest(param=...). */
  readonly param: Readonly<Record<string, unknown>>;
  readonly limit: number;
  readonly expr?: string;
  readonly exprParams?: Readonly<Record<string, unknown>>;
}

/**
 * grpc_handler.py hybrid_search + prepare.py Prepare.hybrid_search_request_with_ranker,
 * for MilvusClient.hybrid_search(reqs, RRFRanker(k), limit, output_fields): each
 * AnnSearchRequest becomes a SearchRequest built by search_requests_with_expr with its
 * own expr and expr_params (expr_template_values); rank_params strategy, params (JSON),
 * limit, round_decimal, offset.
 */
export function hybridSearchRequest(collection: string, reqs: readonly AnnRequest[], o: { rrfK?: number; limit?: number; outputFields?: readonly string[]; guaranteeTs?: string } = {}): Record<string, unknown> {
  const guaranteeTs = o.guaranteeTs ?? eventuallyTs;
  const requests = reqs.map((r) => {
    const sub = searchRequest(collection, { data: r.data, annsField: r.annsField, searchParams: r.param, limit: r.limit, exprParams: r.exprParams, guaranteeTs });
    // search_requests_with_expr sets dsl only when an expr is given (request.dsl = expr).
    if (r.expr === undefined) delete sub.dsl;
    else sub.dsl = r.expr;
    sub.output_fields = [];
    return sub;
  });
  return {
    collection_name: collection,
    partition_names: [],
    requests,
    output_fields: [...(o.outputFields ?? [])],
    guarantee_timestamp: guaranteeTs,
    use_default_consistency: true,
    consistency_level: 0,
    rank_params: [
      kv('strategy', 'rrf'),
      kv('params', JSON.stringify({ k: o.rrfK ?? 60 })),
      kv('limit', pyStr(o.limit ?? 10)),
      kv('round_decimal', '-1'),
      kv('offset', '0'),
    ],
  };
}

export interface QuerySpec {
  readonly filter: string;
  /** MilvusClient.query sends ["*"] when output_fields is not given. */
  readonly outputFields?: readonly string[];
  readonly limit?: number;
  readonly exprParams?: Readonly<Record<string, unknown>>;
  readonly partitionNames?: readonly string[];
  readonly guaranteeTs?: string;
}

/**
 * prepare.py Prepare.query_request as MilvusClient.query calls it: db_name "",
 * expr_template_values from filter_params, query_params limit (when given),
 * ignore_growing "False", reduce_stop_for_best "False".
 */
export function queryRequest(collection: string, q: QuerySpec): Record<string, unknown> {
  const params: Array<{ key: string; value: string }> = [];
  if (q.limit !== undefined) params.push(kv('limit', pyStr(q.limit)));
  params.push(kv('ignore_growing', 'False'), kv('reduce_stop_for_best', 'False'));
  return {
    db_name: '',
    collection_name: collection,
    expr: q.filter,
    output_fields: [...(q.outputFields ?? ['*'])],
    partition_names: [...(q.partitionNames ?? [])],
    guarantee_timestamp: q.guaranteeTs ?? eventuallyTs,
    use_default_consistency: true,
    consistency_level: 0,
    expr_template_values: exprTemplateValues(q.exprParams ?? {}),
    query_params: params,
  };
}

// ---------------------------------------------------------------------------------------
// Reading replies as pymilvus does

/** client/utils.py is_successful: both codes zero. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const isSuccessful = (s: any): boolean => Number(s?.code ?? 0) === 0 && Number(s?.error_code ?? 0) === 0;

/** What pymilvus raises for a failed status (exceptions.py MilvusException: code, message). */
export class MilvusException extends Error {
  constructor(readonly code: number, readonly reason: string, readonly errorCode: number) {
    super(`<MilvusException: (code=${code}, message=${reason})>`);
  }
}

/** client/utils.py check_status. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function checkStatus(s: any): void {
  if (!isSuccessful(s)) throw new MilvusException(Number(s.code), String(s.reason), Number(s.error_code));
}

/**
 * grpc_handler.py has_collection: DescribeCollection, then false for
 * (UnexpectedError and "can't find collection" in the reason), CollectionNotExists, or
 * code 100; true on success; any other failure raises.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function hasCollectionFromDescribe(reply: any): boolean {
  const s = reply.status;
  if (Number(s.error_code) === LegacyCode.UnexpectedError && String(s.reason).includes("can't find collection")) return false;
  if (Number(s.error_code) === LegacyCode.CollectionNotExists) return false;
  if (isSuccessful(s)) return true;
  if (Number(s.code) === 100) return false;
  throw new MilvusException(Number(s.code), String(s.reason), Number(s.error_code));
}

/** client/utils.py len_of: the row count of one FieldData, or what pymilvus raises. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function lenOf(fd: any): number {
  if (fd.field === 'scalars') {
    const member = fd.scalars?.data;
    if (!member) throw new MilvusException(1, 'Unsupported scalar type', 1);
    return (fd.scalars[member]?.data ?? []).length;
  }
  if (fd.field === 'vectors') {
    if ((fd.valid_data ?? []).length > 0) return fd.valid_data.length;
    const dim = Number(fd.vectors.dim);
    // Python: total_len % dim with dim 0 raises ZeroDivisionError.
    if (!(dim > 0)) throw new PymilvusClientError('Unexpected error, message=<integer division or modulo by zero>');
    if (fd.vectors.data === 'float_vector') return fd.vectors.float_vector.data.length / dim;
    if (fd.vectors.data === 'binary_vector') return fd.vectors.binary_vector.length / (dim / 8);
    throw new PymilvusClientError(`vector kind ${fd.vectors.data} not read by these tests`);
  }
  throw new MilvusException(1, `FieldData of ${fd.field_name} has neither scalars nor vectors`, 1);
}

/**
 * grpc_handler.py query: status check (EMPTY_COLLECTION means []), then "No fields
 * returned" when fields_data is empty, then every column must have the same length.
 * Returns the row count pymilvus would build.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function queryRowCount(reply: any): number {
  const s = reply.status;
  if (Number(s.code) === 26 || Number(s.error_code) === 26) return 0;
  checkStatus(s);
  const cols = reply.fields_data ?? [];
  if (cols.length === 0) throw new MilvusException(1, 'No fields returned', 1);
  const n = lenOf(cols[0]);
  for (const c of cols) if (lenOf(c) !== n) throw new MilvusException(1, 'The length of fields data is inconsistent', 1);
  return n;
}

/** The int() pymilvus applies to extra_info["report_value"] (Python int of a str: optional sign, digits, underscores). */
function pyInt(text: string): number {
  const t = text.trim();
  if (!/^[+-]?\d+(_\d+)*$/.test(t)) throw new PymilvusClientError(`invalid literal for int() with base 10: '${text}'`);
  return Number(t.replace(/_/g, ''));
}

/**
 * search_result.py SearchResult.__init__ (extra["cost"] when report_value is present) and
 * types.py get_cost_from_status (query): the cost a search or query reply reports, 0 when
 * the status carries none.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function readCost(status: any): number {
  const extra = status?.extra_info ?? {};
  return 'report_value' in extra ? pyInt(String(extra.report_value)) : 0;
}

/**
 * abstract.py MutationResult._pack: int(extra_info["report_value"] if extra_info else "0").
 * A non-empty extra_info without report_value is a KeyError in the Python program.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function readMutationCost(status: any): number {
  const extra = status?.extra_info ?? {};
  if (Object.keys(extra).length === 0) return 0;
  if (!('report_value' in extra)) throw new PymilvusClientError("Unexpected error, message=<'report_value'>");
  return pyInt(String(extra.report_value));
}

/** The names of a decoded FieldData list, in order. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const columnNames = (cols: any[] | undefined): string[] => (cols ?? []).map((c) => String(c.field_name));

/** Decodes the dynamic ($meta) column of a query reply into one object per row. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function dynamicValues(reply: any): Array<Record<string, unknown>> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const col = (reply.fields_data ?? []).find((c: any) => c.is_dynamic);
  if (!col) return [];
  return (col.scalars.json_data.data as Buffer[]).map((b) => JSON.parse(Buffer.from(b).toString('utf8')) as Record<string, unknown>);
}

/** A root lookup for tests that need to encode or decode a message by hand. */
export const lookupType = (name: string) => root.lookupType(name);
