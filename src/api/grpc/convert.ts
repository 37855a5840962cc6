// Protobuf ⇄ Elanus, for the gRPC side: schemas, columnar FieldData ⇄ rows, placeholder
// groups (query vectors), key-value parameter lists. Everything that knows Milvus's
// message shapes lives here and in the handlers; the engine never sees a protobuf.
import { fail } from '../../errors/index.js';
import { type CollectionMeta, DataType, type FieldInput, type FieldSchema, bf16ToF32, f16ToF32, f32ToBf16 as toBf16, f32ToF16 as toF16, isVector, defaultTimezone, formatTimestamptz } from '../../catalog/index.js';
import { types } from '../proto.js';
import { type ColumnBatch, type InputColumn, type ResultColumn, type ResultColumns, valueOf } from '../../gateway/index.js';

export type Kv = Array<{ key: string; value: string }>;

export function kvToObject(kv: Kv | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { key, value } of kv ?? []) out[key] = value;
  return out;
}

export function objectToKv(o: Readonly<Record<string, unknown>>): Kv {
  return Object.entries(o).filter(([, v]) => v !== undefined).map(([key, value]) => ({ key, value: typeof value === 'string' ? value : JSON.stringify(value) }));
}

// ---------------------------------------------------------------- schemas

interface ProtoValueField {
  data?: string;
  bool_data?: boolean; int_data?: number; long_data?: string; float_data?: number; double_data?: number; string_data?: string;
}

interface ProtoFieldSchema {
  fieldID?: string; name: string; is_primary_key?: boolean; description?: string; data_type: number;
  type_params?: Kv; index_params?: Kv; autoID?: boolean; element_type?: number; default_value?: ProtoValueField | null;
  is_dynamic?: boolean; is_partition_key?: boolean; nullable?: boolean; is_function_output?: boolean;
}

/** schema.proto's StructArrayFieldSchema: an Array of Structs field and its sub-fields (each an Array or ArrayOfVector). */
interface ProtoStructArrayField {
  fieldID?: string; name: string; description?: string; fields: ProtoFieldSchema[]; type_params?: Kv;
}

export interface ProtoCollectionSchema {
  name?: string; description?: string; autoID?: boolean; fields: ProtoFieldSchema[]; enable_dynamic_field?: boolean; properties?: Kv; functions?: unknown[];
  struct_array_fields?: ProtoStructArrayField[];
}

/** Decodes CreateCollectionRequest.schema (serialized CollectionSchema bytes). */
export function decodeSchema(bytes: Uint8Array): ProtoCollectionSchema {
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) fail('INVALID_SCHEMA', { detail: 'the request carries no schema' });
  let msg;
  try {
    msg = types.collectionSchema.decode(bytes);
  } catch (e) {
    fail('INVALID_SCHEMA', { detail: `cannot decode the schema: ${(e as Error).message}` });
  }
  return types.collectionSchema.toObject(msg, { longs: String, enums: Number, oneofs: true, defaults: true, bytes: Buffer }) as ProtoCollectionSchema;
}

/** Decodes AddCollectionFieldRequest.schema (one serialized FieldSchema). */
export function decodeField(bytes: Uint8Array): FieldInput {
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) fail('INVALID_SCHEMA', { detail: 'the request carries no field' });
  let f: ProtoFieldSchema;
  try {
    f = types.fieldSchema.toObject(types.fieldSchema.decode(bytes), { longs: String, enums: Number, oneofs: true, defaults: true, bytes: Buffer }) as ProtoFieldSchema;
  } catch (e) {
    fail('INVALID_SCHEMA', { detail: `cannot decode the field: ${(e as Error).message}` });
  }
  return fieldsFromProto({ fields: [f] })[0]!;
}

export function fieldsFromProto(schema: ProtoCollectionSchema): FieldInput[] {
  if ((schema.functions ?? []).length > 0) fail('NOT_SUPPORTED', { what: 'schema functions (BM25, text embedding)' });
  return [...plainFieldsFromProto(schema), ...(schema.struct_array_fields ?? []).map(structFieldFromProto)];
}

/**
 * A StructArrayFieldSchema as the catalog takes an Array of Structs field: its sub-fields
 * keep the types the SDKs send (Array or ArrayOfVector with an element_type) and their
 * max_capacity, which is the struct field's.
 */
function structFieldFromProto(s: ProtoStructArrayField): FieldInput {
  const params = kvToObject(s.type_params);
  return {
    name: s.name,
    data_type: DataType.Array,
    element_type: DataType.Struct,
    description: s.description ?? '',
    type_params: params,
    fields: plainFieldsFromProto({ fields: s.fields ?? [] }),
  };
}

