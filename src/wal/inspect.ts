// The log read from outside (`elanus inspect`): each topic's offsets, consumer positions
// and damage, read without changing anything. It takes no lock, opens every file for
// reading only, and repairs nothing: a torn tail is reported (the next open of the log
// cuts it), a topic folder without its metadata (left by a creation or a drop that did
// not finish) is reported as one the next open removes. It reads the same bytes with the
// same checks as recovery (scanSegment, readMeta), so it cannot disagree with an open.
//
// Beside a running server it sees each file as it is at the moment it is read: the last
// segment may grow meanwhile (its newest records are then missing, or read as a torn tail).
import { isElanusError } from '../errors/index.js';
import { joinPath, type FileSystem } from '../storage/index.js';
import { metaPath, readMeta } from './meta.js';
import { isTopicName, parseSegmentFileName, topicsDir } from './names.js';
import { scanSegment } from './recover.js';

export interface TopicReport {
  readonly topic: string;
  /** First offset still stored (retention removes whole files below it). */
  readonly first: number;
  /** One past the last valid record. */
  readonly end: number;
  readonly segmentFiles: number;
  /** Bytes of the segment files. */
  readonly bytes: number;
  /** Consumer groups and their durable positions (the next offset each reads). */
  readonly groups: ReadonlyArray<readonly [string, number]>;
  /** Bytes of an unacknowledged tail the next open cuts off (0: none). */
  readonly tornTailBytes: number;
}

export interface LogDamage {
  readonly path: string;
  /** Byte position in the file. */
  readonly offset: number;
  readonly detail: string;
}

export interface LogReport {
  readonly topics: readonly TopicReport[];
  /** Topic folders without metadata: an unfinished creation or drop, removed at the next open. */
  readonly unfinished: readonly string[];
  readonly damage: readonly LogDamage[];
}

/** Reads the log in `walDir` (the folder given to Wal.open) and reports it; changes nothing. */
export async function inspectLog(fs: FileSystem, walDir: string): Promise<LogReport> {
  const root = topicsDir(walDir);
  const topics: TopicReport[] = [];
  const unfinished: string[] = [];
  const damage: LogDamage[] = [];
  for (const name of await fs.readdir(root)) {
    if (!isTopicName(name)) continue;
    const dir = joinPath(root, name);
    if (!(await fs.exists(metaPath(dir)))) {
      unfinished.push(name);
      continue;
    }
    let groups: TopicReport['groups'] = [];
    try {
      groups = (await readMeta(fs, dir)).groups;
    } catch (e) {
      if (!isElanusError(e, 'CORRUPT_DATA')) throw e;
      damage.push({ path: metaPath(dir), offset: Number(e.details.offset ?? 0), detail: String(e.details.detail ?? e.message) });
    }
    const report = await inspectTopic(fs, name, dir, damage);
    topics.push({ ...report, groups });
  }
  return { topics, unfinished, damage };
}

async function inspectTopic(fs: FileSystem, topic: string, dir: string, damage: LogDamage[]): Promise<Omit<TopicReport, 'groups'>> {
  const files = (await fs.readdir(dir))
    .map((name) => ({ name, base: parseSegmentFileName(name) }))
    .filter((f): f is { name: string; base: number } => f.base !== undefined)
    .sort((a, b) => a.base - b.base);
  if (files.length === 0) {
    damage.push({ path: dir, offset: 0, detail: 'the topic has no segment file' });
    return { topic, first: 0, end: 0, segmentFiles: 0, bytes: 0, tornTailBytes: 0 };
  }
  let end = files[0]!.base;
  let bytes = 0;
  let tornTailBytes = 0;
  for (const [i, f] of files.entries()) {
    const path = joinPath(dir, f.name);
    if (f.base !== end) {
      damage.push({ path, offset: 0, detail: `the segment starts at log offset ${f.base} but the one before ends at ${end}` });
    }
    const buf = await fs.readFile(path);
    bytes += buf.length;
    const scan = scanSegment(buf, f.base, i === files.length - 1);
    if (scan.damage) damage.push({ path, offset: scan.bytes, detail: scan.damage });
    else tornTailBytes += buf.length - scan.bytes;
    end = f.base + scan.positions.length;
  }
  return { topic, first: files[0]!.base, end, segmentFiles: files.length, bytes, tornTailBytes };
}
