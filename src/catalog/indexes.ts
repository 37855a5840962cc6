// Index specifications: which index types and metrics each field type accepts, and the
// build parameters of each, with the names and ranges Milvus documents (2.5). An index
// request in any of the SDK's shapes becomes one flat, validated map of strings, which
// is what the catalog stores and what describeIndex returns.
//
// Nothing here builds an index. Search is exact over every segment, which satisfies any
// index's recall; the spec is recorded so that clients see Milvus's behaviour, and so
// that the later index issue knows what to build.
import { fail } from '../errors/index.js';
import { DataType, type CollectionMeta, type FieldSchema, type IndexMeta, dataTypeName } from './types.js';

/** An index request as the SDKs shape it (milvus2-sdk-node, pymilvus, the wire's KeyValuePairs). */
export interface IndexInput {
  index_type?: string;
  metric_type?: string;
  /** Build parameters and properties: an object, KeyValuePairs, or a JSON string. */
  params?: unknown;
  /** The older SDK form: { index_type, metric_type, params: '{"nlist":1024}' }. */
  extra_params?: unknown;
}

/** The validated part of an index: what the catalog stores besides ids, names and time. */
export interface IndexSpec {
  readonly indexType: string;
  readonly metricType?: string;
  readonly params: Readonly<Record<string, string>>;
}

type Rule =
  | { readonly kind: 'int'; readonly min: number; readonly max: number }
  | { readonly kind: 'float'; readonly min: number; readonly max: number; readonly minOpen?: boolean; readonly maxOpen?: boolean }
  | { readonly kind: 'enum'; readonly values: readonly string[] }
  | { readonly kind: 'bool' }
  | { readonly kind: 'string' };

const int = (min: number, max: number): Rule => ({ kind: 'int', min, max });
const int32Max = 2147483647;

export const denseMetrics: readonly string[] = ['L2', 'IP', 'COSINE'];
export const binaryMetrics: readonly string[] = ['HAMMING', 'JACCARD'];
/** BM25 needs a BM25 function on the collection, which Elanus does not have yet. */
export const sparseMetrics: readonly string[] = ['IP'];

const denseTypes: readonly string[] = ['FLAT', 'IVF_FLAT', 'IVF_SQ8', 'IVF_PQ', 'HNSW', 'HNSW_SQ', 'DISKANN', 'AUTOINDEX'];
const binaryTypes: readonly string[] = ['BIN_FLAT', 'BIN_IVF_FLAT', 'AUTOINDEX'];
const sparseTypes: readonly string[] = ['SPARSE_INVERTED_INDEX', 'SPARSE_WAND', 'AUTOINDEX'];

const sqTypes = ['SQ6', 'SQ8', 'FP16', 'BF16'];
/** Precision order for HNSW_SQ: the refine type must be more precise than sq_type. */
const sqPrecision: Readonly<Record<string, number>> = { SQ6: 1, SQ8: 2, FP16: 3, BF16: 3, FP32: 4 };
/** Milvus 2.5's cast types for a JSON path index. */
export const jsonCastTypes: readonly string[] = ['BOOL', 'DOUBLE', 'VARCHAR', 'ARRAY_BOOL', 'ARRAY_DOUBLE', 'ARRAY_VARCHAR'];

const nlist = int(1, 65536);
const hnswRules = { M: int(2, 2048), efConstruction: int(1, int32Max) };
const sparseRules = {
  drop_ratio_build: { kind: 'float', min: 0, max: 1, maxOpen: true } as Rule,
  inverted_index_algo: { kind: 'enum', values: ['TAAT_NAIVE', 'DAAT_WAND', 'DAAT_MAXSCORE'] } as Rule,
};

/** Build parameters of each index type (properties such as mmap.enabled are separate). */
const buildRules: Readonly<Record<string, Readonly<Record<string, Rule>>>> = {
  FLAT: {},
  IVF_FLAT: { nlist },
  IVF_SQ8: { nlist },
  // m is checked against the dimension below: it must divide it.
  // nbits up to 8: each sub-vector's code is one byte (Milvus allows 16; 2^16 centroids per sub-space are rarely useful).
  IVF_PQ: { nlist, m: int(1, 65536), nbits: int(1, 8) },
  HNSW: hnswRules,
  HNSW_SQ: {
    ...hnswRules,
    sq_type: { kind: 'enum', values: sqTypes },
    refine: { kind: 'bool' },
    refine_type: { kind: 'enum', values: [...sqTypes, 'FP32'] },
  },
  // Milvus needs no DISKANN build parameters; these override its configured defaults.
  DISKANN: {
    max_degree: int(1, 512),
    search_list_size: int(1, int32Max),
    pq_code_budget_gb_ratio: { kind: 'float', min: 0, max: 0.25, minOpen: true },
    search_cache_budget_gb_ratio: { kind: 'float', min: 0, max: 0.3, maxOpen: true },
  },
  // AUTOINDEX takes only a metric: Milvus chooses the build parameters.
  AUTOINDEX: {},
  BIN_FLAT: {},
  BIN_IVF_FLAT: { nlist },
  SPARSE_INVERTED_INDEX: sparseRules,
  SPARSE_WAND: sparseRules,
  INVERTED: {},
  BITMAP: {},
  STL_SORT: {},
  Trie: {},
};

