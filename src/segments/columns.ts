// Columnar data: one column per field, in the compact form each type allows (typed
// arrays for numbers and vectors, 2 bytes per value for Float16/BFloat16, 1 signed byte
// per value for Int8Vector). Growing segments append into ColumnBuilders; sealed
// segments and log records hold Columns.
import { bf16ToF32, f16ToF32 } from '../catalog/half-float.js';
import { assert } from '../errors/index.js';
import { DataType, type FieldSchema } from '../catalog/types.js';

export type TypedValues =
  | Uint8Array | Int8Array | Int16Array | Int32Array | BigInt64Array
  | Float32Array | Float64Array | Uint16Array;

export interface Column {
  readonly fieldId: number;
  /** Typed array for fixed-size types (vectors: `width` values per row), else one JS value per row. */
  readonly values: TypedValues | readonly unknown[];
  /** For nullable fields: 1 = has a value, 0 = null. */
  readonly valid?: Uint8Array;
}

/** Values per row in the typed array (vectors), or 1. */
export function widthOf(f: FieldSchema): number {
  switch (f.type) {
    case DataType.FloatVector:
    case DataType.Float16Vector:
    case DataType.BFloat16Vector:
    case DataType.Int8Vector:
      return f.dim!;
    case DataType.BinaryVector:
      return f.dim! / 8;
    default:
      return 1;
  }
}

type TypedCtor = { new (n: number): TypedValues; BYTES_PER_ELEMENT: number };

export function typedCtorOf(t: DataType): TypedCtor | undefined {
  switch (t) {
    case DataType.Bool: return Uint8Array;
    case DataType.Int8: return Int8Array;
    case DataType.Int16: return Int16Array;
    case DataType.Int32: return Int32Array;
    case DataType.Int64:
    case DataType.Timestamptz: return BigInt64Array as unknown as TypedCtor;
    case DataType.Float: return Float32Array;
    case DataType.Double: return Float64Array;
    case DataType.FloatVector: return Float32Array;
    case DataType.BinaryVector: return Uint8Array;
    case DataType.Float16Vector:
    case DataType.BFloat16Vector: return Uint16Array;
    case DataType.Int8Vector: return Int8Array;
    default: return undefined;
  }
}

/** An appendable column with amortized doubling. Owned by one growing segment. */
export class ColumnBuilder {
  private typed: TypedValues | undefined;
  private readonly list: unknown[] | undefined;
  private valid: Uint8Array | undefined;
  private rows = 0;
  /** Estimated bytes of the JS values in `list`, kept as they are appended. */
  private listBytes = 0;
  readonly width: number;

  constructor(readonly field: FieldSchema, capacityRows = 64) {
    this.width = widthOf(field);
    const ctor = typedCtorOf(field.type);
    if (ctor) this.typed = new ctor(capacityRows * this.width);
    else this.list = [];
    if (field.nullable) this.valid = new Uint8Array(capacityRows);
  }

  get length(): number {
    return this.rows;
  }

  /** Appends rows [from, to) of `col`. */
  appendFrom(col: Column, from: number, to: number): void {
    const n = to - from;
    this.reserve(this.rows + n);
    if (this.typed) {
      const src = col.values as TypedValues;
      (this.typed as Uint8Array).set((src as Uint8Array).subarray(from * this.width, to * this.width), this.rows * this.width);
    } else {
      const src = col.values as readonly unknown[];
      for (let i = from; i < to; i++) {
        this.list!.push(src[i]);
        this.listBytes += estimateBytes(src[i]);
      }
    }
    if (this.valid) {
      if (col.valid) this.valid.set(col.valid.subarray(from, to), this.rows);
      else this.valid.fill(1, this.rows, this.rows + n);
    }
    this.rows += n;
  }

  private reserve(rows: number): void {
    if (this.typed && this.typed.length < rows * this.width) {
      let cap = Math.max(64, this.typed.length / this.width);
      while (cap < rows) cap *= 2;
      const next = new (this.typed.constructor as TypedCtor)(cap * this.width);
      (next as Uint8Array).set(this.typed as Uint8Array);
      this.typed = next;
    }
    if (this.valid && this.valid.length < rows) {
      let cap = Math.max(64, this.valid.length);
      while (cap < rows) cap *= 2;
      const next = new Uint8Array(cap);
      next.set(this.valid);
      this.valid = next;
    }
  }

