// Files made of checksummed frames, one after another (segment files, L0 delete files):
//
//   frame 0 | frame 1 | ... | frame n-1        each frame as framing.ts lays it out
//
// A file of one frame is what the engine wrote before files had parts, so old files read
// unchanged. Splitting a file into frames keeps every frame under the framing limit
// whatever the file's size, and lets a reader hold one frame at a time.
import { frameRecord, recordHeaderBytes, recordPayloadBytesMax, scanRecord } from './framing.js';
import { type FileSystem, dirname } from './fs.js';
import { ElanusError, assert } from '../errors/index.js';

/**
 * Writes the frames to a temporary file, fsyncs it, renames it over `path` and fsyncs the
 * folder: after a crash the file is whole or absent. Frames are produced one at a time,
 * so only one is in memory. On failure the temporary file is removed (best effort; the
 * engine's garbage collection removes what is left at the next open).
 */
export async function writeFramesDurable(fs: FileSystem, path: string, payloads: Iterable<Uint8Array>): Promise<number> {
  const tmp = `${path}.tmp`;
  let bytes = 0;
  try {
    const h = await fs.open(tmp, 'append');
    try {
      await h.truncate(0);
      for (const payload of payloads) {
        // The producer splits before this limit; a frame past it would be refused by
        // every reader, so it is a programmer error, never written.
        assert(payload.length <= recordPayloadBytesMax, `a frame of ${payload.length} bytes exceeds ${recordPayloadBytesMax}`);
        const frame = frameRecord(payload);
        await h.write(frame, bytes);
        bytes += frame.length;
      }
      await h.sync();
    } finally {
      await h.close();
    }
    await fs.rename(tmp, path);
  } catch (e) {
    await fs.unlink(tmp).catch(() => undefined);
    throw e;
  }
  await fs.syncDir(dirname(path));
  return bytes;
}

/**
 * Calls `each` with every frame's payload in order. The file must be whole: anything but
 * complete, undamaged frames up to its end is CORRUPT_DATA (these files are renamed into
 * place only once written and synced, so a torn one is damage, not an interrupted write).
 */
export async function readFrames(fs: FileSystem, path: string, each: (payload: Uint8Array, index: number) => void): Promise<number> {
  const h = await fs.open(path, 'read');
  try {
    const size = await h.size();
    let at = 0;
    let index = 0;
    while (at < size) {
      const head = await h.read(recordHeaderBytes, at);
      if (head.length < recordHeaderBytes) throw corrupt(path, at, 'file ends inside a frame header');
      const length = new DataView(head.buffer, head.byteOffset, head.byteLength).getUint32(0, true);
      if (length > recordPayloadBytesMax) throw corrupt(path, at, `frame length ${length} exceeds ${recordPayloadBytesMax}`);
      const whole = await h.read(recordHeaderBytes + length, at);
      const r = scanRecord(whole, 0);
      if (r.kind !== 'record') throw corrupt(path, at, r.kind === 'corrupt' ? r.detail : 'file ends inside a frame');
      each(r.payload, index++);
      at = r.next + at;
    }
    if (index === 0) throw corrupt(path, 0, 'empty file');
    return index;
  } finally {
    await h.close().catch(() => undefined);
  }
}

function corrupt(path: string, offset: number, detail: string): ElanusError {
  return new ElanusError('CORRUPT_DATA', { path, offset, detail });
}
