// One log record on disk: the storage framing (u32 length | u32 crc32 | body) around a
// body that starts with the record's own offset (u64, little-endian) followed by the
// caller's payload. Carrying the offset costs 8 bytes and buys two things: recovery
// checks that every record sits where its file name and position say it should, and a
// scan past a damaged record can tell a real later record from bytes that merely
// happen to checksum.
import { crc32 } from 'node:zlib';
import { recordHeaderBytes, recordPayloadBytesMax, scanRecord } from '../storage/index.js';

export const offsetBytes = 8;
/** The largest payload append() accepts: the framing's limit minus the offset. */
export const walPayloadBytesMax = recordPayloadBytesMax - offsetBytes;
/** Bytes a record takes on disk besides its payload. */
export const recordOverheadBytes = recordHeaderBytes + offsetBytes;

const twoTo32 = 2 ** 32;

/**
 * The framed record for `payload` at `offset`, built in one buffer. `head`, when given,
 * is written just before the payload and reads back as part of it (the LogStore
 * adapter's key header), so a caller adding a prefix costs no extra copy of a large
 * payload.
 */
export function encodeRecord(offset: number, payload: Uint8Array, head?: Uint8Array): Uint8Array {
  const headBytes = head?.length ?? 0;
  const bodyBytes = offsetBytes + headBytes + payload.length;
  const out = new Uint8Array(recordHeaderBytes + bodyBytes);
  const view = new DataView(out.buffer);
  view.setUint32(recordHeaderBytes, offset % twoTo32, true);
  view.setUint32(recordHeaderBytes + 4, Math.floor(offset / twoTo32), true);
  if (head) out.set(head, recordHeaderBytes + offsetBytes);
  out.set(payload, recordHeaderBytes + offsetBytes + headBytes);
  view.setUint32(0, bodyBytes, true);
  view.setUint32(4, crc32(out.subarray(recordHeaderBytes)), true);
  return out;
}

export type DecodeResult =
  | { kind: 'record'; payload: Uint8Array; next: number }
  | { kind: 'torn' }
  | { kind: 'corrupt'; detail: string };

/** Reads the record at byte `position` of `buf`, which must carry offset `expected`. */
export function decodeRecord(buf: Uint8Array, position: number, expected: number): DecodeResult {
  const r = scanRecord(buf, position);
  if (r.kind !== 'record') return r;
  if (r.payload.length < offsetBytes) return { kind: 'corrupt', detail: `record body of ${r.payload.length} bytes has no offset` };
  const found = readOffset(r.payload);
  if (found !== expected) return { kind: 'corrupt', detail: `record carries offset ${found}, expected ${expected}` };
  return { kind: 'record', payload: r.payload.subarray(offsetBytes), next: r.next };
}

function readOffset(body: Uint8Array): number {
  const view = new DataView(body.buffer, body.byteOffset, offsetBytes);
  return view.getUint32(0, true) + view.getUint32(4, true) * twoTo32;
}

/**
 * True when a whole, valid record for an offset in (after, after + span] starts
 * anywhere past byte `position`. Used at recovery to tell a damaged record in the middle
 * of the log (valid data follows) from a torn tail (nothing valid follows). The offset
 * is checked before the checksum, so the scan is cheap on garbage.
 */
export function validRecordFollows(buf: Uint8Array, position: number, after: number): boolean {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  // Each later record takes at least recordOverheadBytes, which bounds its offset.
  const span = Math.ceil((buf.length - position) / recordOverheadBytes) + 1;
  for (let p = position + 1; p + recordOverheadBytes <= buf.length; p++) {
    const lo = view.getUint32(p + recordHeaderBytes, true);
    const hi = view.getUint32(p + recordHeaderBytes + 4, true);
    const offset = lo + hi * twoTo32;
    if (offset <= after || offset > after + span) continue;
    if (decodeRecord(buf, p, offset).kind === 'record') return true;
  }
  return false;
}
