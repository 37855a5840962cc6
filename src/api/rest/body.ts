// Reading fields of a request body. Every reader either returns a value of the promised
// type or throws a coded INVALID_ARGUMENT naming the field, so a handler never passes
// an unchecked value on. As in Milvus (Go's zero values), an empty string or a null
// counts as "not given" for optional fields.
import { fail } from '../../errors/index.js';

export type Body = Readonly<Record<string, unknown>>;

export function bad(detail: string): never {
  fail('INVALID_ARGUMENT', { detail });
}

function given(v: unknown): boolean {
  return v !== undefined && v !== null && v !== '';
}

export function requireString(b: Body, key: string, label = key): string {
  const v = b[key];
  if (typeof v !== 'string' || v === '') bad(`${label} is required and must be a non-empty string`);
  return v;
}

export function optionalString(b: Body, key: string, label = key): string | undefined {
  const v = b[key];
  if (!given(v)) return undefined;
  if (typeof v !== 'string') bad(`${label} must be a string, got ${typeName(v)}`);
  return v;
}

/** true/false, or their string forms (clients that build bodies from query strings send "true"). */
export function optionalBool(b: Body, key: string, label = key): boolean | undefined {
  const v = b[key];
  if (!given(v)) return undefined;
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 'false') return v === 'true';
  bad(`${label} must be true or false, got ${typeName(v)}`);
}

/** An integer within [min, max]; numeric strings are accepted, as Milvus accepts them in params. */
export function optionalInt(b: Body, key: string, min = 0, max = Number.MAX_SAFE_INTEGER, label = key): number | undefined {
  const v = b[key];
  if (!given(v)) return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) bad(`${label} must be an integer in [${min}, ${max}], got ${typeName(v)}`);
  return n;
}

/** A list of strings; a lone string counts as a list of one. */
export function optionalStringList(b: Body, key: string): string[] | undefined {
  const v = b[key];
  if (!given(v)) return undefined;
  if (typeof v === 'string') return [v];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) bad(`${key} must be an array of strings`);
  return v as string[];
}

export function requireStringList(b: Body, key: string): string[] {
  const v = optionalStringList(b, key);
  if (v === undefined || v.length === 0) bad(`${key} is required and must be a non-empty array of strings`);
  return v;
}

export function optionalObject(b: Body, key: string, label = key): Record<string, unknown> | undefined {
  const v = b[key];
  if (!given(v)) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) bad(`${label} must be an object, got ${typeName(v)}`);
  return v as Record<string, unknown>;
}

export function optionalArray(b: Body, key: string, label = key): unknown[] | undefined {
  const v = b[key];
  if (!given(v)) return undefined;
  if (!Array.isArray(v)) bad(`${label} must be an array, got ${typeName(v)}`);
  return v;
}

/** A property map (collection, database or index properties): values are sent on as given. */
export function optionalProperties(b: Body, key: string): Record<string, string | number | boolean> | undefined {
  const o = optionalObject(b, key);
  if (o === undefined) return undefined;
  const out: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(o)) {
    if (typeof v === 'bigint') out[k] = v.toString();
    else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = v;
    else bad(`${key}.${k} must be a string, number or boolean, got ${typeName(v)}`);
  }
  return out;
}

export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}
