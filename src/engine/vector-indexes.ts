// The vector indexes of flushed segments: built in the background, one at a time, after
// a flush or compaction publishes a segment and for existing segments when an index is
// created; stored as an object beside the segment's (`segments/<collection>/<segment>.<index>.vidx`)
// and loaded from there after a restart instead of being rebuilt.
//
// Searches ask `lookup` for a segment's index and scan exactly while there is none, so a
// finished build switches a segment over in one synchronous step (install). A build
// reads only the sealed segment's frozen vector column; whether its result is still
// wanted (segment live, index not dropped) is checked in the same step that installs it.
//
// A file is one put to the ObjectStore (atomic and durable), with a checksum of its own
// over its bytes: a crash mid-build leaves either no object or a whole one, and a
// damaged file (by its checksum or the store's) is rebuilt rather than trusted.
//
// These files are the only index blobs Elanus persists (sparse and scalar indexes are
// rebuilt in memory on load), and each carries two versioned headers: this file's frame
// (magic, file version, CRC-32, length) around the native index's own bytes (magic,
// format version, kind, ...; native/format.h, which also records the usearch version of
// an HNSW graph). A file this build cannot read (a newer file or format version, an HNSW
// graph of another usearch version) is rebuilt from its segment like a damaged one, and
// the repair says why; opening never fails for it.
import { crc32 } from 'node:zlib';
import type { CollectionMeta, FieldSchema, IndexMeta } from '../catalog/types.js';
import { indexesOf, isVector } from '../catalog/index.js';
import { CoalescedPass } from '../concurrency/index.js';
import { ElanusError } from '../errors/index.js';
import { buildIndex, loadIndex, newCancelWord, type NativeIndex, type VectorData } from '../index/native.js';
import { SparseIndex } from '../index/sparse.js';
import { planVectorIndex, type VectorIndexPlan } from '../index/spec.js';
import type { SegmentIndex } from '../query/vector-search.js';
import type { Segment } from '../segments/segment.js';
import type { ObjectStore } from '../storage/index.js';
import { type CollectionData, collectionPrefix } from './collection.js';
import type { Health } from './health.js';

const magic = 0x58495645; // "EVIX" little-endian
/** The frame's own version (the native bytes inside carry their format version). */
export const indexFileVersion = 1;
const headerBytes = 16;
/** An index file is read whole, and one read returns at most 2 GiB - 1 bytes. */
export const indexFileBytesMax = 2 ** 31 - 1;

/** Refuses an index whose file would pass indexFileBytesMax (checked before it is written). */
export function checkIndexFileSize(payloadBytes: number): void {
  if (payloadBytes + headerBytes > indexFileBytesMax) {
    throw new ElanusError('LIMIT_EXCEEDED', { what: 'index file size', detail: `${payloadBytes + headerBytes} bytes, over ${indexFileBytesMax}` });
  }
}

/** The index file's bytes: magic, file version, crc32 of the payload, payload length (low 32 bits), payload. */
export function frameIndexFile(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(headerBytes + payload.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, magic, true);
  v.setUint32(4, indexFileVersion, true);
  v.setUint32(8, crc32(payload), true);
  v.setUint32(12, payload.length >>> 0, true);
  out.set(payload, headerBytes);
  return out;
}

/** The payload, or why the file is not a whole, undamaged index file this build reads. */
export function unframeIndexFile(buf: Uint8Array): { payload: Uint8Array } | { problem: string } {
  if (buf.length < headerBytes) return { problem: `the file is damaged: ${buf.length} bytes, shorter than its header` };
  const v = new DataView(buf.buffer, buf.byteOffset, headerBytes);
  if (v.getUint32(0, true) !== magic) return { problem: 'the file is damaged: not an index file (bad magic)' };
  const version = v.getUint32(4, true);
  if (version > indexFileVersion) return { problem: `the file is of version ${version}, newer than this build reads (${indexFileVersion})` };
  if (version !== indexFileVersion) return { problem: `the file is damaged: version ${version} does not exist` };
  const payload = buf.subarray(headerBytes);
  if ((payload.length >>> 0) !== v.getUint32(12, true)) return { problem: 'the file is damaged: its length does not match its header' };
  if (crc32(payload) !== v.getUint32(8, true)) return { problem: 'the file is damaged: checksum mismatch' };
  return { payload };
}

/** The object key of a segment's index file. */
export const indexFileOf = (collectionId: number, segmentId: number, indexId: number) => `${collectionPrefix(collectionId)}${segmentId}.${indexId}.vidx`;

interface Entry {
  readonly segment: Segment;
  readonly index: SegmentIndex;
  readonly file: string | undefined;
}

