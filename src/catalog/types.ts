// Data types, numbered as Milvus's schema.proto numbers them, so that the wire layer
// passes them through unchanged.
export enum DataType {
  None = 0,
  Bool = 1,
  Int8 = 2,
  Int16 = 3,
  Int32 = 4,
  Int64 = 5,
  Float = 10,
  Double = 11,
  String = 20,
  VarChar = 21,
  Array = 22,
  JSON = 23,
  Geometry = 24,
  /** Microseconds since the epoch (UTC), read and written as ISO 8601 text (catalog/timestamptz.ts). */
  Timestamptz = 26,
  BinaryVector = 100,
  FloatVector = 101,
  Float16Vector = 102,
  BFloat16Vector = 103,
  SparseFloatVector = 104,
  Int8Vector = 105,
  /** A struct's vector sub-field on the wire: one list of vectors per row (Milvus's internal type). */
  ArrayOfVector = 106,
  /** An Array of Structs field (Milvus 2.6: an Array field whose element_type is Struct). */
  ArrayOfStruct = 200,
  /** The element type that makes an Array field an Array of Structs. */
  Struct = 201,
}

export const vectorTypes: ReadonlySet<DataType> = new Set([
  DataType.BinaryVector,
  DataType.FloatVector,
  DataType.Float16Vector,
  DataType.BFloat16Vector,
  DataType.SparseFloatVector,
  DataType.Int8Vector,
]);

export const arrayElementTypes: ReadonlySet<DataType> = new Set([
  DataType.Bool, DataType.Int8, DataType.Int16, DataType.Int32, DataType.Int64,
  DataType.Float, DataType.Double, DataType.VarChar,
]);

/** The types a struct's sub-fields may have (Milvus 2.6, "Array of Structs": FLOAT_VECTOR and these scalars). */
export const structSubFieldTypes: ReadonlySet<DataType> = new Set([
  DataType.Bool, DataType.Int8, DataType.Int16, DataType.Int32, DataType.Int64,
  DataType.Float, DataType.Double, DataType.VarChar, DataType.FloatVector,
]);

export function isVector(t: DataType): boolean {
  return vectorTypes.has(t);
}

export function dataTypeName(t: DataType): string {
  return DataType[t] ?? `Unknown(${t})`;
}

/** Accepts a DataType number or its name ("Int64", "FloatVector", ...), as the SDK does. */
export function parseDataType(v: unknown): DataType | undefined {
  if (typeof v === 'number' && DataType[v] !== undefined) return v as DataType;
  if (typeof v === 'string') {
    const byName = (DataType as unknown as Record<string, number>)[v];
    if (typeof byName === 'number') return byName as DataType;
    const lower = v.toLowerCase();
    for (const [name, num] of Object.entries(DataType)) {
      if (typeof num === 'number' && name.toLowerCase() === lower) return num as DataType;
    }
  }
  return undefined;
}

export interface FieldSchema {
  readonly fieldId: number;
  readonly name: string;
  readonly description: string;
  readonly type: DataType;
  readonly isPrimary: boolean;
  readonly autoId: boolean;
  /** Vectors (except sparse): the dimension. */
  readonly dim?: number;
  /** VarChar, and Array of VarChar: the maximum length in characters. */
  readonly maxLength?: number;
  readonly elementType?: DataType;
  /** Array, and Array of Structs: the most elements a row may hold. */
  readonly maxCapacity?: number;
  /**
   * An Array of Structs field (type ArrayOfStruct): the struct's sub-fields, each with a
   * field id of its own, its element type as `type` (FloatVector, Int64, VarChar, ...),
   * and its dim or max_length. A row's value is an array of objects keyed by their names.
   */
  readonly structFields?: readonly FieldSchema[];
  /**
   * The field's `mmap.enabled` type param as the user set it (at creation or with
   * AlterCollectionField): stored and reported as Milvus does; Elanus holds columns in
   * memory either way (README, compatibility).
   */
  readonly mmapEnabled?: boolean;
  readonly nullable: boolean;
  /** The default used when a row omits the field or gives null. */
  readonly defaultValue?: unknown;
  readonly isPartitionKey: boolean;
  /** The `$meta` field that holds the dynamic fields. */
  readonly isDynamic: boolean;
}

export interface CollectionSchema {
  readonly fields: readonly FieldSchema[];
  readonly enableDynamicField: boolean;
  readonly description: string;
}

