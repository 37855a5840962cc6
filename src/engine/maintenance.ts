// Recovery at open, garbage collection, the background pass (flush by age, compaction, health probes), explicit flush and compaction.
// A role of the embedded engine (engine/README.md): its state is the engine core's,
// shared with the other roles; it reaches them only through core.roles.
import { fail } from '../errors/index.js';
import type { Timer } from '../concurrency/index.js';
import { objectKeys } from '../storage/index.js';
import { physicalOf } from '../tso/index.js';
import { CollectionData, topicOf } from './collection.js';
import { type CollectionReq, type DbScoped, status } from '../gateway/requests.js';
import { type EngineCore, catalogChanges } from './core.js';

/** Manual compactions whose state getCompactionState answers: the latest ones. */
const compactionsRememberedMax = 1024;

export class Maintenance {
  private timer: Timer | undefined;
  private backgroundRunning = false;
  /** Plan count of each manual compaction by id, oldest first. */
  private readonly compactions = new Map<number, number>();

  constructor(private readonly core: EngineCore) {}

  stopBackground(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** `dropped`: entries of the old segment folder that opening removed without import. */
  async recover(dropped: readonly string[] = []): Promise<void> {
    for (const c of this.core.catalog.allCollections()) {
      const d = new CollectionData(c.id, this.core.context(), c.shardsNum);
      // Not before the garbage collection below: it must not list a flush's files before
      // their commit (collection.ts holdFlushes).
      d.holdFlushes();
      await d.recover();
      this.core.data.set(c.id, d);
    }
    try {
      await this.collectGarbage(dropped);
    } finally {
      for (const d of this.core.data.values()) d.releaseFlushes();
    }
    // Index files of flushed segments load in the background; searches scan exactly until then.
    this.core.vindex.schedule();
  }

  /**
   * Removes objects and log topics that no committed metadata names (left by a crash
   * mid-flush, -compaction or -drop, or by a drop whose deletes failed). `alsoRemoved`:
   * what opening already removed for the same reason (old files that are not objects).
   */
  private async collectGarbage(alsoRemoved: readonly string[]): Promise<void> {
    const live = new Set<string>();
    for (const d of this.core.data.values()) for (const f of d.liveFiles()) live.add(f);
    for (const { meta, data } of this.core.liveCollections()) for (const f of this.core.vindex.expectedFiles(meta, data)) live.add(f);
    // The engine owns the whole store: every key is a segment, L0 or index file.
    const orphans: string[] = [];
    for await (const key of objectKeys(this.core.objects, '')) if (!live.has(key)) orphans.push(key);
    await this.core.objects.deleteMany(orphans);
    const removed = [...alsoRemoved, ...orphans];
    if (removed.length > 0) this.core.healthState.repaired('orphan-files-removed', { count: removed.length, files: removed.slice(0, 10) });
    const topics = new Set([...this.core.data.values()].flatMap((d) => d.shards.map((s) => topicOf(d.id, s.index))));
    for (const t of await this.core.log.streams()) if (!topics.has(t)) await this.core.log.dropStream(t);
  }

  startBackground(): void {
    if (this.core.limits.backgroundIntervalMs <= 0) return;
    this.timer = this.core.timers.every(this.core.limits.backgroundIntervalMs, () => this.backgroundPass());
  }

  private async backgroundPass(): Promise<void> {
    if (this.backgroundRunning || this.core.closed) return;
    this.backgroundRunning = true;
    try {
      await this.probeHealth();
      const now = this.core.clock.now();
      for (const d of [...this.core.data.values()]) {
        if (this.core.closed) break;
        d.flushIfDue(now, physicalOf);
        await d.compact();
      }
    } catch (e) {
      this.core.noteBackgroundError(e);
    } finally {
      this.backgroundRunning = false;
    }
  }

  /**
   * While some writes are refused, tries to heal the log and the metadata journal without
   * waiting for the next write, so health reads "ok" as soon as space is back; failed
   * index files are retried by the index pass.
   */
  private async probeHealth(): Promise<void> {
    if (this.core.healthState.report().status === 'ok') return;
    await this.core.log.probe();
    await this.core.meta.probe();
    if (this.core.healthState.has('indexes')) this.core.vindex.schedule();
    // A DDL step refused by the volume (a folder or file it could not create) has no
    // queue to retry it; a small durable write to the data folder says whether one would
    // work now.
    if (this.core.healthState.has('metadata')) {
      try {
        await this.core.stores.probeWritable();
        this.core.healthState.healed('metadata', catalogChanges);
      } catch {
        // Still refused: the next probe tries again.
      }
    }
  }

  // ---------------------------------------------------------------- flush & compaction

  async flush(req: DbScoped & { collection_names: string[] }): Promise<{ status: typeof status; coll_segIDs: Record<string, { data: number[] }> }> {
    this.core.checkOpen();
    const names = this.core.requireObject(req).collection_names;
    if (!Array.isArray(names) || names.length === 0) fail('INVALID_ARGUMENT', { detail: 'collection_names must be a non-empty array' });
    const targets = names.map((n) => ({ name: n, ...this.core.live({ collection_name: n, db_name: req.db_name }) }));
    const out: Record<string, { data: number[] }> = {};
    for (const t of targets) {
      await this.core.guardDrop(t.data, t.name, this.core.dbOf(req), () => t.data.flush());
      out[t.name] = { data: t.data.shards.flatMap((s) => s.segments().filter((x) => x.state === 'flushed').map((x) => x.id)) };
    }
    return { status, coll_segIDs: out };
  }

  /** Flush returns once the data is flushed, so the sync form is the same. */
  flushSync(req: DbScoped & { collection_names: string[] }) {
    return this.flush(req);
  }

  /**
   * Compacts at once (the call returns when it is done), as Milvus's ManualCompaction
   * starts one; the id it answers is kept for getCompactionState, with its plan count
   * (one plan when segments were rewritten, none when there was nothing to gain).
   */
  async compact(req: CollectionReq): Promise<{ status: typeof status; compactionID: number; merged: number; removedRows: number }> {
    const { data } = this.core.live(req);
    const r = await this.core.guardDrop(data, req.collection_name, this.core.dbOf(req), () => data.compact());
    const compactionID = this.core.ids.next();
    this.compactions.set(compactionID, r.merged > 0 ? 1 : 0);
    if (this.compactions.size > compactionsRememberedMax) this.compactions.delete(this.compactions.keys().next().value!);
    return { status, compactionID, ...r };
  }

  /**
   * The state of a manual compaction, in Milvus's terms: Completed (with its plans) for
   * an id compact() answered, UndefiedState (Milvus's spelling) for any other; none is
   * ever Executing, since compact() returns when it is done. Ids are kept in memory only.
   */
  getCompactionState(req: { compactionID: number | string | bigint }): { status: typeof status; state: 'Completed' | 'UndefiedState'; completedPlans: number } {
    this.core.checkOpen();
    const id = Number(this.core.requireObject(req).compactionID);
    const plans = Number.isSafeInteger(id) ? this.compactions.get(id) : undefined;
    return plans === undefined ? { status, state: 'UndefiedState', completedPlans: 0 } : { status, state: 'Completed', completedPlans: plans };
  }
}

