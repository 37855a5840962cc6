// One round of the lifecycle scenario: a collection of one shape, driven through its
// plan one step at a time, each step followed by the checks of lifecycle-checks.ts.
//
// Steps run one after another, so every outcome is known when the next step begins
// and the model says exactly which keys a delete by filter hits. Only a kill -9 leaves
// outcomes unknown: the batches in flight at the kill; the check after the restart reads
// every key and pins what it saw, so the next step starts from exact states again.
// Within a step, up to `batchesInFlightMax` batches of distinct keys are in flight at
// once (the model allows for that: each batch is its own write).
import type { ScenarioContext } from '../context.js';
import type { Op } from '../history.js';
import { Random } from '../../testing/random.js';
import { filters, type Filter } from '../values.js';
import { DataSet } from './dataset.js';
import { checkAfterRestart, checkStep, lifecycleClient, stateOf } from './lifecycle-checks.js';
import { describeStep, vectorBytes, type RoundPlan, type Step } from './lifecycle-plan.js';

/** In a list of batches: flush here, once the batches before have completed. */
const flushHere = Symbol('flush');

/** Bytes of vectors in one insert or upsert batch (the rows' other fields add about 150 bytes each). */
const batchVectorBytes = 4 * 1024 * 1024;
/** Rows per write batch, at most. */
const batchRowsMax = 5_000;
/** Keys per delete by primary keys: `id in [...]` stays well below a filter's 65,536 characters. */
const deleteKeysMax = 4_000;
/** Write batches in flight at once within a step. */
const batchesInFlightMax = 4;
/** How long a compaction or an index build may take before it counts as stuck. */
const backgroundWaitMs = 30 * 60_000;
const pollMs = 200;

export class Round {
  readonly ds: DataSet;
  /** One past the largest key inserted so far: keys are 0, 1, 2, ... */
  private nextKey = 0;
  private readonly rng: Random;
  private readonly batchRows: number;
  private readonly inFlight: number;
  private stepNo = 0;

  constructor(private readonly ctx: ScenarioContext, readonly plan: RoundPlan) {
    const { shape } = plan;
    this.ds = new DataSet(ctx, plan.collection, { dim: shape.dim, hybrid: false, binary: shape.binary }, plan.index);
    this.rng = ctx.rng(0x6c630000 + plan.round);
    this.batchRows = Math.max(1, Math.min(batchRowsMax, Math.floor(batchVectorBytes / vectorBytes(shape))));
    this.inFlight = Math.max(1, Math.min(batchesInFlightMax, ctx.options.concurrency));
  }

  /** Creates the collection and runs the steps while the run goes on. */
  async run(): Promise<void> {
    await this.ds.create();
    for (const step of this.plan.steps) {
      if (!this.ctx.running()) return;
      this.stepNo++;
      await this.runStep(step);
      if (this.ctx.aborted) {
        // The server crashed or did not come back: say in which step, for the report.
        this.ctx.figures.abortedIn = this.label(step);
        return;
      }
      this.count(`step:${step.kind}`);
      // A restart is followed by its own, fuller check.
      if (step.kind !== 'restart') await checkStep(this.ctx, this.ds, this.rng, this.nextKey);
      // Nothing is in flight between steps: the model can forget every superseded write.
      this.ctx.prune();
    }
  }

  /** Keys inserted so far (some may be absent again: deleted, or cut off by a kill). */
  get keysWritten(): number {
    return this.nextKey;
  }

  /** Drops the collection and forgets its keys (the next round reuses the numbers). */
  async drop(): Promise<void> {
    const coll = this.plan.collection;
    await this.ctx.call(0, 'drop-collection', (t) => t.dropCollection(coll), { collection: coll });
    this.ctx.forgetModel(this.ds.model);
    this.ctx.history.forgetKeys(coll);
  }

  private label(step: Step): string {
    return `round ${this.plan.round} step ${this.stepNo} (${describeStep(step)})`;
  }

  private async runStep(step: Step): Promise<void> {
    switch (step.kind) {
      case 'insert': return this.insert(step);
      case 'flush': return this.ds.flush(lifecycleClient);
      case 'delete': return this.delete(step);
      case 'upsert': return this.upsert(step);
      case 'compact': return this.compact();
      case 'index': return this.rebuildIndex(step);
      case 'release-load': return this.releaseAndLoad();
      case 'restart': return this.restart(step);
    }
  }

  // ------------------------------------------------------------------ writes

