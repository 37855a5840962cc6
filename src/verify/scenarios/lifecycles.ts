// Partition lifecycles beside the main data: each creates its own partition, fills it
// with its own keys (so what it must hold is known exactly), and walks it through
// flush, index, load, search, release and drop. A dropper may release and drop any
// partition at any moment; an operation that races it must fail with one of the codes
// such a race explains, never otherwise. The catalog model (which partitions exist) is
// compared with the target's at the end and after every restart.
import { duplicates, judgeOrder } from '../checker.js';
import type { ScenarioContext } from '../context.js';
import type { Op } from '../history.js';
import type { Hit, IndexSpec, Result } from '../target.js';
import type { Random } from '../../testing/random.js';
import { distanceMatches, l2, rowOf, vec2Dim, vectorOf, type Schema } from '../values.js';
import { clientStride, mainPartition, randomVector, vectorIndex } from './dataset.js';

/** What a race with a release or drop of the same partition may legitimately answer. */
const racingCodes: ReadonlySet<string> = new Set(['PARTITION_NOT_FOUND', 'PARTITION_NOT_LOADED', 'PARTITION_LOADED', 'DROPPING']);
/** Lifecycle keys live far above the main data's keys. */
const keyBase = 2 ** 40;
const keysPerLifecycle = 100_000;

export type Variant = 'mixed' | 'release-drop' | 'search' | 'hybrid';
type PartState = 'exists' | 'absent' | 'unknown';

export const bitmapIndexes: readonly IndexSpec[] = Object.freeze([
  { field: 'tag', indexName: 'tag_bitmap', indexType: 'BITMAP' },
  { field: 'b', indexName: 'b_bitmap', indexType: 'BITMAP' },
]);

export class Lifecycles {
  /** Every partition a lifecycle created: whether it must exist now. */
  readonly catalog = new Map<string, PartState>();
  /** When the dropper first touched a partition: from then on, a racing failure is explained. */
  private readonly interfered = new Map<string, number>();
  private next = 0;
  completed = 0;

  constructor(private readonly ctx: ScenarioContext, private readonly collection: string, private readonly schema: Schema, private readonly rowsPerPartition: number) {}

  /** One lifecycle of the given variant, by `client`. */
  async run(client: number, rng: Random, variant: Variant): Promise<void> {
    const id = this.next++;
    const p = `p${client}_${id}`;
    const coll = this.collection;
    const version = id * clientStride + client;
    const n = 1 + rng.int(this.rowsPerPartition);
    const keys = Array.from({ length: n }, (_, i) => keyBase + id * keysPerLifecycle + i);
    const rows = keys.map((k) => rowOf(this.schema, k, version));
    const allow = this.allowRace(p);
    const spec = { collection: coll, partition: p };

    const created = await this.ctx.call(client, 'create-partition', (t) => t.createPartition(coll, p), { ...spec });
    this.catalog.set(p, created.r.outcome === 'ok' ? 'exists' : created.r.outcome === 'unknown' ? 'unknown' : 'absent');
    if (created.r.outcome !== 'ok') return;
    const inserted = await this.ctx.call(client, 'insert-partition', (t) => t.insert(coll, rows, p), { ...spec, allow, args: { rows: n } });
    /** How many rows the partition may hold: exactly n, or (outcome unknown) 0 or n. */
    const counts = inserted.r.outcome === 'ok' ? [n] : inserted.r.outcome === 'unknown' ? [0, n] : [0];
    await this.ctx.call(client, 'flush', (t) => t.flush(coll), { collection: coll, allow: (code) => code === 'RATE_LIMITED' });

    if (variant === 'release-drop') {
      const released = await this.ctx.call(client, 'release-partition', (t) => t.releasePartitions(coll, [p]), { ...spec, allow });
      await this.drop(client, p, released.r.outcome === 'ok');
      this.completed++;
      return;
    }
    if (variant === 'mixed') {
      await this.ctx.call(client, 'create-index', (t) => t.createIndex(coll, vectorIndex), { collection: coll });
    } else {
      // Rebuild the BITMAP index while other lifecycles search with it. Milvus refuses
      // to drop an index of a loaded collection: that refusal is a clean answer too.
      const ix = bitmapIndexes[rng.int(bitmapIndexes.length)]!;
      await this.ctx.call(client, 'drop-index', (t) => t.dropIndex(coll, ix.field, ix.indexName), { collection: coll, allow: (code) => code === 'COLLECTION_LOADED' || code === 'INDEX_NOT_FOUND' });
      await this.ctx.call(client, 'create-index', (t) => t.createIndex(coll, ix), { collection: coll });
    }
    const loaded = await this.ctx.call(client, 'load-partition', (t) => t.loadPartitions(coll, [p]), { ...spec, allow });
    if (loaded.r.outcome === 'ok') {
      await this.ctx.call(client, 'count-partition', (t) => t.count(coll, '', [p]), {
        ...spec, allow,
        onOk: (got, op) => {
          this.ctx.checked('count-mismatch');
          if (!counts.includes(got)) this.ctx.violations.add({ kind: 'count-mismatch', message: `count(*) of partition ${p} is ${got}, expected ${counts.join(' or ')}`, ops: [op], related: (o) => o.partition === p });
        },
      });
      await this.search(client, rng, p, keys, version, variant === 'hybrid', allow);
    }
    const released = await this.ctx.call(client, 'release-partition', (t) => t.releasePartitions(coll, [p]), { ...spec, allow });
    if (variant !== 'mixed' && released.r.outcome === 'ok') {
      // Released: a search of it must now fail, with a code.
      const { r, op } = await this.ctx.call(client, variant === 'hybrid' ? 'hybrid-search-released' : 'search-released', (t) => this.searchCall(t, p, rng, variant === 'hybrid'), {
        ...spec, allow: (code, o) => code === 'PARTITION_NOT_LOADED' || allow(code, o),
      });
      this.ctx.checked('unexpected-success');
      if (r.outcome === 'ok') this.ctx.violations.add({ kind: 'unexpected-success', message: `a search of partition ${p} succeeded after it was released`, ops: [op], related: (o) => o.partition === p });
    }
    await this.drop(client, p, released.r.outcome === 'ok');
    this.completed++;
  }