function plainFieldsFromProto(schema: Pick<ProtoCollectionSchema, 'fields' | 'autoID'>): FieldInput[] {
  return (schema.fields ?? []).filter((f) => !f.is_dynamic).map((f) => {
    const params = kvToObject(f.type_params);
    const out: FieldInput = {
      name: f.name,
      data_type: f.data_type,
      description: f.description ?? '',
      is_primary_key: f.is_primary_key === true,
      autoID: f.autoID === true || (f.is_primary_key === true && schema.autoID === true),
      is_partition_key: f.is_partition_key === true,
      nullable: f.nullable === true,
      type_params: params,
    };
    if (f.element_type) out.element_type = f.element_type;
    const dv = valueFieldToJs(f.default_value);
    // A Timestamptz default comes as text (string_data: pymilvus) or as its microseconds
    // (timestamptz_data: the Node SDK converts the text itself); the latter as a bigint.
    if (dv !== undefined) out.default_value = f.default_value?.data === 'timestamptz_data' || (f.data_type === DataType.Timestamptz && f.default_value?.data === 'long_data') ? BigInt(dv as string) : dv;
    return out;
  });
}

function valueFieldToJs(v: ProtoValueField | null | undefined): unknown {
  if (!v || !v.data) return undefined;
  const x = (v as Record<string, unknown>)[v.data];
  return x;
}

function valueFieldOf(f: FieldSchema, timezone: string): ProtoValueField | undefined {
  const v = f.defaultValue;
  if (v === undefined || v === null) return undefined;
  switch (f.type) {
    // As Milvus describes it (RewriteTimestampTzDefaultValueToString): text in the collection's timezone.
    case DataType.Timestamptz: return { string_data: formatTimestamptz(BigInt(v as string), timezone) };
    case DataType.Bool: return { bool_data: v as boolean };
    case DataType.Int8: case DataType.Int16: case DataType.Int32: return { int_data: v as number };
    case DataType.Int64: return { long_data: String(v) };
    case DataType.Float: return { float_data: v as number };
    case DataType.Double: return { double_data: v as number };
    case DataType.VarChar: case DataType.Geometry: return { string_data: v as string };
    default: return undefined;
  }
}

export function fieldToProto(f: FieldSchema, timezone = defaultTimezone) {
  const type_params: Kv = [];
  if (f.dim !== undefined) type_params.push({ key: 'dim', value: String(f.dim) });
  if (f.maxLength !== undefined) type_params.push({ key: 'max_length', value: String(f.maxLength) });
  if (f.maxCapacity !== undefined) type_params.push({ key: 'max_capacity', value: String(f.maxCapacity) });
  if (f.mmapEnabled !== undefined) type_params.push({ key: 'mmap.enabled', value: String(f.mmapEnabled) });
  return {
    fieldID: String(f.fieldId),
    name: f.name,
    is_primary_key: f.isPrimary,
    description: f.description,
    data_type: f.type,
    type_params,
    index_params: [],
    autoID: f.autoId,
    state: 0,
    element_type: f.elementType ?? 0,
    default_value: valueFieldOf(f, timezone),
    is_dynamic: f.isDynamic,
    is_partition_key: f.isPartitionKey,
    is_clustering_key: false,
    nullable: f.nullable,
    is_function_output: false,
  };
}

function structFieldToProto(f: FieldSchema) {
  return {
    fieldID: String(f.fieldId),
    name: f.name,
    description: f.description,
    fields: f.structFields!.map((s) => fieldToProto({ ...s, type: isVector(s.type) ? DataType.ArrayOfVector : DataType.Array, elementType: s.type })),
    type_params: f.mmapEnabled !== undefined ? [{ key: 'mmap.enabled', value: String(f.mmapEnabled) }] : [],
  };
}

const consistencyNumbers = { Strong: 0, Session: 1, Bounded: 2, Eventually: 3 } as const;
const consistencyNames = ['Strong', 'Session', 'Bounded', 'Eventually'] as const;

export function consistencyToProto(level: CollectionMeta['consistencyLevel']): number {
  return consistencyNumbers[level];
}

/** common.ConsistencyLevel: 0 Strong, 1 Session, 2 Bounded, 3 Eventually, 4 Customized (treated as Bounded). */
export function consistencyFromProto(n: number | undefined, useDefault: boolean | undefined): CollectionMeta['consistencyLevel'] | undefined {
  if (useDefault || n === undefined || n === null) return undefined;
  return consistencyNames[n] ?? (n === 4 ? 'Bounded' : undefined);
}

/** `timezone`: the collection's (Elanus.collectionTimezone), for Timestamptz defaults. */
export function schemaToProto(c: CollectionMeta, timezone = defaultTimezone) {
  return {
    name: c.name,
    description: c.schema.description,
    autoID: c.schema.fields.some((f) => f.isPrimary && f.autoId),
    // The dynamic field ($meta) is the engine's own column: Milvus leaves it out of the
    // schema it describes and reports only enable_dynamic_field. pymilvus builds its
    // insert columns from the fields listed here, so listing it broke every insert.
    fields: c.schema.fields.filter((f) => !f.isDynamic && f.type !== DataType.ArrayOfStruct).map((f) => fieldToProto(f, timezone)),
    // Array of Structs fields go apart, as Milvus describes them: each sub-field an Array
    // (scalars) or ArrayOfVector (vectors) whose element_type is its own type, carrying
    // the struct's max_capacity (the SDKs read it from there).
    struct_array_fields: c.schema.fields.filter((f) => f.type === DataType.ArrayOfStruct).map(structFieldToProto),
    enable_dynamic_field: c.schema.enableDynamicField,
    properties: objectToKv(c.properties),
    functions: [],
    dbName: c.db,
  };
}

