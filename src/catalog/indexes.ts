// Index specifications: which index types and metrics each field type accepts, and the
// build parameters of each, with the names and ranges Milvus documents (2.5). An index
// request in any of the SDK's shapes becomes one flat, validated map of strings, which
// is what the catalog stores and what describeIndex returns.
//
// As in Milvus 2.6, parameters that Milvus ignores are accepted and kept as given, not
// refused: a scalar index takes any parameter (indexparamcheck's scalar checkers check
// none; a scalar index never reads metric_type), and FLAT / BIN_FLAT take nlist (knowhere
// ignores the keys an index does not use). A JSON field's index needs json_cast_type
// (indexparamcheck/inverted_checker.go); its json_path is resolved by the engine, which
// can read filter paths (gateway/indexes.ts), and recorded as jsonPath.
//
// Nothing here builds an index: vector indexes are built per segment by the engine,
// scalar ones by the filter executor (query/exec/scalar-index.ts).
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
  /** A JSON field's index: json_cast_type upper-cased. */
  readonly jsonCastType?: string;
}

type Rule =
  | { readonly kind: 'int'; readonly min: number; readonly max: number }
  | { readonly kind: 'float'; readonly min: number; readonly max: number; readonly minOpen?: boolean; readonly maxOpen?: boolean }
  | { readonly kind: 'enum'; readonly values: readonly string[] }
  | { readonly kind: 'bool' }
  | { readonly kind: 'string' }
  /** Accepted and kept as given; nothing reads it (Milvus ignores it too). */
  | { readonly kind: 'ignored' };

const int = (min: number, max: number): Rule => ({ kind: 'int', min, max });
const int32Max = 2147483647;

export const denseMetrics: readonly string[] = ['L2', 'IP', 'COSINE'];
export const binaryMetrics: readonly string[] = ['HAMMING', 'JACCARD'];
/** BM25 needs a BM25 function on the collection, which Elanus does not have yet. */
export const sparseMetrics: readonly string[] = ['IP'];

const denseTypes: readonly string[] = ['FLAT', 'IVF_FLAT', 'IVF_SQ8', 'IVF_PQ', 'HNSW', 'HNSW_SQ', 'DISKANN', 'AUTOINDEX'];
const binaryTypes: readonly string[] = ['BIN_FLAT', 'BIN_IVF_FLAT', 'AUTOINDEX'];
/**
 * Int8Vector: Milvus 2.6 builds only the HNSW family on it (knowhere's index table has
 * no FLAT, IVF or DISKANN for int8; HNSW_PQ and HNSW_PRQ, which it also allows, Elanus
 * does not have on any type). AUTOINDEX is HNSW. Metrics: L2, IP, COSINE.
 */
const int8Types: readonly string[] = ['HNSW', 'HNSW_SQ', 'AUTOINDEX'];
const sparseTypes: readonly string[] = ['SPARSE_INVERTED_INDEX', 'SPARSE_WAND', 'AUTOINDEX'];
/**
 * A struct's FloatVector sub-field (an embedding list, type ArrayOfVector here): Milvus
 * 2.6 indexes it with AUTOINDEX or HNSW and a MAX_SIM metric. Elanus records the index
 * and serves its searches exactly (query/emb-list.ts).
 */
const embListTypes: readonly string[] = ['HNSW', 'AUTOINDEX'];
export const embListIndexMetrics: readonly string[] = ['MAX_SIM_COSINE', 'MAX_SIM_IP', 'MAX_SIM_L2'];

const sqTypes = ['SQ6', 'SQ8', 'FP16', 'BF16'];
/** Precision order for HNSW_SQ: the refine type must be more precise than sq_type. */
const sqPrecision: Readonly<Record<string, number>> = { SQ6: 1, SQ8: 2, FP16: 3, BF16: 3, FP32: 4 };
/** Milvus 2.6's cast types for a JSON path index (indexparamcheck/inverted_checker.go validJSONCastTypes). */
export const jsonCastTypes: readonly string[] = ['BOOL', 'DOUBLE', 'VARCHAR', 'ARRAY_BOOL', 'ARRAY_DOUBLE', 'ARRAY_VARCHAR', 'JSON'];

const nlist = int(1, 65536);
const ignored: Rule = { kind: 'ignored' };
const hnswRules = { M: int(2, 2048), efConstruction: int(1, int32Max) };
const sparseRules = {
  drop_ratio_build: { kind: 'float', min: 0, max: 1, maxOpen: true } as Rule,
  inverted_index_algo: { kind: 'enum', values: ['TAAT_NAIVE', 'DAAT_WAND', 'DAAT_MAXSCORE'] } as Rule,
};