export interface VectorIndexContext {
  /** Where index files are kept, by key (indexFileOf). */
  readonly objects: ObjectStore;
  readonly buildThreads: number;
  /** Live collections with their data. */
  collections(): Iterable<{ meta: CollectionMeta; data: CollectionData }>;
  onBackgroundError(e: unknown): void;
  /** A segment's index became ready (its interim chunks can go). */
  onInstalled?: () => void;
  /** Index files that cannot be written are noted here; damaged ones rebuilt are reported as repairs. */
  readonly health: Health;
  /**
   * A read replica's (engine/replica.ts): index files are only loaded, never built,
   * written or deleted (the coordinator does that); a segment whose file is not there yet
   * is searched exactly until `retryAbsent` finds it.
   */
  readonly loadOnly?: boolean;
}

export interface IndexProgress {
  readonly indexedRows: number;
  readonly totalRows: number;
  readonly failReason: string | undefined;
}

export class VectorIndexes {
  /** `${collection}/${segment}/${index}` → the ready index. */
  private readonly entries = new Map<string, Entry>();
  /** Builds that failed, with the reason (not retried until the index is recreated or a restart). */
  private readonly failed = new Map<string, string>();
  /**
   * Indexes built and in use whose file could not be written (a full volume, an I/O
   * error): each pass tries again, so no build is repeated for want of space.
   */
  private readonly unsaved = new Map<string, { native: NativeIndex; file: string; job: Job }>();
  private readonly passes = new CoalescedPass(() => this.pass(), (e) => this.ctx.onBackgroundError(e));
  private closed = false;
  /** Set by close(): a build in progress stops between rows, so a closing engine does not wait for it. */
  private readonly cancel = newCancelWord();
  readonly stats = { built: 0, loaded: 0, failed: 0, discarded: 0 };
  /** Load-only: keys whose file was not there when last looked for. */
  private readonly absent = new Set<string>();

  constructor(private readonly ctx: VectorIndexContext) {}

  private static key(collectionId: number, segmentId: number, indexId: number): string {
    return `${collectionId}/${segmentId}/${indexId}`;
  }

  /** The ready index of `seg` for the collection's index on `field`, if any. */
  lookup(coll: CollectionMeta, field: FieldSchema, seg: Segment): SegmentIndex | undefined {
    const index = indexesOf(coll).find((i) => i.fieldId === field.fieldId);
    if (!index) return undefined;
    const e = this.entries.get(VectorIndexes.key(coll.id, seg.id, index.indexId));
    return e && e.segment === seg ? e.index : undefined;
  }

  /** Files a restart keeps: an index file of every live segment for every vector index. */
  expectedFiles(coll: CollectionMeta, data: CollectionData): string[] {
    const out: string[] = [];
    const vectorIndexes = indexesOf(coll).filter((i) => isVectorField(coll, i));
    for (const s of data.shards) for (const seg of s.segments()) if (seg.file) for (const i of vectorIndexes) out.push(indexFileOf(coll.id, seg.id, i.indexId));
    return out;
  }

  progress(coll: CollectionMeta, data: CollectionData, index: IndexMeta): IndexProgress {
    const field = coll.schema.fields.find((f) => f.fieldId === index.fieldId);
    let total = 0;
    let indexed = 0;
    let failReason: string | undefined;
    const exact = field !== undefined && isVector(field.type) && planVectorIndex(index, field).kind === 'exact';
    for (const s of data.shards) {
      for (const seg of s.segments()) {
        if (seg.state !== 'flushed') continue;
        total += seg.rowCount;
        const key = VectorIndexes.key(coll.id, seg.id, index.indexId);
        // Scalar indexes are built on first use by the filter executor; FLAT needs nothing.
        if (exact || !field || !isVector(field.type) || this.entries.get(key)?.segment === seg) indexed += seg.rowCount;
        failReason ??= this.failed.get(key);
      }
    }
    return { indexedRows: indexed, totalRows: total, failReason };
  }

  /** Starts a background pass (coalesced) that builds or loads what is missing. */
  schedule(): void {
    if (this.closed) return;
    this.passes.schedule();
  }

  /** Load-only: looks again for the files that were not there (the coordinator may have written them since). */
  retryAbsent(): void {
    if (this.absent.size === 0) return;
    this.absent.clear();
    this.schedule();
  }

  /** Load-only: how many indexed segments still wait for their file. */
  absentCount(): number {
    return this.absent.size;
  }

  /** Resolves once every build or load scheduled so far has finished. */
  idle(): Promise<void> {
    return this.passes.idle();
  }


  /** Forgets an index (dropped): its entries go and its files are removed. */
  async forgetIndex(collectionId: number, indexId: number): Promise<void> {
    const files: string[] = [];
    for (const [k, e] of this.entries) {
      const [c, , i] = k.split('/').map(Number);
      if (c === collectionId && i === indexId) {
        this.entries.delete(k);
        if (e.file) files.push(e.file);
      }
    }
    for (const k of this.failed.keys()) if (k.startsWith(`${collectionId}/`) && k.endsWith(`/${indexId}`)) this.failed.delete(k);
    await this.ctx.objects.deleteMany(files);
  }