// ---------------------------------------------------------------- FieldData → rows

interface ScalarField {
  data?: string;
  bool_data?: { data: boolean[] }; int_data?: { data: number[] }; long_data?: { data: string[] };
  float_data?: { data: number[] }; double_data?: { data: number[] }; string_data?: { data: string[] };
  bytes_data?: { data: Uint8Array[] }; array_data?: { data: ScalarField[]; element_type: number }; json_data?: { data: Uint8Array[] };
  geometry_wkt_data?: { data: string[] }; geometry_data?: { data: Uint8Array[] };
}

interface VectorField {
  data?: string; dim?: string;
  float_vector?: { data: number[] }; binary_vector?: Uint8Array; float16_vector?: Uint8Array; bfloat16_vector?: Uint8Array;
  sparse_float_vector?: { contents: Uint8Array[]; dim: string }; int8_vector?: Uint8Array;
  /** A struct's vector sub-field: one VectorField per row, holding that row's vectors one after another. */
  vector_array?: { dim?: string; data: VectorField[]; element_type?: number };
}

export interface ProtoFieldData {
  type: number; field_name: string; scalars?: ScalarField | null; vectors?: VectorField | null; field_id?: string; is_dynamic?: boolean; valid_data?: boolean[];
  /** An Array of Structs column: one FieldData per sub-field, each with one array per row. */
  struct_arrays?: { fields: ProtoFieldData[] } | null;
}

const decoder = new TextDecoder();

function scalarValues(s: ScalarField | null | undefined): unknown[] {
  if (!s || !s.data) return [];
  switch (s.data) {
    case 'bool_data': return s.bool_data!.data;
    case 'int_data': return s.int_data!.data;
    case 'long_data': return s.long_data!.data;
    case 'float_data': return s.float_data!.data;
    case 'double_data': return s.double_data!.data;
    case 'string_data': return s.string_data!.data;
    case 'json_data': return s.json_data!.data.map((b) => parseJsonBytes(b));
    case 'array_data': return s.array_data!.data.map((x) => scalarValues(x));
    case 'bytes_data': return s.bytes_data!.data;
    // The SDKs send geometries as WKT (geometry_wkt_data); WKB (geometry_data) is what
    // Milvus keeps internally, and Elanus takes only the text form.
    case 'geometry_wkt_data': return s.geometry_wkt_data!.data;
    default: fail('NOT_SUPPORTED', { what: `scalar data of kind ${s.data}` });
  }
}

function parseJsonBytes(b: Uint8Array): unknown {
  if (b.length === 0) return null;
  try {
    return JSON.parse(decoder.decode(b));
  } catch {
    fail('WRONG_TYPE', { field: '(json)', row: 0, expected: 'JSON text', got: 'bytes that are not JSON' });
  }
}

export function sparseFromBytes(b: Uint8Array): { indices: number[]; values: number[] } {
  if (b.length % 8 !== 0) fail('WRONG_TYPE', { field: '(sparse)', row: 0, expected: 'sparse vector bytes (8 per entry)', got: `${b.length} bytes` });
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const indices: number[] = [];
  const values: number[] = [];
  for (let o = 0; o < b.length; o += 8) {
    indices.push(view.getUint32(o, true));
    values.push(view.getFloat32(o + 4, true));
  }
  return { indices, values };
}

/** Splits one FieldData column into per-row values (null where valid_data says so). */
export function columnValues(fd: ProtoFieldData, rows: number): unknown[] {
  let values: unknown[];
  if (fd.struct_arrays) {
    values = structRows(fd, rows);
  } else if (fd.vectors) {
    const v = fd.vectors;
    const dim = Number(v.dim ?? 0);
    switch (v.data) {
      case 'float_vector': {
        const flat = v.float_vector!.data;
        if (dim <= 0 || flat.length !== dim * rows) fail('WRONG_DIMENSION', { field: fd.field_name, row: 0, expected: dim, got: rows ? flat.length / rows : 0 });
        values = Array.from({ length: rows }, (_, i) => flat.slice(i * dim, (i + 1) * dim));
        break;
      }
      case 'binary_vector':
        values = chunk(v.binary_vector!, dim / 8, rows, fd.field_name, dim, 8);
        values = values.map((b) => Array.from(b as Uint8Array));
        break;
      case 'float16_vector':
        values = chunk(v.float16_vector!, dim * 2, rows, fd.field_name, dim, 0.5);
        break;
      case 'bfloat16_vector':
        values = chunk(v.bfloat16_vector!, dim * 2, rows, fd.field_name, dim, 0.5);
        break;
      case 'sparse_float_vector':
        values = v.sparse_float_vector!.contents.map(sparseFromBytes);
        break;
      case 'int8_vector':
        // One signed byte per value: every byte is a valid int8, so only the length is checked.
        values = chunk(v.int8_vector!, dim, rows, fd.field_name, dim, 1).map((b) => new Int8Array(b.buffer, b.byteOffset, b.length));
        break;
      default:
        fail('NOT_SUPPORTED', { what: `vector data of kind ${String(v.data)}` });
    }
  } else {
    values = scalarValues(fd.scalars);
  }
  const valid = fd.valid_data ?? [];
  if (valid.length > 0) {
    if (valid.length !== rows) fail('INVALID_ARGUMENT', { detail: `field "${fd.field_name}": valid_data has ${valid.length} entries for ${rows} rows` });
    // The SDK sends only the valid values; tolerate full-length columns as well.
    if (values.length !== rows) {
      const it = values[Symbol.iterator]();
      values = valid.map((ok) => (ok ? it.next().value : null));
    } else {
      values = values.map((x, i) => (valid[i] ? x : null));
    }
  }
  if (values.length !== rows) fail('INVALID_ARGUMENT', { detail: `field "${fd.field_name}" has ${values.length} values for ${rows} rows` });
  return values;
}

