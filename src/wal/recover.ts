// Reading a topic's segment files back at open. Offsets come from the file names and
// the offset each record carries, so they are exact even after retention removed the
// oldest files.
//
// What a damaged record means depends on where it is:
// - At the end of the last segment, with nothing valid after it, it is the tail of a
//   batch whose fsync never finished, so no client was told it was stored: it is cut
//   off (truncate + fsync). "Valid" means a whole record with a good checksum that
//   carries one of the next offsets (see validRecordFollows).
// - Anywhere else (valid records follow it, or it sits in a sealed segment, which was
//   fsynced whole before the next one was created) it is corruption of acknowledged
//   data: open fails with CORRUPT_DATA naming the file and the byte offset.
import { ElanusError } from '../errors/index.js';
import { joinPath, type FileHandle, type FileSystem } from '../storage/index.js';
import { parseSegmentFileName } from './names.js';
import { decodeRecord, validRecordFollows } from './record.js';
import { Segment } from './segment.js';

/** `onTailCut` is told when the last file's unacknowledged tail is cut off (a repair to report). */
export async function recoverSegments(fs: FileSystem, dir: string, onTailCut: (path: string, offset: number, bytes: number) => void = () => undefined): Promise<Segment[]> {
  const files = (await fs.readdir(dir))
    .map((name) => ({ name, base: parseSegmentFileName(name) }))
    .filter((f): f is { name: string; base: number } => f.base !== undefined)
    .sort((a, b) => a.base - b.base);
  if (files.length === 0) {
    throw new ElanusError('CORRUPT_DATA', { path: dir, offset: 0, detail: 'the topic has no segment file' });
  }
  const segments: Segment[] = [];
  try {
    for (const [i, f] of files.entries()) {
      const previous = segments.at(-1);
      const path = joinPath(dir, f.name);
      if (previous && previous.end !== f.base) {
        throw new ElanusError('CORRUPT_DATA', {
          path,
          offset: 0,
          detail: `the segment starts at log offset ${f.base} but the one before ends at ${previous.end}`,
        });
      }
      segments.push(await recoverSegment(fs, path, f.base, i === files.length - 1, onTailCut));
    }
  } catch (e) {
    await closeQuietly(segments.map((s) => s.handle));
    throw e;
  }
  return segments;
}

async function recoverSegment(fs: FileSystem, path: string, base: number, last: boolean, onTailCut: (path: string, offset: number, bytes: number) => void): Promise<Segment> {
  const buf = await fs.readFile(path);
  const scan = scanSegment(buf, base, last);
  if (scan.damage) throw new ElanusError('CORRUPT_DATA', { path, offset: scan.bytes, detail: scan.damage });
  const position = scan.bytes;
  // Sealed segments are only read from now on; the last one is appended to.
  const handle = await fs.open(path, last ? 'append' : 'read');
  try {
    if (position < buf.length) {
      await handle.truncate(position);
      await handle.sync();
      onTailCut(path, position, buf.length - position);
    }
  } catch (e) {
    await closeQuietly([handle]);
    throw e;
  }
  return new Segment(base, path, handle, scan.positions, position);
}

/** What a segment file's bytes hold, read without changing anything (recovery; `elanus inspect`). */
export interface SegmentScan {
  /** Byte position of each valid record, by offset - base. */
  readonly positions: number[];
  /** Bytes of valid records from the start: where the damage or the torn tail begins. */
  readonly bytes: number;
  /** Set when the bytes past `bytes` are damage to acknowledged records (see the top of this file). */
  readonly damage?: string;
}

/** Reads the records of a segment file that starts at offset `base`; `last`: it is the topic's last segment. */
export function scanSegment(buf: Uint8Array, base: number, last: boolean): SegmentScan {
  const positions: number[] = [];
  let position = 0;
  while (position < buf.length) {
    const r = decodeRecord(buf, position, base + positions.length);
    if (r.kind === 'record') {
      positions.push(position);
      position = r.next;
      continue;
    }
    const detail = r.kind === 'torn' ? 'record cut short' : r.detail;
    if (!last) return { positions, bytes: position, damage: `${detail} in a sealed segment` };
    // A damaged length can make a record look cut short too, so both kinds ask
    // whether valid records follow.
    if (validRecordFollows(buf, position, base + positions.length - 1)) return { positions, bytes: position, damage: `${detail}, and valid records follow` };
    break;
  }
  return { positions, bytes: position };
}

/** Cleanup on a path that already failed: the first error is the one to report. */
async function closeQuietly(handles: FileHandle[]): Promise<void> {
  for (const h of handles) await h.close().catch(() => undefined);
}
