// What the verifier writes: every row is a pure function of its primary key and a
// version number, the version being unique to the write that carried it. A read can
// therefore say exactly which write it is looking at (the Double field `d` holds the
// version) and whether the rest of the row belongs to that same write.
//
// Every value is exact in the type that stores it (floats are multiples of 1/8 or
// 1/256, binary vectors are bytes), so a value read back compares equal, and vector
// distances can be recomputed.

/** A row as the official client sends and returns it. */
export type Row = Record<string, unknown>;

/** A key's state in the model: the version of the write that made it, or null for absent. */
export type State = number | null;

export interface Schema {
  /** Dimension of the vector field `vec`. */
  readonly dim: number;
  /** A second vector field `vec2` (dimension 8) for hybrid search. */
  readonly hybrid: boolean;
  /** `vec` is a BinaryVector of `dim` bits (a multiple of 8), sent as dim / 8 bytes; else a FloatVector. */
  readonly binary?: boolean;
}

export const int32Mod = 2_147_483_647;
export const vec2Dim = 8;

/** The row that write `version` stores under `key`. */
export function rowOf(schema: Schema, key: number, version: number): Row {
  const row: Row = {
    id: key,
    i32: (version * 7 + key) % int32Mod,
    f: (version % 1000) / 8,
    d: version,
    s: `k${key}v${version}`,
    b: (version + key) % 2 === 0,
    tag: `t${version % 5}`,
    arr: [key % 1000, version % 1000],
    js: { k: key, v: version, t: `t${version % 3}` },
    vec: vecOf(schema, key, version),
  };
  if (schema.hybrid) row.vec2 = vectorOf(key + 0.5, version, vec2Dim);
  return row;
}

/** Scalar fields a read asks for to identify and check a row. */
export const scalarFields = ['d', 'i32', 'f', 's', 'b', 'tag', 'arr', 'js'] as const;

/**
 * The version a returned row carries, and whether its other fields agree with it.
 * `problem` names the first field that does not (a torn or corrupted row).
 */
export function decodeRow(schema: Schema, row: Row): { key: number; version: number; problem?: string } {
  const key = Number(row.id);
  const version = Number(row.d);
  if (!Number.isSafeInteger(key)) return { key, version, problem: `id ${String(row.id)} is not an integer` };
  if (!Number.isSafeInteger(version)) return { key, version, problem: `d ${String(row.d)} is not a version` };
  const want = rowOf(schema, key, version);
  for (const f of scalarFields) {
    if (!(f in row)) continue;
    if (!sameValue(row[f], want[f])) return { key, version, problem: `${f} is ${JSON.stringify(row[f])}, version ${version} wrote ${JSON.stringify(want[f])}` };
  }
  for (const f of ['vec', 'vec2'] as const) {
    if (!(f in row) || row[f] === undefined) continue;
    if (!sameVector(row[f], want[f] as number[])) return { key, version, problem: `${f} differs from what version ${version} wrote` };
  }
  return { key, version };
}

function sameValue(got: unknown, want: unknown): boolean {
  if (typeof want === 'number') return Number(got) === want;
  if (Array.isArray(want)) return Array.isArray(got) && got.length === want.length && got.every((x, i) => Number(x) === want[i]);
  if (typeof want === 'object' && want !== null) {
    const g = typeof got === 'string' ? safeParse(got) : got;
    if (typeof g !== 'object' || g === null) return false;
    const w = want as Record<string, unknown>;
    const gg = g as Record<string, unknown>;
    return Object.keys(w).length === Object.keys(gg).length && Object.keys(w).every((k) => gg[k] === w[k]);
  }
  return got === want;
}

function sameVector(got: unknown, want: readonly number[]): boolean {
  return Array.isArray(got) && got.length === want.length && got.every((x, i) => Number(x) === want[i]);
}