/**
 * An Array of Structs column (StructArrayField) as rows of objects: each sub-field's
 * column holds one array per row (scalars an array_data entry, vectors a vector_array
 * entry with the row's vectors flat), and element e of a row is the object of every
 * sub-field's e-th value. The sub-fields of a row must agree on its element count.
 */
function structRows(fd: ProtoFieldData, rows: number): Array<Array<Record<string, unknown>>> {
  const subs = fd.struct_arrays!.fields ?? [];
  if (subs.length === 0) fail('INVALID_ARGUMENT', { detail: `Array of Structs field "${fd.field_name}" carries no sub-field columns` });
  const perSub = subs.map((sub): [string, unknown[][]] => {
    let perRow: unknown[][];
    if (sub.vectors) {
      const va = sub.vectors.vector_array;
      if (!va) fail('WRONG_TYPE', { field: `${fd.field_name}[${sub.field_name}]`, row: 0, expected: 'vector_array', got: String(sub.vectors.data) });
      const dim = Number(va.dim ?? sub.vectors.dim ?? 0);
      perRow = (va.data ?? []).map((v, r) => {
        const flat = v.float_vector?.data ?? [];
        const d = Number(v.dim ?? dim);
        if (!(d > 0) || flat.length % d !== 0) fail('WRONG_DIMENSION', { field: `${fd.field_name}[${sub.field_name}]`, row: r, expected: dim, got: flat.length });
        return Array.from({ length: flat.length / d }, (_, i) => Array.from(flat.slice(i * d, (i + 1) * d)));
      });
    } else {
      perRow = scalarValues(sub.scalars) as unknown[][];
    }
    if (perRow.length !== rows) fail('INVALID_ARGUMENT', { detail: `sub-field "${fd.field_name}[${sub.field_name}]" has ${perRow.length} rows of ${rows} (every row needs its array, empty or not)` });
    return [sub.field_name, perRow];
  });
  return Array.from({ length: rows }, (_, r) => {
    const n = perSub[0]![1][r]!.length;
    for (const [name, col] of perSub) {
      if (col[r]!.length !== n) fail('INVALID_ARGUMENT', { detail: `row ${r} of "${fd.field_name}" has ${n} structs in "${perSub[0]![0]}" but ${col[r]!.length} in "${name}"` });
    }
    return Array.from({ length: n }, (_, e) => Object.fromEntries(perSub.map(([name, col]) => [name, col[r]![e]])));
  });
}

function chunk(bytes: Uint8Array, width: number, rows: number, field: string, dim: number, perByte: number): Uint8Array[] {
  if (!(width > 0) || bytes.length !== width * rows) {
    fail('WRONG_DIMENSION', { field, row: 0, expected: dim, got: rows ? Math.round((bytes.length / rows) * perByte) : 0 });
  }
  return Array.from({ length: rows }, (_, i) => bytes.subarray(i * width, (i + 1) * width));
}

/** Which FieldData member carries each type's values. */
const dataKeyOf: Partial<Record<DataType, string>> = {
  [DataType.Bool]: 'bool_data', [DataType.Int8]: 'int_data', [DataType.Int16]: 'int_data', [DataType.Int32]: 'int_data',
  [DataType.Int64]: 'long_data', [DataType.Float]: 'float_data', [DataType.Double]: 'double_data', [DataType.VarChar]: 'string_data',
  [DataType.JSON]: 'json_data', [DataType.Array]: 'array_data', [DataType.FloatVector]: 'float_vector', [DataType.BinaryVector]: 'binary_vector',
  [DataType.Float16Vector]: 'float16_vector', [DataType.BFloat16Vector]: 'bfloat16_vector', [DataType.SparseFloatVector]: 'sparse_float_vector',
  [DataType.Int8Vector]: 'int8_vector', [DataType.Geometry]: 'geometry_wkt_data',
  // Sent as text, as the SDKs send it (Milvus converts it in its proxy).
  [DataType.Timestamptz]: 'string_data',
};

