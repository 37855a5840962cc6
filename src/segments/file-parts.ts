// A set of rows in parts: what goes into a segment file or an L0 delete file, one frame
// per part. Each part is encodeColumns of a run of consecutive rows; the first part's
// header says where it starts and how many rows there are in all, so a reader can
// allocate each column once and copy the parts into it.
//
// Why parts: a frame holds at most recordPayloadBytesMax (256 MiB) and a reader must be
// able to refuse anything larger as damage. A compaction of ten 10,000-row segments of
// 768-d floats is ~309 MB: written as one frame, the next open refused it. Now the
// producer cuts parts of about partBytesTarget and checks each encoded part against the
// frame limit before it is written, halving a part that is still too large.
import { ElanusError } from '../errors/index.js';
import type { FieldSchema } from '../catalog/types.js';
import { type Column, type TypedValues, estimateBytes } from './columns.js';
import { decodeColumns, encodeColumns, type EncodedColumns } from './codec.js';

/** Parts are cut at about this many bytes (estimated from the columns before encoding). */
export const partBytesTarget = 64 * 1024 * 1024;

export interface PartLimits {
  /** Largest payload of one part: the framing limit of whoever stores the parts. */
  readonly payloadBytesMax: number;
  /** The size parts are cut at, by estimate (tests lower it). */
  readonly targetBytes?: number;
}

interface PartMeta {
  /** First row of this part. */
  from: number;
  /** Rows of the whole file. */
  rows: number;
}

/**
 * The payloads of rows [0, count) of `columns` in parts, produced lazily, each at most
 * `limits.payloadBytesMax`. `meta` goes into every part's header.
 */
export function* partPayloads(meta: Record<string, unknown>, count: number, columns: readonly Column[], limits: PartLimits): Generator<Uint8Array> {
  if (count === 0) {
    yield encodeColumns({ ...meta, part: { from: 0, rows: 0 } satisfies PartMeta }, 0, columns);
    return;
  }
  const perRow = Math.max(1, rowBytesEstimate(columns, count));
  const rowsPerPart = Math.max(1, Math.floor((limits.targetBytes ?? partBytesTarget) / perRow));
  for (let from = 0; from < count; from += rowsPerPart) {
    yield* encodeRun(meta, count, columns, from, Math.min(count, from + rowsPerPart), limits.payloadBytesMax);
  }
}

/** Encodes rows [from, to), halving the run while its encoding is over the limit. */
function* encodeRun(meta: Record<string, unknown>, rows: number, columns: readonly Column[], from: number, to: number, max: number): Generator<Uint8Array> {
  const payload = encodeColumns({ ...meta, part: { from, rows } satisfies PartMeta }, to - from, columns.map((c) => sliceColumn(c, rows, from, to)));
  if (payload.length <= max) {
    yield payload;
    return;
  }
  // One row fits whenever the limit is the log's: it passed through a log record, which
  // has the same encoding and frame limit.
  if (to - from === 1) throw new ElanusError('LIMIT_EXCEEDED', { what: 'row size', detail: `one row encodes to ${payload.length} bytes, over ${max}` });
  const mid = from + Math.floor((to - from) / 2);
  yield* encodeRun(meta, rows, columns, from, mid, max);
  yield* encodeRun(meta, rows, columns, mid, to, max);
}

/** Average encoded bytes of a row: exact for typed columns, estimated for strings and JSON. */
function rowBytesEstimate(columns: readonly Column[], count: number): number {
  let total = 0;
  for (const c of columns) {
    total += c.valid ? c.valid.length : 0;
    if (ArrayBuffer.isView(c.values)) total += (c.values as TypedValues).byteLength;
    else for (const v of c.values) total += estimateBytes(v);
  }
  return total / count;
}

function sliceColumn(c: Column, rows: number, from: number, to: number): Column {
  if (from === 0 && to === rows) return c;
  const valid = c.valid?.subarray(from, to);
  if (ArrayBuffer.isView(c.values)) {
    const t = c.values as TypedValues;
    const width = t.length / rows;
    return { fieldId: c.fieldId, values: t.subarray(from * width, to * width) as TypedValues, valid };
  }
  return { fieldId: c.fieldId, values: (c.values as readonly unknown[]).slice(from, to), valid };
}

