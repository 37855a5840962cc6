// The engine's side of index specifications: request shapes (milvus2-sdk-node 2.6 names),
// choosing which indexes a request means, planning a create, and the metric a search
// uses. The catalog holds the specs (catalog/indexes.ts validates them); the coordinator
// queue in elanus.ts commits them.
//
// Vector index structures are built per flushed segment in the background
// (vector-indexes.ts); describeIndex reports their progress.
import {
  type CollectionMeta, type FieldSchema, type IndexInput, type IndexMeta, type IndexSpec, indexesOf, isVector,
  normalizeIndex, sameIndexSpec, validateName,
} from '../catalog/index.js';
import { fail } from '../errors/index.js';
import { type Metric, metricFor } from '../query/distance.js';
import type { CollectionReq } from './requests.js';

export interface CreateIndexReq extends CollectionReq, IndexInput {
  field_name: string;
  /** Defaults to the name of the field's existing index, else to the field's name. */
  index_name?: string;
}

/** Names an index by its name, its field, or (neither) every index of the collection. */
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

function fieldByName(coll: CollectionMeta, name: unknown): FieldSchema {
  if (typeof name !== 'string' || name === '') fail('INVALID_ARGUMENT', { detail: 'field_name must be a non-empty string' });
  // The dynamic field ($meta) is not a field a client can name.
  const f = coll.schema.fields.find((x) => x.name === name && !x.isDynamic);
  if (!f) fail('FIELD_NOT_FOUND', { field: name, collection: coll.name });
  return f;
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
  const field = fieldName === undefined ? undefined : fieldByName(coll, fieldName);
  return indexesOf(coll).filter((i) => (name === undefined || i.indexName === name) && (field === undefined || i.fieldId === field.fieldId));
}

export function findIndexByName(coll: CollectionMeta, name: unknown): IndexMeta {
  if (typeof name !== 'string' || name === '') fail('INVALID_ARGUMENT', { detail: 'index_name must be a non-empty string' });
  const i = indexesOf(coll).find((x) => x.indexName === name);
  if (!i) fail('INDEX_NOT_FOUND', { name, collection: coll.name });
  return i;
}

export type CreatePlan =
  | { readonly kind: 'exists'; readonly index: IndexMeta }
  | { readonly kind: 'new'; readonly field: FieldSchema; readonly name: string; readonly spec: IndexSpec };

/**
 * Decides what a createIndex does: nothing when the same index already exists (Milvus
 * answers success), a coded refusal when the field has a different index or the name is
 * another field's, else a new index.
 */
export function planCreateIndex(coll: CollectionMeta, req: CreateIndexReq): CreatePlan {
  const field = fieldByName(coll, req.field_name);
  const spec = normalizeIndex(field, req);
  const indexes = indexesOf(coll);
  const onField = indexes.find((i) => i.fieldId === field.fieldId);
  const given = optionalName(req.index_name, 'index_name');
  const name = given === undefined ? (onField?.indexName ?? field.name) : validateName('index', given);
  if (onField) {
    if (onField.indexName === name && sameIndexSpec(onField, spec)) return { kind: 'exists', index: onField };
    fail('INDEX_CONFLICT', { field: field.name, collection: coll.name, name: onField.indexName });
  }
  const taken = indexes.find((i) => i.indexName === name);
  if (taken) fail('INDEX_NAME_TAKEN', { name, field: taken.fieldName, collection: coll.name });
  return { kind: 'new', field, name, spec };
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
    field_name: index.fieldName,
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
