// Exact (brute-force) vector search over a pinned set of segments: every visible row
// of the searched partitions is scored against every query and the best k kept. The
// index issue replaces the per-segment scan for sealed segments; the merge stays.
import { fail } from '../errors/index.js';
import { DataType, type FieldSchema } from '../catalog/types.js';
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from '../catalog/index.js';
import type { Segment } from '../segments/segment.js';
import { type Metric, hamming, ip, jaccard, l2, largerIsNearer, norm, sparseIp } from './distance.js';
import { TopK } from '../index/topk.js';

export interface SearchHit {
  readonly seg: Segment;
  readonly row: number;
  readonly score: number;
}

type SparseVec = { indices: readonly number[]; values: readonly number[] };
type PreparedQuery = Float32Array | Uint8Array | SparseVec;

/** Validates the query vectors against the field and puts them in the field's form. */
export function prepareQueries(f: FieldSchema, data: unknown): PreparedQuery[] {
  const list = Array.isArray(data) && data.length > 0 && (Array.isArray(data[0]) || ArrayBuffer.isView(data[0]) || (typeof data[0] === 'object' && data[0] !== null && f.type === DataType.SparseFloatVector))
    ? (data as unknown[])
    : [data];
  // An empty array is "no query vectors", not one vector of dimension 0 (it would be wrapped above).
  if (list.length === 0 || (Array.isArray(data) && data.length === 0)) fail('INVALID_ARGUMENT', { detail: 'no query vectors' });
  return list.map((q, i) => {
    if (f.type === DataType.SparseFloatVector) {
      if (typeof q !== 'object' || q === null) fail('INVALID_ARGUMENT', { detail: `query ${i} is not a sparse vector` });
      const pairs = Object.entries(q as Record<string, number>).map(([k, v]) => [Number(k), v] as const).sort((a, b) => a[0] - b[0]);
      for (const [k, v] of pairs) if (!Number.isInteger(k) || k < 0 || !Number.isFinite(v)) fail('INVALID_ARGUMENT', { detail: `query ${i}: sparse entries need integer indices and finite values` });
      return { indices: pairs.map((p) => p[0]), values: pairs.map((p) => p[1]) };
    }
    const arr = q as ArrayLike<number>;
    if (typeof arr !== 'object' || arr === null || typeof arr.length !== 'number') fail('INVALID_ARGUMENT', { detail: `query ${i} is not a vector` });
    if (f.type === DataType.BinaryVector) {
      if (arr.length !== f.dim! / 8) fail('WRONG_DIMENSION', { field: f.name, row: i, expected: f.dim!, got: arr.length * 8 });
      return Uint8Array.from(arr);
    }
    if (arr.length !== f.dim) fail('WRONG_DIMENSION', { field: f.name, row: i, expected: f.dim!, got: arr.length });
    // Int8 queries are compared as the integers they are (held as floats, which hold them exactly).
    if (f.type === DataType.Int8Vector) return int8Query(f, arr, i);
    const v = Float32Array.from(arr);
    for (let k = 0; k < v.length; k++) if (!Number.isFinite(v[k]!)) fail('VALUE_NOT_FINITE', { field: f.name, row: i, position: k });
    // Half-precision fields are compared at their stored precision.
    if (f.type === DataType.Float16Vector) for (let k = 0; k < v.length; k++) v[k] = f16ToF32(f32ToF16(v[k]!));
    if (f.type === DataType.BFloat16Vector) for (let k = 0; k < v.length; k++) v[k] = bf16ToF32(f32ToBf16(v[k]!));
    return v;
  });
}

