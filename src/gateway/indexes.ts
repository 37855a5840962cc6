// Index specifications as requests meet them (milvus2-sdk-node 2.6 names): request shapes,
// choosing which indexes a request means, planning a create, and the metric a search
// uses. The catalog holds the specs (catalog/indexes.ts validates them); the coordinator
// queue (engine/index-ddl.ts) commits them.
//
// As Milvus 2.6 does: a JSON field (the dynamic field too) takes one index per JSON path;
// a field_name that names no field means a key of the dynamic field (`color` indexes
// `$meta["color"]`, proxy task_index.go getIndexedFieldAndFunction); json_path defaults
// to the field_name given and is read as a filter reads a path; an unnamed index is named
// field + JSON pointer ("meta/a/b", "$meta/color", datacoord index_service.go CreateIndex);
// describeIndex reports, for the dynamic field, the path's first key as field_name.
//
// Vector index structures are built per flushed segment in the background
// (vector-indexes.ts); describeIndex reports their progress.
import {
  type CollectionMeta, type CollectionSchema, DataType, dataTypeName, type FieldSchema, type IndexInput, type IndexMeta, type IndexSpec,
  dynamicFieldName, indexesOf, isVector, jsonIndexTarget, jsonPointer, normalizeIndex, sameIndexSpec, structPathOf, validateName,
} from '../catalog/index.js';
import { fail, isElanusError } from '../errors/index.js';
import { type Metric, metricFor } from '../query/distance.js';
import { parseFilter, resolveName, type Checked } from '../query/expr/index.js';
import type { CollectionReq } from './requests.js';

export interface CreateIndexReq extends CollectionReq, IndexInput {
  /**
   * The field to index, or — when the collection has a dynamic field — a name that is no
   * field's: a key of the dynamic field (`"color"` indexes `$meta["color"]`). `"$meta"`
   * names the dynamic field itself (with json_path `$meta["key"]`).
   */
  field_name: string;
  /**
   * Defaults to the name of the index already in the same place (the field; on a JSON
   * field, the same path), else to the field's name, followed on a JSON field by the
   * path as a JSON pointer: "meta/a/b", "$meta/color", "meta" for the whole field.
   */
  index_name?: string;
}

/**
 * Names an index by its name, its field, or (neither) every index of the collection. A
 * field_name that is no field's means a key of the dynamic field: the indexes on paths
 * starting with it (the field_name describeIndex reports for them).
 */
export interface IndexReq extends CollectionReq {
  index_name?: string;
  field_name?: string;
}

export interface AlterIndexReq extends CollectionReq {
  index_name: string;
  /** Properties to set; only mmap.enabled can be altered. */
  params?: Record<string, string | number | boolean>;
  /** The same, under the name the REST API and pymilvus use. */
  properties?: Record<string, string | number | boolean>;
}

export interface DropIndexPropertiesReq extends CollectionReq {
  index_name: string;
  properties: string[];
}

export interface IndexDescription {
  index_name: string;
  indexID: number;
  params: Array<{ key: string; value: string }>;
  field_name: string;
  indexed_rows: number;
  total_rows: number;
  pending_index_rows: number;
  state: IndexState;
  index_state_fail_reason: string;
}

export type IndexState = 'Finished' | 'InProgress' | 'Failed';

function requireFieldName(name: unknown): string {
  if (typeof name !== 'string' || name === '') fail('INVALID_ARGUMENT', { detail: 'field_name must be a non-empty string' });
  return name;
}

/** The field_name describeIndex reports: the field's, or on the dynamic field the first key of the path (describeIndexTask.Execute). */
export function reportedFieldName(index: IndexMeta): string {
  if (index.fieldName !== dynamicFieldName) return index.fieldName;
  const first = index.jsonPath?.[0];
  return first === undefined ? index.fieldName : String(first);
}

/** Which recorded indexes a field_name means: the field's, or the dynamic field's under that key. */
function onFieldNamed(coll: CollectionMeta, name: unknown): (i: IndexMeta) => boolean {
  const fieldName = requireFieldName(name);
  const f = coll.schema.fields.find((x) => x.name === fieldName) ?? structPathOf(coll.schema, fieldName)?.sub;
  if (f) return (i) => i.fieldId === f.fieldId;
  if (coll.schema.enableDynamicField) return (i) => i.fieldName === dynamicFieldName && reportedFieldName(i) === fieldName;
  fail('FIELD_NOT_FOUND', { field: fieldName, collection: coll.name });
}

