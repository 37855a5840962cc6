// Interim indexes of growing segments. Once a growing segment of a collection with a
// dense vector index holds another whole chunk of `chunkRows` rows, an HNSW graph over
// that chunk is built in the background, in memory only (after a restart the log replays
// the rows and the chunks are built again). A search walks the chunks and scans exactly
// only the rows past the last one, instead of scanning the whole growing segment; the
// segment keeps its chunks through seal and flush until its own index is ready, and then
// they are dropped.
//
// A chunk covers rows that were appended and never change afterwards (an upsert or a
// delete marks the old row deleted, and the search's allow mask hides it), so a chunk
// stays right for the segment's life. Whether a finished chunk is still wanted (segment
// still growing or waiting for its index, the field's index unchanged) is checked in the
// same synchronous step that appends it.
import type { CollectionMeta, FieldSchema, IndexMeta } from '../catalog/types.js';
import { DataType } from '../catalog/types.js';
import { indexesOf } from '../catalog/index.js';
import { CoalescedPass } from '../concurrency/index.js';
import { ElanusError } from '../errors/index.js';
import { buildIndex, newCancelWord, type IndexBuildSpec, type NativeIndex, type VectorData } from '../index/native.js';
import { planVectorIndex } from '../index/spec.js';
import type { InterimChunks } from '../query/vector-search.js';
import type { Segment } from '../segments/segment.js';
import type { CollectionData } from './collection.js';

export interface InterimIndexContext {
  /** Rows per chunk; 0 turns interim indexes off. */
  readonly chunkRows: number;
  collections(): Iterable<{ meta: CollectionMeta; data: CollectionData }>;
  /** Whether the segment's own index on `field` is ready (its chunks are then dropped). */
  hasFinal(coll: CollectionMeta, field: FieldSchema, seg: Segment): boolean;
  onBackgroundError(e: unknown): void;
}

interface Entry {
  readonly indexId: number;
  readonly hnswM: number;
  readonly chunks: NativeIndex[];
  failed: boolean;
}

interface Job {
  readonly coll: CollectionMeta;
  readonly data: CollectionData;
  readonly seg: Segment;
  readonly field: FieldSchema;
  readonly index: IndexMeta;
  readonly spec: Extract<IndexBuildSpec, { type: 'HNSW' }>;
  readonly chunk: number;
}

const denseTypes = new Set<DataType>([DataType.FloatVector, DataType.Float16Vector, DataType.BFloat16Vector, DataType.Int8Vector]);

export class InterimIndexes {
  /** segment → field id → its chunks. */
  private readonly entries = new Map<Segment, Map<number, Entry>>();
  /** Chunks a segment had when last considered: appends start a pass only when a new one fills. */
  private readonly considered = new WeakMap<Segment, number>();
  private readonly passes = new CoalescedPass(() => this.pass(), (e) => this.ctx.onBackgroundError(e));
  private closed = false;
  /** Set by close(): a chunk build in progress stops between rows. */
  private readonly cancel = newCancelWord();
  readonly stats = { built: 0, failed: 0, dropped: 0 };

  constructor(private readonly ctx: InterimIndexContext) {}

  /** After rows were appended to a growing segment: starts a pass when a chunk has filled. */
  noteAppended(seg: Segment): void {
    const n = this.ctx.chunkRows;
    if (n === 0 || seg.rowCount < n) return;
    const full = Math.floor(seg.rowCount / n);
    if (full > (this.considered.get(seg) ?? 0)) {
      this.considered.set(seg, full);
      this.schedule();
    }
  }

  /** The chunks of `seg` for the collection's index on `field`, if any are ready. */
  lookup(coll: CollectionMeta, field: FieldSchema, seg: Segment): InterimChunks | undefined {
    const e = this.entries.get(seg)?.get(field.fieldId);
    if (!e || e.chunks.length === 0) return undefined;
    const index = indexesOf(coll).find((i) => i.fieldId === field.fieldId);
    if (!index || index.indexId !== e.indexId) return undefined;
    return { chunkRows: this.ctx.chunkRows, chunks: e.chunks, hnswM: e.hnswM };
  }

  /** Starts a background pass (coalesced) that drops what is no longer needed and builds what is missing. */
  schedule(): void {
    if (this.closed || this.ctx.chunkRows === 0) return;
    this.passes.schedule();
  }

  /** Resolves once every build scheduled so far has finished. */
  idle(): Promise<void> {
    return this.passes.idle();
  }


  async close(): Promise<void> {
    this.closed = true;
    Atomics.store(this.cancel, 0, 1);
    await this.passes.idle();
    this.entries.clear();
  }

  /** Bytes held by interim chunks. */
  memoryBytes(): number {
    let b = 0;
    for (const fields of this.entries.values()) for (const e of fields.values()) for (const c of e.chunks) b += c.memoryBytes();
    return b;
  }

  /** Chunks held (tests, stats). */
  chunkCount(): number {
    let n = 0;
    for (const fields of this.entries.values()) for (const e of fields.values()) n += e.chunks.length;
    return n;
  }