/** An Int8Vector query: dim integers in [-128, 127], nothing rounded or wrapped. */
function int8Query(f: FieldSchema, arr: ArrayLike<number>, i: number): Float32Array {
  const v = new Float32Array(arr.length);
  for (let k = 0; k < arr.length; k++) {
    const x: unknown = arr[k];
    if (typeof x !== 'number' || !Number.isInteger(x)) fail('WRONG_TYPE', { field: f.name, row: i, expected: 'integers in [-128, 127]', got: `${typeof x} ${String(x)}` });
    if (x < -128 || x > 127) fail('VALUE_OUT_OF_RANGE', { field: f.name, row: i, value: x, type: 'Int8Vector (-128 to 127)' });
    v[k] = x;
  }
  return v;
}

export interface SearchSpec {
  readonly field: FieldSchema;
  readonly fieldIndex: number;
  readonly metric: Metric;
  readonly queries: readonly PreparedQuery[];
  /** offset + limit. */
  readonly k: number;
  readonly at: bigint;
  /** Rows written before it have expired for this read (segments/segment.ts); 0 when none. */
  readonly since: bigint;
  readonly partitions: ReadonlySet<number> | undefined;
  /** Extra row filter (primary keys, later filter expressions). */
  readonly accept?: (seg: Segment, row: number) => boolean;
}

export function bruteForceSearch(segments: readonly Segment[], spec: SearchSpec): SearchHit[][] {
  const larger = largerIsNearer(spec.metric);
  const better = larger ? (a: number, b: number) => a > b : (a: number, b: number) => a < b;
  const heaps = spec.queries.map(() => new TopK(spec.k, better));
  const f = spec.field;
  const dim = f.dim ?? 0;
  const qnorms = spec.metric === 'COSINE' ? spec.queries.map((q) => norm(q as Float32Array, 0, dim)) : [];
  const scratch = new Float32Array(dim);
  for (const seg of segments) {
    if (spec.partitions && !spec.partitions.has(seg.partitionId)) continue;
    const col = seg.column(spec.fieldIndex).values;
    for (let r = 0; r < seg.rowCount; r++) {
      if (!seg.visible(r, spec.at, spec.since)) continue;
      if (spec.accept && !spec.accept(seg, r)) continue;
      let vec: Float32Array | undefined;
      let vo = 0;
      if (f.type === DataType.FloatVector) {
        vec = col as Float32Array;
        vo = r * dim;
      } else if (f.type === DataType.Float16Vector || f.type === DataType.BFloat16Vector) {
        const src = col as Uint16Array;
        const conv = f.type === DataType.Float16Vector ? f16ToF32 : bf16ToF32;
        for (let k = 0; k < dim; k++) scratch[k] = conv(src[r * dim + k]!);
        vec = scratch;
      } else if (f.type === DataType.Int8Vector) {
        const src = col as Int8Array;
        for (let k = 0; k < dim; k++) scratch[k] = src[r * dim + k]!;
        vec = scratch;
      }
      const rowNorm = spec.metric === 'COSINE' && vec ? norm(vec, vo, dim) : 0;
      for (let q = 0; q < spec.queries.length; q++) {
        const query = spec.queries[q]!;
        let score: number;
        switch (spec.metric) {
          case 'L2': score = l2(query as Float32Array, vec!, vo, dim); break;
          case 'IP':
            score = f.type === DataType.SparseFloatVector
              ? sparseIp(query as SparseVec, (col as readonly SparseVec[])[r]!)
              : ip(query as Float32Array, vec!, vo, dim);
            break;
          case 'COSINE': {
            const d = qnorms[q]! * rowNorm;
            score = d === 0 ? 0 : ip(query as Float32Array, vec!, vo, dim) / d;
            break;
          }
          case 'HAMMING': score = hamming(query as Uint8Array, col as Uint8Array, r * (dim / 8), dim / 8); break;
          case 'JACCARD': score = jaccard(query as Uint8Array, col as Uint8Array, r * (dim / 8), dim / 8); break;
        }
        const heap = heaps[q]!;
        if (heap.admits(score)) heap.push({ score, ref: { seg, row: r } });
      }
    }
  }
  return heaps.map((h) => h.sorted().map((x) => ({ ...(x.ref as { seg: Segment; row: number }), score: x.score })));
}