/**
 * A column must be of its field's type, in that type's member, with the field's
 * dimension: otherwise bytes meant as one thing would be stored as another (raw bytes
 * read as floats, a number column read as strings).
 */
function checkColumnKind(coll: CollectionMeta, fd: ProtoFieldData): void {
  if (fd.is_dynamic) return;
  const f = coll.schema.fields.find((x) => x.name === fd.field_name);
  if (!f) return; // the engine reports unknown fields with their own code
  if (f.type === DataType.ArrayOfStruct || fd.struct_arrays) {
    // The SDKs send an Array of Structs column as type Array (or ArrayOfStruct) with struct_arrays.
    if (f.type !== DataType.ArrayOfStruct || !fd.struct_arrays || (fd.type !== DataType.Array && fd.type !== DataType.ArrayOfStruct)) {
      fail('WRONG_TYPE', { field: f.name, row: 0, expected: f.type === DataType.ArrayOfStruct ? 'an Array of Structs (struct_arrays)' : `${DataType[f.type]} (${dataKeyOf[f.type]})`, got: `${DataType[fd.type] ?? fd.type} (${fd.struct_arrays ? 'struct_arrays' : fd.vectors?.data ?? fd.scalars?.data ?? 'no data'})` });
    }
    return;
  }
  const kind = fd.vectors ? fd.vectors.data : fd.scalars?.data;
  if (fd.type !== f.type || (kind !== undefined && kind !== dataKeyOf[f.type])) {
    fail('WRONG_TYPE', { field: f.name, row: 0, expected: `${DataType[f.type]} (${dataKeyOf[f.type]})`, got: `${DataType[fd.type] ?? fd.type} (${kind ?? 'no data'})` });
  }
  if (fd.vectors && f.dim !== undefined && Number(fd.vectors.dim ?? 0) !== f.dim) {
    fail('WRONG_DIMENSION', { field: f.name, row: 0, expected: f.dim, got: Number(fd.vectors.dim ?? 0) });
  }
}

/**
 * InsertRequest.fields_data → the engine's column batch, with no row objects: each
 * column is decoded once, a FloatVector column as one flat Float32Array.
 */
export function columnsFromFieldsData(fields: ProtoFieldData[], numRows: number, coll: CollectionMeta): ColumnBatch {
  if (!Array.isArray(fields) || fields.length === 0) fail('INVALID_ARGUMENT', { detail: 'fields_data is empty' });
  for (const fd of fields) checkColumnKind(coll, fd);
  const count = numRows > 0 ? numRows : inferRows(fields[0]!);
  const dynamic = coll.schema.fields.find((f) => f.isDynamic);
  const columns = new Map<string, InputColumn>();
  for (const fd of fields) {
    const name = fd.is_dynamic && dynamic ? dynamic.name : fd.field_name;
    if (columns.has(name)) fail('INVALID_ARGUMENT', { detail: `field "${name}" is sent twice` });
    const v = fd.vectors;
    if (v?.data === 'float_vector' && !fd.is_dynamic && !(fd.valid_data?.length)) {
      const dim = Number(v.dim ?? 0);
      const flat = v.float_vector!.data;
      if (dim <= 0 || flat.length !== dim * count) fail('WRONG_DIMENSION', { field: fd.field_name, row: 0, expected: dim, got: count ? flat.length / count : 0 });
      // Decoded for this request: nobody else holds the array, so the engine keeps it as it is.
      columns.set(name, flat instanceof Float32Array ? { floats: flat } : { floats: Float32Array.from(flat), owned: true });
    } else {
      columns.set(name, { values: columnValues(fd, count) });
    }
  }
  return { count, columns };
}

function inferRows(fd: ProtoFieldData): number {
  if (fd.valid_data?.length) return fd.valid_data.length;
  if (fd.struct_arrays) {
    const sub = fd.struct_arrays.fields?.[0];
    return sub ? (sub.vectors?.vector_array?.data.length ?? scalarValues(sub.scalars).length) : 0;
  }
  if (fd.vectors) {
    const v = fd.vectors;
    const dim = Number(v.dim ?? 0);
    if (v.data === 'float_vector') return dim ? v.float_vector!.data.length / dim : 0;
    if (v.data === 'sparse_float_vector') return v.sparse_float_vector!.contents.length;
    const bytes = (v as Record<string, unknown>)[v.data ?? ''] as Uint8Array | undefined;
    const width = v.data === 'binary_vector' ? dim / 8 : v.data === 'int8_vector' ? dim : dim * 2;
    return bytes && width ? bytes.length / width : 0;
  }
  return scalarValues(fd.scalars).length;
}

// ---------------------------------------------------------------- rows → FieldData

