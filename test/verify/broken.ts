// Deliberately broken targets for the self-test: each wraps the real client and breaks
// exactly one promise, so the test can show that the verifier reports exactly that.
import type { CompactionState, HybridSpec, IndexInfo, IndexSpec, QuerySpec, Result, SearchSpec, SegmentsInfo, Target, Hit } from '../../src/verify/target.js';
import type { Row, Schema } from '../../src/verify/values.js';

/** Passes everything through; the broken targets override one call each. */
export class Passthrough implements Target {
  constructor(protected readonly inner: Target) {}
  get address() { return this.inner.address; }
  createCollection(name: string, schema: Schema) { return this.inner.createCollection(name, schema); }
  dropCollection(name: string) { return this.inner.dropCollection(name); }
  listCollections() { return this.inner.listCollections(); }
  createPartition(c: string, p: string) { return this.inner.createPartition(c, p); }
  dropPartition(c: string, p: string) { return this.inner.dropPartition(c, p); }
  listPartitions(c: string) { return this.inner.listPartitions(c); }
  loadPartitions(c: string, ps: readonly string[]) { return this.inner.loadPartitions(c, ps); }
  releasePartitions(c: string, ps: readonly string[]) { return this.inner.releasePartitions(c, ps); }
  loadCollection(c: string) { return this.inner.loadCollection(c); }
  releaseCollection(c: string) { return this.inner.releaseCollection(c); }
  createIndex(c: string, ix: IndexSpec) { return this.inner.createIndex(c, ix); }
  dropIndex(c: string, f: string, n: string) { return this.inner.dropIndex(c, f, n); }
  describeIndex(c: string): Promise<Result<IndexInfo[]>> { return this.inner.describeIndex(c); }
  compact(c: string) { return this.inner.compact(c); }
  compactionState(id: string): Promise<Result<CompactionState>> { return this.inner.compactionState(id); }
  flush(c: string) { return this.inner.flush(c); }
  insert(c: string, rows: readonly Row[], p?: string) { return this.inner.insert(c, rows, p); }
  upsert(c: string, rows: readonly Row[], p?: string) { return this.inner.upsert(c, rows, p); }
  delete(c: string, filter: string, p?: string) { return this.inner.delete(c, filter, p); }
  query(c: string, q: QuerySpec) { return this.inner.query(c, q); }
  get(c: string, ids: readonly number[], fields: readonly string[]) { return this.inner.get(c, ids, fields); }
  count(c: string, filter: string, ps?: readonly string[]) { return this.inner.count(c, filter, ps); }
  search(c: string, s: SearchSpec) { return this.inner.search(c, s); }
  hybridSearch(c: string, h: HybridSpec) { return this.inner.hybridSearch(c, h); }
  queryIterator(c: string, q: Omit<QuerySpec, 'limit'> & { batchSize: number; pagesMax: number }, onBatch: (rows: Row[]) => void) { return this.inner.queryIterator(c, q, onBatch); }
  segments(c: string): Promise<Result<SegmentsInfo>> { return this.inner.segments(c); }
  close() { return this.inner.close(); }
}

/**
 * Acknowledges the 5th insert into the main partition but never stores its first row,
 * nor any later write of that key: the loss stays visible however the scenario's timing
 * falls (a later write of the key would otherwise hide it before a read could see it).
 */
export class LosesAWrite extends Passthrough {
  private inserts = 0;
  private lost: number | undefined;
  override async insert(c: string, rows: readonly Row[], p?: string): Promise<Result<void>> {
    if (p === undefined && this.lost === undefined && ++this.inserts === 5 && rows.length > 0) this.lost = Number(rows[0]!.id);
    return this.write(rows, (kept) => this.inner.insert(c, kept, p));
  }
  override async upsert(c: string, rows: readonly Row[], p?: string): Promise<Result<void>> {
    return this.write(rows, (kept) => this.inner.upsert(c, kept, p));
  }
  private async write(rows: readonly Row[], send: (kept: readonly Row[]) => Promise<Result<void>>): Promise<Result<void>> {
    const kept = this.lost === undefined ? rows : rows.filter((r) => Number(r.id) !== this.lost);
    return kept.length > 0 ? send(kept) : { outcome: 'ok', value: undefined };
  }
}

/** Returns the first row of every non-empty query result twice, as a double-counted segment would. */
export class DuplicatesAKey extends Passthrough {
  override async query(c: string, q: QuerySpec): Promise<Result<Row[]>> {
    const r = await this.inner.query(c, q);
    if (r.outcome !== 'ok' || r.value.length === 0) return r;
    return { outcome: 'ok', value: [...r.value, { ...r.value[0]! }] };
  }
}

/**
 * After an upsert is acknowledged, the next point read of each of its keys returns the
 * row that key held before: a read that does not wait for the write it follows.
 */
export class ServesStaleReads extends Passthrough {
  private readonly written = new Map<number, Row>();
  private readonly stale = new Map<number, Row>();
  override async insert(c: string, rows: readonly Row[], p?: string): Promise<Result<void>> {
    const r = await this.inner.insert(c, rows, p);
    if (r.outcome === 'ok' && p === undefined) for (const row of rows) this.written.set(Number(row.id), row);
    return r;
  }
  override async upsert(c: string, rows: readonly Row[], p?: string): Promise<Result<void>> {
    const r = await this.inner.upsert(c, rows, p);
    if (r.outcome === 'ok') {
      for (const row of rows) {
        const k = Number(row.id);
        const before = this.written.get(k);
        if (before) this.stale.set(k, before);
        this.written.set(k, row);
      }
    }
    return r;
  }
  override async query(c: string, q: QuerySpec): Promise<Result<Row[]>> {
    const r = await this.inner.query(c, q);
    if (r.outcome !== 'ok' || !q.filter.startsWith('id in [')) return r;
    return {
      outcome: 'ok',
      value: r.value.map((row) => {
        const k = Number(row.id);
        const old = this.stale.get(k);
        if (!old) return row;
        this.stale.delete(k);
        const out: Row = {};
        for (const f of Object.keys(row)) out[f] = old[f];
        return out;
      }),
    };
  }
}

/** count(*) one too high: a count that double-counts nothing a query can see. */
export class MiscountsByOne extends Passthrough {
  override async count(c: string, filter: string, ps?: readonly string[]): Promise<Result<number>> {
    const r = await this.inner.count(c, filter, ps);
    return r.outcome === 'ok' ? { outcome: 'ok', value: r.value + 1 } : r;
  }
}

/** Every search also returns a key that was never written, as its last hit. */
export class SearchReturnsADeadKey extends Passthrough {
  override async search(c: string, s: SearchSpec): Promise<Result<Hit[]>> {
    const r = await this.inner.search(c, s);
    if (r.outcome !== 'ok' || r.value.length === 0) return r;
    const last = r.value.at(-1)!;
    return { outcome: 'ok', value: [...r.value, { key: 2 ** 50, score: last.score + 1 }] };
  }
}

/** Searches return their two best hits swapped. */
export class SearchOutOfOrder extends Passthrough {
  override async search(c: string, s: SearchSpec): Promise<Result<Hit[]>> {
    const r = await this.inner.search(c, s);
    if (r.outcome !== 'ok' || r.value.length < 2 || r.value[0]!.score === r.value[1]!.score) return r;
    return { outcome: 'ok', value: [r.value[1]!, r.value[0]!, ...r.value.slice(2)] };
  }
}