/** Build parameters of each index type (properties such as mmap.enabled are separate). */
const buildRules: Readonly<Record<string, Readonly<Record<string, Rule>>>> = {
  // An exact scan has no build parameters; nlist, which Milvus's own tests pass to FLAT
  // and BIN_FLAT, is ignored there as knowhere ignores it.
  FLAT: { nlist: ignored },
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
  BIN_FLAT: { nlist: ignored },
  BIN_IVF_FLAT: { nlist },
  SPARSE_INVERTED_INDEX: sparseRules,
  SPARSE_WAND: sparseRules,
  INVERTED: {},
  BITMAP: {},
  STL_SORT: {},
  Trie: {},
  // Milvus's RTREE on a Geometry field takes no parameters.
  RTREE: {},
};

/**
 * A JSON field's index parameters, kept as given (describeIndex reports the user's own,
 * as Milvus does): json_cast_type is checked upper-cased below and recorded as the spec's
 * jsonCastType; json_path is resolved by the engine.
 */
const jsonRules: Readonly<Record<string, Rule>> = {
  json_path: { kind: 'string' },
  json_cast_type: ignored,
};

/** Milvus's text for a JSON index without json_cast_type (merr's missing-parameter form, wrapped as checkTrain wraps it). */
const castMissing = 'json index must specify cast type: missing parameter[missing_param=json_cast_type]: invalid parameter[expected=valid index params][actual=invalid index params]';

/** Properties any index may carry; the only keys alterIndex may change. */
export const indexPropertyRules: Readonly<Record<string, Rule>> = {
  'mmap.enabled': { kind: 'bool' },
};

/** Index type names as Milvus spells them, looked up case-insensitively. */
const canonicalTypes = new Map(Object.keys(buildRules).map((t) => [t.toUpperCase(), t]));

const integerTypes = new Set([DataType.Int8, DataType.Int16, DataType.Int32, DataType.Int64]);
const numericTypes = new Set([...integerTypes, DataType.Float, DataType.Double]);
const denseVectorTypes = new Set([DataType.FloatVector, DataType.Float16Vector, DataType.BFloat16Vector]);

type Family = 'dense' | 'int8' | 'binary' | 'sparse' | 'emblist' | 'scalar';

function familyOf(f: FieldSchema): Family {
  if (f.type === DataType.ArrayOfVector) return 'emblist';
  if (denseVectorTypes.has(f.type)) return 'dense';
  if (f.type === DataType.Int8Vector) return 'int8';
  if (f.type === DataType.BinaryVector) return 'binary';
  if (f.type === DataType.SparseFloatVector) return 'sparse';
  return 'scalar';
}

/** The index types a field accepts, in the order error messages list them. */
export function allowedIndexTypes(f: FieldSchema): string[] {
  const family = familyOf(f);
  if (family === 'dense') return [...denseTypes];
  if (family === 'int8') return [...int8Types];
  if (family === 'binary') return [...binaryTypes];
  if (family === 'sparse') return [...sparseTypes];
  if (family === 'emblist') return [...embListTypes];
  // Milvus 2.6: "the scalar fields in the Array of Structs field do not support indexes".
  if (f.type === DataType.ArrayOfStruct) return [];
  const t = f.type;
  const elem = f.elementType;
  const out: string[] = [];
  if (t === DataType.Bool || numericTypes.has(t) || t === DataType.VarChar || t === DataType.Array || t === DataType.JSON) out.push('INVERTED');
  // Milvus refuses BITMAP on a primary key, on floating-point numbers and on JSON.
  const bitmapElem = (d: DataType | undefined) => d === DataType.Bool || (d !== undefined && integerTypes.has(d)) || d === DataType.VarChar;
  if (!f.isPrimary && (bitmapElem(t) || (t === DataType.Array && bitmapElem(elem)))) out.push('BITMAP');
  // Milvus sorts Timestamptz (STL_SORT) but refuses INVERTED and BITMAP on it.
  if (numericTypes.has(t) || t === DataType.Timestamptz) out.push('STL_SORT');
  if (t === DataType.VarChar) out.push('Trie');
  if (out.length > 0) out.push('AUTOINDEX');
  // A Geometry field takes only the spatial index (Milvus names no AUTOINDEX choice for it).
  if (t === DataType.Geometry) out.push('RTREE');
  return out;
}