/** Encodes result rows column by column, as Milvus returns query and search results. */
export function fieldsDataFromRows(coll: CollectionMeta, rows: ReadonlyArray<Record<string, unknown>>, names: readonly string[]): ProtoFieldData[] {
  const byName = new Map(coll.schema.fields.map((f) => [f.name, f]));
  const dynamic = coll.schema.fields.find((f) => f.isDynamic);
  const out: ProtoFieldData[] = [];
  const dynamicKeys: string[] = [];
  for (const name of names) {
    const f = byName.get(name);
    if (!f || f.isDynamic) {
      if (dynamic) dynamicKeys.push(name);
      continue;
    }
    out.push(columnOf(f, rows.map((r) => r[name])));
  }
  if (dynamic && dynamicKeys.length > 0) {
    const values = rows.map((r) => {
      const o: Record<string, unknown> = {};
      for (const k of dynamicKeys) if (k in r) o[k] = r[k];
      return o;
    });
    out.push({ ...columnOf(dynamic, values), is_dynamic: true });
  }
  return out;
}

// ---------------------------------------------------------------- columns → FieldData

/**
 * The names a result's columns go out under, as `outputNames` finds them in rows: the
 * schema's fields (schema order), then the dynamic keys in the order rows first have them.
 */
export function outputNamesOfColumns(coll: CollectionMeta, cols: ResultColumns, extra: readonly string[] = []): string[] {
  // As in rows: a field is there when some row has it.
  if (cols.count === 0) return [];
  const present = new Set([...cols.fields.map((c) => c.field.name), ...extra]);
  const names = coll.schema.fields.filter((f) => !f.isDynamic && present.has(f.name)).map((f) => f.name);
  const seen = new Set(names);
  for (const x of extra) if (!seen.has(x)) { names.push(x); seen.add(x); }
  const d = cols.dynamic;
  if (d) {
    for (const meta of d.values) {
      if (!meta) continue;
      for (const k of d.keys === '*' ? Object.keys(meta) : d.keys.filter((x) => x in meta)) if (!seen.has(k)) { names.push(k); seen.add(k); }
    }
  }
  return names;
}

/**
 * Encodes result columns as Milvus returns query and search results (the same FieldData
 * fieldsDataFromRows makes from rows): dense vectors go from the gathered typed arrays,
 * halves as their stored bits, with no row objects in between.
 */
export function fieldsDataFromColumns(coll: CollectionMeta, cols: ResultColumns, names: readonly string[]): ProtoFieldData[] {
  const byName = new Map(cols.fields.map((c) => [c.field.name, c]));
  const dynamic = coll.schema.fields.find((f) => f.isDynamic);
  const out: ProtoFieldData[] = [];
  const dynamicKeys: string[] = [];
  for (const name of names) {
    const c = byName.get(name);
    if (!c || c.field.isDynamic) {
      if (dynamic) dynamicKeys.push(name);
      continue;
    }
    out.push(columnFromResult(c, cols.count));
  }
  if (dynamic && dynamicKeys.length > 0) {
    const values = Array.from({ length: cols.count }, (_, i) => {
      const meta = cols.dynamic?.values[i];
      const o: Record<string, unknown> = {};
      if (meta) for (const k of dynamicKeys) if (k in meta) o[k] = meta[k];
      return o;
    });
    out.push({ ...columnOf(dynamic, values), is_dynamic: true });
  }
  return out;
}

function columnFromResult(c: ResultColumn, count: number): ProtoFieldData {
  const f = c.field;
  if (c.kind === 'values' || c.valid !== undefined || f.nullable) return columnOf(f, Array.from({ length: count }, (_, i) => valueOf(c, i)));
  const base = { type: f.type, field_name: f.name, field_id: String(f.fieldId), is_dynamic: false };
  const dim = String(f.dim ?? 0);
  switch (f.type) {
    case DataType.FloatVector:
      return { ...base, vectors: { dim, float_vector: { data: Array.from(c.data as Float32Array) } } };
    case DataType.BinaryVector:
      return { ...base, vectors: { dim, binary_vector: c.data as Uint8Array } };
    case DataType.Int8Vector: {
      const d = c.data as Int8Array;
      return { ...base, vectors: { dim, int8_vector: new Uint8Array(d.buffer, d.byteOffset, d.byteLength) } };
    }
    default: {
      // Half-precision vectors: their stored 16 bits, little-endian, as the wire carries them.
      const d = c.data as Uint16Array;
      const key = f.type === DataType.Float16Vector ? 'float16_vector' : 'bfloat16_vector';
      return { ...base, vectors: { dim, [key]: littleEndianBytes(d) } };
    }
  }
}

function littleEndianBytes(d: Uint16Array): Uint8Array {
  const out = new Uint8Array(d.length * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < d.length; i++) view.setUint16(i * 2, d[i]!, true);
  return out;
}

const encoder = new TextEncoder();

