// The body of /v2/vectordb/collections/create, turned into the engine's requests.
//
// Two forms, as in Milvus:
//  - quick setup (no schema.fields): a primary key (idType, primaryFieldName, autoID) and
//    one vector field (dimension, vectorFieldName, vectorFieldType), dynamic field on by
//    default; an index on the vector (metricType) is created and the collection loaded;
//  - a full schema: schema.fields (fieldName, dataType, elementDataType, isPrimary,
//    isPartitionKey, nullable, defaultValue, elementTypeParams), schema.autoID,
//    schema.enableDynamicField; with indexParams, those indexes are created and the
//    collection loaded, as Milvus does.
// params carries shardsNum, partitionsNum, consistencyLevel, ttlSeconds, max_length (quick
// VarChar ids), enableDynamicField (quick), mmap.enabled and partitionKeyIsolation.
//
// The schema and every index are validated here, before the collection exists, so a bad
// metric or index parameter does not leave a half-made collection behind.
import { type FieldInput, normalizeSchema } from '../../catalog/index.js';
import type { CreateCollectionReq } from '../../gateway/index.js';
import { fail } from '../../errors/index.js';
import {
  type Body, bad, optionalArray, optionalBool, optionalInt, optionalObject, optionalProperties, optionalString, requireString, typeName,
} from './body.js';
import { type IndexRequest, checkIndex, indexRequests } from './indexes.js';
import { numbersOnly } from './int64.js';

export interface CreatePlan {
  readonly collection: CreateCollectionReq;
  readonly indexes: readonly IndexRequest[];
  /** Load after the indexes, as Milvus does for quick setup and for a schema with indexParams. */
  readonly load: boolean;
}

const quickVectorTypes = ['FloatVector', 'BinaryVector', 'Float16Vector', 'BFloat16Vector', 'SparseFloatVector'];
/** Milvus's default max_length of a quick-setup VarChar id when params.max_length is absent (the engine's, too). */
const quickVarcharLengthDefault = 512;

export function planCreate(body: Body, db: string): CreatePlan {
  const name = requireString(body, 'collectionName');
  const params = optionalObject(body, 'params') ?? {};
  const schema = optionalObject(body, 'schema');
  const schemaFields = schema === undefined ? undefined : optionalArray(schema, 'fields', 'schema.fields');
  const quick = schemaFields === undefined || schemaFields.length === 0;
  const description = optionalString(body, 'description') ?? '';

  let fields: FieldInput[];
  let enableDynamicField: boolean;
  let indexes: IndexRequest[];
  if (quick) {
    if (schema !== undefined && (optionalArray(schema, 'functions', 'schema.functions') ?? []).length > 0) bad('schema.functions needs schema.fields');
    const q = quickSetup(body, params);
    fields = q.fields;
    enableDynamicField = optionalBool(params, 'enableDynamicField', 'params.enableDynamicField') ?? true;
    indexes = [q.index];
  } else {
    if ((optionalArray(schema!, 'functions', 'schema.functions') ?? []).length > 0) fail('NOT_SUPPORTED', { what: 'schema functions (BM25, text embedding)' });
    const autoId = optionalBool(schema!, 'autoID', 'schema.autoID') ?? optionalBool(schema!, 'autoId', 'schema.autoId') ?? false;
    fields = schemaFields.map((f, i) => fieldInput(f, `schema.fields[${i}]`, autoId));
    // Array of Structs fields: schema.structArrayFields, each { fieldName, description,
    // fields (as schema.fields), typeParams or elementTypeParams with max_capacity }.
    const structs = optionalArray(schema!, 'structArrayFields', 'schema.structArrayFields') ?? [];
    structs.forEach((x, i) => fields.push(structFieldInput(x, i)));
    // The Node SDK's type spells it enabledDynamicField; Milvus reads enableDynamicField.
    enableDynamicField = optionalBool(schema!, 'enableDynamicField', 'schema.enableDynamicField') ?? optionalBool(schema!, 'enabledDynamicField', 'schema.enabledDynamicField') ?? false;
    indexes = indexRequests(body);
  }

  const normalized = normalizeSchema({ fields, enableDynamicField, description, collectionName: name });
  for (const ix of indexes) checkIndex(normalized.fields, name, ix);

  const collection: CreateCollectionReq = {
    db_name: db, collection_name: name, fields, enable_dynamic_field: enableDynamicField, description,
    properties: properties(body, params),
  };
  const shards = optionalInt(params, 'shardsNum', 1, Number.MAX_SAFE_INTEGER, 'params.shardsNum');
  if (shards !== undefined) collection.shards_num = shards;
  // Milvus reads partitionsNum only for a collection with a partition key; so does this.
  const partitions = optionalInt(params, 'partitionsNum', 1, Number.MAX_SAFE_INTEGER, 'params.partitionsNum');
  if (partitions !== undefined && normalized.fields.some((f) => f.isPartitionKey)) collection.num_partitions = partitions;
  const level = optionalString(params, 'consistencyLevel', 'params.consistencyLevel') ?? optionalString(body, 'consistencyLevel');
  if (level !== undefined) collection.consistency_level = level as CreateCollectionReq['consistency_level'];
  return { collection, indexes, load: quick || indexes.length > 0 };
}

