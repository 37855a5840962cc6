// The data of one collection: its shards, and the flush, compaction and recovery that
// move rows between the log, memory and segment files in the order DESIGN.md sets out
// ("Flush and recovery"). Metadata commits run in the engine's coordinator queue, so
// they are ordered with DDL: a drop and a flush cannot interleave their commits.
import { ElanusError, assert } from '../errors/index.js';
import { type CollectionMeta, type CollectionSchema, collectionTtlSeconds } from '../catalog/index.js';
import { SerialQueue } from '../concurrency/index.js';
import { type Column, defaultColumn, typedCtorOf, widthOf } from '../segments/columns.js';
import { timestampFieldId } from '../segments/codec.js';
import { PartsReader, partPayloads } from '../segments/file-parts.js';
import type { PkKey } from '../segments/pk.js';
import { decodeRecord, encodeRecord } from '../segments/records.js';
import { Segment, tsMax } from '../segments/segment.js';
import { type PendingDelete, Shard } from '../segments/shard.js';
import { DataType, type FieldSchema } from '../catalog/types.js';
import { framedParts, readObjectFrames, recordPayloadBytesMax, type LogStore, type MetaTxn, type ObjectStore } from '../storage/index.js';
import type { CrashPoint, EngineLimits } from './options.js';
import type { Health } from './health.js';
import { pkKeys } from '../gateway/validate.js';

export interface SegmentMeta {
  id: number;
  collectionId: number;
  partitionId: number;
  shard: number;
  /** The segment's object key (`segments/<collection>/<segment>.seg`). */
  file: string;
  rows: number;
  bytes: number;
  startOffset: number;
  endOffset: number;
  cleanTs: string;
}

export interface L0Meta {
  id: number;
  collectionId: number;
  shard: number;
  /** The object key (`segments/<collection>/L0-<shard>-<id>.del`). */
  file: string;
  count: number;
  /** Largest log offset of a delete in it. */
  upTo: number;
}

export const metaKeys = {
  segment: (c: number, id: number) => `seg/${c}/${id}`,
  segments: (c: number) => `seg/${c}/`,
  l0: (c: number, id: number) => `l0/${c}/${id}`,
  l0s: (c: number) => `l0/${c}/`,
  checkpoint: (c: number, shard: number) => `ckpt/${c}/${shard}`,
  checkpoints: (c: number) => `ckpt/${c}/`,
};

export const topicOf = (collectionId: number, shard: number) => `c${collectionId}s${shard}`;
/**
 * The key prefix of a collection's objects (segments, L0 deletes, vector indexes). The
 * keys are the names the files had in the data folder before the ObjectStore, which
 * the metadata of existing folders still holds.
 */
export const collectionPrefix = (collectionId: number) => `segments/${collectionId}/`;

/** What a collection's data needs from the engine. */
export interface EngineContext {
  /** Where segment and L0 files are kept: every one is an object, named by a key. */
  readonly objects: ObjectStore;
  readonly log: LogStore & { reelect?(stream: string): Promise<void> };
  readonly limits: EngineLimits;
  /** Runs a step in the coordinator queue (DDL and metadata commits, one at a time). */
  coordinate<T>(task: () => Promise<T>): Promise<T>;
  commit(txn: MetaTxn): Promise<void>;
  metaScan(prefix: string): Array<[string, unknown]>;
  collection(id: number): CollectionMeta | undefined;
  newId(): number;
  /**
   * Set when another process may have appended to the shards' streams until just now (a
   * deposed coordinator in cluster mode): recovery then appends a marker (an empty delete
   * at this timestamp) to each stream and replays through it. A record the other writer
   * placed before the marker is replayed; one it tries after fails, because every append
   * expects the stream's previous position (the cluster's log store).
   */
  readonly logFenceTs?: () => bigint;
  /**
   * A read replica's copy (engine/replica.ts): it never writes. Nothing is flushed (the
   * coordinator flushes; the replica reads the result at its next refresh), recovery
   * creates no stream, and the log is followed by `catchUp`.
   */
  readonly replica?: boolean;
  crash(point: CrashPoint): void;
  /** The timestamp every current and future read is at or above. */
  safeTs(): bigint;
  /** Rows of the collection written before this have expired for every current and future read (EngineCore.safeSince). */
  safeSince(collectionId: number, ttlSeconds: number): bigint;
  /** Reports background failures (never thrown to a caller who did not ask). */
  onBackgroundError(e: unknown): void;
  /** Flushed segments appeared (a flush or compaction committed): their indexes can be built. */
  onSegmentsPublished(): void;
  /** Rows were appended to a growing segment (interim indexes may be due). */
  onAppended(seg: Segment): void;
  /** Storage faults of flushes and compactions are noted here, and cleared when they next succeed. */
  readonly health: Health;
}

