// One collection whose rows the model tracks key by key: the writes and reads the data
// scenarios (mixed, kill-upsert, olap-oltp) issue, each judged against the model as soon
// as it returns, and the full check run with nothing in flight (after every restart and
// at the end). Rows live in the `_default` partition and every read names it, so
// partitions that lifecycles create and drop beside it do not change what it sees.
import { judgeCount, judgeKey, judgeOrder, duplicates } from '../checker.js';
import type { ScenarioContext } from '../context.js';
import type { Op } from '../history.js';
import { KeyIndex } from '../key-index.js';
import type { KeyModel } from '../model.js';
import type { Hit, IndexSpec } from '../target.js';
import type { Random } from '../../testing/random.js';
import { decodeRow, distanceMatches, distanceTo, filters, inRange, metricOf, rowOf, scalarFields, type Row, type Schema, type State } from '../values.js';

export const mainPartition = '_default';
/** Versions and fresh keys are spread by client, so each client's sequence is its own. */
export const clientStride = 1024;
/** Keys per page of a full scan. */
const scanKeysMax = 4000;
/** The largest limit a Milvus query accepts. */
export const queryLimitMax = 16_384;
const all = 0;

export const vectorIndex: IndexSpec = Object.freeze({ field: 'vec', indexName: 'vec_hnsw', indexType: 'HNSW', metric: 'L2', params: Object.freeze({ M: 16, efConstruction: 64 }) });

export class DataSet {
  readonly model: KeyModel;
  readonly keys = new KeyIndex();
  private readonly versionSeq = new Map<number, number>();
  private readonly freshSeq = new Map<number, number>();
  private freshBase = 0;
  private readonly partitions = [mainPartition];

  /**
   * The vector index `create` builds and `checkCatalog` expects; a scenario that
   * rebuilds the index (lifecycle) sets it to the new one.
   */
  index: IndexSpec;

  constructor(private readonly ctx: ScenarioContext, readonly collection: string, readonly schema: Schema, index: IndexSpec = vectorIndex) {
    this.model = ctx.keyModel(filters);
    this.index = index;
  }

  /** A version no other write uses: unique per client and sequence number. */
  nextVersion(client: number): number {
    const s = (this.versionSeq.get(client) ?? 0) + 1;
    this.versionSeq.set(client, s);
    return s * clientStride + client;
  }

  /** A key nobody has written (preloaded keys are 0 .. rows-1). */
  freshKey(client: number): number {
    const s = this.freshSeq.get(client) ?? 0;
    this.freshSeq.set(client, s + 1);
    return this.freshBase + s * clientStride + client;
  }

  /** One of the fresh keys `client` has inserted (or may have), at random; undefined before its first. */
  ownFreshKey(client: number, rng: Random): number | undefined {
    const s = this.freshSeq.get(client) ?? 0;
    return s === 0 ? undefined : this.freshBase + rng.int(s) * clientStride + client;
  }

  /** Where fresh keys begin. */
  get freshKeysFrom(): number {
    return this.freshBase;
  }

  /** Drops what an earlier run left, creates the collection with its indexes and loads `_default`. */
  async create(extraIndexes: readonly IndexSpec[] = []): Promise<void> {
    const c = 0;
    const coll = this.collection;
    await this.ctx.call(c, 'drop-collection', (t) => t.dropCollection(coll), { collection: coll, allow: (code) => code === 'COLLECTION_NOT_FOUND' });
    await this.ctx.call(c, 'create-collection', (t) => t.createCollection(coll, this.schema), { collection: coll });
    for (const ix of [this.index, ...extraIndexes]) {
      await this.ctx.call(c, 'create-index', (t) => t.createIndex(coll, ix), { collection: coll, args: { field: ix.field, type: ix.indexType } });
    }
    await this.ctx.call(c, 'load', (t) => t.loadPartitions(coll, [mainPartition]), { collection: coll, partition: mainPartition });
  }

  /** Inserts keys 0 .. rows-1, `batch` at a time, then flushes. */
  async preload(rows: number, batch = 1000): Promise<void> {
    this.freshBase = rows;
    for (let from = 0; from < rows && this.ctx.stoppedBecause === undefined; from += batch) {
      const keys = Array.from({ length: Math.min(batch, rows - from) }, (_, i) => from + i);
      await this.write(0, 'preload', keys, this.nextVersion(0), (t, rs) => t.insert(this.collection, rs), { bypassGate: true });
    }
    await this.flush(0);
  }

