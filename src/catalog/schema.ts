// Turns a createCollection request (in the Milvus Node SDK's shape) into a validated,
// frozen CollectionSchema. Every rule that Milvus enforces at creation is checked here,
// each with a coded error, so that nothing downstream meets a schema it cannot store.
import { assert, fail } from '../errors/index.js';
import { parseWkt } from './geometry.js';
import {
  arrayCapacityMax, fieldsPerCollectionMax, varcharLengthMax,
  vectorDimMax, vectorFieldsPerCollectionMax,
} from './limits.js';
import {
  type CollectionSchema, DataType, type FieldSchema, arrayElementTypes, dataTypeName, isVector, parseDataType, structSubFieldTypes,
} from './types.js';
import { validateName } from './names.js';
import { defaultTimezone, parseTimestamptz } from './timestamptz.js';

/** A field as the SDK describes it. */
export interface FieldInput {
  name: string;
  data_type: DataType | string;
  description?: string;
  is_primary_key?: boolean;
  autoID?: boolean;
  is_partition_key?: boolean;
  dim?: number | string;
  max_length?: number | string;
  element_type?: DataType | string;
  max_capacity?: number | string;
  nullable?: boolean;
  default_value?: unknown;
  type_params?: Record<string, unknown>;
  /** An Array of Structs field (data_type Array, element_type Struct): the struct's sub-fields. */
  fields?: readonly FieldInput[];
}

export const dynamicFieldName = '$meta';
export const firstFieldId = 100;



function intParam(field: string, what: string, v: unknown, min: number, max: number): number {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    fail('INVALID_SCHEMA', { detail: `field "${field}": ${what} must be an integer in [${min}, ${max}], got ${JSON.stringify(v)}` });
  }
  return n;
}

/**
 * The texts of the refusals Milvus programs meet most are Milvus's own (its proxy's
 * schema checks), with its codes: most are plain errors (65535, INVALID_SCHEMA), a few
 * parameter errors (1100, INVALID_SCHEMA_PARAM).
 */
export function normalizeSchema(input: {
  fields: readonly FieldInput[];
  enableDynamicField?: boolean;
  description?: string;
  partitionKeyField?: string;
  /** For the texts that name it. */
  collectionName?: string;
  /** Places a Timestamptz default written without an offset (the collection's `timezone`, else UTC). */
  timezone?: string;
}): CollectionSchema {
  if (!Array.isArray(input.fields) || input.fields.length === 0) fail('INVALID_SCHEMA', { detail: 'a collection needs at least a primary key and a vector field' });
  if (input.fields.length > fieldsPerCollectionMax) fail('INVALID_SCHEMA', { detail: `more than ${fieldsPerCollectionMax} fields` });
  const seen = new Set<string>();
  const fields: FieldSchema[] = [];
  input.fields.forEach((f, i) => {
    const field = normalizeField(f, firstFieldId + i, input.partitionKeyField, input.collectionName ?? '', input.timezone ?? defaultTimezone);
    if (seen.has(field.name)) fail('INVALID_SCHEMA', { detail: `duplicated field name ${field.name} found` });
    seen.add(field.name);
    fields.push(field);
  });
  // Milvus keeps one namespace for the fields and every struct's sub-fields.
  for (const f of fields) for (const sub of f.structFields ?? []) {
    if (seen.has(sub.name)) fail('INVALID_SCHEMA', { detail: `duplicated field name ${sub.name} found` });
    seen.add(sub.name);
  }
  const primaries = fields.filter((f) => f.isPrimary);
  if (primaries.length === 0) fail('INVALID_SCHEMA', { detail: 'primary key is not specified' });
  if (primaries.length > 1) fail('INVALID_SCHEMA', { detail: `there are more than one primary key, field name = ${primaries.map((f) => f.name).join(', ')}` });
  // A struct's vector sub-fields count as vector fields (Milvus: "the number of vector
  // fields both at the collection level and in the Structs combined").
  const vectors = fields.flatMap((f) => (f.structFields ? f.structFields : [f])).filter((f) => isVector(f.type));
  if (vectors.length === 0) fail('INVALID_SCHEMA_PARAM', { detail: 'schema does not contain vector field' });
  if (vectors.length > vectorFieldsPerCollectionMax) fail('INVALID_SCHEMA', { detail: `at most ${vectorFieldsPerCollectionMax} vector fields, found ${vectors.length}` });
  const keys = fields.filter((f) => f.isPartitionKey);
  if (keys.length > 1) fail('INVALID_SCHEMA', { detail: 'at most one partition key field' });
  if (input.partitionKeyField && keys.length === 0) fail('INVALID_SCHEMA', { detail: `partition key field "${input.partitionKeyField}" is not in the schema` });
  const enableDynamicField = input.enableDynamicField === true;
  if (enableDynamicField) {
    if (seen.has(dynamicFieldName)) fail('INVALID_SCHEMA', { detail: `"${dynamicFieldName}" is reserved for the dynamic field` });
    fields.push(Object.freeze({
      fieldId: firstFieldId + fields.length, name: dynamicFieldName, description: 'dynamic field', type: DataType.JSON,
      isPrimary: false, autoId: false, nullable: false, isPartitionKey: false, isDynamic: true,
    }));
  }
  return Object.freeze({ fields: Object.freeze(numberStructFields(fields)), enableDynamicField, description: input.description ?? '' });
}