/** How many times a recovery has another replica lead a stream that starts past its checkpoint. */
const reelectTriesMax = 2;

export class CollectionData {
  readonly shards: Shard[];
  private readonly flushQueues: SerialQueue[];
  /** 'dropping': new writes fail at once; in-flight ones finish. */
  state: 'ready' | 'dropping' | 'dropped' = 'ready';
  readonly droppingPartitions = new Set<number>();
  private l0: L0Meta[] = [];
  private flushScheduled = false;
  /** Shards whose last flush failed (a full volume, say): the background pass retries them. */
  private readonly flushFailed = new Set<number>();
  /**
   * While the engine opens, flushes wait (`releaseFlushes`): segments the log's replay
   * seals would otherwise be flushed while the garbage collection at open lists the
   * objects no metadata names yet, and it would delete the files of a flush about to
   * commit them (the next open then failed on a missing file).
   */
  private flushesHeld = false;
  private flushAsked = false;

  constructor(readonly id: number, private readonly ctx: EngineContext, shardsNum: number) {
    this.shards = [];
    this.flushQueues = [];
    for (let i = 0; i < shardsNum; i++) {
      const topic = topicOf(id, i);
      this.shards.push(new Shard({
        collectionId: id,
        index: i,
        schema: () => this.meta().schema,
        log: { append: (payload) => ctx.log.append(topic, payload) },
        encode: encodeRecord,
        payloadBytesMax: ctx.log.payloadBytesMax,
        newSegmentId: () => ctx.newId(),
        segmentRowsMax: ctx.limits.segmentRowsMax,
        segmentBytesMax: ctx.limits.segmentBytesMax,
        onSealed: () => this.scheduleFlush(),
        onAppended: (seg) => ctx.onAppended(seg),
        partitionExists: (p) => this.partitionExists(p),
      }));
      this.flushQueues.push(new SerialQueue());
    }
  }

  meta(): CollectionMeta {
    const m = this.ctx.collection(this.id);
    assert(m, `collection ${this.id} has data but no metadata`);
    return m;
  }

  private partitionExists(p: number): boolean {
    const m = this.ctx.collection(this.id);
    return m !== undefined && m.partitions.some((x) => x.id === p) && !this.droppingPartitions.has(p);
  }

  // ---------------------------------------------------------------- recovery

  /** Loads flushed segments and L0 deletes, rebuilds the key index, replays the log. */
  async recover(): Promise<void> {
    const schema = this.meta().schema;
    const segMetas = this.ctx.metaScan(metaKeys.segments(this.id)).map(([, v]) => v as SegmentMeta);
    this.l0 = this.ctx.metaScan(metaKeys.l0s(this.id)).map(([, v]) => v as L0Meta);
    for (const sm of segMetas) {
      const shard = this.shards[sm.shard];
      if (!shard) throw new ElanusError('CORRUPT_DATA', { path: sm.file, offset: 0, detail: `segment of shard ${sm.shard}, collection has ${this.shards.length}` });
      const seg = await this.readSegment(sm, schema);
      shard.addRecovered(seg);
    }
    for (const shard of this.shards) {
      const deletes: Array<{ pk: PkKey; ts: bigint }> = [];
      // One key at a time: a spread of a whole file's keys into push() overflowed the
      // stack past ~120,000 keys, and the folder could not be opened again.
      for (const l of this.l0.filter((x) => x.shard === shard.index)) for (const d of await this.readL0(l)) deletes.push(d);
      shard.rebuildIndex(deletes);
      const ckpt = this.ctx.metaScan(metaKeys.checkpoint(this.id, shard.index))[0]?.[1] as number | undefined;
      shard.checkpoint = ckpt ?? -1;
      shard.appliedOffset = shard.checkpoint;
      // Stored deletes also cover rows the replay brings back: a partition drop stores
      // its keys' deletes at once, while older versions of those keys may still be in
      // the log past the checkpoint (DESIGN.md, lesson 8: deletes cover every gap).
      const latestDelete = new Map<PkKey, bigint>();
      for (const d of deletes) if ((latestDelete.get(d.pk) ?? -1n) < d.ts) latestDelete.set(d.pk, d.ts);
      await this.replay(shard, schema, latestDelete);
    }
  }