  // ------------------------------------------------------------------ writes

  insertFresh(client: number, n: number): Promise<Op> {
    const keys = Array.from({ length: n }, () => this.freshKey(client));
    return this.write(client, 'insert', keys, this.nextVersion(client), (t, rs) => t.insert(this.collection, rs));
  }

  /** Inserts `keys` (none written before, or every earlier write deleted). */
  insertKeys(client: number, keys: readonly number[]): Promise<Op> {
    return this.write(client, 'insert', keys, this.nextVersion(client), (t, rs) => t.insert(this.collection, rs));
  }

  upsert(client: number, keys: readonly number[]): Promise<Op> {
    return this.write(client, 'upsert', keys, this.nextVersion(client), (t, rs) => t.upsert(this.collection, rs));
  }

  async delete(client: number, keys: readonly number[]): Promise<Op> {
    const { op } = await this.ctx.call(client, 'delete', (t) => t.delete(this.collection, `id in [${keys.join(', ')}]`), {
      keys, collection: this.collection, writes: { model: this.model, entries: keys.map((k) => [k, null] as const) },
    });
    return op;
  }

  /**
   * A delete by filter `expr`; `keys` are those the model says it hits (live and
   * matching when it is sent), each of which becomes absent.
   */
  async deleteWhere(client: number, expr: string, keys: readonly number[]): Promise<Op> {
    const { op } = await this.ctx.call(client, 'delete', (t) => t.delete(this.collection, expr), {
      keys, collection: this.collection, args: { filter: expr, keys: keys.length },
      writes: { model: this.model, entries: keys.map((k) => [k, null] as const) },
    });
    return op;
  }

  private async write(client: number, kind: string, keys: readonly number[], version: number, send: (t: import('../target.js').Target, rows: Row[]) => Promise<import('../target.js').Result<void>>, opts: { bypassGate?: boolean } = {}): Promise<Op> {
    for (const k of keys) this.keys.add(k);
    const rows = keys.map((k) => rowOf(this.schema, k, version));
    const { op } = await this.ctx.call(client, kind, (t) => send(t, rows), {
      keys, collection: this.collection, args: { version, rows: keys.length }, ...opts,
      writes: { model: this.model, entries: keys.map((k) => [k, version] as const) },
    });
    return op;
  }

  async flush(client: number, bypassGate = false): Promise<void> {
    // Milvus limits the rate of flushes per collection: being told so is a clean answer.
    await this.ctx.call(client, 'flush', (t) => t.flush(this.collection), { collection: this.collection, bypassGate, allow: (code) => code === 'RATE_LIMITED' });
  }

  // ------------------------------------------------------------------ reads

  /** Reads `keys` by primary key; every one must show a legal state. */
  async point(client: number, keys: readonly number[], withVector: boolean): Promise<void> {
    const outputFields = [...scalarFields, ...(withVector ? ['vec'] : [])];
    await this.ctx.call(client, 'query-point', (t) => t.query(this.collection, { filter: `id in [${keys.join(', ')}]`, outputFields, limit: keys.length * 2 + 10, partitions: this.partitions }), {
      keys, collection: this.collection,
      onOk: (rows, op) => {
        const asked = new Set(keys);
        this.judgeRows(op, rows, keys, (k) => asked.has(k), all, false);
      },
    });
  }

  /** Reads `keys` with the client's get(); every one must show a legal state. */
  async get(client: number, keys: readonly number[], withVector: boolean): Promise<void> {
    const outputFields = [...scalarFields, ...(withVector ? ['vec'] : [])];
    await this.ctx.call(client, 'get', (t) => t.get(this.collection, keys, outputFields), {
      keys, collection: this.collection, args: { withVector },
      onOk: (rows, op) => {
        const asked = new Set(keys);
        this.judgeRows(op, rows, keys, (k) => asked.has(k), all, false);
      },
    });
  }

