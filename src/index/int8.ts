// Int8Vector columns as the native addon takes them. The addon's kernels and usearch's
// graph are driven with float32 vectors here (native/ has no int8 element type), so an
// int8 column is widened to float32 before an exact scan, a range scan or a build. A
// float32 holds every int8 exactly, and every sum of products of them below 2^24
// (L2 on up to 258 dimensions, IP on up to 1024), so scores equal Milvus's, which
// computes int8 distances on the integers; past that, sums round as float32 sums do.
//
// The widened copy is cached per column buffer, prefix by prefix: a sealed segment's
// column never changes, and a growing segment's rows are appended past the ones already
// written, never rewritten, so the converted prefix stays valid while the buffer lives
// (a growing column that outgrows its buffer moves to a new one, with a new cache entry;
// the old entry goes with the old buffer). Costs 4 bytes per value while the segment is
// searched; the stored column stays 1 byte per value.
import { DataType, type FieldSchema } from '../catalog/types.js';
import type { VectorData } from './native.js';

interface Widened {
  floats: Float32Array;
  /** Values converted so far, from the start of the buffer. */
  done: number;
}

const cache = new WeakMap<ArrayBufferLike, Widened>();

/** The first values.length values of an Int8Array as float32 (a view of the cached copy; do not write to it). */
export function int8AsFloats(values: Int8Array): Float32Array {
  const start = values.byteOffset;
  const end = start + values.length;
  let w = cache.get(values.buffer);
  if (!w || w.floats.length < values.buffer.byteLength) {
    w = { floats: new Float32Array(values.buffer.byteLength), done: 0 };
    cache.set(values.buffer, w);
  }
  if (w.done < end) {
    const all = new Int8Array(values.buffer, 0, values.buffer.byteLength);
    for (let i = w.done; i < end; i++) w.floats[i] = all[i]!;
    w.done = end;
  }
  return w.floats.subarray(start, end);
}

/**
 * A field's column values in the form the addon reads: int8 widened to float32, others as
 * stored. Searches use the cached copy; a build (`once`) takes a copy of its own that goes
 * when the build ends, so an indexed segment does not keep a float32 copy for its scans.
 */
export function nativeVectors(f: FieldSchema, values: VectorData | Int8Array, once = false): VectorData {
  if (f.type !== DataType.Int8Vector) return values as VectorData;
  return once ? Float32Array.from(values as Int8Array) : int8AsFloats(values as Int8Array);
}