  private async replay(shard: Shard, schema: CollectionSchema, latestDelete: ReadonlyMap<PkKey, bigint>): Promise<void> {
    const topic = topicOf(this.id, shard.index);
    // Idempotent: a crash may have left it uncreated (a replica leaves that to the coordinator).
    if (!this.ctx.replica) await this.ctx.log.createStream(topic);
    let from = shard.checkpoint + 1;
    if (this.ctx.logFenceTs) {
      await this.ctx.log.append(topic, encodeRecord({ kind: 'delete', ts: this.ctx.logFenceTs(), pks: [], partitionId: -1 }));
    }
    let { first, end } = await this.ctx.log.bounds(topic);
    // A replicated log whose leading replica holds less than its peers (nats-server 2.9.x
    // can replay a purge wrongly on a restarted replica): another replica is asked to
    // lead, twice at most, before the recovery refuses to skip records.
    for (let tries = 0; from < first && this.ctx.log.reelect && tries < reelectTriesMax; tries++) {
      await this.ctx.log.reelect(topic);
      ({ first, end } = await this.ctx.log.bounds(topic));
    }
    if (from < first) {
      throw new ElanusError('CORRUPT_DATA', { path: topic, offset: from, detail: `log starts at ${first}, after the checkpoint ${shard.checkpoint}` });
    }
    await this.applyLog(shard, schema, from, end, latestDelete);
  }

  /**
   * A read replica's shard follows its log: applies every record from the last one it
   * applied to the log's end as read now, so a read after this sees every write the
   * coordinator acknowledged before it (engine/replica.ts). One at a time per shard.
   * REPLICA_BEHIND when the log no longer holds the next record (a flush moved the
   * checkpoint past it): the replica then reads the stores again.
   */
  catchUp(shardIndex: number, upTo?: number): Promise<void> {
    assert(this.ctx.replica, 'only a read replica follows the log');
    const shard = this.shards[shardIndex]!;
    // Already there: nothing to ask the log (the usual case when the coordinator says where).
    if (upTo !== undefined && shard.appliedOffset + 1 >= upTo) return Promise.resolve();
    return this.flushQueues[shardIndex]!.run(async () => {
      const topic = topicOf(this.id, shard.index);
      const from = shard.appliedOffset + 1;
      const { first, end } = upTo === undefined ? await this.ctx.log.bounds(topic) : { first: undefined, end: upTo };
      if (from >= end) return;
      if (first !== undefined && from < first) throw new ElanusError('REPLICA_BEHIND', { node: 'this node', detail: `the log of ${topic} starts at ${first}, past the replica's next record ${from}` });
      try {
        await this.applyLog(shard, this.meta().schema, from, end, new Map());
      } catch (e) {
        // Records below the log's first position were purged by a flush past this copy.
        if (e instanceof ElanusError && e.code === 'OFFSET_TRUNCATED') throw new ElanusError('REPLICA_BEHIND', { node: 'this node', detail: `the log of ${topic} no longer holds record ${from}: ${e.message}` });
        throw e;
      }
      if (shard.appliedOffset + 1 < end) throw new ElanusError('REPLICA_BEHIND', { node: 'this node', detail: `the log of ${topic} ended at ${shard.appliedOffset + 1}, before ${end}` });
    });
  }

  private async applyLog(shard: Shard, schema: CollectionSchema, start: number, end: number, latestDelete: ReadonlyMap<PkKey, bigint>): Promise<void> {
    const topic = topicOf(this.id, shard.index);
    const pkField = schema.fields.find((f) => f.isPrimary)!;
    let from = start;
    while (from < end) {
      const batch = await this.ctx.log.read(topic, from, 1024);
      if (batch.length === 0) break;
      for (const r of batch) {
        const rec = decodeRecord(r.payload, schema, (col, n) => pkKeys(pkField, col, n), `${topic}@${r.position}`);
        shard.apply(rec, r.position);
        if (rec.kind === 'insert' && latestDelete.size > 0) {
          for (const pk of rec.pks) {
            const d = latestDelete.get(pk);
            if (d !== undefined && d > rec.ts) shard.deleteIfOlder(pk, d);
          }
        }
      }
      from = batch[batch.length - 1]!.position + 1;
    }
  }