/**
 * Puts decoded parts back together. Parts must arrive in order and cover every row once;
 * anything else is CORRUPT_DATA naming `where`.
 */
export class PartsReader {
  private meta: Record<string, unknown> | undefined;
  private rows = 0;
  private next = 0;
  private columns: Array<{ fieldId: number; values: TypedValues | unknown[]; valid: Uint8Array | undefined }> = [];
  private single: EncodedColumns | undefined;

  constructor(private readonly typeOf: (fieldId: number) => FieldSchema | undefined, private readonly where: string) {}

  add(payload: Uint8Array): void {
    const d = decodeColumns(payload, this.typeOf, this.where);
    const part = d.meta.part as PartMeta | undefined;
    if (part === undefined) {
      // A file written before files had parts: one frame with every row.
      if (this.next !== 0 || this.single) throw this.corrupt('a part without a part header');
      this.single = d;
      this.next = d.count;
      return;
    }
    if (part.from !== this.next) throw this.corrupt(`part starts at row ${part.from}, expected ${this.next}`);
    if (this.next === 0) this.start(d, part.rows);
    else if (part.rows !== this.rows || d.columns.length !== this.columns.length) throw this.corrupt('parts disagree on their rows or columns');
    for (let c = 0; c < d.columns.length; c++) this.copy(c, d.columns[c]!, d.count);
    this.next += d.count;
  }

  /** The whole set of rows; every row must have arrived. */
  finish(): EncodedColumns {
    if (this.single) return this.single;
    if (this.meta === undefined) throw this.corrupt('no parts');
    if (this.next !== this.rows) throw this.corrupt(`parts hold ${this.next} of ${this.rows} rows`);
    const meta = { ...this.meta };
    delete meta.part;
    return { meta, count: this.rows, columns: this.columns.map((c) => ({ fieldId: c.fieldId, values: c.values, valid: c.valid })) };
  }

  private start(d: EncodedColumns, rows: number): void {
    this.meta = d.meta;
    this.rows = rows;
    this.columns = d.columns.map((c) => {
      const valid = c.valid ? new Uint8Array(rows) : undefined;
      if (d.count === rows) return { fieldId: c.fieldId, values: c.values as TypedValues | unknown[], valid };
      if (ArrayBuffer.isView(c.values)) {
        const t = c.values as TypedValues;
        const width = d.count === 0 ? 0 : t.length / d.count;
        return { fieldId: c.fieldId, values: new (t.constructor as new (n: number) => TypedValues)(rows * width), valid };
      }
      return { fieldId: c.fieldId, values: new Array<unknown>(rows), valid };
    });
  }

  private copy(c: number, part: Column, n: number): void {
    const into = this.columns[c]!;
    if (into.fieldId !== part.fieldId || (into.valid === undefined) !== (part.valid === undefined)) throw this.corrupt('parts disagree on their columns');
    if (into.valid && part.valid) into.valid.set(part.valid, this.next);
    if (n === this.rows) {
      // A file of one part: the decoded column is the column.
      into.values = part.values as TypedValues | unknown[];
      return;
    }
    if (ArrayBuffer.isView(part.values)) {
      const t = part.values as TypedValues;
      const width = t.length / n;
      if (!ArrayBuffer.isView(into.values) || this.next * width + t.length > into.values.length) throw this.corrupt('a part is wider than the first, or of another kind');
      (into.values as Uint8Array).set(t as unknown as Uint8Array, this.next * width);
    } else {
      if (ArrayBuffer.isView(into.values)) throw this.corrupt('a part of another kind than the first');
      const list = into.values as unknown[];
      const src = part.values as readonly unknown[];
      for (let i = 0; i < n; i++) list[this.next + i] = src[i];
    }
  }

  private corrupt(detail: string): ElanusError {
    return new ElanusError('CORRUPT_DATA', { path: this.where, offset: 0, detail });
  }
}
