// The log's files as a backup copies them (cli/backup-server.ts): where a topic's files
// are, which are segment files, and how many bytes of one hold the records below a
// position. Read-only, like inspect.ts.
import { joinPath } from '../storage/index.js';
import { headerlessFileName, metaFileName, parseSegmentFileName, topicsDir } from './names.js';
import { scanSegment } from './recover.js';

/** The topic's folder under the log folder `walDir`, and the name of its metadata file. */
export function topicFolder(walDir: string, topic: string): string {
  return joinPath(topicsDir(walDir), topic);
}
export const topicMetaFileName = metaFileName;
export { headerlessFileName };

/** The first position a segment file holds, from its name; undefined for any other file. */
export function segmentFileBase(name: string): number | undefined {
  return parseSegmentFileName(name);
}

/**
 * Bytes of the records at positions [base, end) in a segment file's bytes (`base` from
 * its name), or undefined when it holds fewer records than that.
 */
export function segmentBytesBelow(buf: Uint8Array, base: number, end: number): number | undefined {
  if (end <= base) return 0;
  const scan = scanSegment(buf, base, true);
  const n = end - base;
  if (n > scan.positions.length) return undefined;
  return n === scan.positions.length ? scan.bytes : scan.positions[n]!;
}