/**
 * Struct sub-fields get field ids after every top-level field's (the dynamic field's
 * included), in order, as Milvus numbers them after the collection's fields.
 */
function numberStructFields(fields: readonly FieldSchema[]): FieldSchema[] {
  let next = fields.reduce((m, f) => Math.max(m, f.fieldId), 0) + 1;
  return fields.map((f) => (f.structFields
    ? Object.freeze({ ...f, structFields: Object.freeze(f.structFields.map((s) => Object.freeze({ ...s, fieldId: next++ }))) })
    : f));
}

/** The highest field id a schema uses, struct sub-fields included. */
export function maxFieldId(schema: CollectionSchema): number {
  let m = 0;
  for (const f of schema.fields) for (const x of [f, ...(f.structFields ?? [])]) m = Math.max(m, x.fieldId);
  return m;
}

/**
 * An Array of Structs field, as Milvus 2.6 allows it: at least one sub-field, each of a
 * struct sub-field type (FloatVector or a scalar), none a key, nullable or defaulted; the
 * field itself takes max_capacity and is neither nullable nor defaulted.
 */
function normalizeStructField(f: FieldInput, base: { -readonly [K in keyof FieldSchema]: FieldSchema[K] }, collection: string): FieldSchema {
  const name = base.name;
  const tp = f.type_params ?? {};
  if (base.isPrimary || base.isPartitionKey) fail('INVALID_SCHEMA', { detail: `Array of Structs field "${name}" cannot be the primary key or a partition key` });
  if (base.nullable) fail('INVALID_SCHEMA', { detail: `Array of Structs field "${name}" cannot be nullable` });
  if (f.default_value !== undefined && f.default_value !== null) fail('INVALID_SCHEMA', { detail: `Array of Structs field "${name}" cannot have a default value` });
  const subs = f.fields;
  if (!Array.isArray(subs) || subs.length === 0) fail('INVALID_SCHEMA', { detail: `Array of Structs field "${name}" needs at least one sub-field (fields)` });
  const capacity = f.max_capacity ?? tp.max_capacity ?? subs.map((x) => x?.max_capacity ?? x?.type_params?.max_capacity).find((x) => x !== undefined);
  if (capacity === undefined) fail('INVALID_SCHEMA', { detail: `type param(max_capacity) should be specified for array field ${name} of collection ${collection}` });
  const maxCapacity = intParam(name, 'max_capacity', capacity, 1, arrayCapacityMax);
  const seen = new Set<string>();
  const structFields = subs.map((sub, i) => {
    if (typeof sub !== 'object' || sub === null) fail('INVALID_SCHEMA', { detail: `Array of Structs field "${name}": each sub-field must be an object` });
    // A sub-field may come as the SDKs send it (Array / ArrayOfVector with its element_type) or as its element type.
    const declared = parseDataType(sub.data_type);
    const type = declared === DataType.Array || declared === DataType.ArrayOfVector ? parseDataType(sub.element_type ?? sub.type_params?.element_type) : declared;
    if (type === undefined || !structSubFieldTypes.has(type)) {
      fail('INVALID_SCHEMA', { detail: `sub-field "${String(sub.name)}" of Array of Structs field "${name}": type ${JSON.stringify(sub.element_type ?? sub.data_type)} is not allowed in a struct; allowed: ${[...structSubFieldTypes].map(dataTypeName).join(', ')}` });
    }
    if (sub.is_primary_key === true || sub.is_partition_key === true || sub.autoID === true) fail('INVALID_SCHEMA', { detail: `sub-field "${String(sub.name)}" of Array of Structs field "${name}" cannot be a key` });
    if (sub.nullable === true) fail('INVALID_SCHEMA', { detail: `sub-field "${String(sub.name)}" of Array of Structs field "${name}" cannot be nullable` });
    if (sub.default_value !== undefined && sub.default_value !== null) fail('INVALID_SCHEMA', { detail: `sub-field "${String(sub.name)}" of Array of Structs field "${name}" cannot have a default value` });
    const { max_capacity: _c, element_type: _e, ...rest } = sub;
    const stp = { ...(sub.type_params ?? {}) };
    delete stp['max_capacity'];
    delete stp['element_type'];
    // The field id is a placeholder here: numberStructFields gives the final ones.
    // No Timestamptz sub-fields (their types are checked above): the timezone places nothing.
    const field = normalizeField({ ...rest, data_type: type, type_params: stp }, -1 - i, undefined, collection, defaultTimezone);
    if (seen.has(field.name)) fail('INVALID_SCHEMA', { detail: `duplicated field name ${field.name} found in Array of Structs field "${name}"` });
    seen.add(field.name);
    return Object.freeze({ ...field, maxCapacity });
  });
  const mmap = tp['mmap.enabled'];
  return Object.freeze({
    ...base, type: DataType.ArrayOfStruct, elementType: DataType.Struct, maxCapacity, structFields: Object.freeze(structFields),
    ...(mmap !== undefined ? { mmapEnabled: mmapParam(name, mmap) } : {}),
  });
}

