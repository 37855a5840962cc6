// A topic's metadata file: its consumer groups and their durable positions. It is
// small and replaced whole with writeFileDurable (temporary file, fsync, rename, fsync
// of the folder), so after a crash it holds the old or the new content. Its presence
// is also what makes the topic exist: creation writes it last, drop removes it first.
import { ElanusError } from '../errors/index.js';
import { frameRecord, joinPath, scanRecord, writeFileDurable, type FileSystem } from '../storage/index.js';
import { metaFileName } from './names.js';

const metaVersion = 1;

export interface TopicMeta {
  readonly topic: string;
  /** [group name, position] pairs. */
  readonly groups: ReadonlyArray<readonly [string, number]>;
}

export function metaPath(topicDir: string): string {
  return joinPath(topicDir, metaFileName);
}

export async function writeMeta(fs: FileSystem, topicDir: string, meta: TopicMeta): Promise<void> {
  const body = new TextEncoder().encode(JSON.stringify({ version: metaVersion, topic: meta.topic, groups: meta.groups }));
  await writeFileDurable(fs, metaPath(topicDir), frameRecord(body));
}

export async function readMeta(fs: FileSystem, topicDir: string): Promise<TopicMeta> {
  const path = metaPath(topicDir);
  const buf = await fs.readFile(path);
  const r = scanRecord(buf, 0);
  // The file is replaced atomically, so anything but one whole record is damage.
  if (r.kind !== 'record' || r.next !== buf.length) {
    const detail = r.kind === 'corrupt' ? r.detail : r.kind === 'torn' ? 'metadata cut short' : 'trailing bytes after the metadata';
    throw new ElanusError('CORRUPT_DATA', { path, offset: r.kind === 'record' ? r.next : 0, detail });
  }
  const bad = (detail: string): never => {
    throw new ElanusError('CORRUPT_DATA', { path, offset: 0, detail });
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(r.payload));
  } catch (e) {
    return bad(`metadata is not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  const m = parsed as { version?: unknown; topic?: unknown; groups?: unknown };
  if (m.version !== metaVersion) return bad(`unknown metadata version ${String(m.version)}`);
  if (typeof m.topic !== 'string') return bad('metadata has no topic name');
  if (!Array.isArray(m.groups)) return bad('metadata has no group list');
  const groups: Array<readonly [string, number]> = [];
  for (const g of m.groups as unknown[]) {
    if (!Array.isArray(g) || typeof g[0] !== 'string' || !Number.isSafeInteger(g[1]) || (g[1] as number) < 0) {
      return bad(`bad group entry ${JSON.stringify(g)}`);
    }
    groups.push([g[0], g[1] as number]);
  }
  return { topic: m.topic, groups };
}