function columnOf(f: FieldSchema, values: unknown[]): ProtoFieldData {
  const base = { type: f.type, field_name: f.name, field_id: String(f.fieldId), is_dynamic: false };
  if (f.type === DataType.ArrayOfStruct) return { ...base, struct_arrays: { fields: f.structFields!.map((s) => structSubColumn(s, values as Array<Array<Record<string, unknown>> | null>)) }, valid_data: [] };
  const valid_data = f.nullable ? values.map((v) => v !== null && v !== undefined) : [];
  if (isVector(f.type)) {
    const dim = String(f.dim ?? 0);
    switch (f.type) {
      case DataType.FloatVector:
        return { ...base, vectors: { dim, float_vector: { data: values.flatMap((v) => v as number[]) } } };
      case DataType.BinaryVector:
        return { ...base, vectors: { dim, binary_vector: Uint8Array.from(values.flatMap((v) => v as number[])) } };
      case DataType.Int8Vector: {
        const d = Int8Array.from(values.flatMap((v) => Array.from(v as ArrayLike<number>)));
        return { ...base, vectors: { dim, int8_vector: new Uint8Array(d.buffer) } };
      }
      case DataType.Float16Vector:
      case DataType.BFloat16Vector: {
        const key = f.type === DataType.Float16Vector ? 'float16_vector' : 'bfloat16_vector';
        return { ...base, vectors: { dim, [key]: halfBytes(values as number[][], f.type) } };
      }
      case DataType.SparseFloatVector: {
        const rows = values as Array<{ indices: number[]; values: number[] }>;
        let maxIndex = 0;
        for (const r of rows) for (const i of r.indices) if (i + 1 > maxIndex) maxIndex = i + 1;
        return { ...base, vectors: { dim: String(maxIndex), sparse_float_vector: { dim: String(maxIndex), contents: rows.map(sparseToBytes) } } };
      }
    }
  }
  const filled = (d: unknown) => values.map((v) => (v === null || v === undefined ? d : v));
  let scalars: ScalarField;
  switch (f.type) {
    case DataType.Bool: scalars = { bool_data: { data: filled(false) as boolean[] } }; break;
    case DataType.Int8: case DataType.Int16: case DataType.Int32: scalars = { int_data: { data: filled(0) as number[] } }; break;
    case DataType.Int64: scalars = { long_data: { data: filled(0).map(String) } }; break;
    case DataType.Float: scalars = { float_data: { data: filled(0) as number[] } }; break;
    case DataType.Double: scalars = { double_data: { data: filled(0) as number[] } }; break;
    case DataType.VarChar: scalars = { string_data: { data: filled('') as string[] } }; break;
    // Results carry WKT, as Milvus's proxy turns its stored WKB back into text for them.
    case DataType.Geometry: scalars = { geometry_wkt_data: { data: filled('') as string[] } }; break;
    // Rendered as text by the read (engine/reads.ts), as Milvus's proxy sends it.
    case DataType.Timestamptz: scalars = { string_data: { data: filled('') as string[] } }; break;
    case DataType.JSON: scalars = { json_data: { data: values.map((v) => (v === null || v === undefined ? new Uint8Array(0) : encoder.encode(JSON.stringify(v)))) } }; break;
    case DataType.Array:
      scalars = { array_data: { element_type: f.elementType!, data: values.map((v) => arrayScalar(f.elementType!, (v ?? []) as unknown[])) } };
      break;
    default:
      fail('NOT_SUPPORTED', { what: `results of type ${DataType[f.type]}` });
  }
  return { ...base, scalars, valid_data };
}

/** One sub-field of an Array of Structs result column: per row, the array of its values (vectors flat in a vector_array entry). */
function structSubColumn(s: FieldSchema, rows: ReadonlyArray<ReadonlyArray<Record<string, unknown>> | null>): ProtoFieldData {
  const base = { field_name: s.name, field_id: String(s.fieldId), is_dynamic: false, valid_data: [] };
  if (s.type === DataType.FloatVector) {
    const dim = String(s.dim);
    return {
      ...base, type: DataType.ArrayOfVector,
      vectors: { dim, vector_array: { dim, element_type: s.type, data: rows.map((r) => ({ dim, float_vector: { data: (r ?? []).flatMap((e) => e[s.name] as number[]) } })) } },
    };
  }
  return { ...base, type: DataType.Array, scalars: { array_data: { element_type: s.type, data: rows.map((r) => arrayScalar(s.type, (r ?? []).map((e) => e[s.name]))) } } };
}

function arrayScalar(t: DataType, v: unknown[]): ScalarField {
  switch (t) {
    case DataType.Bool: return { bool_data: { data: v as boolean[] } };
    case DataType.Int8: case DataType.Int16: case DataType.Int32: return { int_data: { data: v as number[] } };
    case DataType.Int64: return { long_data: { data: v.map(String) } };
    case DataType.Float: return { float_data: { data: v as number[] } };
    case DataType.Double: return { double_data: { data: v as number[] } };
    default: return { string_data: { data: v as string[] } };
  }
}

function sparseToBytes(r: { indices: readonly number[]; values: readonly number[] }): Uint8Array {
  const out = new Uint8Array(8 * r.indices.length);
  const view = new DataView(out.buffer);
  r.indices.forEach((idx, i) => {
    view.setUint32(i * 8, idx, true);
    view.setFloat32(i * 8 + 4, r.values[i]!, true);
  });
  return out;
}

/** Results carry half-precision vectors as floats (valueAt widens them); the wire wants their 2-byte form. */
function halfBytes(rows: number[][], t: DataType): Uint8Array {
  const total = rows.reduce((n, r) => n + r.length, 0);
  const out = new Uint8Array(total * 2);
  const view = new DataView(out.buffer);
  let o = 0;
  for (const r of rows) for (const x of r) {
    view.setUint16(o, t === DataType.Float16Vector ? toF16(x) : toBf16(x), true);
    o += 2;
  }
  return out;
}