function normalizeField(f: FieldInput, fieldId: number, partitionKeyField: string | undefined, collection: string, timezone: string): FieldSchema {
  if (typeof f !== 'object' || f === null) fail('INVALID_SCHEMA', { detail: 'each field must be an object' });
  const name = validateName('field', f.name);
  const type = parseDataType(f.data_type);
  if (type === undefined || type === DataType.None || type === DataType.String) {
    fail('INVALID_SCHEMA', { detail: `field "${name}": unknown or unsupported data type ${JSON.stringify(f.data_type)}` });
  }
  const tp = f.type_params ?? {};
  const isPrimary = f.is_primary_key === true;
  const autoId = f.autoID === true;
  const isPartitionKey = f.is_partition_key === true || (partitionKeyField !== undefined && partitionKeyField === name);
  const nullable = f.nullable === true;
  const out: { -readonly [K in keyof FieldSchema]: FieldSchema[K] } = {
    fieldId, name, description: f.description ?? '', type, isPrimary, autoId, nullable, isPartitionKey, isDynamic: false,
  };
  if (type === DataType.ArrayOfStruct || (type === DataType.Array && parseDataType(f.element_type ?? tp.element_type) === DataType.Struct)) {
    return normalizeStructField(f, out, collection);
  }
  if (type === DataType.ArrayOfVector || type === DataType.Struct) {
    fail('INVALID_SCHEMA', { detail: `field "${name}": ${dataTypeName(type)} is only a sub-field's type inside an Array of Structs field` });
  }
  if (isPrimary) {
    if (type !== DataType.Int64 && type !== DataType.VarChar) fail('INVALID_SCHEMA', { detail: `primary key "${name}" must be Int64 or VarChar, not ${dataTypeName(type)}` });
    if (nullable) fail('INVALID_SCHEMA', { detail: `primary key "${name}" cannot be nullable` });
    if (f.default_value !== undefined) fail('INVALID_SCHEMA', { detail: `primary key "${name}" cannot have a default value` });
  } else if (autoId) {
    // Milvus's text, as programs match it (its spelling included).
    fail('INVALID_SCHEMA', { detail: `only primary field can speficy AutoID with true, field name = ${name}` });
  }
  if (isPartitionKey) {
    if (isPrimary) fail('INVALID_SCHEMA', { detail: `the primary key "${name}" cannot be the partition key` });
    if (type !== DataType.Int64 && type !== DataType.VarChar) fail('INVALID_SCHEMA', { detail: `partition key "${name}" must be Int64 or VarChar` });
    if (nullable) fail('INVALID_SCHEMA', { detail: `partition key "${name}" cannot be nullable` });
  }
  if (isVector(type)) {
    if (nullable) fail('INVALID_SCHEMA', { detail: `vector field "${name}" cannot be nullable` });
    if (f.default_value !== undefined) fail('INVALID_SCHEMA', { detail: `vector field "${name}" cannot have a default value` });
    if (type !== DataType.SparseFloatVector) {
      const dim = vectorDim(name, type, f.dim ?? tp.dim);
      if (type === DataType.BinaryVector && dim % 8 !== 0) fail('INVALID_SCHEMA', { detail: `binary vector field "${name}": dim must be a multiple of 8, got ${dim}` });
      out.dim = dim;
    }
  }
  if (type === DataType.VarChar) {
    out.maxLength = maxLength(name, collection, f.max_length ?? tp.max_length);
  }
  if (type === DataType.Array) {
    const et = parseDataType(f.element_type ?? tp.element_type);
    if (et === undefined || !arrayElementTypes.has(et)) fail('INVALID_SCHEMA', { detail: `array field "${name}": element_type must be one of ${[...arrayElementTypes].map(dataTypeName).join(', ')}` });
    out.elementType = et;
    const capacity = f.max_capacity ?? tp.max_capacity;
    if (capacity === undefined) fail('INVALID_SCHEMA', { detail: `type param(max_capacity) should be specified for array field ${name} of collection ${collection}` });
    out.maxCapacity = intParam(name, 'max_capacity', capacity, 1, arrayCapacityMax);
    if (et === DataType.VarChar) out.maxLength = maxLength(name, collection, f.max_length ?? tp.max_length);
  }
  const mmap = tp['mmap.enabled'];
  if (mmap !== undefined) out.mmapEnabled = mmapParam(name, mmap);
  if (f.default_value !== undefined && f.default_value !== null) {
    if (type === DataType.JSON || type === DataType.Array) fail('INVALID_SCHEMA', { detail: `field "${name}": ${dataTypeName(type)} fields cannot have a default value` });
    if (type === DataType.Timestamptz) {
      out.defaultValue = timestamptzDefault(name, f.default_value, timezone);
      return Object.freeze(out);
    }
    const problem = scalarProblem(out as FieldSchema, f.default_value);
    if (problem) fail('INVALID_SCHEMA', { detail: `field "${name}": default value ${JSON.stringify(f.default_value)} ${problem}` });
    out.defaultValue = type === DataType.Int64 ? String(f.default_value) : type === DataType.Geometry ? normalWkt(f.default_value) : f.default_value;
  }
  return Object.freeze(out);
}