  /** Reads every key in [from, to) that matches filter `f`: those not returned must be legally absent. */
  async range(client: number, from: number, to: number, f: number): Promise<void> {
    const filter = inRange(filters[f]!.expr, from, to);
    await this.ctx.call(client, 'query-range', (t) => t.query(this.collection, { filter, outputFields: scalarFields, limit: queryLimitMax, partitions: this.partitions }), {
      collection: this.collection, args: { from, to, filter: filters[f]!.name },
      onOk: (rows, op) => this.judgeRows(op, rows, this.keys.range(from, to), (k) => k >= from && k < to, f, false),
    });
  }

  async count(client: number, f: number, bypassGate = false): Promise<void> {
    await this.ctx.call(client, 'count', (t) => t.count(this.collection, filters[f]!.expr, this.partitions), {
      collection: this.collection, args: { filter: filters[f]!.name }, bypassGate,
      onOk: (n, op) => {
        const b = this.model.countBounds(f, op.invokeMs, op.completeMs!);
        this.ctx.checked('count-mismatch');
        const j = judgeCount(`count(*) with filter ${filters[f]!.name}`, n, b.min, b.max);
        if (j) this.ctx.suspectCount({ op, message: j.message, off: n < b.min ? b.min - n : n - b.max });
      },
    });
  }

  /** A search for a random vector, with filter `f`; `also` judges the hits further (lifecycle: against the exact answer). */
  async search(client: number, rng: Random, f: number, limit = 10, also?: (hits: readonly Hit[], op: Op, vector: readonly number[]) => void): Promise<void> {
    const vector = this.schema.binary ? randomBits(rng, this.schema.dim) : randomVector(rng, this.schema.dim);
    const filter = filters[f]!;
    await this.ctx.call(client, 'search', (t) => t.search(this.collection, { field: 'vec', vector, limit, metric: this.index.metric ?? metricOf(this.schema), partitions: this.partitions, ...(filter.expr ? { filter: filter.expr } : {}) }), {
      collection: this.collection, args: { filter: filter.name, limit },
      onOk: (hits, op) => {
        this.judgeHits(op, hits, vector, f);
        also?.(hits, op, vector);
      },
    });
  }

  /** The client's query iterator over keys matching `f`: key order, each key once, nothing legal skipped. */
  async iterate(client: number, f: number, batchSize: number): Promise<void> {
    const got: Row[] = [];
    const pagesMax = Math.ceil((this.keys.size * 2) / batchSize) + 20;
    await this.ctx.call(client, 'iterator', (t) => t.queryIterator(this.collection, { filter: filters[f]!.expr, outputFields: scalarFields, batchSize, pagesMax, partitions: this.partitions }, (rows) => { for (const row of rows) got.push(row); }), {
      collection: this.collection, args: { filter: filters[f]!.name, batchSize },
      onOk: (_pages, op) => {
        let last = -Infinity;
        this.ctx.checked('iterator-order');
        for (const row of got) {
          const k = Number(row.id);
          if (!(k > last)) {
            this.ctx.violations.add({ kind: 'iterator-order', message: `the iterator returned key ${k} after key ${last}`, keys: [k], ops: [op], subject: `iterator:${op.id}` });
          }
          last = Math.max(last, k);
        }
        // Keys past the last one returned may lie beyond where the client's iterator
        // stopped (it stops after as many rows as count(*) gave at its start).
        this.judgeRows(op, got, this.keys.range(-Infinity, last + 1), (k) => k <= last, f, false);
      },
    });
  }

  // ------------------------------------------------------------------ judging