  private async insert(step: Extract<Step, { kind: 'insert' }>): Promise<void> {
    const from = this.nextKey;
    this.nextKey += step.rows;
    const chunk = step.flushEvery > 0 ? step.flushEvery : step.rows;
    const batches: Array<number[] | typeof flushHere> = [];
    for (let c = from; c < from + step.rows; c += chunk) {
      const end = Math.min(from + step.rows, c + chunk);
      for (let b = c; b < end; b += this.batchRows) batches.push(range(b, Math.min(end, b + this.batchRows)));
      if (step.flushEvery > 0) batches.push(flushHere);
    }
    await this.sendAll(step, batches, (keys) => this.ds.insertKeys(lifecycleClient, keys));
  }

  private async upsert(step: Extract<Step, { kind: 'upsert' }>): Promise<void> {
    const dead: number[] = [];
    const live: number[] = [];
    for (let k = 0; k < this.nextKey; k++) {
      const s = stateOf(this.ds, k);
      if (s === null) dead.push(k);
      else if (s !== undefined) live.push(k);
    }
    const keys = [...this.share(dead, step.deletedShare), ...this.share(live, step.liveShare)];
    await this.sendAll(step, chunks(keys, this.batchRows), (ks) => this.ds.upsert(lifecycleClient, ks));
  }

  private async delete(step: Extract<Step, { kind: 'delete' }>): Promise<void> {
    if (step.how === 'keys') {
      const live = this.liveKeys(filters[0]!);
      const keys = this.share(live, step.share ?? 1);
      await this.sendAll(step, chunks(keys, deleteKeysMax), (ks) => this.ds.delete(lifecycleClient, ks));
      return;
    }
    const filter = step.filter!;
    // Read from the model and sent in the same turn of the event loop: nothing else runs
    // in between (sendAll's first call goes out before it awaits anything).
    const hit = this.liveKeys(filter);
    await this.sendAll(step, [hit], (ks) => this.ds.deleteWhere(lifecycleClient, filter.expr, ks));
  }

  /** Keys live now and matching `filter`, ascending. */
  private liveKeys(filter: Filter): number[] {
    const out: number[] = [];
    for (let k = 0; k < this.nextKey; k++) {
      const s = stateOf(this.ds, k);
      if (s !== null && s !== undefined && filter.matches(k, s)) out.push(k);
    }
    return out;
  }

  /** A seeded random `share` of `keys`. */
  private share(keys: number[], share: number): number[] {
    if (share >= 1) return keys;
    const n = Math.round(keys.length * share);
    for (let i = 0; i < n; i++) {
      const j = i + this.rng.int(keys.length - i);
      [keys[i], keys[j]] = [keys[j]!, keys[i]!];
    }
    return keys.slice(0, n).sort((a, b) => a - b);
  }

  /**
   * Sends the batches, `inFlight` at a time, in order; at a `flushHere` the batches before
   * it complete, then a flush runs. With `step.kill`, the server is killed with SIGKILL
   * while the batch at that share of the list is in flight; the batches after it wait at
   * the gate until the server is back and checked.
   */
  private async sendAll<T>(step: Step, items: ReadonlyArray<T | typeof flushHere>, send: (b: T) => Promise<unknown>): Promise<void> {
    const batchesTotal = items.filter((b) => b !== flushHere).length;
    const killAt = 'kill' in step && step.kill !== undefined && batchesTotal > 0 ? Math.floor(step.kill * batchesTotal) : -1;
    // A few ms: long enough for the batch to reach the server, short enough that it is still being applied.
    const pauseMs = this.rng.int(5);
    let sentBefore = 0;
    for (let from = 0; from < items.length && !this.ctx.aborted; ) {
      let to = from;
      while (to < items.length && items[to] !== flushHere) to++;
      const batches = items.slice(from, to) as T[];
      const base = sentBefore;
      let next = 0;
      const worker = async () => {
        while (next < batches.length && !this.ctx.aborted) {
          const i = next++;
          if (base + i !== killAt) {
            await send(batches[i]!);
            continue;
          }
          const sent = send(batches[i]!);
          await new Promise((r) => setTimeout(r, pauseMs));
          await this.killNow(`kill -9 during ${this.label(step)}`);
          await sent;
        }
      };
      await Promise.all(Array.from({ length: Math.min(this.inFlight, batches.length) }, worker));
      sentBefore += batches.length;
      if (to < items.length && !this.ctx.aborted) await this.ds.flush(lifecycleClient);
      from = to + 1;
    }
  }

  // ------------------------------------------------------------------ background work and DDL

  private async compact(): Promise<void> {
    const coll = this.plan.collection;
    const { r } = await this.ctx.call(lifecycleClient, 'compact', (t) => t.compact(coll), { collection: coll });
    if (r.outcome !== 'ok') return;
    await this.waitFor('compaction', async () => {
      const s = await this.ctx.call(lifecycleClient, 'compaction-state', (t) => t.compactionState(r.value), { collection: coll, args: { id: r.value } });
      return s.r.outcome !== 'ok' || s.r.value === 'completed';
    });
  }