  /** Forgets every index of a dropped collection (the drop deletes its objects). */
  forgetCollection(collectionId: number): void {
    for (const k of [...this.entries.keys()]) if (k.startsWith(`${collectionId}/`)) this.entries.delete(k);
    for (const k of [...this.failed.keys()]) if (k.startsWith(`${collectionId}/`)) this.failed.delete(k);
  }

  async close(): Promise<void> {
    this.closed = true;
    Atomics.store(this.cancel, 0, 1);
    await this.passes.idle();
    this.entries.clear();
  }

  /** Bytes held by ready indexes. */
  memoryBytes(collectionId?: number): number {
    let b = 0;
    for (const [k, e] of this.entries) if (collectionId === undefined || k.startsWith(`${collectionId}/`)) b += e.index.index.memoryBytes();
    return b;
  }

  private async pass(): Promise<void> {
    await this.prune();
    await this.saveUnsaved();
    for (;;) {
      if (this.closed) return;
      const job = this.nextJob();
      if (!job) return;
      await this.run(job);
    }
  }

  /** Drops entries (and files) of segments that compaction or a partition drop removed. */
  private async prune(): Promise<void> {
    const live = new Set<Segment>();
    for (const { data } of this.ctx.collections()) for (const s of data.shards) for (const seg of s.segments()) live.add(seg);
    const files: string[] = [];
    for (const [k, e] of this.entries) {
      if (live.has(e.segment)) continue;
      this.entries.delete(k);
      if (e.file) files.push(e.file);
    }
    if (this.ctx.loadOnly) return;
    await this.ctx.objects.deleteMany(files);
  }

  private nextJob(): Job | undefined {
    for (const { meta, data } of this.ctx.collections()) {
      if (data.state !== 'ready') continue;
      for (const index of indexesOf(meta)) {
        const field = meta.schema.fields.find((f) => f.fieldId === index.fieldId);
        if (!field || !isVector(field.type)) continue;
        const plan = planVectorIndex(index, field, Math.max(1, this.ctx.buildThreads));
        if (plan.kind === 'exact') continue;
        for (const s of data.shards) {
          for (const seg of s.segments()) {
            if (seg.state !== 'flushed' || seg.rowCount === 0) continue;
            const key = VectorIndexes.key(meta.id, seg.id, index.indexId);
            if (this.entries.get(key)?.segment === seg || this.failed.has(key) || this.absent.has(key)) continue;
            return { key, coll: meta, data, seg, index, field, plan };
          }
        }
      }
    }
    return undefined;
  }

  private async run(job: Job): Promise<void> {
    const { coll, seg, index, field, plan } = job;
    const fieldIndex = seg.schema.fields.findIndex((f) => f.fieldId === field.fieldId);
    const file = plan.kind === 'sparse' ? undefined : indexFileOf(coll.id, seg.id, index.indexId);
    let built: SegmentIndex;
    let fromFile = false;
    try {
      if (plan.kind === 'sparse') {
        // Cheap to build (one pass over the non-zeros), so not stored.
        built = { kind: 'sparse', index: SparseIndex.build(seg.column(fieldIndex).values as readonly unknown[], seg.rowCount) };
      } else if (plan.kind === 'native') {
        const stored = await this.readStored(file!);
        if (!stored && this.ctx.loadOnly) {
          this.absent.add(job.key);
          return;
        }
        const native = stored ?? await buildIndex(plan.spec, seg.column(fieldIndex).values as VectorData, seg.rowCount, this.cancel);
        fromFile = stored !== undefined;
        if (!fromFile) {
          if (!this.wanted(job)) return this.discard(undefined);
          if (!(await this.save(native, file!, job))) {
            // Searches use the index now; its file follows once the volume takes writes.
            if (!this.wanted(job)) return this.discard(undefined);
            this.unsaved.set(job.key, { native, file: file!, job });
            this.entries.set(job.key, { segment: seg, index: nativeEntry(native, plan), file: undefined });
            this.stats.built++;
            this.ctx.onInstalled?.();
            return;
          }
        }
        built = nativeEntry(native, plan);
      } else {
        return;
      }
    } catch (e) {
      // Cancelled by close(), or the engine closed under a load: nothing to keep or count.
      if (e instanceof ElanusError && e.code === 'CLOSED') return;
      if (!this.wanted(job)) return this.discard(undefined);
      this.failed.set(job.key, (e as Error).message);
      this.stats.failed++;
      this.ctx.onBackgroundError(e);
      return;
    }
    // Check and install in one synchronous step: nothing can drop the segment or the
    // index between the check and the switch.
    if (!this.wanted(job)) return this.discard(fromFile ? undefined : file);
    this.entries.set(job.key, { segment: seg, index: built, file });
    if (fromFile) this.stats.loaded++;
    else this.stats.built++;
    this.ctx.onInstalled?.();
  }

