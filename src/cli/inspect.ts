// `elanus inspect DIR`: what a data folder holds, read without changing it. Everything is
// read through ReadOnlyFileSystem (every write, lock, removal or fsync refused), the
// metadata journal is opened read-only (a torn tail is reported, not cut) and the log
// and the objects are read by the same checks their stores run at open (wal/inspect.ts,
// checkObjectFile), none of which repairs. No lock is taken: a running server may hold
// the folder, and inspect reads beside it.
//
// Beside a running server the folder changes while it is read. The metadata is read
// twice, before and after the log and the objects: a segment counts as missing only if
// both reads name it and its object is absent (not one flushed or compacted meanwhile),
// and an object is unnamed only if neither read names it.
import { lstat, readFile, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type CollectionMeta, catalogKeys, indexesOf } from '../catalog/index.js';
import { type L0Meta, type SegmentMeta, collectionPrefix, indexFileOf, metaKeys, topicOf } from '../engine/index.js';
import { ElanusError, isElanusError } from '../errors/index.js';
import { EmbeddedMetaStore, NodeFileSystem, ReadOnlyFileSystem, checkObjectFile, joinPath, keyOfFileName, objectFilesFolder, type FileSystem } from '../storage/index.js';
import { inspectLog, type LogReport } from '../wal/index.js';

export interface ShardReport {
  readonly shard: number;
  readonly topic: string;
  /** Last log offset whose rows are in flushed segments (-1: none). */
  readonly checkpoint: number;
  /** First offset still in the log, and one past the last. */
  readonly first: number;
  readonly end: number;
  /** Records past the checkpoint: replayed from the log at the next open. */
  readonly pastCheckpoint: number;
  readonly logBytes: number;
  readonly tornTailBytes: number;
}

export interface CollectionReport {
  readonly id: number;
  readonly database: string;
  readonly name: string;
  readonly fields: number;
  readonly shards: number;
  readonly partitions: readonly string[];
  readonly loaded: boolean;
  readonly indexes: ReadonlyArray<{ readonly name: string; readonly field: string; readonly type: string }>;
  readonly segments: { readonly count: number; readonly rows: number; readonly bytes: number };
  readonly l0: { readonly count: number; readonly deletes: number; readonly bytes: number };
  readonly indexFiles: { readonly count: number; readonly bytes: number };
  readonly log: readonly ShardReport[];
}

export interface Damage {
  /** corrupt: a checksum or frame that does not verify; missing: named by metadata, absent; unnamed: an object no metadata names. */
  readonly kind: 'corrupt' | 'missing' | 'unnamed';
  readonly path: string;
  readonly detail: string;
}

export interface InspectReport {
  readonly path: string;
  /** Pid of the live process holding the folder's lock, if any. */
  readonly inUseBy: number | null;
  readonly bytes: { readonly meta: number; readonly wal: number; readonly objects: number };
  readonly metadata: { readonly revision: number; readonly keys: number; readonly tornTailBytes: number };
  readonly databases: readonly string[];
  readonly collections: readonly CollectionReport[];
  readonly damage: readonly Damage[];
  /** Things the next open tidies up by itself (not damage). */
  readonly notes: readonly string[];
}

type Entries = ReadonlyMap<string, unknown>;

/** Key prefixes of the metadata (catalog/catalog.ts and engine/collection.ts name the keys). */
const dbPrefix = catalogKeys.database('');
const segPrefix = metaKeys.segments(0).replace(/0\/$/, '');
const l0Prefix = metaKeys.l0s(0).replace(/0\/$/, '');