  /**
   * Release, then a search and a count that must be refused (COLLECTION_NOT_LOADED), drop
   * the index, build the new one and wait for it, load.
   */
  private async rebuildIndex(step: Extract<Step, { kind: 'index' }>): Promise<void> {
    const coll = this.plan.collection;
    const old = this.ds.index;
    await this.release();
    await this.ctx.call(lifecycleClient, 'drop-index', (t) => t.dropIndex(coll, old.field, old.indexName), { collection: coll, args: { name: old.indexName } });
    const { r } = await this.ctx.call(lifecycleClient, 'create-index', (t) => t.createIndex(coll, step.index), { collection: coll, args: { type: step.index.indexType, name: step.index.indexName } });
    if (r.outcome === 'ok') this.ds.index = step.index;
    await this.waitFor(`the ${step.index.indexType} build`, async () => {
      const d = await this.ctx.call(lifecycleClient, 'index-progress', (t) => t.describeIndex(coll), { collection: coll });
      if (d.r.outcome !== 'ok') return true;
      const ix = d.r.value.find((i) => i.indexName === step.index.indexName);
      if (ix?.failReason) {
        this.ctx.violations.add({ kind: 'unexpected-failure', message: `the ${step.index.indexType} index build failed: ${ix.failReason}`, ops: [d.op], subject: `index-build:${step.index.indexType}` });
        return true;
      }
      return ix !== undefined && ix.pendingRows === 0;
    });
    await this.load();
  }

  private async releaseAndLoad(): Promise<void> {
    await this.release();
    await this.load();
  }

  /** Releases the collection; a search and a count of it must then be refused. */
  private async release(): Promise<void> {
    const coll = this.plan.collection;
    await this.ctx.call(lifecycleClient, 'release', (t) => t.releaseCollection(coll), { collection: coll });
    const notLoaded = (code: string) => code === 'COLLECTION_NOT_LOADED';
    const refused = (kind: string) => (_: unknown, op: Op) => this.ctx.violations.add({ kind: 'unexpected-success', message: `a ${kind} of the released collection ${coll} succeeded`, ops: [op], subject: `released-${kind}` });
    this.ctx.checked('unexpected-success', 2);
    await this.ctx.call(lifecycleClient, 'search-released', (t) => t.search(coll, { field: 'vec', vector: this.ds.schema.binary ? new Array(this.ds.schema.dim / 8).fill(0) : new Array(this.ds.schema.dim).fill(0), limit: 1, metric: this.ds.index.metric ?? 'L2' }), { collection: coll, allow: notLoaded, onOk: refused('search') });
    await this.ctx.call(lifecycleClient, 'count-released', (t) => t.count(coll, ''), { collection: coll, allow: notLoaded, onOk: refused('count') });
  }

  private async load(): Promise<void> {
    const coll = this.plan.collection;
    await this.ctx.call(lifecycleClient, 'load', (t) => t.loadCollection(coll), { collection: coll });
  }

  /** Polls `done` until it says so; past `backgroundWaitMs` the work is reported stuck. */
  private async waitFor(what: string, done: () => Promise<boolean>): Promise<void> {
    const until = this.ctx.clock.now() + backgroundWaitMs;
    while (!this.ctx.aborted) {
      if (await done()) return;
      if (this.ctx.clock.now() > until) {
        this.ctx.violations.add({ kind: 'unexpected-failure', message: `${what} of ${this.plan.collection} had not finished after ${backgroundWaitMs / 60_000} minutes`, subject: `stuck:${what}` });
        return;
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  // ------------------------------------------------------------------ restarts

  private async restart(step: Extract<Step, { kind: 'restart' }>): Promise<void> {
    if (step.how === 'kill') return this.killNow(`after ${this.label(step)}`);
    const server = this.ctx.server!;
    await server.restart();
    if (this.ctx.aborted) return;
    this.count('restarts:clean');
    await checkAfterRestart(this.ctx, this.ds, `after ${this.label(step)}`, this.restartFilter());
  }

  private async killNow(label: string): Promise<void> {
    await this.ctx.server!.killAndRestart(() => checkAfterRestart(this.ctx, this.ds, label, this.restartFilter()));
    if (!this.ctx.aborted) this.count('restarts:kill');
  }

  /** The filter of the count after a restart: each in turn. */
  private restartFilter(): number {
    return 1 + ((this.ctx.server!.restarts) % (filters.length - 1));
  }

  private count(figure: string): void {
    this.ctx.figures[figure] = Number(this.ctx.figures[figure] ?? 0) + 1;
  }
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

function chunks<T>(xs: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}