  private async pass(): Promise<void> {
    for (;;) {
      this.prune();
      if (this.closed) return;
      const job = this.nextJob();
      if (!job) return;
      await this.run(job);
    }
  }

  /** Drops the chunks of segments that are gone or have their own index, and of changed indexes. */
  private prune(): void {
    const live = new Map<Segment, CollectionMeta>();
    for (const { meta, data } of this.ctx.collections()) {
      if (data.state !== 'ready') continue;
      for (const s of data.shards) for (const seg of s.segments()) live.set(seg, meta);
    }
    for (const [seg, fields] of this.entries) {
      const coll = live.get(seg);
      for (const [fieldId, e] of fields) {
        const field = coll?.schema.fields.find((f) => f.fieldId === fieldId);
        const index = coll ? indexesOf(coll).find((i) => i.fieldId === fieldId) : undefined;
        if (coll && field && index?.indexId === e.indexId && !this.ctx.hasFinal(coll, field, seg)) continue;
        fields.delete(fieldId);
        this.stats.dropped += e.chunks.length;
      }
      if (fields.size === 0) this.entries.delete(seg);
    }
  }

  private nextJob(): Job | undefined {
    const n = this.ctx.chunkRows;
    for (const { meta, data } of this.ctx.collections()) {
      if (data.state !== 'ready') continue;
      for (const index of indexesOf(meta)) {
        const field = meta.schema.fields.find((f) => f.fieldId === index.fieldId);
        if (!field || !denseTypes.has(field.type)) continue;
        const spec = interimSpec(index, field);
        if (!spec) continue;
        for (const s of data.shards) {
          for (const seg of s.segments()) {
            if (seg.state !== 'growing' || seg.rowCount < n) continue;
            const e = this.entries.get(seg)?.get(field.fieldId);
            if (e?.failed && e.indexId === index.indexId) continue;
            const have = e?.indexId === index.indexId ? e.chunks.length : 0;
            if (have < Math.floor(seg.rowCount / n)) return { coll: meta, data, seg, field, index, spec, chunk: have };
          }
        }
      }
    }
    return undefined;
  }

  private async run(job: Job): Promise<void> {
    const { seg, field, index, spec, chunk } = job;
    const n = this.ctx.chunkRows;
    const fieldIndex = seg.schema.fields.findIndex((f) => f.fieldId === field.fieldId);
    // Rows [chunk·n, (chunk+1)·n) were appended before now and never change; later appends
    // write past them (into this array or a larger copy), so the build reads a stable range.
    const values = seg.column(fieldIndex).values as VectorData;
    const width = field.dim!;
    let built: NativeIndex;
    try {
      built = await buildIndex(spec, values.subarray(chunk * n * width, (chunk + 1) * n * width) as VectorData, n, this.cancel);
    } catch (e) {
      if (this.closed || (e instanceof ElanusError && e.code === 'CLOSED')) return;
      this.entryFor(seg, field.fieldId, index.indexId, spec.M).failed = true;
      this.stats.failed++;
      this.ctx.onBackgroundError(e);
      return;
    }
    // Check and append in one synchronous step.
    if (this.closed || job.data.state !== 'ready' || seg.state === 'dropped') return;
    if (!job.data.shards.some((s) => s.segments().includes(seg))) return;
    const current = indexesOf(job.coll).find((i) => i.fieldId === field.fieldId);
    const live = [...this.ctx.collections()].find((c) => c.data === job.data);
    if (!live || !indexesOf(live.meta).some((i) => i.indexId === index.indexId) || current?.indexId !== index.indexId) return;
    const e = this.entryFor(seg, field.fieldId, index.indexId, spec.M);
    if (e.chunks.length !== chunk) return;
    e.chunks.push(built);
    this.stats.built++;
  }

  private entryFor(seg: Segment, fieldId: number, indexId: number, hnswM: number): Entry {
    let fields = this.entries.get(seg);
    if (!fields) this.entries.set(seg, fields = new Map());
    let e = fields.get(fieldId);
    if (!e || e.indexId !== indexId) fields.set(fieldId, e = { indexId, hnswM, chunks: [], failed: false });
    return e;
  }
}

/**
 * The graph built over a chunk: the collection's own HNSW parameters when its index is
 * HNSW (so `ef` means the same on every segment), else HNSW with M 16, efConstruction 100
 * over the index's metric (IVF parameters mean nothing to a few thousand rows). FLAT needs
 * none; binary and sparse fields have none.
 */
function interimSpec(index: IndexMeta, field: FieldSchema): Extract<IndexBuildSpec, { type: 'HNSW' }> | undefined {
  let plan;
  try {
    plan = planVectorIndex(index, field, 1);
  } catch {
    return undefined;
  }
  if (plan.kind !== 'native') return undefined;
  const s = plan.spec;
  if (s.type === 'HNSW') return { ...s, threads: 1 };
  if (s.type === 'BIN_IVF_FLAT') return undefined;
  return { type: 'HNSW', metric: s.metric, dim: s.dim, element: s.element, M: 16, efConstruction: 100, storage: 'f32', threads: 1 };
}