/** Reads the data folder at `path`; NOT_A_DATA_DIR when there is none there. */
export async function inspectFolder(path: string): Promise<InspectReport> {
  const root = resolve(path);
  await checkDataFolder(root);
  const fs: FileSystem = new ReadOnlyFileSystem(new NodeFileSystem());
  const notes: string[] = [];
  const damage: Damage[] = [];
  const before = await readMeta(fs, root, notes, damage);
  const log = await inspectLog(fs, joinPath(root, 'wal'));
  const objects = await readObjects(fs, root, damage);
  const after = before ? await readMeta(fs, root, [], []) : undefined;
  const meta = after ?? before;
  for (const d of log.damage) damage.push({ kind: 'corrupt', path: d.path, detail: `${d.detail} (byte ${d.offset})` });
  for (const t of log.unfinished) notes.push(`log topic ${t} has no metadata (an unfinished creation or drop); the next open removes it`);

  const collections: CollectionReport[] = [];
  const named = new Set<string>();
  if (meta) {
    const namedAfter = new Set(namedObjects(meta));
    const both = namedObjects(before!).filter((k) => namedAfter.has(k));
    for (const key of namedObjects(before!)) named.add(key);
    for (const key of namedAfter) named.add(key);
    for (const [key, v] of meta.entries) {
      if (!key.startsWith(catalogKeys.collection(0).slice(0, -1))) continue;
      collections.push(collectionReport(v as CollectionMeta, meta.entries, objects, log));
    }
    for (const key of both) if (!objects.has(key)) damage.push({ kind: 'missing', path: key, detail: 'named by the metadata, not in objects/' });
    for (const t of log.topics) {
      if (!collections.some((c) => c.log.some((s) => s.topic === t.topic))) notes.push(`log topic ${t.topic} belongs to no collection; the next open removes it`);
    }
  }
  // Without readable metadata every object would look unnamed: only the damage to the metadata is reported.
  if (meta) for (const [key, o] of objects) {
    if (!named.has(key) && !isExpectedIndexFile(key, meta?.entries)) damage.push({ kind: 'unnamed', path: key, detail: `${o.bytes} bytes no metadata names (left by a crash; the next open removes it)` });
  }
  return {
    path: root,
    inUseBy: await lockHolder(root),
    bytes: { meta: await folderBytes(join(root, 'meta')), wal: await folderBytes(join(root, 'wal')), objects: await folderBytes(join(root, objectFilesFolder)) },
    metadata: { revision: meta?.revision ?? 0, keys: meta?.entries.size ?? 0, tornTailBytes: meta?.tornTailBytes ?? 0 },
    databases: meta ? [...meta.entries.keys()].filter((k) => k.startsWith(dbPrefix)).map((k) => k.slice(dbPrefix.length)).sort() : [],
    collections: collections.sort((a, b) => (a.database + '/' + a.name < b.database + '/' + b.name ? -1 : 1)),
    damage,
    notes,
  };
}

/** A data folder is one with a metadata journal or snapshot; anything else is refused before a byte is read. */
async function checkDataFolder(root: string): Promise<void> {
  const st = await stat(root).catch(() => undefined);
  if (!st) throw new ElanusError('NOT_A_DATA_DIR', { path: root, detail: 'it does not exist' });
  if (!st.isDirectory()) throw new ElanusError('NOT_A_DATA_DIR', { path: root, detail: 'it is not a folder' });
  const has = async (name: string) => (await lstat(join(root, 'meta', name)).catch(() => undefined))?.isFile() === true;
  if (!(await has('journal')) && !(await has('snapshot'))) {
    throw new ElanusError('NOT_A_DATA_DIR', { path: root, detail: 'it holds no meta/journal or meta/snapshot (elanus serve --data-dir creates them)' });
  }
}

interface MetaRead {
  readonly revision: number;
  readonly entries: Entries;
  readonly tornTailBytes: number;
}

async function readMeta(fs: FileSystem, root: string, notes: string[], damage: Damage[]): Promise<MetaRead | undefined> {
  let tornTailBytes = 0;
  let store: EmbeddedMetaStore;
  try {
    store = await EmbeddedMetaStore.open({ fs, dir: joinPath(root, 'meta'), readOnly: true, onTailCut: (_p, _o, bytes) => (tornTailBytes = bytes) });
  } catch (e) {
    if (!isElanusError(e, 'CORRUPT_DATA')) throw e;
    damage.push({ kind: 'corrupt', path: String(e.details.path), detail: `${String(e.details.detail)} (byte ${String(e.details.offset)}); collections and segments cannot be listed` });
    return undefined;
  }
  try {
    if (tornTailBytes > 0) notes.push(`meta/journal ends in ${tornTailBytes} bytes of an unacknowledged (or, beside a running server, unfinished) write; the next open cuts them off`);
    return { revision: store.view.revision, entries: new Map(store.scan('')), tornTailBytes };
  } finally {
    await store.close();
  }
}