/** Milvus's default metric for a vector type when an index names none (2.5). */
export function defaultMetric(f: FieldSchema): string | undefined {
  const family = familyOf(f);
  if (family === 'emblist') return 'MAX_SIM_COSINE';
  return family === 'dense' || family === 'int8' ? 'COSINE' : family === 'binary' ? 'HAMMING' : family === 'sparse' ? 'IP' : undefined;
}

function metricsOf(f: FieldSchema): readonly string[] {
  const family = familyOf(f);
  if (family === 'emblist') return embListIndexMetrics;
  return family === 'dense' || family === 'int8' ? denseMetrics : family === 'binary' ? binaryMetrics : family === 'sparse' ? sparseMetrics : [];
}

function fieldWhat(f: FieldSchema, key: string | undefined): string {
  if (key !== undefined) return 'dynamic field ($meta) key';
  if (f.type === DataType.ArrayOfVector) return 'embedding list (a struct\'s FloatVector sub-field)';
  if (f.type === DataType.ArrayOfStruct) return 'Array of Structs sub-field';
  const type = f.type === DataType.Array && f.elementType !== undefined ? `Array<${dataTypeName(f.elementType)}>` : dataTypeName(f.type);
  return `${f.isPrimary ? 'primary key ' : ''}${type} field`;
}

/**
 * Validates an index request for `field` and returns its spec: the canonical index type,
 * the metric (vectors only; Milvus's default when none is given), and every parameter as
 * a string, in the order index_type, metric_type, then as given. `key` is the name the
 * request gave when it names a key of the dynamic field (`field` is then the dynamic
 * field), for messages.
 */