  private async readSegment(sm: SegmentMeta, schema: CollectionSchema): Promise<Segment> {
    const byId = new Map<number, FieldSchema>(schema.fields.map((f) => [f.fieldId, f]));
    byId.set(timestampFieldId, tsField);
    const parts = new PartsReader((id) => byId.get(id), sm.file);
    await readObjectFrames(this.ctx.objects, sm.file, (payload) => parts.add(payload));
    const d = parts.finish();
    const got = new Map(d.columns.map((c) => [c.fieldId, c]));
    const ts = got.get(timestampFieldId)!.values as BigInt64Array;
    const columns = schema.fields.map((f) => got.get(f.fieldId) ?? defaultColumn(f, d.count));
    const pkIdx = schema.fields.findIndex((f) => f.isPrimary);
    const pks = pkKeys(schema.fields[pkIdx]!, columns[pkIdx]!, d.count);
    const seg = Segment.sealedFrom({ id: sm.id, partitionId: sm.partitionId, shard: sm.shard, schema, startOffset: sm.startOffset }, columns, pks, ts, sm.endOffset);
    seg.state = 'flushed';
    seg.file = sm.file;
    seg.fileBytes = sm.bytes;
    seg.cleanTs = BigInt(sm.cleanTs);
    return seg;
  }

  private async readL0(l: L0Meta): Promise<Array<{ pk: PkKey; ts: bigint }>> {
    const path = l.file;
    const parts = new PartsReader((id) => (id === timestampFieldId ? tsField : undefined), path);
    await readObjectFrames(this.ctx.objects, l.file, (payload) => parts.add(payload));
    const d = parts.finish();
    const pks = d.columns[0]?.values as PkKey[] | undefined;
    const ts = d.columns[1]?.values as BigInt64Array | undefined;
    if (!Array.isArray(pks) || !(ts instanceof BigInt64Array) || pks.length !== d.count || ts.length !== d.count) {
      throw new ElanusError('CORRUPT_DATA', { path, offset: 0, detail: 'an L0 delete file holds a key column and a timestamp column of equal length' });
    }
    return pks.map((pk, i) => ({ pk, ts: ts[i]! }));
  }

  // ---------------------------------------------------------------- flush

  /** Flushes every shard: all rows acknowledged before the call end up in segment files. */
  async flush(): Promise<void> {
    await Promise.all(this.shards.map((s) => this.flushShard(s)));
  }

  /** Flushes wait until `releaseFlushes` (Maintenance.recover holds them until its garbage collection is done). */
  holdFlushes(): void {
    this.flushesHeld = true;
  }

  releaseFlushes(): void {
    this.flushesHeld = false;
    if (this.flushAsked) {
      this.flushAsked = false;
      this.scheduleFlush();
    }
  }