/** A checked geometry default's normal text (stored and reported as values are). */
function normalWkt(v: unknown): string {
  const p = parseWkt(v);
  assert(!('problem' in p));
  return p.wkt;
}

/**
 * A Timestamptz default, kept as the decimal text of its microseconds (as Int64 defaults
 * are): ISO 8601 text, placed by `timezone` when it has no offset (Milvus's
 * CheckAndRewriteTimestampTzDefaultValue), or the microseconds themselves as a bigint
 * (what the wire's `timestamptz_data` carries; the Node SDK sends that).
 */
function timestamptzDefault(field: string, v: unknown, timezone: string): string {
  if (typeof v === 'bigint') {
    if (int64Of(v) === undefined) fail('INVALID_SCHEMA_PARAM', { detail: `invalid default value of field, name: ${field}: ${v} is out of the Int64 range` });
    return v.toString();
  }
  if (typeof v !== 'string') fail('INVALID_SCHEMA_PARAM', { detail: `invalid default value of field, name: ${field}: expected an ISO 8601 timestamp string, got ${JSON.stringify(v)}` });
  const us = parseTimestamptz(v, timezone);
  if (typeof us === 'string') fail('INVALID_SCHEMA_PARAM', { detail: `invalid default value of field, name: ${field}: invalid timestamp string: '${v}': ${us}` });
  return us.toString();
}

/** A field's `mmap.enabled`: true or false (as a boolean or its text, any case). */
export function mmapParam(field: string, v: unknown): boolean {
  const text = typeof v === 'boolean' ? String(v) : typeof v === 'string' ? v.trim().toLowerCase() : undefined;
  if (text !== 'true' && text !== 'false') fail('INVALID_ARGUMENT', { detail: `mmap.enabled of field "${field}" must be true or false, got ${JSON.stringify(v)}` });
  return text === 'true';
}

/** A vector's dim: 2 to vectorDimMax (binary: 8 and up, in bits), with Milvus's texts. */
function vectorDim(field: string, type: DataType, v: unknown): number {
  const dimMin = type === DataType.BinaryVector ? 8 : 2;
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (v === undefined) fail('INVALID_SCHEMA', { detail: `dimension is not defined in field type params of field ${field}, check type param \`dim\` for vector field` });
  if (typeof n !== 'number' || !Number.isInteger(n)) fail('INVALID_SCHEMA', { detail: `dimension of field ${field} must be an integer, got ${JSON.stringify(v)}` });
  if (n < dimMin) fail('INVALID_SCHEMA', { detail: `invalid dimension: ${n}. should be in range ${dimMin} ~ ${vectorDimMax}` });
  if (n > vectorDimMax) fail('INVALID_SCHEMA', { detail: `invalid dimension: ${n} of field ${field}. ${type === DataType.BinaryVector ? 'binary' : 'float'} vector dimension should be in range ${dimMin} ~ ${vectorDimMax}` });
  return n;
}

