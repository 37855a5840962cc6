// From a catalog index (type, metric, build parameters as Milvus names them) to what
// gets built for each sealed segment, and from a request's search parameters to the
// options of one search. Validation of build parameters happened when the index was
// created (catalog/indexes.ts); search parameters are checked here, per request.
import { fail } from '../errors/index.js';
import { DataType, type FieldSchema, type IndexMeta } from '../catalog/types.js';
import { effectiveIndexType } from '../catalog/indexes.js';
import type { ElementType, IndexBuildSpec, NativeMetric } from './native.js';

/** What stands behind a vector index in each sealed segment. */
export type VectorIndexPlan =
  /** FLAT, BIN_FLAT: nothing to build; every search is an exact scan. */
  | { readonly kind: 'exact' }
  | { readonly kind: 'native'; readonly spec: IndexBuildSpec }
  /** SPARSE_INVERTED_INDEX, SPARSE_WAND: posting lists per dimension (sparse.ts). */
  | { readonly kind: 'sparse' };

/** Milvus's AUTOINDEX for dense vectors is an HNSW graph; these are its build parameters here. */
export const autoHnsw = { M: 16, efConstruction: 200 } as const;

export function elementOf(f: FieldSchema): ElementType {
  switch (f.type) {
    case DataType.FloatVector: return 'f32';
    case DataType.Float16Vector: return 'f16';
    case DataType.BFloat16Vector: return 'bf16';
    case DataType.BinaryVector: return 'bin';
    case DataType.Int8Vector: return 'i8';
    default: return fail('INVALID_ARGUMENT', { detail: `field "${f.name}" is not a dense or binary vector field` });
  }
}

const intParam = (params: Readonly<Record<string, string>>, key: string, dflt: number): number => {
  const v = params[key];
  return v === undefined ? dflt : Number(v);
};

/** HNSW_SQ's sq_type as a storage type of the graph's vectors (SQ6 is stored as 8-bit codes). */
const sqStorage: Readonly<Record<string, 'f16' | 'bf16' | 'i8'>> = { FP16: 'f16', BF16: 'bf16', SQ8: 'i8', SQ6: 'i8' };

export function planVectorIndex(index: IndexMeta, field: FieldSchema, buildThreads = 1): VectorIndexPlan {
  const type = effectiveIndexType(index, field);
  const p = index.params;
  const metric = (index.metricType ?? 'COSINE') as NativeMetric;
  const dim = field.dim ?? 0;
  switch (type) {
    case 'FLAT':
    case 'BIN_FLAT':
      return { kind: 'exact' };
    case 'SPARSE_INVERTED_INDEX':
    case 'SPARSE_WAND':
      return { kind: 'sparse' };
    case 'HNSW':
    case 'HNSW_SQ':
    // DISKANN is served by the same in-memory graph (its build parameters only tune Milvus's on-disk layout).
    case 'DISKANN': {
      const element = elementOf(field) as 'f32' | 'f16' | 'bf16' | 'i8';
      // An int8 field's graph holds float32 (the i8 storage is HNSW_SQ's quantizer, which
      // rescales; plain HNSW keeps the values as they are).
      const native = element === 'i8' ? 'f32' : element;
      const storage = type === 'HNSW_SQ' ? (sqStorage[p['sq_type'] ?? 'SQ8'] ?? 'i8') : native;
      const M = type === 'DISKANN' ? Math.max(2, Math.floor(intParam(p, 'max_degree', 56) / 2)) : intParam(p, 'M', autoHnsw.M);
      const efConstruction = type === 'DISKANN' ? intParam(p, 'search_list_size', autoHnsw.efConstruction) : intParam(p, 'efConstruction', autoHnsw.efConstruction);
      return { kind: 'native', spec: { type: 'HNSW', metric: metric as 'L2', dim, element, M, efConstruction, storage, threads: buildThreads } };
    }
    case 'IVF_FLAT':
    case 'IVF_SQ8':
      return { kind: 'native', spec: { type, metric: metric as 'L2', dim, element: elementOf(field) as 'f32', nlist: intParam(p, 'nlist', 128), threads: buildThreads } };
    case 'IVF_PQ':
      return {
        kind: 'native',
        spec: { type, metric: metric as 'L2', dim, element: elementOf(field) as 'f32', nlist: intParam(p, 'nlist', 128), m: intParam(p, 'm', pqMDefault(dim)), nbits: intParam(p, 'nbits', 8), threads: buildThreads },
      };
    case 'BIN_IVF_FLAT':
      return { kind: 'native', spec: { type, metric: metric as 'HAMMING', dim, element: 'bin', nlist: intParam(p, 'nlist', 128), threads: buildThreads } };
    default:
      return fail('INDEX_TYPE_INVALID', { type, what: 'vector field', field: field.name, allowed: 'a vector index type' });
  }
}

