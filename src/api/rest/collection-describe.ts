// The data of /v2/vectordb/collections/describe, from the engine's frozen metadata, in
// Milvus's REST shape (camelCase, type names as strings, type params as key/value pairs).
import { type CollectionMeta, DataType, type FieldSchema, dataTypeName, defaultTimezone, formatTimestamptz, indexesOf } from '../../catalog/index.js';
import { reportedFieldName } from '../../gateway/index.js';
import { int64Out } from './int64.js';

export function loadStateOf(coll: CollectionMeta): 'LoadStateLoaded' | 'LoadStateNotLoad' {
  return coll.loaded ? 'LoadStateLoaded' : 'LoadStateNotLoad';
}

/** `timezone`: the collection's (Gateway.collectionTimezone), in which Timestamptz defaults are written. */
export function describeCollection(coll: CollectionMeta, aliases: readonly string[], int64AsNumbers: boolean, timezone = defaultTimezone): Record<string, unknown> {
  const pk = coll.schema.fields.find((f) => f.isPrimary)!;
  return {
    collectionName: coll.name,
    collectionID: coll.id,
    description: coll.schema.description,
    autoId: pk.autoId,
    fields: coll.schema.fields.filter((f) => !f.isDynamic && f.type !== DataType.ArrayOfStruct).map((f) => describeField(f, int64AsNumbers, timezone)),
    // Array of Structs fields apart, as the gRPC schema has them (struct_array_fields):
    // each sub-field described by its own type, with the struct's max_capacity.
    structArrayFields: coll.schema.fields.filter((f) => f.type === DataType.ArrayOfStruct).map((f) => ({
      name: f.name, id: f.fieldId, description: f.description,
      fields: f.structFields!.map((s) => describeField(s, int64AsNumbers, timezone)),
    })),
    functions: [],
    aliases,
    // A JSON-path index on a dynamic key is reported under the key, as Milvus reports it.
    indexes: indexesOf(coll).map((i) => ({ fieldName: reportedFieldName(i), indexName: i.indexName, metricType: i.metricType ?? '' })),
    load: loadStateOf(coll),
    shardsNum: coll.shardsNum,
    partitionsNum: coll.numPartitions || coll.partitions.length,
    consistencyLevel: coll.consistencyLevel,
    enableDynamicField: coll.schema.enableDynamicField,
    properties: Object.entries(coll.properties).map(([key, value]) => ({ key, value })),
  };
}

function describeField(f: FieldSchema, int64AsNumbers: boolean, timezone: string): Record<string, unknown> {
  const params: Array<{ key: string; value: string }> = [];
  if (f.dim !== undefined) params.push({ key: 'dim', value: String(f.dim) });
  if (f.maxLength !== undefined) params.push({ key: 'max_length', value: String(f.maxLength) });
  if (f.maxCapacity !== undefined) params.push({ key: 'max_capacity', value: String(f.maxCapacity) });
  if (f.mmapEnabled !== undefined) params.push({ key: 'mmap.enabled', value: String(f.mmapEnabled) });
  const out: Record<string, unknown> = {
    name: f.name,
    id: f.fieldId,
    type: dataTypeName(f.type),
    primaryKey: f.isPrimary,
    partitionKey: f.isPartitionKey,
    clusteringKey: false,
    autoId: f.autoId,
    nullable: f.nullable,
    description: f.description,
  };
  if (params.length > 0) out['params'] = params;
  if (f.type === DataType.Array && f.elementType !== undefined) out['elementType'] = dataTypeName(f.elementType);
  if (f.defaultValue !== undefined && f.defaultValue !== null) {
    out['defaultValue'] = f.type === DataType.Int64 ? int64Out(f.defaultValue, int64AsNumbers)
      : f.type === DataType.Timestamptz ? formatTimestamptz(BigInt(f.defaultValue as string), timezone) : f.defaultValue;
  }
  return out;
}