/** Every object in objects/, checked whole: key → bytes. */
async function readObjects(fs: FileSystem, root: string, damage: Damage[]): Promise<Map<string, { bytes: number }>> {
  const dir = joinPath(root, objectFilesFolder, objectFilesFolder);
  const out = new Map<string, { bytes: number }>();
  for (const name of await fs.readdir(dir)) {
    const key = keyOfFileName(name);
    if (key === undefined) continue; // a put in flight, or left by a crash (removed at the next open)
    try {
      out.set(key, { bytes: (await checkObjectFile(fs, joinPath(dir, name))).size });
    } catch (e) {
      // Removed since the listing (a compaction beside a running server): not there.
      if (isElanusError(e, 'STORAGE_IO') && /ENOENT/.test(e.message)) continue;
      if (!isElanusError(e, 'CORRUPT_DATA')) throw e;
      out.set(key, { bytes: 0 });
      damage.push({ kind: 'corrupt', path: key, detail: String(e.details.detail ?? e.message) });
    }
  }
  return out;
}

/** The segment and L0 objects the metadata names (index files are optional: see isExpectedIndexFile). */
function namedObjects(meta: MetaRead): string[] {
  const out: string[] = [];
  for (const [key, v] of meta.entries) {
    if (key.startsWith(segPrefix)) out.push((v as SegmentMeta).file);
    else if (key.startsWith(l0Prefix)) out.push((v as L0Meta).file);
  }
  return out;
}

/** A vector index file of a named segment and an index of its collection (it may not be built yet, so it is never "missing"). */
function isExpectedIndexFile(key: string, entries: Entries | undefined): boolean {
  const m = /^segments\/(\d+)\/(\d+)\.(\d+)\.vidx$/.exec(key);
  if (!m || !entries) return false;
  const [c, seg, index] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const coll = entries.get(catalogKeys.collection(c)) as CollectionMeta | undefined;
  return entries.has(metaKeys.segment(c, seg)) && coll !== undefined && indexesOf(coll).some((i) => i.indexId === index) && key === indexFileOf(c, seg, index);
}

function collectionReport(c: CollectionMeta, entries: Entries, objects: ReadonlyMap<string, { bytes: number }>, log: LogReport): CollectionReport {
  const prefixed = <T>(prefix: string) => [...entries].filter(([k]) => k.startsWith(prefix)).map(([, v]) => v as T);
  const segs = prefixed<SegmentMeta>(metaKeys.segments(c.id));
  const l0s = prefixed<L0Meta>(metaKeys.l0s(c.id));
  const sizeOf = (key: string) => objects.get(key)?.bytes ?? 0;
  const indexKeys = [...objects.keys()].filter((k) => k.startsWith(collectionPrefix(c.id)) && k.endsWith('.vidx'));
  return {
    id: c.id,
    database: c.db,
    name: c.name,
    fields: c.schema.fields.length,
    shards: c.shardsNum,
    partitions: c.partitions.map((p) => p.name),
    loaded: c.loaded,
    indexes: indexesOf(c).map((i) => ({ name: i.indexName, field: i.fieldName, type: i.indexType })),
    segments: { count: segs.length, rows: segs.reduce((n, s) => n + s.rows, 0), bytes: segs.reduce((n, s) => n + sizeOf(s.file), 0) },
    l0: { count: l0s.length, deletes: l0s.reduce((n, l) => n + l.count, 0), bytes: l0s.reduce((n, l) => n + sizeOf(l.file), 0) },
    indexFiles: { count: indexKeys.length, bytes: indexKeys.reduce((n, k) => n + sizeOf(k), 0) },
    log: Array.from({ length: c.shardsNum }, (_, shard) => {
      const topic = topicOf(c.id, shard);
      const t = log.topics.find((x) => x.topic === topic);
      const checkpoint = (entries.get(metaKeys.checkpoint(c.id, shard)) as number | undefined) ?? -1;
      const first = t?.first ?? 0;
      const end = t?.end ?? 0;
      return { shard, topic, checkpoint, first, end, pastCheckpoint: Math.max(0, end - Math.max(checkpoint + 1, first)), logBytes: t?.bytes ?? 0, tornTailBytes: t?.tornTailBytes ?? 0 };
    }),
  };
}

/** The pid in the folder's LOCK file when that process is alive, else null. */
async function lockHolder(root: string): Promise<number | null> {
  const text = await readFile(join(root, 'LOCK'), 'utf8').catch(() => undefined);
  const pid = Number(text?.trim());
  if (!Number.isSafeInteger(pid) || pid <= 0) return null;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM' ? pid : null;
  }
}

/** Bytes of the files under a folder (0 when it does not exist). */
async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += await folderBytes(p);
    else if (e.isFile()) total += (await stat(p).catch(() => undefined))?.size ?? 0;
  }
  return total;
}