function quickSetup(body: Body, params: Body): { fields: FieldInput[]; index: IndexRequest } {
  const vectorType = optionalString(body, 'vectorFieldType') ?? 'FloatVector';
  if (!quickVectorTypes.includes(vectorType)) bad(`vectorFieldType must be one of ${quickVectorTypes.join(', ')}, got ${JSON.stringify(vectorType)}`);
  const sparse = vectorType === 'SparseFloatVector';
  const dimension = optionalInt(body, 'dimension', 1);
  if (sparse && dimension !== undefined) bad('dimension must not be given for a SparseFloatVector quick setup');
  if (!sparse && dimension === undefined) bad('dimension is required for a quick setup (or give schema.fields)');
  const idTypeGiven = optionalString(body, 'idType') ?? 'Int64';
  const idType = ({ Int64: 'Int64', int64: 'Int64', VarChar: 'VarChar', Varchar: 'VarChar' } as Record<string, string>)[idTypeGiven];
  if (!idType) bad(`idType must be Int64 or VarChar, got ${JSON.stringify(idTypeGiven)}`);
  const autoId = optionalBool(body, 'autoID') ?? optionalBool(body, 'autoId') ?? false;
  const pkName = optionalString(body, 'primaryFieldName') ?? 'id';
  const vectorName = optionalString(body, 'vectorFieldName') ?? 'vector';
  const pk: FieldInput = { name: pkName, data_type: idType, is_primary_key: true, autoID: autoId };
  if (idType === 'VarChar') pk.max_length = optionalInt(params, 'max_length', 1, Number.MAX_SAFE_INTEGER, 'params.max_length') ?? quickVarcharLengthDefault;
  const vector: FieldInput = { name: vectorName, data_type: vectorType };
  if (dimension !== undefined) vector.dim = dimension;
  const index: IndexRequest = { field_name: vectorName, index_name: vectorName };
  const metric = optionalString(body, 'metricType');
  if (metric !== undefined) index.metric_type = metric;
  return { fields: [pk, vector], index };
}

/** A field in Milvus's REST shape (fieldName, dataType, …) at `where` in the body, as the engine takes it. */
export function fieldInput(f: unknown, where: string, schemaAutoId: boolean): FieldInput {
  if (typeof f !== 'object' || f === null || Array.isArray(f)) bad(`${where} must be an object`);
  const b = f as Body;
  const name = requireString(b, 'fieldName', `${where}.fieldName`);
  const dataType = b['dataType'];
  if (typeof dataType !== 'string' || dataType === '') bad(`${where}.dataType is required and must be a type name such as "Int64" or "FloatVector", got ${typeName(dataType)}`);
  if (optionalBool(b, 'isClusteringKey', `${where}.isClusteringKey`)) fail('NOT_SUPPORTED', { what: 'clustering key fields' });
  const isPrimary = optionalBool(b, 'isPrimary', `${where}.isPrimary`) ?? false;
  const out: FieldInput = {
    name,
    data_type: dataType,
    description: optionalString(b, 'description', `${where}.description`) ?? '',
    is_primary_key: isPrimary,
    autoID: isPrimary && schemaAutoId,
    is_partition_key: optionalBool(b, 'isPartitionKey', `${where}.isPartitionKey`) ?? false,
    nullable: optionalBool(b, 'nullable', `${where}.nullable`) ?? false,
  };
  const elementType = optionalString(b, 'elementDataType', `${where}.elementDataType`);
  if (elementType !== undefined) out.element_type = elementType;
  const typeParams = optionalProperties(b, 'elementTypeParams');
  if (typeParams !== undefined) out.type_params = typeParams;
  const dv = b['defaultValue'];
  // An Int64 default past 2^53 keeps its digits; any other type gets a plain number.
  if (dv !== undefined && dv !== null) out.default_value = dataType.toLowerCase() === 'int64' ? dv : numbersOnly(dv);
  return out;
}

function structFieldInput(f: unknown, i: number): FieldInput {
  const where = `schema.structArrayFields[${i}]`;
  if (typeof f !== 'object' || f === null || Array.isArray(f)) bad(`${where} must be an object`);
  const b = f as Body;
  const subs = optionalArray(b, 'fields', `${where}.fields`) ?? [];
  return {
    name: requireString(b, 'fieldName', `${where}.fieldName`),
    data_type: 'Array',
    element_type: 'Struct',
    description: optionalString(b, 'description', `${where}.description`) ?? '',
    type_params: { ...(optionalProperties(b, 'typeParams') ?? {}), ...(optionalProperties(b, 'elementTypeParams') ?? {}) },
    fields: subs.map((x, k) => fieldInput(x, `${where}.fields[${k}]`, false)),
  };
}

function properties(body: Body, params: Body): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = { ...(optionalProperties(body, 'properties') ?? {}) };
  const ttl = optionalInt(params, 'ttlSeconds', 0, Number.MAX_SAFE_INTEGER, 'params.ttlSeconds');
  if (ttl !== undefined) {
    if (out['collection.ttl.seconds'] !== undefined) bad('the collection TTL is given twice (params.ttlSeconds and properties)');
    out['collection.ttl.seconds'] = ttl;
  }
  const mmap = optionalBool(params, 'mmap.enabled', 'params["mmap.enabled"]');
  if (mmap !== undefined) out['mmap.enabled'] = mmap;
  const isolation = optionalBool(params, 'partitionKeyIsolation', 'params.partitionKeyIsolation');
  if (isolation !== undefined) out['partitionkey.isolation'] = isolation;
  return out;
}
