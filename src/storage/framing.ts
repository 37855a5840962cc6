// Checksummed records, shared by the log (wal/) and the metadata journal.
// Layout, little-endian: u32 payload length | u32 crc32 of the payload | payload.
import { crc32 } from 'node:zlib';

export const recordHeaderBytes = 8;
/** A record larger than this is corruption, not data: no writer produces one. */
export const recordPayloadBytesMax = 256 * 1024 * 1024;

export function frameRecord(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(recordHeaderBytes + payload.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, payload.length, true);
  view.setUint32(4, crc32(payload), true);
  out.set(payload, recordHeaderBytes);
  return out;
}

export type ScanResult =
  | { kind: 'record'; payload: Uint8Array; next: number }
  /** Not enough bytes for a whole record: the tail of a write that did not finish. */
  | { kind: 'torn' }
  /** A whole record whose checksum does not match, or an impossible length. */
  | { kind: 'corrupt'; detail: string };

/** Reads the record that starts at `offset` in `buf`. */
export function scanRecord(buf: Uint8Array, offset: number): ScanResult {
  if (offset + recordHeaderBytes > buf.length) return { kind: 'torn' };
  const view = new DataView(buf.buffer, buf.byteOffset + offset, recordHeaderBytes);
  const length = view.getUint32(0, true);
  const sum = view.getUint32(4, true);
  if (length > recordPayloadBytesMax) return { kind: 'corrupt', detail: `record length ${length} exceeds ${recordPayloadBytesMax}` };
  const end = offset + recordHeaderBytes + length;
  if (end > buf.length) return { kind: 'torn' };
  const payload = buf.subarray(offset + recordHeaderBytes, end);
  if (crc32(payload) !== sum) return { kind: 'corrupt', detail: 'checksum mismatch' };
  return { kind: 'record', payload, next: end };
}
