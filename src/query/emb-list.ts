// Embedding-list search (Milvus 2.6, Array of Structs): the searched field is a struct's
// FloatVector sub-field, so each row holds a list of vectors, one per struct element; a
// query is a list of vectors too. A row's score is MAX_SIM over the two lists: for each
// query vector, its best score against any of the row's vectors, summed over the query's
// vectors. "Best" is the largest cosine or inner product, or the smallest L2 distance
// (squared, as Milvus's L2 is), so MAX_SIM_L2 ranks smaller sums first like L2 does.
//
// Exact: every allowed row is scored (a sealed segment's HNSW index on the sub-field is
// served the same way, README). A row whose list is empty has no score and is no hit.
import { DataType, type FieldSchema } from '../catalog/types.js';
import { fail } from '../errors/index.js';
import { TopK } from '../index/topk.js';
import type { Segment } from '../segments/segment.js';
import { type EmbListMetric, embListMetrics, largerIsNearer } from './distance.js';
import { type SearchHit, type VectorSearchSpec, allowedRows } from './vector-search.js';

/** What an embedding-list search needs beside the usual spec: the struct and its sub-field's name. */
export interface EmbListSpec extends Pick<VectorSearchSpec, 'field' | 'fieldIndex' | 'k' | 'at' | 'since' | 'partitions' | 'filter' | 'rowTest'> {
  /** The sub-field (its own dim); `field` and `fieldIndex` are the Array of Structs field's. */
  readonly sub: FieldSchema;
  readonly metric: EmbListMetric;
  /** Each query: its vectors one after another (a multiple of sub.dim values). */
  readonly queries: readonly Float32Array[];
}

/** The metric an embedding-list search names, upper-cased; Milvus's EmbList metrics only. */
export function embListMetricOf(f: FieldSchema, given: unknown): EmbListMetric {
  if (given === undefined || given === null || given === '') return 'MAX_SIM_COSINE';
  const m = String(given).toUpperCase() as EmbListMetric;
  if (!embListMetrics.includes(m)) fail('INVALID_ARGUMENT', { detail: `metric_type ${JSON.stringify(given)} is not valid for the embedding list "${f.name}"; allowed: ${embListMetrics.join(', ')}` });
  return m;
}

/**
 * Query embedding lists in their flat form. `data` is one list (an array of vectors) or
 * several (an array of such arrays), as the SDKs tell them apart; a flat array of
 * numbers (the wire's EmbList placeholder) is one list of consecutive vectors.
 */
export function prepareEmbLists(sub: FieldSchema, path: string, data: unknown): Float32Array[] {
  const dim = sub.dim!;
  if (!Array.isArray(data) || data.length === 0) fail('INVALID_ARGUMENT', { detail: `no query embedding lists for "${path}"` });
  const isVec = (x: unknown) => ArrayBuffer.isView(x) || (Array.isArray(x) && (x.length === 0 || typeof x[0] === 'number'));
  const lists: unknown[] = isVec(data[0]) ? [data] : data;
  return lists.map((list, i) => {
    const vectors: unknown[] = Array.isArray(list) && list.length > 0 && typeof list[0] === 'number' ? [list] : ArrayBuffer.isView(list) ? [list] : (list as unknown[]);
    if (!Array.isArray(vectors) || vectors.length === 0) fail('INVALID_ARGUMENT', { detail: `query ${i} for "${path}" is not a list of vectors` });
    const flat: number[] = [];
    for (const v of vectors) {
      const arr = v as ArrayLike<unknown>;
      if (typeof arr !== 'object' || arr === null || typeof arr.length !== 'number') fail('INVALID_ARGUMENT', { detail: `query ${i} for "${path}" is not a list of vectors` });
      for (let k = 0; k < arr.length; k++) {
        const x = arr[k];
        if (typeof x !== 'number' || !Number.isFinite(x)) fail('VALUE_NOT_FINITE', { field: path, row: i, position: k });
        flat.push(x);
      }
    }
    if (flat.length % dim !== 0) fail('WRONG_DIMENSION', { field: path, row: i, expected: dim, got: vectors.length === 1 ? flat.length : flat.length / vectors.length });
    // One vector of the wrong length among right ones must not pass as a multiple of dim.
    for (const v of vectors) if ((v as ArrayLike<unknown>).length % dim !== 0) fail('WRONG_DIMENSION', { field: path, row: i, expected: dim, got: (v as ArrayLike<unknown>).length });
    return Float32Array.from(flat);
  });
}