  /**
   * Judges rows a read returned. `covered` are the keys the read answered for (those not
   * returned must be legally absent or hidden by filter `f`); `inScope` says whether a
   * returned key may be returned at all. With `durable` (nothing in flight: after a
   * restart, at the end) the observed states are pinned in the model.
   */
  judgeRows(op: Op, rows: readonly Row[], covered: readonly number[], inScope: (k: number) => boolean, f: number, durable: boolean): Map<number, number> {
    const filter = filters[f]!;
    const seen = new Map<number, number>();
    const keys: number[] = [];
    for (const row of rows) {
      const d = decodeRow(this.schema, row);
      keys.push(d.key);
      if (d.problem) {
        this.ctx.violations.add({ kind: 'corrupt-row', message: `key ${d.key}: ${d.problem}`, keys: [d.key], ops: [op] });
      }
      if (!inScope(d.key)) {
        this.ctx.violations.add({ kind: 'corrupt-row', message: `${op.kind} returned key ${d.key}, which it did not ask for`, keys: [d.key], ops: [op] });
      }
      seen.set(d.key, d.version);
    }
    this.ctx.checked('duplicate-key', rows.length);
    for (const k of duplicates(keys)) {
      this.ctx.violations.add({ kind: 'duplicate-key', message: `${op.kind} returned key ${k} more than once`, keys: [k], ops: [op] });
    }
    const judged = new Set<number>();
    const judge = (k: number) => {
      if (judged.has(k)) return;
      judged.add(k);
      const observed: State = seen.get(k) ?? null;
      const cands = this.model.candidates(k, op.invokeMs, op.completeMs!);
      const j = judgeKey(k, cands, observed, (v) => filter.matches(k, v), durable);
      if (j) this.ctx.violations.add({ kind: j.kind, message: `${op.kind}: ${j.message}`, keys: [k], ops: [op] });
      else if (durable && f === all) this.model.pin(k, observed, this.ctx.clock.now());
    };
    for (const k of covered) judge(k);
    for (const k of seen.keys()) judge(k);
    this.ctx.checked('lost-write', judged.size);
    this.ctx.checked('stale-read', judged.size);
    this.ctx.checked('resurrected', judged.size);
    return seen;
  }

  judgeHits(op: Op, hits: readonly Hit[], vector: readonly number[], f: number): void {
    const filter = filters[f]!;
    this.ctx.checked('search-order');
    this.ctx.checked('search-non-live', hits.length);
    const order = judgeOrder(hits.map((h) => h.score), false);
    if (order) this.ctx.violations.add({ kind: order.kind, message: `search: ${order.message}`, ops: [op], keys: hits.map((h) => h.key) });
    for (const k of duplicates(hits.map((h) => h.key))) {
      this.ctx.violations.add({ kind: 'duplicate-key', message: `search returned key ${k} more than once`, keys: [k], ops: [op] });
    }
    for (const h of hits) {
      const live = this.model.candidates(h.key, op.invokeMs, op.completeMs!).filter((w) => w.value !== null && filter.matches(h.key, w.value));
      if (live.length === 0) {
        this.ctx.violations.add({ kind: 'search-non-live', message: `search (filter ${filter.name}) returned key ${h.key}, which was not live and matching at any moment of the search`, keys: [h.key], ops: [op] });
        continue;
      }
      if (!live.some((w) => distanceMatches(h.score, distanceTo(this.schema, vector, h.key, w.value!)))) {
        const exact = live.map((w) => distanceTo(this.schema, vector, h.key, w.value!));
        this.ctx.violations.add({ kind: 'search-score', message: `search returned key ${h.key} with distance ${h.score}; its live versions are at ${exact.join(' or ')}`, keys: [h.key], ops: [op] });
      }
    }
  }

  // ------------------------------------------------------------------ the full check

  /** The collection is listed and its vector index described (after a restart too). */
  async checkCatalog(client: number, label: string): Promise<void> {
    await this.ctx.call(client, 'check-catalog', (t) => t.listCollections(), {
      bypassGate: true,
      onOk: (names, op) => {
        this.ctx.checked('catalog-mismatch');
        if (!names.includes(this.collection)) this.ctx.violations.add({ kind: 'catalog-mismatch', message: `${label}: collection ${this.collection} is not listed`, ops: [op], subject: `${label}:collection` });
      },
    });
    await this.ctx.call(client, 'check-catalog', (t) => t.segments(this.collection), {
      collection: this.collection, bypassGate: true,
      onOk: (info, op) => {
        this.ctx.checked('catalog-mismatch');
        if (info.indexIds.length === 0) this.ctx.violations.add({ kind: 'catalog-mismatch', message: `${label}: collection ${this.collection} has no index, but ${this.index.indexName} was created and never dropped`, ops: [op], subject: `${label}:index` });
      },
    });
  }