  /**
   * Drops partition `p`. When its release did not succeed (it failed with a fault, or its
   * outcome is unknown after a kill), the partition may still be loaded, and Milvus's
   * refusal to drop a loaded partition (PARTITION_LOADED) is the right answer.
   */
  private async drop(client: number, p: string, releasedOk: boolean): Promise<void> {
    const coll = this.collection;
    const race = this.allowRace(p);
    const allow = (code: string, op: Op) => race(code, op) || (!releasedOk && code === 'PARTITION_LOADED');
    const dropped = await this.ctx.call(client, 'drop-partition', (t) => t.dropPartition(coll, p), { collection: coll, partition: p, allow });
    this.settleDrop(p, dropped.r);
    if (dropped.r.outcome !== 'ok') return;
    // Gone for every operation, with a code.
    const { r, op } = await this.ctx.call(client, 'insert-dropped', (t) => t.insert(coll, [rowOf(this.schema, keyBase - 1, 1)], p), {
      collection: coll, partition: p, allow: (code) => code === 'PARTITION_NOT_FOUND',
    });
    this.ctx.checked('unexpected-success');
    if (r.outcome === 'ok') this.ctx.violations.add({ kind: 'unexpected-success', message: `an insert into partition ${p} succeeded after it was dropped`, ops: [op], related: (o) => o.partition === p });
  }

  private settleDrop(p: string, r: Result<void>): void {
    if (r.outcome === 'ok') this.catalog.set(p, 'absent');
    else if (r.outcome === 'unknown') this.catalog.set(p, 'unknown');
  }

  private searchCall(t: import('../target.js').Target, p: string, rng: Random, hybrid: boolean): Promise<Result<Hit[]>> {
    const filter = 'tag in ["t0", "t1", "t2"]';
    return hybrid
      ? t.hybridSearch(this.collection, { requests: [{ field: 'vec', vector: randomVector(rng, this.schema.dim) }, { field: 'vec2', vector: randomVector(rng, vec2Dim) }], limit: 10, filter, partitions: [p] })
      : t.search(this.collection, { field: 'vec', vector: randomVector(rng, this.schema.dim), limit: 10, metric: 'L2', filter, partitions: [p] });
  }

