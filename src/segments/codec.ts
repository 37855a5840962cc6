// The binary form of a set of columns, shared by log records and segment files:
//
//   u32 header length | header (JSON) | column blobs, each starting at a multiple of 8
//
// Typed columns are stored as raw little-endian arrays (vectors are the bulk of the
// bytes, and this keeps them at their in-memory size); strings, JSON, arrays and sparse
// vectors as JSON text. The whole thing is framed with a checksum by whoever stores it.
import { ElanusError } from '../errors/index.js';
import type { FieldSchema } from '../catalog/types.js';
import { type Column, type TypedValues, typedCtorOf } from './columns.js';

interface ColumnHeader {
  fieldId: number;
  /** 't' = typed array, 'j' = JSON text. */
  enc: 't' | 'j';
  bytes: number;
  validBytes: number;
}

interface Header {
  meta: Record<string, unknown>;
  count: number;
  cols: ColumnHeader[];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const pad8 = (n: number) => (n + 7) & ~7;

/** A column of row timestamps rides along under this reserved field id, as in Milvus. */
export const timestampFieldId = 1;

export interface EncodedColumns {
  meta: Record<string, unknown>;
  count: number;
  columns: Column[];
}

export function encodeColumns(meta: Record<string, unknown>, count: number, columns: readonly Column[]): Uint8Array {
  const blobs: Uint8Array[] = [];
  const cols: ColumnHeader[] = columns.map((c) => {
    let data: Uint8Array;
    let enc: 't' | 'j';
    if (ArrayBuffer.isView(c.values)) {
      enc = 't';
      const t = c.values as TypedValues;
      data = new Uint8Array(t.buffer, t.byteOffset, t.byteLength);
    } else {
      enc = 'j';
      data = encoder.encode(JSON.stringify(c.values));
    }
    blobs.push(data);
    if (c.valid) blobs.push(c.valid);
    return { fieldId: c.fieldId, enc, bytes: data.length, validBytes: c.valid ? c.valid.length : 0 };
  });
  const header = encoder.encode(JSON.stringify({ meta, count, cols } satisfies Header));
  let size = pad8(4 + header.length);
  for (const b of blobs) size += pad8(b.length);
  const out = new Uint8Array(size);
  new DataView(out.buffer).setUint32(0, header.length, true);
  out.set(header, 4);
  let o = pad8(4 + header.length);
  for (const b of blobs) {
    out.set(b, o);
    o += pad8(b.length);
  }
  return out;
}

/**
 * Decodes what encodeColumns wrote. `typeOf` maps a field id to its schema field (the
 * timestamp column is Int64). Typed arrays are copied into aligned buffers of their own,
 * so the input buffer can be released.
 */
export function decodeColumns(buf: Uint8Array, typeOf: (fieldId: number) => FieldSchema | undefined, where: string): EncodedColumns {
  try {
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const hlen = view.getUint32(0, true);
    const header = JSON.parse(decoder.decode(buf.subarray(4, 4 + hlen))) as Header;
    let o = pad8(4 + hlen);
    const columns: Column[] = [];
    for (const ch of header.cols) {
      const raw = buf.subarray(o, o + ch.bytes);
      o += pad8(ch.bytes);
      let values: Column['values'];
      if (ch.enc === 't') {
        const f = typeOf(ch.fieldId);
        const ctor = f ? typedCtorOf(f.type) : undefined;
        if (!ctor) throw new Error(`no typed column for field ${ch.fieldId}`);
        // A copy, aligned: `new Uint8Array(view)` copies whatever the input is, where a Node
        // Buffer's slice() is a view (records read from JetStream and S3 arrive as Buffers).
        const copy = new Uint8Array(raw);
        values = new (ctor as unknown as new (b: ArrayBuffer, o: number, n: number) => TypedValues)(copy.buffer, 0, copy.byteLength / ctor.BYTES_PER_ELEMENT);
      } else {
        values = JSON.parse(decoder.decode(raw)) as unknown[];
      }
      let valid: Uint8Array | undefined;
      if (ch.validBytes > 0) {
        valid = new Uint8Array(buf.subarray(o, o + ch.validBytes));
        o += pad8(ch.validBytes);
      }
      columns.push({ fieldId: ch.fieldId, values, valid });
    }
    return { meta: header.meta, count: header.count, columns };
  } catch (e) {
    if (e instanceof ElanusError) throw e;
    throw new ElanusError('CORRUPT_DATA', { path: where, offset: 0, detail: `cannot decode columns: ${(e as Error).message}` });
  }
}