  private scheduleFlush(): void {
    if (this.ctx.replica) return;
    if (this.flushesHeld) {
      this.flushAsked = true;
      return;
    }
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      if (this.state !== 'ready') return;
      this.flush().catch((e) => this.ctx.onBackgroundError(e));
    });
  }

  private flushShard(shard: Shard): Promise<void> {
    return this.flushQueues[shard.index]!.run(async () => {
      try {
        await this.noteStorage(shard, () => this.flushShardNow(shard));
        this.flushFailed.delete(shard.index);
      } catch (e) {
        this.flushFailed.add(shard.index);
        throw e;
      }
    });
  }

  /**
   * Runs a flush or compaction step of `shard`, noting a storage failure (full volume, I/O
   * error) as a health fault of the shard's segment files, cleared by the next success.
   */
  private async noteStorage<T>(shard: Shard, step: () => Promise<T>): Promise<T> {
    const subject = `collection ${this.id} shard ${shard.index}`;
    try {
      const r = await step();
      this.ctx.health.healed('segments', subject);
      return r;
    } catch (e) {
      if (e instanceof ElanusError && (e.code === 'STORAGE_FULL' || e.code === 'STORAGE_IO')) this.ctx.health.fault('segments', subject, e);
      throw e;
    }
  }

  private async flushShardNow(shard: Shard): Promise<void> {
    {
      if (this.state !== 'ready') return;
      const job = shard.beginFlush();
      if (job.segments.length === 0 && job.deletes.length === 0 && job.upTo <= shard.checkpoint) return;
      const written: Array<{ seg: Segment; file: string; bytes: number }> = [];
      let l0: L0Meta[] = [];
      try {
        for (const seg of job.segments) {
          if (seg.state !== 'sealed' || seg.rowCount === 0) continue;
          written.push(await this.writeSegment(seg));
        }
        if (job.deletes.length > 0) l0 = await this.writeL0(shard.index, job.deletes, job.upTo);
      } catch (e) {
        // Nothing names these objects yet. The segments stay sealed and the deletes pending,
        // so the next flush (the background pass retries) writes them again.
        await this.removeFilesQuietly(written.map((w) => w.file));
        throw e;
      }
      this.ctx.crash('flush:segment-files-written');
      await this.ctx.coordinate(async () => {
        const live = written.filter((w) => w.seg.state === 'sealed' && this.partitionExists(w.seg.partitionId));
        if (this.state !== 'ready') {
          await this.removeFiles([...written.map((w) => w.file), ...l0.map((l) => l.file)]);
          return;
        }
        // A checkpoint only moves forward: the log below it may be deleted once it commits.
        assert(job.upTo >= shard.checkpoint, `checkpoint of shard ${shard.index} moves forward`);
        const put: Record<string, unknown> = { [metaKeys.checkpoint(this.id, shard.index)]: job.upTo };
        for (const w of live) put[metaKeys.segment(this.id, w.seg.id)] = segmentMeta(this.id, w.seg, w.file, w.bytes);
        for (const l of l0) put[metaKeys.l0(this.id, l.id)] = l;
        // A failed commit leaves the files where they are: whether its journal record
        // reached the disk is unknown until the store heals, and a file that committed
        // metadata names must exist. The next open removes them if nothing names them.
        await this.ctx.commit({ put });
        this.ctx.crash('flush:committed');
        if (l0.length > 0) this.l0 = this.l0.concat(l0);
        shard.finishFlush(job.upTo, live);
        if (live.length > 0) this.ctx.onSegmentsPublished();
        // Sealed segments of partitions dropped meanwhile never reach the metadata.
        await this.removeFiles(written.filter((w) => !live.includes(w)).map((w) => w.file));
      });
      if (this.state === 'ready') await this.ctx.log.truncate(topicOf(this.id, shard.index), shard.checkpoint + 1);
    }
  }

  /** Writes a segment's rows as one object of parts, each under the frame limit (segments/file-parts.ts). */
  private async writeSegment(seg: Segment): Promise<{ seg: Segment; file: string; bytes: number }> {
    const cols: Column[] = [...seg.columns(), { fieldId: timestampFieldId, values: seg.timestamps() }];
    const file = `${collectionPrefix(this.id)}${seg.id}.seg`;
    // Part by part: the file is never whole in memory beside the segment it is made from.
    const head = await this.ctx.objects.putParts(file, framedParts(partPayloads({ segment: seg.id, partition: seg.partitionId }, seg.rowCount, cols, { payloadBytesMax: recordPayloadBytesMax })));
    return { seg, file, bytes: head.size };
  }

  /**
   * Writes deletes as L0 files of at most l0FileKeysMax keys each (each file in parts
   * under the frame limit). All or nothing: a failure removes the files already written.
   */
  private async writeL0(shard: number, deletes: readonly PendingDelete[] | ReadonlyArray<{ pk: PkKey; ts: bigint }>, upTo: number): Promise<L0Meta[]> {
    const out: L0Meta[] = [];
    const keysMax = this.ctx.limits.l0FileKeysMax;
    try {
      for (let from = 0; from < deletes.length; from += keysMax) {
        const chunk = deletes.slice(from, from + keysMax);
        const id = this.ctx.newId();
        const cols: Column[] = [
          { fieldId: 0, values: chunk.map((d) => d.pk) },
          { fieldId: timestampFieldId, values: BigInt64Array.from(chunk, (d) => d.ts) },
        ];
        const file = `${collectionPrefix(this.id)}L0-${shard}-${id}.del`;
        await this.ctx.objects.putParts(file, framedParts(partPayloads({ l0: id }, chunk.length, cols, { payloadBytesMax: recordPayloadBytesMax })));
        out.push({ id, collectionId: this.id, shard, file, count: chunk.length, upTo });
      }
    } catch (e) {
      await this.removeFilesQuietly(out.map((l) => l.file));
      throw e;
    }
    return out;
  }

  /**
   * Stores deletes (at `ts`) of every key whose live row is in `partitionId`, so that no
   * older version of such a key in another partition comes back after a restart.
   * Runs inside the coordinator queue, during a partition drop, before its commit.
   */
  async writeDropTombstones(partitionId: number, ts: bigint): Promise<L0Meta[]> {
    const out: L0Meta[] = [];
    for (const shard of this.shards) {
      const keys: Array<{ pk: PkKey; ts: bigint }> = [];
      for (const seg of shard.segments()) {
        if (seg.partitionId !== partitionId) continue;
        for (let i = 0; i < seg.rowCount; i++) {
          const loc = shard.pkIndex.get(seg.pks[i]!);
          if (loc && loc.seg === seg && loc.row === i) keys.push({ pk: seg.pks[i]!, ts });
        }
      }
      if (keys.length === 0) continue;
      try {
        for (const l of await this.writeL0(shard.index, keys, shard.appliedOffset)) out.push(l);
      } catch (e) {
        await this.removeFilesQuietly(out.map((l) => l.file));
        throw e;
      }
    }
    return out;
  }

  /** After the drop's commit: the tombstones are part of the stored deletes. */
  addL0(files: readonly L0Meta[]): void {
    this.l0 = [...this.l0, ...files];
  }

  /** Deletes the objects (segment and L0 files) of these keys. */
  async removeFiles(files: readonly string[]): Promise<void> {
    await this.ctx.objects.deleteMany(files);
  }

  /** For cleanup after a failure: the first error is the one to report, and the next open removes what is left. */
  private async removeFilesQuietly(files: readonly string[]): Promise<void> {
    await this.ctx.objects.deleteMany(files).catch(() => undefined);
  }

  /**
   * Flushes when the oldest growing segment is older than the age limit, or when sealed
   * segments wait for their files (a flush that failed, on a full disk say, is retried).
   */
  flushIfDue(nowMs: number, tsToMs: (ts: bigint) => number): void {
    const old = this.shards.some((s) => s.growingSegments().some((g) => g.rowCount > 0 && nowMs - tsToMs(g.minTs) >= this.ctx.limits.segmentAgeMaxMs));
    // Sealed segments of a flush in progress are not waiting: it writes them.
    const waiting = this.shards.some((s) => this.flushQueues[s.index]!.length === 0 && (this.flushFailed.has(s.index) || s.segments().some((g) => g.state === 'sealed')));
    if (old || waiting) this.scheduleFlush();
  }

  // ---------------------------------------------------------------- compaction

  /** Merges small flushed segments and rewrites those with many deleted rows. */
  async compact(): Promise<{ merged: number; removedRows: number }> {
    let merged = 0;
    let removedRows = 0;
    for (const shard of this.shards) {
      const r = await this.flushQueues[shard.index]!.run(() => this.noteStorage(shard, () => this.compactShard(shard)));
      merged += r.merged;
      removedRows += r.removedRows;
    }
    return { merged, removedRows };
  }

  private async compactShard(shard: Shard): Promise<{ merged: number; removedRows: number }> {
    if (this.state !== 'ready') return { merged: 0, removedRows: 0 };
    const safeTs = this.ctx.safeTs();
    // Rows expired under the collection's TTL are dead like deleted ones: no read sees them.
    const since = this.ctx.safeSince(this.id, collectionTtlSeconds(this.meta()));
    const { compactionSmallRowsMax: small, compactionDeletedRatioMin: ratio } = this.ctx.limits;
    const byPartition = new Map<number, Segment[]>();
    for (const s of shard.segments()) {
      if (s.state !== 'flushed') continue;
      const dead = s.rowCount - s.countVisible(safeTs, since);
      if (s.rowCount < small || dead >= s.rowCount * ratio) {
        let list = byPartition.get(s.partitionId);
        if (!list) byPartition.set(s.partitionId, (list = []));
        list.push(s);
      }
    }
    let merged = 0;
    let removedRows = 0;
    for (const group of byPartition.values()) {
      const dead = group.reduce((n, s) => n + s.rowCount - s.countVisible(safeTs, since), 0);
      if (group.length < 2 && dead === 0) continue;
      const r = await this.compactGroup(shard, group, safeTs, since);
      if (r !== undefined) {
        merged += group.length;
        removedRows += r;
      }
    }
    await this.compactL0(shard);
    return { merged, removedRows };
  }

  /**
   * Rewrites `group` without the rows deleted at or before `safeTs` or written before
   * `since` (expired under the TTL), into as many segments
   * as it takes to keep each within segmentRowsMax rows and segmentBytesMax bytes (the
   * limits a growing segment is sealed at): ten small 768-d segments merged into one
   * made a 309 MB file before.
   */
  private async compactGroup(shard: Shard, group: Segment[], safeTs: bigint, since: bigint): Promise<number | undefined> {
    const schema = this.meta().schema;
    const outputs = cutOutputs(group, safeTs, since, this.ctx.limits);
    const total = group.reduce((n, s) => n + s.rowCount, 0);
    const kept = outputs.reduce((n, o) => n + o.length, 0);
    // As many segments out as in and no row dropped: a rewrite would gain nothing, and
    // the next pass would find the same group again.
    if (kept === total && outputs.length >= group.length) return undefined;
    let startOffset = Number.MAX_SAFE_INTEGER;
    let endOffset = -1;
    for (const s of group) {
      startOffset = Math.min(startOffset, s.startOffset);
      endOffset = Math.max(endOffset, s.endOffset);
    }
    const added: Array<{ seg: Segment; origin: Origin; file: string; bytes: number }> = [];
    try {
      for (const origin of outputs) {
        const columns = schema.fields.map((f, c) => gather(f, origin, c));
        const ts = BigInt64Array.from(origin, (o) => o.seg.tsAt(o.row));
        const seg = Segment.sealedFrom(
          { id: this.ctx.newId(), partitionId: group[0]!.partitionId, shard: shard.index, schema, startOffset },
          columns, origin.map((o) => o.seg.pks[o.row]!), ts, endOffset,
        );
        seg.cleanTs = safeTs;
        const w = await this.writeSegment(seg);
        added.push({ seg, origin, file: w.file, bytes: w.bytes });
      }
    } catch (e) {
      await this.removeFilesQuietly(added.map((a) => a.file));
      throw e;
    }
    this.ctx.crash('compaction:file-written');
    return this.ctx.coordinate(async () => {
      if (this.state !== 'ready' || group.some((s) => s.state !== 'flushed')) {
        await this.removeFiles(added.map((a) => a.file));
        return undefined;
      }
      const put: Record<string, unknown> = {};
      for (const a of added) put[metaKeys.segment(this.id, a.seg.id)] = segmentMeta(this.id, a.seg, a.file, a.bytes);
      await this.ctx.commit({ put, del: group.map((s) => metaKeys.segment(this.id, s.id)) });
      this.ctx.crash('compaction:committed');
      for (const a of added) {
        a.seg.state = 'flushed';
        a.seg.file = a.file;
        a.seg.fileBytes = a.bytes;
      }
      shard.swap(group, added, since > 0n);
      this.ctx.onSegmentsPublished();
      await this.removeFiles(group.map((s) => s.file!));
      return total - kept;
    });
  }

  /**
   * Merges a shard's L0 delete files once there are many, dropping deletes that can no
   * longer match a row: every segment either holds only newer rows or was rewritten by a
   * compaction that already dropped the rows the delete hid.
   */
  private async compactL0(shard: Shard): Promise<void> {
    const files = this.l0.filter((l) => l.shard === shard.index);
    if (files.length <= this.ctx.limits.l0FilesMax) return;
    // Every segment counts, flushed or not: a partition drop's deletes hide rows that may
    // still be only in the log, and would come back in the replay after a crash.
    const segs = shard.segments();
    const needed = (d: { ts: bigint }) => segs.some((s) => s.minTs < d.ts && s.cleanTs < d.ts);
    const keep: Array<{ pk: PkKey; ts: bigint }> = [];
    for (const l of files) for (const d of await this.readL0(l)) if (needed(d)) keep.push(d);
    const upTo = files.reduce((m, l) => Math.max(m, l.upTo), -1);
    const merged = keep.length > 0 ? await this.writeL0(shard.index, keep, upTo) : [];
    await this.ctx.coordinate(async () => {
      if (this.state !== 'ready') {
        await this.removeFiles(merged.map((l) => l.file));
        return;
      }
      const put: Record<string, unknown> = {};
      for (const l of merged) put[metaKeys.l0(this.id, l.id)] = l;
      await this.ctx.commit({ put, del: files.map((l) => metaKeys.l0(this.id, l.id)) });
      const gone = new Set(files);
      this.l0 = this.l0.filter((l) => !gone.has(l)).concat(merged);
      await this.removeFiles(files.map((l) => l.file));
    });
  }

  /** Object keys that committed metadata names (for garbage collection). */
  liveFiles(): Set<string> {
    const out = new Set<string>();
    for (const s of this.shards) for (const seg of s.segments()) if (seg.file) out.add(seg.file);
    for (const l of this.l0) out.add(l.file);
    return out;
  }

  l0Files(): readonly L0Meta[] {
    return this.l0;
  }

  /** Waits for flushes and compactions in progress. */
  async idle(): Promise<void> {
    await Promise.all(this.flushQueues.map((q) => q.idle()));
  }

  /** Waits until every write submitted so far is applied. */
  async barrier(): Promise<void> {
    await Promise.all(this.shards.map((s) => s.barrier()));
  }
}