  /**
   * Reads every row (page by page in key ranges), then count(*) with and without each
   * filter, each compared with the matching full query. With `durable`, nothing may be
   * in flight, and what is seen is pinned.
   */
  async fullCheck(client: number, durable: boolean, label: string, filterSet: readonly number[] = filters.map((_, i) => i)): Promise<void> {
    const bypassGate = true;
    const keys = this.keys.keys();
    const scanned = new Map<number, number>();
    let scannedRows = 0;
    const bounds: Array<[number, number]> = [];
    for (let i = 0; i < keys.length || i === 0; i += scanKeysMax) {
      const from = i === 0 ? -(2 ** 53) : keys[i]!;
      const to = i + scanKeysMax < keys.length ? keys[i + scanKeysMax]! : 2 ** 53;
      bounds.push([from, to]);
    }
    for (const [from, to] of bounds) {
      await this.ctx.call(client, 'check-scan', (t) => t.query(this.collection, { filter: inRange('', from, to), outputFields: scalarFields, limit: queryLimitMax, partitions: this.partitions }), {
        collection: this.collection, args: { from, to, check: label }, bypassGate,
        onOk: (rows, op) => {
          scannedRows += rows.length;
          for (const [k, v] of this.judgeRows(op, rows, this.keys.range(from, to), (k) => k >= from && k < to, all, durable)) scanned.set(k, v);
        },
      });
    }
    for (const f of filterSet) {
      const filter = filters[f]!;
      const expected = [...scanned].filter(([k, v]) => filter.matches(k, v)).map(([k]) => k);
      let filtered: number[] | undefined = [];
      for (const [from, to] of bounds) {
        const { r } = await this.ctx.call(client, 'check-scan-filtered', (t) => t.query(this.collection, { filter: inRange(filter.expr, from, to), outputFields: ['id'], limit: queryLimitMax, partitions: this.partitions }), {
          collection: this.collection, args: { filter: filter.name, from, to, check: label }, bypassGate,
        });
        if (r.outcome === 'ok') for (const row of r.value) filtered?.push(Number(row.id));
        else filtered = undefined;
      }
      await this.ctx.call(client, 'check-count', (t) => t.count(this.collection, filter.expr, this.partitions), {
        collection: this.collection, args: { filter: filter.name, check: label }, bypassGate,
        onOk: (n, op) => {
          this.ctx.checked('count-mismatch', 3);
          const b = this.model.countBounds(f, op.invokeMs, op.completeMs!);
          const vsModel = judgeCount(`${label}: count(*) with filter ${filter.name}`, n, b.min, b.max);
          if (vsModel) this.ctx.suspectCount({ op, message: vsModel.message, off: n < b.min ? b.min - n : n - b.max });
          const rowsSeen = f === all ? scannedRows : expected.length;
          if (n !== rowsSeen) this.ctx.suspectCount({ op, message: `${label}: count(*) with filter ${filter.name} is ${n}, the full query returned ${rowsSeen} rows`, off: Math.abs(n - rowsSeen) });
          if (filtered && n !== filtered.length) this.ctx.suspectCount({ op, message: `${label}: count(*) with filter ${filter.name} is ${n}, the filtered full query returned ${filtered.length} rows`, off: Math.abs(n - filtered.length) });
          if (filtered && f !== all) {
            const want = new Set(expected);
            const got = new Set(filtered);
            const wrong = [...expected.filter((k) => !got.has(k)), ...filtered.filter((k) => !want.has(k))];
            if (wrong.length > 0) this.ctx.violations.add({ kind: 'corrupt-row', message: `${label}: the filter ${filter.expr} selected a different set of keys than its value says (${wrong.length} keys differ, e.g. ${wrong.slice(0, 5).join(', ')})`, keys: wrong.slice(0, 5), ops: [op] });
          }
        },
      });
    }
  }
}

/** A query vector: components multiples of 1/256 in [-1, 1]. */
export function randomVector(rng: Random, dim: number): number[] {
  return Array.from({ length: dim }, () => Math.round((rng.next() * 2 - 1) * 256) / 256);
}

/** A binary query vector of `dim` bits, as dim / 8 random bytes. */
export function randomBits(rng: Random, dim: number): number[] {
  return Array.from({ length: dim >> 3 }, () => rng.int(256));
}

/** `n` distinct keys drawn from [0, space). */
export function pickKeys(rng: Random, space: number, n: number): number[] {
  const out = new Set<number>();
  const want = Math.min(n, space);
  while (out.size < want) out.add(rng.int(space));
  return [...out];
}