  /** A read-only view of the first `rows` rows (valid until the next append reallocates). */
  view(rows = this.rows): Column {
    assert(rows <= this.rows, 'view past the end of a column');
    // The list is append-only, so handing it out whole is safe: rows a reader knows
    // about never change, and rows past its count are ones it does not look at.
    const values = this.typed ? (this.typed as Uint8Array).subarray(0, rows * this.width) as unknown as TypedValues
      : rows === this.rows ? this.list! : this.list!.slice(0, rows);
    return { fieldId: this.field.fieldId, values, valid: this.valid?.subarray(0, rows) };
  }

  /** The final column of a sealed segment: typed arrays copied to their exact size. */
  freeze(): Column {
    const v = this.view();
    return ArrayBuffer.isView(v.values)
      ? { fieldId: v.fieldId, values: (v.values as Uint8Array).slice() as unknown as TypedValues, valid: v.valid?.slice() }
      : { fieldId: v.fieldId, values: v.values, valid: v.valid?.slice() };
  }

  /** Bytes held, for memory accounting. Strings and JSON are estimated. */
  bytes(): number {
    return (this.typed ? this.typed.byteLength : 0) + this.listBytes + (this.valid ? this.valid.length : 0);
  }
}

export function estimateBytes(v: unknown): number {
  if (v === null || v === undefined) return 8;
  if (typeof v === 'string') return 16 + v.length * 2;
  if (typeof v === 'number' || typeof v === 'boolean') return 8;
  return 16 + JSON.stringify(v).length * 2;
}

/**
 * Reads row `i` of a column as a plain JS value (Int64 as number when safe, else string;
 * Timestamptz as its microseconds the same way: reads render it as text, engine/reads.ts).
 */
export function valueAt(f: FieldSchema, col: Column, i: number): unknown {
  if (col.valid && col.valid[i] === 0) return null;
  const w = widthOf(f);
  const v = col.values;
  switch (f.type) {
    case DataType.Bool: return (v as Uint8Array)[i] === 1;
    case DataType.Int64:
    case DataType.Timestamptz: return int64Out((v as BigInt64Array)[i]!);
    case DataType.Float: return (v as Float32Array)[i];
    case DataType.FloatVector: return Array.from((v as Float32Array).subarray(i * w, (i + 1) * w));
    case DataType.BinaryVector: return Array.from((v as Uint8Array).subarray(i * w, (i + 1) * w));
    case DataType.Int8Vector: return Array.from((v as Int8Array).subarray(i * w, (i + 1) * w));
    case DataType.Float16Vector:
    case DataType.BFloat16Vector: return Array.from((v as Uint16Array).subarray(i * w, (i + 1) * w), f.type === DataType.Float16Vector ? f16ToF32 : bf16ToF32);
    default:
      return typedCtorOf(f.type) ? (v as Int32Array)[i] : (v as readonly unknown[])[i];
  }
}

export function int64Out(b: bigint): number | string {
  return b >= -9007199254740991n && b <= 9007199254740991n ? Number(b) : b.toString();
}

/**
 * The column a field has in rows written before it existed (a field added to the
 * schema later): its default value where it has one, else null.
 */
export function defaultColumn(f: FieldSchema, n: number): Column {
  const ctor = typedCtorOf(f.type);
  const hasDefault = f.defaultValue !== undefined && f.defaultValue !== null;
  let values: Column['values'];
  if (!ctor) values = new Array(n).fill(hasDefault ? f.defaultValue : null);
  else {
    const t = new ctor(n * widthOf(f));
    if (hasDefault) {
      const v = f.type === DataType.Int64 || f.type === DataType.Timestamptz ? BigInt(f.defaultValue as string) : f.type === DataType.Bool ? (f.defaultValue ? 1 : 0) : (f.defaultValue as number);
      (t as unknown as { fill(v: unknown): void }).fill(v);
    }
    values = t;
  }
  return { fieldId: f.fieldId, values, valid: f.nullable || !hasDefault ? new Uint8Array(n).fill(hasDefault ? 1 : 0) : undefined };
}