  /** Still a live flushed segment of a live collection that still has this index? */
  private wanted(job: Job): boolean {
    if (this.closed || job.data.state !== 'ready' || job.seg.state !== 'flushed') return false;
    const live = [...this.ctx.collections()].find((c) => c.data === job.data);
    if (!live || !indexesOf(live.meta).some((i) => i.indexId === job.index.indexId)) return false;
    return job.data.shards.some((s) => s.segments().includes(job.seg));
  }

  private async discard(file: string | undefined): Promise<void> {
    this.stats.discarded++;
    if (file && !this.ctx.loadOnly) await this.ctx.objects.delete(file).catch(() => undefined);
  }

  /**
   * Writes an index file. A storage failure (full volume, I/O error) is noted as a health
   * fault and answered false; the caller keeps the index in memory and tries later.
   */
  private async save(native: NativeIndex, file: string, job: Job): Promise<boolean> {
    try {
      const payload = await native.serialize();
      // The header keeps the low 32 bits of the length, and a file is read whole, so
      // an index file is kept under what one read can return (2 GiB).
      checkIndexFileSize(payload.length);
      await this.ctx.objects.put(file, frameIndexFile(payload));
      this.ctx.health.healed('indexes', 'index files');
      return true;
    } catch (e) {
      if (!(e instanceof ElanusError) || (e.code !== 'STORAGE_FULL' && e.code !== 'STORAGE_IO')) throw e;
      // A write that failed because its collection was dropped meanwhile is no fault of the volume.
      if (this.wanted(job)) this.ctx.health.fault('indexes', 'index files', e);
      return false;
    }
  }

  /** Writes the files of indexes that are in use but were not saved; stops at the first failure. */
  private async saveUnsaved(): Promise<void> {
    for (const [key, u] of [...this.unsaved]) {
      if (this.closed) return;
      const e = this.entries.get(key);
      if (!e || !this.wanted(u.job)) {
        this.unsaved.delete(key);
        continue;
      }
      if (!(await this.save(u.native, u.file, u.job))) return;
      this.unsaved.delete(key);
      // Install the file name in the same step as the check: a drop may have come meanwhile.
      if (this.wanted(u.job) && this.entries.get(key) === e) this.entries.set(key, { ...e, file: u.file });
      else await this.ctx.objects.delete(u.file).catch(() => undefined);
    }
  }

  private async readStored(file: string): Promise<NativeIndex | undefined> {
    let bytes: Uint8Array;
    try {
      bytes = await this.ctx.objects.get(file);
    } catch (e) {
      if (e instanceof ElanusError && e.code === 'OBJECT_NOT_FOUND') return undefined;
      // The store's own checksum or header does not match: damaged like a bad frame.
      if (e instanceof ElanusError && e.code === 'CORRUPT_DATA') {
        this.ctx.health.repaired('index-rebuilt', { file, reason: `the file is damaged: ${e.message}` });
        return undefined;
      }
      throw e;
    }
    const framed = unframeIndexFile(bytes);
    if ('problem' in framed) {
      this.ctx.health.repaired('index-rebuilt', { file, reason: framed.problem });
      return undefined;
    }
    try {
      return await loadIndex(framed.payload);
    } catch (e) {
      // Damaged ("corrupt index: …") or unreadable by this build ("incompatible index: …",
      // a newer format or another usearch): either way the segment has the rows.
      if (!(e instanceof ElanusError) || e.code !== 'INVALID_ARGUMENT') throw e;
      this.ctx.health.repaired('index-rebuilt', { file, reason: `the index in the file does not load: ${e.message}` });
      return undefined;
    }
  }
}

interface Job {
  readonly key: string;
  readonly coll: CollectionMeta;
  readonly data: CollectionData;
  readonly seg: Segment;
  readonly index: IndexMeta;
  readonly field: FieldSchema;
  readonly plan: VectorIndexPlan;
}

function nativeEntry(index: NativeIndex, plan: VectorIndexPlan): SegmentIndex {
  if (plan.kind !== 'native') throw new Error('not a native plan');
  const s = plan.spec;
  return s.type === 'HNSW' ? { kind: 'native', index, hnswM: s.M } : { kind: 'native', index, nlist: s.nlist };
}

function isVectorField(coll: CollectionMeta, i: IndexMeta): boolean {
  const f = coll.schema.fields.find((x) => x.fieldId === i.fieldId);
  return f !== undefined && isVector(f.type);
}