export function normalizeIndex(field: FieldSchema, input: IndexInput, key?: string): IndexSpec {
  const shown = key ?? field.name;
  const raw = collectParams(shown, input);
  const typeGiven = raw.get('index_type');
  raw.delete('index_type');
  const indexType = canonicalTypes.get((typeGiven ?? 'AUTOINDEX').toUpperCase()) ?? typeGiven ?? 'AUTOINDEX';
  const allowed = allowedIndexTypes(field);
  if (!allowed.includes(indexType)) {
    fail('INDEX_TYPE_INVALID', { type: indexType, what: fieldWhat(field, key), field: shown, allowed: allowed.length > 0 ? allowed.join(', ') : '(none: this field cannot be indexed)' });
  }
  const bad: (detail: string) => never = (detail) => fail('INDEX_PARAM_INVALID', { type: indexType, field: shown, detail });
  const scalar = familyOf(field) === 'scalar';

  let metricType: string | undefined;
  const metricGiven = raw.get('metric_type');
  raw.delete('metric_type');
  const params: Record<string, string> = { index_type: indexType };
  if (scalar) {
    // No scalar index reads a metric (Milvus's scalar AUTOINDEX never looks at it): kept as given, unused.
    if (metricGiven !== undefined) params['metric_type'] = metricGiven;
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

  if (metricType !== undefined) params['metric_type'] = metricType;
  for (const [name, value] of raw) {
    const rule = rules[name] ?? indexPropertyRules[name];
    if (!rule) {
      // Milvus's scalar checkers check no parameters: an unknown one is kept as given and means nothing.
      if (scalar) {
        params[name] = value;
        continue;
      }
      const names = [...Object.entries(rules).filter(([, r]) => r.kind !== 'ignored').map(([k]) => k), ...Object.keys(indexPropertyRules)];
      const why = indexType === 'AUTOINDEX' ? 'AUTOINDEX chooses its own build parameters, so it takes only metric_type and ' : 'allowed: ';
      bad(`unknown parameter "${name}"; ${why}${names.join(', ')}`);
    }
    params[name] = checkValue(name, value, rule, bad);
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
  let jsonCastType: string | undefined;
  if (json) {
    const cast = params['json_cast_type'];
    if (cast === undefined) bad(`${castMissing} (one of ${jsonCastTypes.join(', ')})`);
    jsonCastType = cast.trim().toUpperCase();
    if (!jsonCastTypes.includes(jsonCastType)) {
      bad(`json_cast_type ${jsonCastType} is not supported: invalid parameter[expected=valid index params][actual=invalid index params]; supported: ${jsonCastTypes.join(', ')}`);
    }
  }
  return { indexType, ...(metricType !== undefined ? { metricType } : {}), params, ...(jsonCastType !== undefined ? { jsonCastType } : {}) };
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
    case 'ignored':
      return value;
  }
}

/**
 * Flattens every place an SDK may put index parameters into one map. A key given twice
 * with different values is refused rather than silently resolved.
 */
function collectParams(fieldName: string, input: IndexInput): Map<string, string> {
  if (typeof input !== 'object' || input === null) fail('INVALID_ARGUMENT', { detail: 'the index request must be an object' });
  const out = new Map<string, string>();
  const bad: (detail: string) => never = (detail) => fail('INDEX_PARAM_INVALID', { type: String(input.index_type || 'requested'), field: fieldName, detail });
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

/**
 * Whether a recorded index on `field` and a requested spec for it are the same index:
 * their types, metrics and parameters agree. On a JSON field the cast types compare
 * upper-cased and the json_path texts not at all: the caller compares the resolved paths.
 */
export function sameIndexSpec(index: IndexMeta, spec: IndexSpec, field: FieldSchema): boolean {
  if (index.indexType !== spec.indexType || index.metricType !== spec.metricType) return false;
  const json = field.type === DataType.JSON;
  if (json && jsonIndexTarget(index, field)?.castType !== spec.jsonCastType) return false;
  const keys = (p: Readonly<Record<string, string>>) => Object.keys(p).filter((k) => !json || (k !== 'json_path' && k !== 'json_cast_type'));
  const ka = keys(index.params);
  if (ka.length !== keys(spec.params).length) return false;
  return ka.every((k) => index.params[k] === spec.params[k]);
}

/** What a JSON field's index covers: its cast type, and its path inside the field (undefined: a recorded path this version cannot read). */
export interface JsonIndexTarget {
  readonly castType: string;
  readonly path: readonly (string | number)[] | undefined;
}

/**
 * The cast type and path of an index on a JSON field (undefined for other fields). An
 * index recorded before several indexes per JSON field existed has no jsonPath: its
 * json_path was then required to read `field["key"][0]`, and is read that way.
 */
export function jsonIndexTarget(index: IndexMeta, field: FieldSchema): JsonIndexTarget | undefined {
  if (field.type !== DataType.JSON || index.fieldId !== field.fieldId) return undefined;
  if (index.jsonPath !== undefined && index.jsonCastType !== undefined) return { castType: index.jsonCastType, path: index.jsonPath };
  const cast = index.params['json_cast_type'];
  if (cast === undefined) return undefined;
  const text = index.params['json_path'];
  return { castType: cast.trim().toUpperCase(), path: text === undefined ? [] : legacyJsonPath(field.name, text) };
}

/** `info["a"][0]` → ['a', 0] when it starts with the field's name, as the executor read json_path before jsonPath was recorded. */
function legacyJsonPath(fieldName: string, text: string): (string | number)[] | undefined {
  if (!text.startsWith(fieldName)) return undefined;
  const out: (string | number)[] = [];
  const re = /^\s*\[\s*("(?:[^"\\]|\\.)*"|\d+)\s*\]/;
  let rest = text.slice(fieldName.length);
  while (rest.trim() !== '') {
    const m = re.exec(rest);
    if (m === null) return undefined;
    try {
      out.push(m[1]!.startsWith('"') ? (JSON.parse(m[1]!) as string) : Number(m[1]));
    } catch { return undefined; }
    rest = rest.slice(m[0].length);
  }
  return out;
}

/**
 * A path as Milvus's JSON pointer (typeutil/json_util.go ParseAndVerifyNestedPath): each
 * key with ~ and / escaped, after a /; the whole field is the empty string. Milvus compares
 * JSON indexes' paths, and names unnamed ones (field name + pointer), by it.
 */
export function jsonPointer(path: readonly (string | number)[]): string {
  return path.map((k) => `/${String(k).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
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
  // Milvus's scalar AUTOINDEX builds STL_SORT on Timestamptz (its scalarAutoIndex "timestamptz" entry).
  if (field.type === DataType.Timestamptz) return 'STL_SORT';
  const family = familyOf(field);
  return family === 'dense' || family === 'int8' ? 'HNSW' : family === 'binary' ? 'BIN_IVF_FLAT' : family === 'sparse' ? 'SPARSE_INVERTED_INDEX' : 'INVERTED';
}

/** A collection's indexes; collections stored before indexes existed have none. */
export function indexesOf(coll: CollectionMeta): readonly IndexMeta[] {
  return coll.indexes ?? [];
}