const tsField: FieldSchema = Object.freeze({
  fieldId: timestampFieldId, name: '$ts', description: '', type: DataType.Int64,
  isPrimary: false, autoId: false, nullable: false, isPartitionKey: false, isDynamic: false,
});

function segmentMeta(collectionId: number, seg: Segment, file: string, bytes: number): SegmentMeta {
  return {
    id: seg.id, collectionId, partitionId: seg.partitionId, shard: seg.shard, file, rows: seg.rowCount, bytes,
    startOffset: seg.startOffset, endOffset: seg.endOffset, cleanTs: seg.cleanTs.toString(),
  };
}

type Origin = ReadonlyArray<{ seg: Segment; row: number }>;

/**
 * The rows of `group` still visible after `safeTs` and not expired (written at or after
 * `since`), in segment order, cut into runs of at most segmentRowsMax rows and (by each
 * source segment's bytes per row) segmentBytesMax bytes.
 */
function cutOutputs(group: readonly Segment[], safeTs: bigint, since: bigint, limits: EngineLimits): Origin[] {
  const out: Array<Array<{ seg: Segment; row: number }>> = [];
  let cur: Array<{ seg: Segment; row: number }> = [];
  let curBytes = 0;
  for (const s of group) {
    const perRow = s.rowCount > 0 ? s.memoryBytes() / s.rowCount : 0;
    for (let i = 0; i < s.rowCount; i++) {
      if (s.deleteTsAt(i) <= safeTs || s.tsAt(i) < since) continue;
      if (cur.length > 0 && (cur.length >= limits.segmentRowsMax || curBytes + perRow > limits.segmentBytesMax)) {
        out.push(cur);
        cur = [];
        curBytes = 0;
      }
      cur.push({ seg: s, row: i });
      curBytes += perRow;
    }
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

/** Copies the listed rows of column `c` from their segments into one new column. */
function gather(f: FieldSchema, origin: ReadonlyArray<{ seg: Segment; row: number }>, c: number): Column {
  const n = origin.length;
  const ctor = typedCtorOf(f.type);
  const w = widthOf(f);
  const valid = f.nullable ? new Uint8Array(n) : undefined;
  if (ctor) {
    const out = new ctor(n * w) as Uint8Array;
    for (let i = 0; i < n; i++) {
      const col = origin[i]!.seg.column(c);
      const r = origin[i]!.row;
      out.set((col.values as Uint8Array).subarray(r * w, (r + 1) * w), i * w);
      if (valid) valid[i] = col.valid ? col.valid[r]! : 1;
    }
    return { fieldId: f.fieldId, values: out, valid };
  }
  const list = new Array<unknown>(n);
  for (let i = 0; i < n; i++) {
    const col = origin[i]!.seg.column(c);
    const r = origin[i]!.row;
    list[i] = (col.values as readonly unknown[])[r];
    if (valid) valid[i] = col.valid ? col.valid[r]! : 1;
  }
  return { fieldId: f.fieldId, values: list, valid };
}

export { tsMax };
