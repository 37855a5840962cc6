// Int64 values on the REST wire, as Milvus writes them. The request header
// `Accept-Type-Allow-Int64` says whether the client reads 64-bit integers from JSON
// numbers: "true" (and, as Milvus's default, a missing header) → JSON numbers with every
// digit; "false" → decimal strings, which JavaScript clients need for values past 2^53
// (the Node SDK's HttpClient sends "false" unless built with acceptInt64: true).
//
// The engine hands Int64 values out as numbers when they are safe and as strings when
// they are not; bigint marks "write these digits as a number" for json.ts.
import { type CollectionMeta, DataType, type FieldSchema } from '../../catalog/index.js';

export const int64Header = 'accept-type-allow-int64';

/** Go's strconv.ParseBool, as Milvus reads the header; anything else means the default. */
export function allowsInt64(header: unknown): boolean {
  if (typeof header !== 'string') return true;
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(header)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(header)) return false;
  return true;
}

/** One Int64 value as the client asked for it. */
export function int64Out(v: unknown, asNumbers: boolean): unknown {
  if (v === null || v === undefined) return v;
  if (!asNumbers) return typeof v === 'string' ? v : String(v);
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
  return v;
}

function valueOut(f: FieldSchema, v: unknown, asNumbers: boolean): unknown {
  if (f.type === DataType.Int64) return int64Out(v, asNumbers);
  if (f.type === DataType.Array && f.elementType === DataType.Int64 && Array.isArray(v)) return v.map((x) => int64Out(x, asNumbers));
  return v;
}

/** Result rows with their Int64 fields (and Array<Int64> elements) in the client's form. */
export function rowsOut(coll: CollectionMeta, rows: ReadonlyArray<Record<string, unknown>>, asNumbers: boolean): Array<Record<string, unknown>> {
  const int64Fields = coll.schema.fields.filter((f) => !f.isDynamic && (f.type === DataType.Int64 || (f.type === DataType.Array && f.elementType === DataType.Int64)));
  if (int64Fields.length === 0) return rows as Array<Record<string, unknown>>;
  return rows.map((r) => {
    const out = { ...r };
    for (const f of int64Fields) if (f.name in out) out[f.name] = valueOut(f, out[f.name], asNumbers);
    return out;
  });
}

/** Deep copy with every bigint turned into a number (for values that are not Int64). */
export function numbersOnly(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map(numbersOnly);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = numbersOnly(x);
    return out;
  }
  return v;
}

/**
 * Rows from a body that held integers past 2^53: Int64 fields keep them as bigint (the
 * engine stores them exactly), every other field and dynamic key gets plain numbers.
 */
export function rowsIn(coll: CollectionMeta, rows: unknown): unknown {
  if (!Array.isArray(rows)) return rows;
  const byName = new Map(coll.schema.fields.filter((f) => !f.isDynamic).map((f) => [f.name, f]));
  return rows.map((r) => {
    if (r === null || typeof r !== 'object' || Array.isArray(r)) return r;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(r as Record<string, unknown>)) {
      const f = byName.get(k);
      const keepsBigInt = f !== undefined && (f.type === DataType.Int64 || (f.type === DataType.Array && f.elementType === DataType.Int64));
      out[k] = keepsBigInt ? v : numbersOnly(v);
    }
    return out;
  });
}
