// Exact distances for brute-force search. Scores follow Milvus: L2 is the squared
// Euclidean distance (smaller is nearer); IP and COSINE are similarities (larger is
// nearer); HAMMING counts differing bits and JACCARD is 1 - |a∩b|/|a∪b| (smaller nearer).
import { fail } from '../errors/index.js';
import { DataType, type FieldSchema } from '../catalog/types.js';

export type Metric = 'L2' | 'IP' | 'COSINE' | 'HAMMING' | 'JACCARD';
/** Any metric a search ranks by: a vector field's, or an embedding list's. */
export type SearchMetric = Metric | EmbListMetric;

/**
 * Embedding-list metrics (Milvus 2.6, a struct's FloatVector sub-field): for each query
 * vector the best score against any of the row's vectors, summed over the query's
 * vectors (query/emb-list.ts).
 */
export type EmbListMetric = 'MAX_SIM_COSINE' | 'MAX_SIM_IP' | 'MAX_SIM_L2';
export const embListMetrics: readonly EmbListMetric[] = ['MAX_SIM_COSINE', 'MAX_SIM_IP', 'MAX_SIM_L2'];

export const floatMetrics: readonly Metric[] = ['L2', 'IP', 'COSINE'];
export const binaryMetrics: readonly Metric[] = ['HAMMING', 'JACCARD'];
export const sparseMetrics: readonly Metric[] = ['IP'];

export function largerIsNearer(m: SearchMetric): boolean {
  return m === 'IP' || m === 'COSINE' || m === 'MAX_SIM_IP' || m === 'MAX_SIM_COSINE';
}

/** Checks a metric against the field's type; the default is Milvus's for that type. */
export function metricFor(f: FieldSchema, given: unknown): Metric {
  const allowed = f.type === DataType.BinaryVector ? binaryMetrics : f.type === DataType.SparseFloatVector ? sparseMetrics : floatMetrics;
  if (given === undefined || given === null || given === '') return f.type === DataType.BinaryVector ? 'HAMMING' : f.type === DataType.SparseFloatVector ? 'IP' : 'COSINE';
  const m = String(given).toUpperCase() as Metric;
  if (!allowed.includes(m)) fail('INVALID_ARGUMENT', { detail: `metric_type ${JSON.stringify(given)} is not valid for ${DataType[f.type]} field "${f.name}"; allowed: ${allowed.join(', ')}` });
  return m;
}

export function l2(a: Float32Array, b: Float32Array, bo: number, dim: number): number {
  let s = 0;
  for (let i = 0; i < dim; i++) {
    const d = a[i]! - b[bo + i]!;
    s += d * d;
  }
  return s;
}

export function ip(a: Float32Array, b: Float32Array, bo: number, dim: number): number {
  let s = 0;
  for (let i = 0; i < dim; i++) s += a[i]! * b[bo + i]!;
  return s;
}

export function norm(a: Float32Array, o: number, dim: number): number {
  let s = 0;
  for (let i = 0; i < dim; i++) s += a[o + i]! * a[o + i]!;
  return Math.sqrt(s);
}

const popcount8 = new Uint8Array(256).map((_, i) => {
  let n = 0;
  for (let x = i; x; x >>= 1) n += x & 1;
  return n;
});

export function hamming(a: Uint8Array, b: Uint8Array, bo: number, bytes: number): number {
  let n = 0;
  for (let i = 0; i < bytes; i++) n += popcount8[a[i]! ^ b[bo + i]!]!;
  return n;
}

export function jaccard(a: Uint8Array, b: Uint8Array, bo: number, bytes: number): number {
  let inter = 0;
  let union = 0;
  for (let i = 0; i < bytes; i++) {
    inter += popcount8[a[i]! & b[bo + i]!]!;
    union += popcount8[a[i]! | b[bo + i]!]!;
  }
  return union === 0 ? 0 : 1 - inter / union;
}

export function sparseIp(a: { indices: readonly number[]; values: readonly number[] }, b: { indices: readonly number[]; values: readonly number[] }): number {
  let i = 0;
  let j = 0;
  let s = 0;
  while (i < a.indices.length && j < b.indices.length) {
    const x = a.indices[i]!;
    const y = b.indices[j]!;
    if (x === y) s += a.values[i++]! * b.values[j++]!;
    else if (x < y) i++;
    else j++;
  }
  return s;
}