function optionalName(v: unknown, what: string): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') fail('INVALID_ARGUMENT', { detail: `${what} must be a string` });
  return v;
}

/** The indexes a request names; INDEX_NOT_FOUND when it names none that exist. */
export function selectIndexes(coll: CollectionMeta, req: IndexReq): IndexMeta[] {
  const out = matchIndexes(coll, req);
  if (out.length === 0) {
    fail('INDEX_NOT_FOUND', { name: optionalName(req.index_name, 'index_name') ?? optionalName(req.field_name, 'field_name') ?? '(any)', collection: coll.name });
  }
  return out;
}

export function matchIndexes(coll: CollectionMeta, req: IndexReq): IndexMeta[] {
  const name = optionalName(req.index_name, 'index_name');
  const fieldName = optionalName(req.field_name, 'field_name');
  const onField = fieldName === undefined ? undefined : onFieldNamed(coll, fieldName);
  return indexesOf(coll).filter((i) => (name === undefined || i.indexName === name) && (onField === undefined || onField(i)));
}

export function findIndexByName(coll: CollectionMeta, name: unknown): IndexMeta {
  if (typeof name !== 'string' || name === '') fail('INVALID_ARGUMENT', { detail: 'index_name must be a non-empty string' });
  const i = indexesOf(coll).find((x) => x.indexName === name);
  if (!i) fail('INDEX_NOT_FOUND', { name, collection: coll.name });
  return i;
}

/** A createIndex request, checked against a schema: what it indexes and how. */
export interface IndexTarget {
  readonly field: FieldSchema;
  readonly spec: IndexSpec;
  /** On a JSON field: the path inside it ([] = the whole field), and the path as Milvus's JSON pointer. */
  readonly json?: { readonly path: readonly (string | number)[]; readonly pointer: string };
}

/**
 * Checks a createIndex request against `schema` without looking at existing indexes (the
 * REST API checks a batch before creating any): the field (a name that is no field's
 * means a key of the dynamic field), the spec, and on a JSON field the json_path — by
 * default the field_name given — read as a filter reads a path, which must lead into
 * that same field (Milvus: "fieldID not match with field name").
 */
export function checkCreateIndex(schema: CollectionSchema, collection: string, req: IndexInput & { readonly field_name: string }): IndexTarget {
  const name = requireFieldName(req.field_name);
  const path = structPathOf(schema, name);
  if (path) {
    // A struct's sub-field, named `chunks[emb]`: its vectors are an embedding list (type
    // ArrayOfVector in the index's eyes); its scalars take no index, as in Milvus 2.6.
    const field: FieldSchema = { ...path.sub, name, type: path.sub.type === DataType.FloatVector ? DataType.ArrayOfVector : DataType.ArrayOfStruct, elementType: path.sub.type };
    return { field, spec: normalizeIndex(field, req) };
  }
  const named = schema.fields.find((f) => f.name === name);
  const field = named ?? schema.fields.find((f) => f.isDynamic);
  if (!field) fail('FIELD_NOT_FOUND', { field: name, collection });
  const spec = normalizeIndex(field, req, named === undefined ? name : undefined);
  if (field.type !== DataType.JSON) return { field, spec };
  const text = spec.params['json_path'] ?? name;
  const bad: (detail: string) => never = (detail) => fail('INDEX_PARAM_INVALID', { type: spec.indexType, field: name, detail });
  // Read as a filter reads a name: a field, `$meta`, or a key of the dynamic field, then [..] segments.
  const notPath: (why: string) => never = (why) => bad(`json_path ${text} must be a JSON field or a path into one, as in ${field.name}["key"]${why}`);
  let c: Checked;
  try {
    const e = parseFilter(text);
    if (e.kind !== 'ident' && e.kind !== 'path') notPath('');
    const other = schema.fields.find((f) => f.name === e.name && !f.isDynamic && f.type !== DataType.JSON);
    if (other !== undefined) notPath(`; ${other.name} is a ${dataTypeName(other.type)} field`);
    c = resolveName(schema, e);
  } catch (e) {
    if (isElanusError(e) && e.code !== 'INDEX_PARAM_INVALID') bad(`json_path ${text} is not a path: ${e.message}`);
    throw e;
  }
  const ref = c;
  if (ref.kind !== 'json') notPath('');
  const into = ref.field ?? schema.fields.find((f) => f.isDynamic)!;
  if (into.fieldId !== field.fieldId) bad(`json_path ${text} is a path into field "${into.name}", not into "${field.name}"`);
  return { field, spec, json: { path: ref.path, pointer: jsonPointer(ref.path) } };
}