const jsonRules: Readonly<Record<string, Rule>> = {
  json_path: { kind: 'string' },
  json_cast_type: { kind: 'enum', values: jsonCastTypes },
};

/** Properties any index may carry; the only keys alterIndex may change. */
export const indexPropertyRules: Readonly<Record<string, Rule>> = {
  'mmap.enabled': { kind: 'bool' },
};

/** Index type names as Milvus spells them, looked up case-insensitively. */
const canonicalTypes = new Map(Object.keys(buildRules).map((t) => [t.toUpperCase(), t]));

const integerTypes = new Set([DataType.Int8, DataType.Int16, DataType.Int32, DataType.Int64]);
const numericTypes = new Set([...integerTypes, DataType.Float, DataType.Double]);
const denseVectorTypes = new Set([DataType.FloatVector, DataType.Float16Vector, DataType.BFloat16Vector]);

type Family = 'dense' | 'binary' | 'sparse' | 'scalar';

function familyOf(f: FieldSchema): Family {
  if (denseVectorTypes.has(f.type)) return 'dense';
  if (f.type === DataType.BinaryVector) return 'binary';
  if (f.type === DataType.SparseFloatVector) return 'sparse';
  return 'scalar';
}

/** The index types a field accepts, in the order error messages list them. */
export function allowedIndexTypes(f: FieldSchema): string[] {
  const family = familyOf(f);
  if (family === 'dense') return [...denseTypes];
  if (family === 'binary') return [...binaryTypes];
  if (family === 'sparse') return [...sparseTypes];
  const t = f.type;
  const elem = f.elementType;
  const out: string[] = [];
  if (t === DataType.Bool || numericTypes.has(t) || t === DataType.VarChar || t === DataType.Array || t === DataType.JSON) out.push('INVERTED');
  // Milvus refuses BITMAP on a primary key, on floating-point numbers and on JSON.
  const bitmapElem = (d: DataType | undefined) => d === DataType.Bool || (d !== undefined && integerTypes.has(d)) || d === DataType.VarChar;
  if (!f.isPrimary && (bitmapElem(t) || (t === DataType.Array && bitmapElem(elem)))) out.push('BITMAP');
  if (numericTypes.has(t)) out.push('STL_SORT');
  if (t === DataType.VarChar) out.push('Trie');
  if (out.length > 0) out.push('AUTOINDEX');
  return out;
}

/** Milvus's default metric for a vector type when an index names none (2.5). */
export function defaultMetric(f: FieldSchema): string | undefined {
  const family = familyOf(f);
  return family === 'dense' ? 'COSINE' : family === 'binary' ? 'HAMMING' : family === 'sparse' ? 'IP' : undefined;
}

function metricsOf(f: FieldSchema): readonly string[] {
  const family = familyOf(f);
  return family === 'dense' ? denseMetrics : family === 'binary' ? binaryMetrics : family === 'sparse' ? sparseMetrics : [];
}

function fieldWhat(f: FieldSchema): string {
  const type = f.type === DataType.Array && f.elementType !== undefined ? `Array<${dataTypeName(f.elementType)}>` : dataTypeName(f.type);
  return `${f.isPrimary ? 'primary key ' : ''}${type} field`;
}

/**
 * Validates an index request for `field` and returns its spec: the canonical index type,
 * the metric (vectors only; Milvus's default when none is given), and every parameter as
 * a string, in the order index_type, metric_type, then as given.
 */