/** A VarChar's max_length: required, in (0, varcharLengthMax], with Milvus's texts. */
function maxLength(field: string, collection: string, v: unknown): number {
  if (v === undefined) fail('INVALID_SCHEMA', { detail: `type param(max_length) should be specified for the field(${field}) of collection ${collection}` });
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n <= 0 || n > varcharLengthMax) {
    fail('INVALID_SCHEMA_PARAM', { detail: `the maximum length specified for the field(${field}) should be in (0, ${varcharLengthMax}], but got ${String(v)} instead` });
  }
  return n;
}

const intRanges: Partial<Record<DataType, [number, number]>> = {
  [DataType.Int8]: [-128, 127],
  [DataType.Int16]: [-32768, 32767],
  [DataType.Int32]: [-2147483648, 2147483647],
};

/** Why `v` cannot be stored in scalar field `f`, or undefined when it can. */
export function scalarProblem(f: FieldSchema, v: unknown): string | undefined {
  switch (f.type) {
    case DataType.Bool:
      return typeof v === 'boolean' ? undefined : 'is not a boolean';
    case DataType.Int8:
    case DataType.Int16:
    case DataType.Int32: {
      const [lo, hi] = intRanges[f.type]!;
      if (typeof v !== 'number' || !Number.isInteger(v)) return 'is not an integer';
      return v < lo || v > hi ? `is out of range [${lo}, ${hi}]` : undefined;
    }
    case DataType.Int64:
      return int64Of(v) === undefined ? 'is not a 64-bit integer' : undefined;
    case DataType.Float:
    case DataType.Double:
      if (typeof v !== 'number') return 'is not a number';
      if (!Number.isFinite(v)) return 'is not finite';
      // A finite double beyond float32's range (1e39) would be stored as Infinity.
      return f.type === DataType.Float && !Number.isFinite(Math.fround(v)) ? 'is out of range for Float (float32)' : undefined;
    case DataType.VarChar:
      if (typeof v !== 'string') return 'is not a string';
      return v.length > (f.maxLength ?? varcharLengthMax) ? `is longer than max_length ${f.maxLength}` : undefined;
    case DataType.Geometry: {
      const p = parseWkt(v);
      return 'problem' in p ? p.problem : undefined;
    }
    default:
      return undefined;
  }
}

const int64Min = -(2n ** 63n);
const int64Max = 2n ** 63n - 1n;

/** Parses an Int64 given as a safe integer number, a bigint, or a decimal string. */
export function int64Of(v: unknown): bigint | undefined {
  let b: bigint;
  if (typeof v === 'bigint') b = v;
  else if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) return undefined;
    b = BigInt(v);
  } else if (typeof v === 'string' && /^-?\d{1,20}$/.test(v)) b = BigInt(v);
  else return undefined;
  return b < int64Min || b > int64Max ? undefined : b;
}

/**
 * A field added to an existing collection (AddCollectionField). Rows stored before it
 * must read as something, so it has to be nullable (they read null) or have a default;
 * it cannot be the primary key, a partition key or a vector, as in Milvus.
 */
export function normalizeAddedField(schema: CollectionSchema, input: FieldInput, collectionName = '', timezone = defaultTimezone): CollectionSchema {
  if (typeof input !== 'object' || input === null) fail('INVALID_SCHEMA', { detail: 'field must be an object' });
  if (schema.fields.length >= fieldsPerCollectionMax) fail('INVALID_SCHEMA', { detail: `more than ${fieldsPerCollectionMax} fields` });
  const fieldId = maxFieldId(schema) + 1;
  const field = normalizeField(input, fieldId, undefined, collectionName, timezone);
  // Milvus 2.6: "you cannot add an Array of Structs to an existing collection".
  if (field.type === DataType.ArrayOfStruct) fail('INVALID_SCHEMA', { detail: `Array of Structs field "${field.name}" cannot be added to an existing collection` });
  if (schema.fields.some((f) => f.name === field.name)) fail('INVALID_SCHEMA', { detail: `duplicated field name ${field.name} found` });
  if (field.isPrimary || field.isPartitionKey) fail('INVALID_SCHEMA', { detail: `an added field cannot be the primary key or a partition key ("${field.name}")` });
  if (isVector(field.type)) fail('INVALID_SCHEMA', { detail: `vector field "${field.name}" cannot be added to an existing collection` });
  if (!field.nullable) fail('INVALID_SCHEMA', { detail: `added field "${field.name}" must be nullable: rows stored before it have no value` });
  return Object.freeze({ ...schema, fields: Object.freeze([...schema.fields, field]) });
}