  /** A search of partition `p`: hits are its own keys, matching the filter, ordered, at the right distance. */
  private async search(client: number, rng: Random, p: string, keys: readonly number[], version: number, hybrid: boolean, allow: (code: string, op: Op) => boolean): Promise<void> {
    const filter = 'tag in ["t0", "t1", "t2"]';
    const own = new Set(keys);
    const matches = version % 5 <= 2;
    const vector = randomVector(rng, this.schema.dim);
    const vector2 = randomVector(rng, vec2Dim);
    const call = (t: import('../target.js').Target) => hybrid
      ? t.hybridSearch(this.collection, { requests: [{ field: 'vec', vector }, { field: 'vec2', vector: vector2 }], limit: 10, filter, partitions: [p] })
      : t.search(this.collection, { field: 'vec', vector, limit: 10, metric: 'L2', filter, partitions: [p] });
    await this.ctx.call(client, hybrid ? 'hybrid-search' : 'search-partition', call, {
      collection: this.collection, partition: p, allow,
      onOk: (hits, op) => {
        this.ctx.checked('search-non-live', hits.length);
        this.ctx.checked('search-order');
        const order = judgeOrder(hits.map((h) => h.score), hybrid);
        if (order) this.ctx.violations.add({ kind: order.kind, message: `search of ${p}: ${order.message}`, ops: [op] });
        for (const k of duplicates(hits.map((h) => h.key))) this.ctx.violations.add({ kind: 'duplicate-key', message: `search of ${p} returned key ${k} twice`, keys: [k], ops: [op] });
        for (const h of hits) {
          if (!own.has(h.key) || !matches) {
            this.ctx.violations.add({ kind: 'search-non-live', message: `search of ${p} (filter ${filter}) returned key ${h.key}, which that partition does not hold with a matching value`, keys: [h.key], ops: [op] });
          } else if (!hybrid && !distanceMatches(h.score, l2(vector, vectorOf(h.key, version, this.schema.dim)))) {
            this.ctx.violations.add({ kind: 'search-score', message: `search of ${p} returned key ${h.key} at distance ${h.score}, not ${l2(vector, vectorOf(h.key, version, this.schema.dim))}`, keys: [h.key], ops: [op] });
          }
        }
      },
    });
  }

  /** Releases and drops partitions others are working on, to make races happen. */
  async dropper(client: number, rng: Random): Promise<void> {
    const coll = this.collection;
    while (this.ctx.running()) {
      const listed = await this.ctx.call(client, 'list-partitions', (t) => t.listPartitions(coll), { collection: coll });
      const victims = listed.r.outcome === 'ok' ? listed.r.value.filter((x) => x !== mainPartition) : [];
      if (victims.length > 0) {
        const p = victims[rng.int(victims.length)]!;
        if (!this.interfered.has(p)) this.interfered.set(p, this.ctx.clock.now());
        const allow = (code: string) => racingCodes.has(code);
        await this.ctx.call(client, 'release-partition', (t) => t.releasePartitions(coll, [p]), { collection: coll, partition: p, allow });
        const dropped = await this.ctx.call(client, 'drop-partition', (t) => t.dropPartition(coll, p), { collection: coll, partition: p, allow });
        this.settleDrop(p, dropped.r);
      }
      await new Promise((r) => setTimeout(r, rng.int(30)));
    }
  }

  private allowRace(p: string): (code: string, op: Op) => boolean {
    return (code, op) => racingCodes.has(code) && (this.interfered.get(p) ?? Infinity) <= op.completeMs!;
  }

  /** The partitions the target lists against the model. */
  async checkCatalog(client: number, label: string): Promise<void> {
    const coll = this.collection;
    await this.ctx.call(client, 'check-catalog', (t) => t.listPartitions(coll), {
      collection: coll, bypassGate: true,
      onOk: (names, op) => {
        this.ctx.checked('catalog-mismatch', this.catalog.size + 1);
        const listed = new Set(names);
        const wrong: string[] = [];
        if (!listed.has(mainPartition)) wrong.push(`${mainPartition} is missing`);
        for (const [p, state] of this.catalog) {
          if (state === 'exists' && !listed.has(p)) wrong.push(`${p} was created and never dropped, but is not listed`);
          if (state === 'absent' && listed.has(p)) wrong.push(`${p} was dropped (or never created), but is listed`);
        }
        for (const p of listed) if (p !== mainPartition && !this.catalog.has(p)) wrong.push(`${p} is listed but no lifecycle created it`);
        for (const w of wrong) {
          const p = w.split(' ')[0]!;
          this.ctx.violations.add({ kind: 'catalog-mismatch', message: `${label}: partition ${w}`, ops: [op], related: (o) => o.partition === p, subject: `${label}:${w}` });
        }
      },
    });
  }
}