// ---------------------------------------------------------------- query vectors

/** PlaceholderType: 100 BinaryVector, 101 FloatVector, 102 Float16, 103 BFloat16, 104 SparseFloatVector, 105 Int8Vector. */
export function vectorsFromPlaceholderGroup(bytes: Uint8Array, field: FieldSchema): unknown[] {
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) fail('INVALID_ARGUMENT', { detail: 'the search request carries no query vectors' });
  let group: { placeholders: Array<{ tag: string; type: number; values: Uint8Array[] }> };
  try {
    group = types.placeholderGroup.toObject(types.placeholderGroup.decode(bytes), { enums: Number, bytes: Buffer, defaults: true }) as typeof group;
  } catch (e) {
    fail('INVALID_ARGUMENT', { detail: `cannot decode the query vectors: ${(e as Error).message}` });
  }
  const ph = group.placeholders[0];
  if (!ph || ph.values.length === 0) fail('INVALID_ARGUMENT', { detail: 'the search request carries no query vectors' });
  return ph.values.map((b, i) => {
    switch (ph.type) {
      case 101: {
        if (field.type === DataType.ArrayOfVector) fail('INVALID_ARGUMENT', { detail: `"${field.name}" is an embedding list: search it with embedding lists (placeholder type EmbListFloatVector), as the SDKs send them for a struct's vector sub-field` });
        if (b.length % 4 !== 0) fail('WRONG_DIMENSION', { field: field.name, row: i, expected: field.dim ?? 0, got: b.length / 4 });
        const copy = new Uint8Array(b);
        return Array.from(new Float32Array(copy.buffer, 0, copy.length / 4));
      }
      case 100: return Array.from(b);
      case 102:
      case 103: {
        const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
        return Array.from({ length: b.length >> 1 }, (_, k) => (ph.type === 102 ? f16ToF32 : bf16ToF32)(view.getUint16(k * 2, true)));
      }
      case 104: {
        const s = sparseFromBytes(b);
        return Object.fromEntries(s.indices.map((idx, k) => [idx, s.values[k]]));
      }
      case 105: return Array.from(new Int8Array(b.buffer, b.byteOffset, b.byteLength));
      case 301: {
        // EmbListFloatVector: one embedding list, its float32 vectors one after another.
        if (field.type !== DataType.ArrayOfVector || b.length % 4 !== 0) fail('INVALID_ARGUMENT', { detail: `query ${i}: an embedding list (placeholder type EmbListFloatVector) searches a struct's vector sub-field such as chunks[vector], not "${field.name}"` });
        const copy = new Uint8Array(b);
        const flat = new Float32Array(copy.buffer, 0, copy.length / 4);
        const dim = field.dim!;
        if (flat.length === 0 || flat.length % dim !== 0) fail('WRONG_DIMENSION', { field: field.name, row: i, expected: dim, got: flat.length });
        return Array.from({ length: flat.length / dim }, (_, k) => Array.from(flat.subarray(k * dim, (k + 1) * dim)));
      }
      default:
        fail('NOT_SUPPORTED', { what: `query vectors of placeholder type ${ph.type}` });
    }
  });
}

// ---------------------------------------------------------------- filter templates

interface TemplateValue {
  val?: string; bool_val?: boolean; int64_val?: string; float_val?: number; string_val?: string; array_val?: TemplateArray;
}
interface TemplateArray {
  data?: string;
  bool_data?: { data: boolean[] }; long_data?: { data: string[] }; double_data?: { data: number[] }; string_data?: { data: string[] };
  array_data?: { data: TemplateArray[] }; json_data?: { data: Uint8Array[] };
}

/** expr_template_values (map<string, TemplateValue>) → plain values for the filter's `{name}` placeholders. */
export function templateValues(m: Record<string, TemplateValue> | undefined): Record<string, unknown> | undefined {
  if (!m || Object.keys(m).length === 0) return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(m)) out[k] = templateValue(v);
  return out;
}

function templateValue(v: TemplateValue): unknown {
  switch (v.val) {
    case 'bool_val': return v.bool_val;
    case 'int64_val': return int64Value(v.int64_val!);
    case 'float_val': return v.float_val;
    case 'string_val': return v.string_val;
    case 'array_val': return templateArray(v.array_val!);
    default: fail('INVALID_ARGUMENT', { detail: 'a filter template value is empty' });
  }
}

function int64Value(s: string): number | string {
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : s;
}

function templateArray(a: TemplateArray): unknown[] {
  switch (a.data) {
    case 'bool_data': return a.bool_data!.data;
    case 'long_data': return a.long_data!.data.map(int64Value);
    case 'double_data': return a.double_data!.data;
    case 'string_data': return a.string_data!.data;
    case 'array_data': return a.array_data!.data.map(templateArray);
    case 'json_data': return a.json_data!.data.map((b) => parseJsonBytes(b));
    default: return [];
  }
}
