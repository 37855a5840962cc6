// Objects made of checksummed frames, one after another (segment and L0 delete files):
//
//   frame 0 | frame 1 | ... | frame n-1        each frame as framing.ts lays it out
//
// An object of one frame is what the engine wrote before files had parts, so old files
// read unchanged. Splitting an object into frames keeps every frame under the framing
// limit whatever the object's size, and lets a reader hold one frame at a time.
import { crc32 } from 'node:zlib';
import { frameRecord, recordHeaderBytes, recordPayloadBytesMax, scanRecord } from './framing.js';
import type { ObjectStore } from './object.js';
import { ElanusError, assert } from '../errors/index.js';

/**
 * The frames of `payloads`, one at a time, for ObjectStore.putParts: the object is
 * written frame by frame (atomic and durable as one put), so it is never whole in memory.
 */
export function* framedParts(payloads: Iterable<Uint8Array>): Generator<Uint8Array> {
  for (const payload of payloads) {
    // The producer splits before this limit; a frame past it would be refused by every
    // reader, so it is a programmer error, never written.
    assert(payload.length <= recordPayloadBytesMax, `a frame of ${payload.length} bytes exceeds ${recordPayloadBytesMax}`);
    yield frameRecord(payload);
  }
}

/** The frames of `payloads` as one buffer (framedParts, joined). */
export function framedObject(payloads: Iterable<Uint8Array>): Uint8Array {
  const frames = [...framedParts(payloads)];
  const out = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
  let at = 0;
  for (const f of frames) {
    out.set(f, at);
    at += f.length;
  }
  return out;
}

/**
 * Calls `each` with every frame's payload of object `key`, in order, reading one frame
 * at a time (ranged reads). The object must be whole: anything but complete, undamaged
 * frames up to its end is CORRUPT_DATA (an object appears only whole, so a torn one is
 * damage, not an interrupted write); so is a mismatch with the store's own checksum of
 * the object. A missing object is OBJECT_NOT_FOUND.
 */
export async function readObjectFrames(store: ObjectStore, key: string, each: (payload: Uint8Array, index: number) => void): Promise<number> {
  const head = await store.head(key);
  if (head === undefined) throw new ElanusError('OBJECT_NOT_FOUND', { key });
  let sum = 0;
  const frames = await scanFrames(key, head.size, (at, n) => store.getRange(key, at, n), (payload, index, frame) => {
    sum = crc32(frame, sum);
    each(payload, index);
  });
  if (sum !== head.crc32) throw corrupt(key, 0, 'the frames do not match the object\'s checksum');
  return frames;
}

/** The same over bytes in memory (`where` names them in errors). */
export function forEachFrame(bytes: Uint8Array, where: string, each: (payload: Uint8Array, index: number) => void): number {
  let at = 0;
  let index = 0;
  while (at < bytes.length) {
    const r = scanRecord(bytes, at);
    if (r.kind !== 'record') throw corrupt(where, at, r.kind === 'corrupt' ? r.detail : 'the object ends inside a frame');
    each(r.payload, index++);
    at = r.next;
  }
  if (index === 0) throw corrupt(where, 0, 'empty object');
  return index;
}

async function scanFrames(
  where: string,
  size: number,
  read: (at: number, n: number) => Promise<Uint8Array>,
  each: (payload: Uint8Array, index: number, frame: Uint8Array) => void,
): Promise<number> {
  let at = 0;
  let index = 0;
  while (at < size) {
    const head = await read(at, recordHeaderBytes);
    if (head.length < recordHeaderBytes) throw corrupt(where, at, 'the object ends inside a frame header');
    const length = new DataView(head.buffer, head.byteOffset, head.byteLength).getUint32(0, true);
    if (length > recordPayloadBytesMax) throw corrupt(where, at, `frame length ${length} exceeds ${recordPayloadBytesMax}`);
    const whole = await read(at, recordHeaderBytes + length);
    const r = scanRecord(whole, 0);
    if (r.kind !== 'record') throw corrupt(where, at, r.kind === 'corrupt' ? r.detail : 'the object ends inside a frame');
    each(r.payload, index++, whole);
    at += r.next;
  }
  if (index === 0) throw corrupt(where, 0, 'empty object');
  return index;
}

function corrupt(path: string, offset: number, detail: string): ElanusError {
  return new ElanusError('CORRUPT_DATA', { path, offset, detail });
}