function safeParse(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

/** A deterministic vector for (key, version): components are multiples of 1/256 in [-1, 1]. */
export function vectorOf(key: number, version: number, dim: number): number[] {
  const next = unitStream(key, version);
  const out = new Array<number>(dim);
  for (let i = 0; i < dim; i++) out[i] = Math.round((next() * 2 - 1) * 256) / 256;
  return out;
}

/** A deterministic binary vector of `dim` bits for (key, version), as dim / 8 bytes. */
export function bitsOf(key: number, version: number, dim: number): number[] {
  const next = unitStream(key, version);
  const out = new Array<number>(dim >> 3);
  for (let i = 0; i < out.length; i++) out[i] = Math.floor(next() * 256);
  return out;
}

/** The `vec` field that write `version` stores under `key`. */
export function vecOf(schema: Schema, key: number, version: number): number[] {
  return schema.binary ? bitsOf(key, version, schema.dim) : vectorOf(key, version, schema.dim);
}

/** Uniform numbers in [0, 1), a pure function of (key, version) (mulberry32 over a mixed seed). */
function unitStream(key: number, version: number): () => number {
  let s = (Math.imul(Math.floor(key * 2) ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(version, 0xc2b2ae35)) >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Squared L2 distance, as Milvus reports it for metric L2. */
export function l2(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    s += d * d;
  }
  return s;
}

/** Bits that differ between two binary vectors given as bytes: Milvus's HAMMING distance. */
export function hamming(a: readonly number[], b: readonly number[]): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    let x = (a[i]! ^ b[i]!) & 0xff;
    while (x !== 0) {
      x &= x - 1;
      n++;
    }
  }
  return n;
}

/** The metric searches of `vec` use: L2 for floats, HAMMING for bits (smaller is nearer for both). */
export function metricOf(schema: Schema): 'L2' | 'HAMMING' {
  return schema.binary ? 'HAMMING' : 'L2';
}

/** The distance between a query and the `vec` of (key, version), in the schema's metric. */
export function distanceTo(schema: Schema, query: readonly number[], key: number, version: number): number {
  const v = vecOf(schema, key, version);
  return schema.binary ? hamming(query, v) : l2(query, v);
}

/** Whether a reported distance matches the exact one, allowing for float32 arithmetic. */
export function distanceMatches(reported: number, exact: number): boolean {
  return Math.abs(reported - exact) <= 1e-3 * Math.max(1, Math.abs(exact));
}

/** A filter the verifier can both send and evaluate on (key, version). */
export interface Filter {
  readonly name: string;
  /** The filter expression ('' for none). */
  readonly expr: string;
  matches(key: number, version: number): boolean;
}

/** The filters counts and searches use; index 0 is "no filter". Covers Bool, Float, JSON, Array, VarChar. */
const filterList: Filter[] = [
  { name: 'all', expr: '', matches: () => true },
  { name: 'bool', expr: 'b == true', matches: (k, v) => (v + k) % 2 === 0 },
  { name: 'float', expr: 'f < 62.5', matches: (_k, v) => v % 1000 < 500 },
  { name: 'json', expr: 'js["t"] == "t1"', matches: (_k, v) => v % 3 === 1 },
  { name: 'array', expr: 'array_contains(arr, 7)', matches: (k, v) => k % 1000 === 7 || v % 1000 === 7 },
  { name: 'varchar-in', expr: 'tag in ["t0", "t3"]', matches: (_k, v) => v % 5 === 0 || v % 5 === 3 },
  { name: 'like', expr: 's like "k1%"', matches: (k) => String(k).startsWith('1') },
  { name: 'int32', expr: 'i32 >= 1000000', matches: (k, v) => (v * 7 + k) % int32Mod >= 1_000_000 },
];
export const filters: readonly Filter[] = Object.freeze(filterList.map((f) => Object.freeze(f)));

/** `expr` restricted to keys in [from, to). */
export function inRange(expr: string, from: number, to: number): string {
  const range = `id >= ${from} and id < ${to}`;
  return expr === '' ? range : `(${expr}) and ${range}`;
}