/** Top-k rows per query embedding list over the searched segments. */
export function embListSearch(segments: readonly Segment[], spec: EmbListSpec): SearchHit[][] {
  const larger = largerIsNearer(spec.metric);
  const better = larger ? (a: number, b: number) => a > b : (a: number, b: number) => a < b;
  const heaps = spec.queries.map(() => new TopK(spec.k, better));
  const name = spec.sub.name;
  const dim = spec.sub.dim!;
  const cosine = spec.metric === 'MAX_SIM_COSINE';
  const queries = spec.queries.map((q) => ({ q, n: q.length / dim, norms: cosine ? norms(q, dim) : undefined }));
  for (const seg of segments) {
    if (spec.partitions && !spec.partitions.has(seg.partitionId)) continue;
    const a = allowedRows(seg, spec);
    if (a.count === 0) continue;
    const col = seg.column(spec.fieldIndex).values as ReadonlyArray<ReadonlyArray<Record<string, unknown>> | null>;
    for (let r = 0; r < a.rows; r++) {
      if (a.mask && a.mask[r] !== 1) continue;
      const elements = col[r];
      if (!elements || elements.length === 0) continue;
      const vecs = elements.map((e) => e[name] as readonly number[]);
      const vnorms = cosine ? vecs.map((v) => Math.sqrt(dot(v, 0, v, 0, dim))) : undefined;
      for (let qi = 0; qi < queries.length; qi++) {
        const { q, n, norms: qn } = queries[qi]!;
        let total = 0;
        for (let i = 0; i < n; i++) {
          let best = larger ? -Infinity : Infinity;
          for (let j = 0; j < vecs.length; j++) {
            const s = score(spec.metric, q, i * dim, vecs[j]!, dim, qn?.[i], vnorms?.[j]);
            if (larger ? s > best : s < best) best = s;
          }
          total += best;
        }
        const heap = heaps[qi]!;
        if (heap.admits(total)) heap.push({ score: total, ref: { seg, row: r } });
      }
    }
  }
  return heaps.map((h) => h.sorted().map((x) => ({ ...(x.ref as { seg: Segment; row: number }), score: x.score })));
}

function score(m: EmbListMetric, q: Float32Array, qo: number, v: readonly number[], dim: number, qn: number | undefined, vn: number | undefined): number {
  if (m === 'MAX_SIM_L2') {
    let s = 0;
    for (let k = 0; k < dim; k++) {
      const d = q[qo + k]! - v[k]!;
      s += d * d;
    }
    return s;
  }
  const ip = dot(q, qo, v, 0, dim);
  if (m === 'MAX_SIM_IP') return ip;
  const d = qn! * vn!;
  return d === 0 ? 0 : ip / d;
}

function dot(a: ArrayLike<number>, ao: number, b: ArrayLike<number>, bo: number, dim: number): number {
  let s = 0;
  for (let k = 0; k < dim; k++) s += a[ao + k]! * b[bo + k]!;
  return s;
}

function norms(q: Float32Array, dim: number): number[] {
  const out: number[] = [];
  for (let o = 0; o < q.length; o += dim) out.push(Math.sqrt(dot(q, o, q, o, dim)));
  return out;
}

/** The FloatVector sub-fields an embedding-list search can name, for messages. */
export function embListFields(f: FieldSchema): string[] {
  return (f.structFields ?? []).filter((s) => s.type === DataType.FloatVector).map((s) => `${f.name}[${s.name}]`);
}