export function normalizeIndex(field: FieldSchema, input: IndexInput): IndexSpec {
  const raw = collectParams(field, input);
  const typeGiven = raw.get('index_type');
  raw.delete('index_type');
  const indexType = canonicalTypes.get((typeGiven ?? 'AUTOINDEX').toUpperCase()) ?? typeGiven ?? 'AUTOINDEX';
  const allowed = allowedIndexTypes(field);
  if (!allowed.includes(indexType)) {
    fail('INDEX_TYPE_INVALID', { type: indexType, what: fieldWhat(field), field: field.name, allowed: allowed.length > 0 ? allowed.join(', ') : '(none: this field cannot be indexed)' });
  }
  const bad: (detail: string) => never = (detail) => fail('INDEX_PARAM_INVALID', { type: indexType, field: field.name, detail });

  let metricType: string | undefined;
  const metricGiven = raw.get('metric_type');
  raw.delete('metric_type');
  if (familyOf(field) === 'scalar') {
    if (metricGiven !== undefined) bad(`a scalar index takes no metric_type (got ${JSON.stringify(metricGiven)})`);
  } else {
    metricType = (metricGiven ?? defaultMetric(field)!).toUpperCase();
    const metrics = metricsOf(field);
    if (!metrics.includes(metricType)) {
      fail('METRIC_TYPE_INVALID', { metric: metricGiven ?? metricType, what: `${indexType} on ${dataTypeName(field.type)} field "${field.name}"`, allowed: metrics.join(', ') });
    }
  }

  const rules: Record<string, Rule> = { ...buildRules[indexType] };
  const json = field.type === DataType.JSON;
  if (json) Object.assign(rules, jsonRules);
  if (indexType === 'IVF_PQ') rules['m'] = int(1, field.dim ?? 1);

  const params: Record<string, string> = { index_type: indexType };
  if (metricType !== undefined) params['metric_type'] = metricType;
  for (const [key, value] of raw) {
    const rule = rules[key] ?? indexPropertyRules[key];
    if (!rule) {
      const names = [...Object.keys(rules), ...Object.keys(indexPropertyRules)];
      const why = indexType === 'AUTOINDEX' && familyOf(field) !== 'scalar' ? 'AUTOINDEX chooses its own build parameters, so it takes only metric_type and ' : 'allowed: ';
      bad(`unknown parameter "${key}"; ${why}${names.join(', ')}`);
    }
    params[key] = checkValue(key, value, rule, bad);
  }

  if (indexType === 'IVF_PQ') {
    const m = params['m'];
    if (m === undefined) bad('parameter m is required: the number of sub-quantizers, which must divide the dimension');
    if (field.dim! % Number(m) !== 0) bad(`m must divide the dimension ${field.dim}, got ${m}`);
  }
  if (indexType === 'HNSW_SQ' && params['refine_type'] !== undefined) {
    if (params['refine'] !== 'true') bad('refine_type needs refine=true');
    const sq = params['sq_type'] ?? 'SQ8';
    if (sqPrecision[params['refine_type']]! <= sqPrecision[sq]!) bad(`refine_type ${params['refine_type']} must be more precise than sq_type ${sq}`);
  }
  if (json) {
    if (params['json_path'] === undefined || params['json_cast_type'] === undefined) {
      bad(`an index on a JSON field needs json_path (for example ${field.name}["key"]) and json_cast_type (one of ${jsonCastTypes.join(', ')})`);
    }
    const path = params['json_path']!;
    if (path !== field.name && !path.startsWith(`${field.name}[`)) bad(`json_path must start with the field name, as in ${field.name}["key"]; got ${JSON.stringify(path)}`);
  }
  return { indexType, ...(metricType !== undefined ? { metricType } : {}), params };
}

/** Checks one value against its rule and returns its canonical string form. */
function checkValue(key: string, value: string, rule: Rule, bad: (detail: string) => never): string {
  switch (rule.kind) {
    case 'int': {
      const n = /^[+-]?\d+$/.test(value.trim()) ? Number(value) : NaN;
      if (!Number.isSafeInteger(n) || n < rule.min || n > rule.max) bad(`${key} must be an integer in [${rule.min}, ${rule.max}], got ${JSON.stringify(value)}`);
      return String(n);
    }
    case 'float': {
      const n = value.trim() === '' ? NaN : Number(value);
      const lowOk = rule.minOpen ? n > rule.min : n >= rule.min;
      const highOk = rule.maxOpen ? n < rule.max : n <= rule.max;
      if (!Number.isFinite(n) || !lowOk || !highOk) {
        bad(`${key} must be a number in ${rule.minOpen ? '(' : '['}${rule.min}, ${rule.max}${rule.maxOpen ? ')' : ']'}, got ${JSON.stringify(value)}`);
      }
      return String(n);
    }
    case 'enum': {
      const v = value.toUpperCase();
      if (!rule.values.includes(v)) bad(`${key} must be one of ${rule.values.join(', ')}, got ${JSON.stringify(value)}`);
      return v;
    }
    case 'bool': {
      const v = value.toLowerCase();
      if (v !== 'true' && v !== 'false') bad(`${key} must be true or false, got ${JSON.stringify(value)}`);
      return v;
    }
    case 'string':
      if (value === '') bad(`${key} must be a non-empty string`);
      return value;
  }
}

/**
 * Flattens every place an SDK may put index parameters into one map. A key given twice
 * with different values is refused rather than silently resolved.
 */