/** The largest divisor of dim not above dim / 4 (Milvus requires m to divide dim). */
function pqMDefault(dim: number): number {
  for (let m = Math.max(1, Math.floor(dim / 4)); m > 1; m--) if (dim % m === 0) return m;
  return 1;
}

/** Search parameters of one request, as Milvus names them, checked. */
export interface SearchParams {
  /** HNSW candidate list size (Milvus's ef; DISKANN's search_list). */
  readonly ef: number | undefined;
  /** IVF lists probed. */
  readonly nprobe: number | undefined;
  /** Sparse: the share of the query's smallest values ignored. */
  readonly dropRatioSearch: number;
  /** Range search: the outer bound, and optionally the inner one. */
  readonly radius: number | undefined;
  readonly rangeFilter: number | undefined;
  /** Grouping search. */
  readonly groupByField: string | undefined;
  readonly groupSize: number;
  readonly strictGroupSize: boolean;
}

const searchIntMax = 32768;

function num(v: unknown, name: string): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
  if (!Number.isFinite(n)) fail('INVALID_ARGUMENT', { detail: `search parameter ${name} must be a number, got ${JSON.stringify(v)}` });
  return n;
}

function intIn(v: unknown, name: string, min: number, max: number): number | undefined {
  const n = num(v, name);
  if (n === undefined) return undefined;
  if (!Number.isInteger(n) || n < min || n > max) fail('INVALID_ARGUMENT', { detail: `search parameter ${name} must be an integer in [${min}, ${max}], got ${n}` });
  return n;
}

/**
 * Reads the search parameters from a request's params object (and the top-level keys the
 * SDKs also use for grouping). `k` is offset + limit.
 */
export function parseSearchParams(params: Readonly<Record<string, unknown>> | undefined, top: Readonly<Record<string, unknown>>, k: number): SearchParams {
  const p = params ?? {};
  // An ef below offset + limit is raised to it (a graph walk keeps at least k candidates).
  const given = intIn(p['ef'] ?? p['search_list'] ?? p['search_list_size'], 'ef', 1, searchIntMax);
  const ef = given === undefined ? undefined : Math.max(given, k);
  const nprobe = intIn(p['nprobe'], 'nprobe', 1, 65536);
  const drop = num(p['drop_ratio_search'], 'drop_ratio_search') ?? 0;
  if (drop < 0 || drop >= 1) fail('INVALID_ARGUMENT', { detail: `search parameter drop_ratio_search must be in [0, 1), got ${drop}` });
  const radius = num(p['radius'] ?? top['radius'], 'radius');
  const rangeFilter = num(p['range_filter'] ?? top['range_filter'], 'range_filter');
  if (rangeFilter !== undefined && radius === undefined) fail('INVALID_ARGUMENT', { detail: 'search parameter range_filter needs radius' });
  const g = top['group_by_field'] ?? p['group_by_field'];
  if (g !== undefined && g !== null && g !== '' && typeof g !== 'string') fail('INVALID_ARGUMENT', { detail: 'group_by_field must be a field name' });
  const groupSize = intIn(top['group_size'] ?? p['group_size'], 'group_size', 1, 1024) ?? 1;
  const strict = top['strict_group_size'] ?? p['strict_group_size'];
  return {
    ef, nprobe, dropRatioSearch: drop, radius, rangeFilter,
    groupByField: typeof g === 'string' && g !== '' ? g : undefined,
    groupSize,
    strictGroupSize: strict === true || strict === 'true',
  };
}

/** Range bounds checked against the metric: for distances radius > range_filter, for similarities radius < range_filter. */
export function checkRange(metric: NativeMetric, radius: number, rangeFilter: number | undefined): void {
  if (rangeFilter === undefined) return;
  const larger = metric === 'IP' || metric === 'COSINE';
  if (larger ? !(radius < rangeFilter) : !(rangeFilter < radius)) {
    fail('INVALID_ARGUMENT', {
      detail: larger
        ? `for ${metric}, range_filter (${rangeFilter}) must be greater than radius (${radius}): hits have radius < score <= range_filter`
        : `for ${metric}, range_filter (${rangeFilter}) must be less than radius (${radius}): hits have range_filter <= distance < radius`,
    });
  }
}