export type CreatePlan =
  | { readonly kind: 'exists'; readonly index: IndexMeta }
  | { readonly kind: 'new'; readonly field: FieldSchema; readonly name: string; readonly spec: IndexSpec; readonly jsonPath?: readonly (string | number)[] };

/** An index's JSON pointer on a JSON field; a recorded path this version cannot read compares by its text. */
function pointerOf(index: IndexMeta, field: FieldSchema): string {
  const path = jsonIndexTarget(index, field)?.path;
  return path !== undefined ? jsonPointer(path) : `\u0000${index.params['json_path'] ?? ''}`;
}

/**
 * Decides what a createIndex does, as Milvus's datacoord does (index_service.go
 * CreateIndex, index_meta.go canCreateIndex): nothing when the same index already exists
 * (success); INDEX_NOT_DISTINCT when the name is taken by another definition or another
 * field's index; INDEX_FIELD_HAS_INDEX when the field — on a JSON field, the same path —
 * already has an index under another name; else a new index.
 */
export function planCreateIndex(coll: CollectionMeta, req: CreateIndexReq): CreatePlan {
  const { field, spec, json } = checkCreateIndex(coll.schema, coll.name, req);
  const indexes = indexesOf(coll);
  const samePlace = (i: IndexMeta) => i.fieldId === field.fieldId && (json === undefined || pointerOf(i, field) === json.pointer);
  const where = json === undefined ? `field "${field.name}"` : `json_path ${spec.params['json_path'] ?? req.field_name} (JSON pointer "${json.pointer}") of field "${field.name}"`;
  const given = optionalName(req.index_name, 'index_name');
  let name: string;
  if (given !== undefined) name = validateName('index', given);
  else {
    const there = indexes.filter(samePlace);
    name = there.length === 1 ? there[0]!.indexName : field.name + (json?.pointer ?? '');
  }
  const named = indexes.find((i) => i.indexName === name);
  if (named) {
    if (samePlace(named) && sameIndexSpec(named, spec, field)) return { kind: 'exists', index: named };
    const detail = named.fieldId !== field.fieldId
      ? `index name "${name}" is already used by field "${reportedFieldName(named)}" of collection "${coll.name}"`
      : !samePlace(named)
        ? `index "${name}" of collection "${coll.name}" covers another JSON path of field "${field.name}"`
        : `index "${name}" on ${where} of collection "${coll.name}" has another definition; drop it first`;
    fail('INDEX_NOT_DISTINCT', { detail });
  }
  const taken = indexes.find(samePlace);
  if (taken) fail('INDEX_FIELD_HAS_INDEX', { detail: `${where} of collection "${coll.name}" already has index "${taken.indexName}"; drop it first` });
  return { kind: 'new', field, name, spec, ...(json !== undefined ? { jsonPath: json.path } : {}) };
}

/** A vector index's field must not lose its index while the collection is loaded (Milvus's rule). */
export function isVectorIndex(coll: CollectionMeta, index: IndexMeta): boolean {
  const f = coll.schema.fields.find((x) => x.fieldId === index.fieldId);
  return f !== undefined && isVector(f.type);
}

export function describeIndexRow(index: IndexMeta, p: { indexedRows: number; totalRows: number; failReason: string | undefined }): IndexDescription {
  return {
    index_name: index.indexName,
    indexID: index.indexId,
    params: Object.entries(index.params).map(([key, value]) => ({ key, value })),
    field_name: reportedFieldName(index),
    indexed_rows: p.indexedRows,
    total_rows: p.totalRows,
    pending_index_rows: p.totalRows - p.indexedRows,
    state: p.failReason !== undefined ? 'Failed' : p.indexedRows === p.totalRows ? 'Finished' : 'InProgress',
    index_state_fail_reason: p.failReason ?? '',
  };
}

/**
 * The metric a search uses: the one given, else the metric of the index on the field,
 * else the field type's default. A given metric that differs from the index's is refused,
 * as Milvus refuses it ("metric type not match").
 */
export function searchMetric(coll: CollectionMeta, field: FieldSchema, given: unknown): Metric {
  const index = indexesOf(coll).find((i) => i.fieldId === field.fieldId);
  if (index?.metricType === undefined) return metricFor(field, given);
  if (given === undefined || given === null || given === '') return metricFor(field, index.metricType);
  const m = metricFor(field, given);
  if (m !== index.metricType) fail('METRIC_MISMATCH', { field: field.name, expected: index.metricType, actual: m });
  return m;
}