function collectParams(field: FieldSchema, input: IndexInput): Map<string, string> {
  if (typeof input !== 'object' || input === null) fail('INVALID_ARGUMENT', { detail: 'the index request must be an object' });
  const out = new Map<string, string>();
  const bad: (detail: string) => never = (detail) => fail('INDEX_PARAM_INVALID', { type: String(input.index_type || 'requested'), field: field.name, detail });
  const put = (key: string, v: unknown): void => {
    if (v === undefined || v === null) return;
    // The SDKs send an empty index_type or metric_type to mean "not given".
    if ((key === 'index_type' || key === 'metric_type') && v === '') return;
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean' && typeof v !== 'bigint') bad(`parameter "${key}" must be a string, number or boolean`);
    if (typeof v === 'number' && !Number.isFinite(v)) bad(`parameter "${key}" must be finite, got ${v}`);
    const s = String(v);
    const prev = out.get(key);
    if (prev !== undefined && prev !== s) bad(`parameter "${key}" is given twice, as ${JSON.stringify(prev)} and ${JSON.stringify(s)}`);
    out.set(key, s);
  };
  const addAll = (src: unknown, where: string, depth: number): void => {
    if (src === undefined || src === null) return;
    if (depth > 2) bad(`${where} is nested too deeply`);
    let entries: Array<[string, unknown]>;
    if (typeof src === 'string') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(src);
      } catch {
        bad(`${where} must be an object or a JSON object string, got ${JSON.stringify(src)}`);
      }
      addAll(parsed, where, depth + 1);
      return;
    }
    if (Array.isArray(src)) {
      entries = src.map((kv) => {
        if (typeof kv !== 'object' || kv === null || typeof (kv as { key?: unknown }).key !== 'string') bad(`${where} as a list must hold { key, value } pairs`);
        return [(kv as { key: string }).key, (kv as { value?: unknown }).value];
      });
    } else if (typeof src === 'object') {
      entries = Object.entries(src);
    } else {
      bad(`${where} must be an object`);
    }
    for (const [k, v] of entries) {
      // { params: {...} } (pymilvus) and { params: '{"nlist":8}' } (the wire) nest the build parameters.
      if (k === 'params') addAll(v, `${where}.params`, depth + 1);
      else put(k, v);
    }
  };
  put('index_type', input.index_type);
  put('metric_type', input.metric_type);
  addAll(input.params, 'params', 0);
  addAll(input.extra_params, 'extra_params', 0);
  return out;
}

/** Two specs are the same index when their types, metrics and parameters agree. */
export function sameIndexSpec(a: IndexSpec, b: IndexSpec): boolean {
  if (a.indexType !== b.indexType || a.metricType !== b.metricType) return false;
  const ka = Object.keys(a.params);
  if (ka.length !== Object.keys(b.params).length) return false;
  return ka.every((k) => a.params[k] === b.params[k]);
}

/** Refuses a key that alterIndex or dropIndexProperties may not touch. */
export function requireIndexProperty(index: IndexMeta, key: string): void {
  if (key in indexPropertyRules) return;
  const build = key in (buildRules[index.indexType] ?? {}) || key in jsonRules || key === 'index_type' || key === 'metric_type';
  fail('INDEX_PROPERTY_NOT_ALTERABLE', {
    param: key,
    reason: build ? 'build parameters are fixed once an index exists; drop and re-create the index to change them' : 'it is not an index property',
    allowed: Object.keys(indexPropertyRules).join(', '),
  });
}

/** Checks an alterIndex property and returns its canonical value. */
export function normalizeIndexProperty(index: IndexMeta, key: string, value: unknown): string {
  requireIndexProperty(index, key);
  const bad: (detail: string) => never = (detail) => fail('INDEX_PARAM_INVALID', { type: index.indexType, field: index.fieldName, detail });
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') bad(`${key} must be a string, number or boolean`);
  return checkValue(key, String(value), indexPropertyRules[key]!, bad);
}

/**
 * The structure an index will have once indexes are built (the later index issue):
 * AUTOINDEX resolves as Milvus's defaults do. Recorded specs keep the name the user gave.
 */
export function effectiveIndexType(index: IndexMeta, field: FieldSchema): string {
  if (index.indexType !== 'AUTOINDEX') return index.indexType;
  const family = familyOf(field);
  return family === 'dense' ? 'HNSW' : family === 'binary' ? 'BIN_IVF_FLAT' : family === 'sparse' ? 'SPARSE_INVERTED_INDEX' : 'INVERTED';
}

/** A collection's indexes; collections stored before indexes existed have none. */
export function indexesOf(coll: CollectionMeta): readonly IndexMeta[] {
  return coll.indexes ?? [];
}
