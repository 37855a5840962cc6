// What a backup of a data folder holds, decided at one instant (cli/backup-server.ts copies
// it out). In one synchronous step: a timestamp, the metadata's durable state as a
// snapshot file, and a request to every shard for its log end "now". Nothing can happen
// in between, so:
// - every write acknowledged before the step was submitted before it: its record lies
//   below its shard's end, or in a segment the metadata names;
// - every write submitted after it takes a later timestamp and a log position at or past
//   the end, so no part of it is in the backup.
// What the folder then holds is what a kill -9 at that instant would have left once the
// records already submitted were durable: the metadata names the flushed segments and L0
// files and each shard's checkpoint, and the log from the checkpoint to the end is
// replayed over them at open.
import { catalogKeys, indexesOf, type CollectionMeta } from '../catalog/index.js';
import { fail } from '../errors/index.js';
import type { EngineCore } from './core.js';
import { metaKeys, topicOf, type L0Meta, type SegmentMeta } from './collection.js';
import type { EngineStores } from './options.js';
import { indexFileOf } from './vector-indexes.js';

export interface BackupView {
  /** Later than every write acknowledged before the view, earlier than every write submitted after it. */
  readonly at: bigint;
  /** The data folder. */
  readonly path: string;
  /** meta/snapshot of the backup: the metadata as committed at the view. */
  readonly metaSnapshot: Uint8Array;
  /** Each shard's log: the records [from, end) are replayed at open (from = checkpoint + 1). */
  readonly logs: ReadonlyArray<{ readonly topic: string; readonly from: number; readonly end: number }>;
  /** Segment and L0 files the metadata names (object keys): each must be copied. */
  readonly objects: readonly string[];
  /** Vector index files of those segments: copied when built, else built again after a restore. */
  readonly indexFiles: readonly string[];
}

export async function backupView(core: EngineCore, stores: EngineStores): Promise<BackupView> {
  core.checkOpen();
  const folder = stores.folder;
  if (!folder) fail('NOT_SUPPORTED', { what: 'a backup of cluster mode (its stores are etcd, JetStream and S3)' });
  // The synchronous step (see the top of this file).
  const at = core.tso.next();
  const meta = folder.metaSnapshot();
  const ends = new Map<number, Promise<number[]>>();
  for (const [id, data] of core.data) ends.set(id, Promise.all(data.shards.map((s) => s.logEndNow())));

  const entries = new Map(meta.entries);
  const value = <T>(key: string) => JSON.parse(entries.get(key)!) as T;
  const logs: Array<{ topic: string; from: number; end: number }> = [];
  const objects: string[] = [];
  const indexFiles: string[] = [];
  const collPrefix = catalogKeys.collection(0).slice(0, -1);
  for (const key of entries.keys()) {
    if (!key.startsWith(collPrefix)) continue;
    const coll = value<CollectionMeta>(key);
    const shardEnds = await ends.get(coll.id);
    for (let shard = 0; shard < coll.shardsNum; shard++) {
      const checkpoint = entries.has(metaKeys.checkpoint(coll.id, shard)) ? value<number>(metaKeys.checkpoint(coll.id, shard)) : -1;
      // A collection whose data the engine does not hold yet (being created) has no record past its checkpoint.
      const end = Math.max(checkpoint + 1, shardEnds?.[shard] ?? checkpoint + 1);
      logs.push({ topic: topicOf(coll.id, shard), from: checkpoint + 1, end });
    }
    const indexes = indexesOf(coll);
    for (const [k] of entries) {
      if (k.startsWith(metaKeys.segments(coll.id))) {
        const seg = value<SegmentMeta>(k);
        objects.push(seg.file);
        for (const ix of indexes) indexFiles.push(indexFileOf(coll.id, seg.id, ix.indexId));
      } else if (k.startsWith(metaKeys.l0s(coll.id))) {
        objects.push(value<L0Meta>(k).file);
      }
    }
  }
  return { at, path: folder.path, metaSnapshot: meta.bytes, logs, objects, indexFiles };
}