export type ConsistencyLevel = 'Strong' | 'Session' | 'Bounded' | 'Eventually';
export const consistencyLevels: readonly ConsistencyLevel[] = ['Strong', 'Session', 'Bounded', 'Eventually'];

export type LoadState = 'NotLoad' | 'Loading' | 'Loaded';

export interface PartitionMeta {
  readonly id: number;
  readonly name: string;
  readonly createdTs: string;
}

export interface CollectionMeta {
  readonly id: number;
  readonly db: string;
  readonly name: string;
  readonly schema: CollectionSchema;
  readonly shardsNum: number;
  /** Partition-key collections: how many partitions keys are hashed onto. */
  readonly numPartitions: number;
  readonly partitions: readonly PartitionMeta[];
  readonly properties: Readonly<Record<string, string>>;
  readonly consistencyLevel: ConsistencyLevel;
  readonly createdTs: string;
  readonly loaded: boolean;
  /** Loaded partitions when only some are; empty with loaded=true means all. */
  readonly loadedPartitions: readonly number[];
  /**
   * While loaded: how many replicas each resource group holds (catalog/resource-groups.ts).
   * Absent in folders written before resource groups, and on loads that named none: one
   * replica in the default group.
   */
  readonly replicaGroups?: Readonly<Record<string, number>>;
  /**
   * Index specifications: at most one per field, except on a JSON field (the dynamic
   * field too), which takes one per JSON path. Absent in folders written before indexes
   * existed: read it through indexesOf().
   */
  readonly indexes?: readonly IndexMeta[];
}

/**
 * One index specification, as createIndex recorded it (catalog/indexes.ts validates it).
 * Search is exact for now; scalar specs build per-segment filter indexes (query/exec/scalar-index.ts).
 */
export interface IndexMeta {
  readonly indexId: number;
  readonly indexName: string;
  readonly fieldId: number;
  readonly fieldName: string;
  /** Canonical Milvus name: HNSW, IVF_FLAT, ..., INVERTED, BITMAP, STL_SORT, Trie, AUTOINDEX. */
  readonly indexType: string;
  /** Vector indexes only: L2, IP, COSINE, HAMMING or JACCARD. */
  readonly metricType?: string;
  /**
   * Every parameter as a string: index_type, metric_type, build parameters and properties
   * (mmap.enabled), as describeIndex reports them. json_path and json_cast_type, and the
   * parameters Milvus ignores, are kept as the request gave them (Milvus reports the
   * user's own); what they mean is in jsonPath and jsonCastType.
   */
  readonly params: Readonly<Record<string, string>>;
  /**
   * A JSON field's index: the path inside the field it covers ([] for the whole field),
   * as a filter resolves it. Absent in folders written before several indexes per JSON
   * field existed: read it through jsonIndexTarget().
   */
  readonly jsonPath?: readonly (string | number)[];
  /** A JSON field's index: json_cast_type upper-cased (BOOL, DOUBLE, VARCHAR, ARRAY_*, JSON). */
  readonly jsonCastType?: string;
  readonly createdTs: string;
}

export interface DatabaseMeta {
  readonly id: number;
  readonly name: string;
  readonly properties: Readonly<Record<string, string>>;
  readonly createdTs: string;
}

export interface AliasMeta {
  readonly db: string;
  readonly alias: string;
  readonly collectionId: number;
}

export function primaryField(schema: CollectionSchema): FieldSchema {
  const f = schema.fields.find((x) => x.isPrimary);
  if (!f) throw new Error('schema without primary key');
  return f;
}

/**
 * `chunks[text_vector]`, as Milvus 2.6 names a struct's sub-field (anns_field,
 * output_fields, index field_name): the Array of Structs field and the sub-field, or
 * undefined when `name` is no such path.
 */
export function structPathOf(schema: CollectionSchema, name: unknown): { readonly struct: FieldSchema; readonly sub: FieldSchema } | undefined {
  if (typeof name !== 'string') return undefined;
  const m = /^([^[\]]+)\[([^[\]]+)\]$/.exec(name);
  if (!m) return undefined;
  const struct = schema.fields.find((f) => f.name === m[1] && f.type === DataType.ArrayOfStruct);
  const sub = struct?.structFields!.find((s) => s.name === m[2]);
  return struct && sub ? { struct, sub } : undefined;
}
