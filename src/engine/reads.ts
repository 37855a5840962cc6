// The read path: read views at a consistency level, queries, counts, searches, hybrid search and iterators, results merged across shards and segments.
// A role of the embedded engine (engine/README.md): its state is the engine core's,
// shared with the other roles; it reaches them only through core.roles.
import { assert, fail } from '../errors/index.js';
import { type CollectionSchema, type ConsistencyLevel, DataType, consistencyLevels, isVector, validateName, dataTypeName } from '../catalog/index.js';
import { pkKeyOf } from '../gateway/validate.js';
import { resolveFilter } from '../query/filter.js';
import { explainFilter } from '../query/exec/explain.js';
import { checkResultBytes, planOutput, rowObject } from '../query/rows.js';
import { prepareQueries } from '../query/search.js';
import { type SearchHit, type SearchIterState, type VectorSearchSpec, checkGroupField, groupingSearch, searchIteratorParams, searchIteratorStep, vectorRangeSearch, vectorSearch } from '../query/vector-search.js';
import { checkRange, parseSearchParams } from '../index/spec.js';
import { BoundedHeap } from '../index/topk.js';
import { pagedIterator } from './paged.js';
import { searchMetric } from '../gateway/indexes.js';
import type { PkKey } from '../segments/pk.js';
import type { Segment } from '../segments/segment.js';
import { physicalOf } from '../tso/index.js';
import { CollectionData } from './collection.js';
import { type CollectionReq, type GetReq, type QueryReq, type ReadReq, type SearchReq, status } from '../gateway/requests.js';
import { type EngineCore, iteratorLeaseMs, exprParamsOf, isPartitionLoaded, shardRouter } from './core.js';

export class ReadRole {
  constructor(private readonly core: EngineCore) {}

  // ---------------------------------------------------------------- reads

  /**
   * Pins what a read sees: a timestamp and the segments. Strong waits for every write
   * submitted before it; Bounded waits only for writes older than boundedStalenessMs;
   * Session and Eventually read what is applied (a client's own acknowledged writes
   * are always applied, so Session is read-your-writes).
   */
  private async readView(req: ReadReq, partitionNames: string[] | undefined, pinnedAt?: bigint) {
    const { coll, data } = this.core.live(req);
    if (!coll.loaded) fail('COLLECTION_NOT_LOADED', { name: coll.name });
    let partitions: Set<number> | undefined;
    if (partitionNames && partitionNames.length > 0) {
      partitions = new Set(partitionNames.map((n) => {
        const p = this.core.livePartition(coll, data, String(n));
        if (!isPartitionLoaded(coll, p.id)) fail('PARTITION_NOT_LOADED', { name: p.name, collection: coll.name });
        return p.id;
      }));
    } else if (coll.loadedPartitions.length > 0) {
      partitions = new Set(coll.loadedPartitions);
    }
    const level = req.consistency_level ?? coll.consistencyLevel;
    if (!consistencyLevels.includes(level as ConsistencyLevel)) fail('INVALID_ARGUMENT', { detail: `consistency_level must be one of ${consistencyLevels.join(', ')}` });
    let at: bigint;
    if (pinnedAt !== undefined) {
      at = pinnedAt;
    } else if (level === 'Strong' || (level === 'Bounded' && this.staleBeyondBound(data))) {
      at = this.core.tso.next();
      await data.barrier();
      // The collection may have been dropped while we waited.
      this.core.live(req);
    } else {
      at = this.core.collectionSafeTs(data);
    }
    return { coll, data, at, partitions, segments: data.shards.flatMap((s) => s.segments()) };
  }

  private staleBeyondBound(data: CollectionData): boolean {
    const now = this.core.clock.now();
    return data.shards.some((s) => {
      const t = s.oldestInFlightTs();
      return t !== undefined && now - physicalOf(t) >= this.core.limits.boundedStalenessMs;
    });
  }

  async query(req: QueryReq): Promise<{ status: typeof status; data: Array<Record<string, unknown>> }> {
    // Milvus checks a query's collection name before it looks it up (a search does not).
    validateName('collection', this.core.requireObject(req).collection_name);
    return this.queryAt(req, undefined, undefined);
  }

  /**
   * The filter's plan (query/exec/explain.ts): the checked tree with each leaf's access
   * path (index, scan or row-by-row) and the index estimates over the current segments.
   */
  async explain(req: CollectionReq & { filter?: string; expr?: string; exprValues?: unknown; expr_params?: unknown }): Promise<{ status: typeof status; plan: string }> {
    this.core.requireObject(req);
    const { coll, data } = this.core.live(req);
    const text = req.filter ?? req.expr ?? '';
    if (typeof text !== 'string') fail('INVALID_ARGUMENT', { detail: 'filter must be a string' });
    const plan = explainFilter(coll.schema, text, exprParamsOf(req), coll.indexes, data.shards.flatMap((s) => s.segments()));
    return { status, plan };
  }

  /**
   * A query iterator (the OLAP path): pages of up to `batchSize` rows in primary-key
   * order, all read at ONE pinned snapshot, so a long scan sees neither rows written
   * after it began nor any row twice, while writes, flushes and compactions go on.
   * The pin holds compaction back until the iterator ends, is closed, or sits unused
   * past its lease (then its next page fails with TIMEOUT).
   */
  async queryIterator(req: QueryReq & { batchSize?: number }): Promise<AsyncIterableIterator<Array<Record<string, unknown>>> & { readonly snapshotTs: string; close(): void }> {
    this.core.requireObject(req);
    const batchSize = optionalCount('batchSize', req.batchSize) ?? 1000;
    if (batchSize < 1 || batchSize > this.core.limits.resultRowsMax) fail('INVALID_ARGUMENT', { detail: `batchSize must be in [1, ${this.core.limits.resultRowsMax}]` });
    const total = optionalCount('limit', req.limit) ?? Infinity;
    const view = await this.readView(req, req.partition_names);
    const pkField = view.coll.schema.fields.find((f) => f.isPrimary)!;
    const pin = this.core.nextPin++;
    this.core.pins.set(pin, { ts: view.at, lastUsedMs: this.core.clock.now() });
    let after: PkKey | undefined;
    const it = pagedIterator(total, async (remaining) => {
      const p = this.core.pins.get(pin);
      if (!p) fail('TIMEOUT', { what: 'query iterator (unused past its lease)', ms: iteratorLeaseMs });
      p.lastUsedMs = this.core.clock.now();
      const { data } = await this.queryAt({ ...req, limit: Math.min(batchSize, remaining), offset: 0 }, view.at, after);
      if (data.length > 0) after = pkKeyOf(pkField, data[data.length - 1]![pkField.name]);
      return data;
    }, () => this.core.pins.delete(pin));
    return Object.assign(it, { snapshotTs: view.at.toString() });
  }

  private async queryAt(req: QueryReq, pinnedAt: bigint | undefined, after: PkKey | undefined): Promise<{ status: typeof status; data: Array<Record<string, unknown>> }> {
    this.core.requireObject(req);
    const limit = optionalCount('limit', req.limit);
    const offset = optionalCount('offset', req.offset) ?? 0;
    if (limit !== undefined && limit + offset > this.core.limits.resultRowsMax) fail('LIMIT_EXCEEDED', { what: 'query result', detail: `offset + limit must be at most ${this.core.limits.resultRowsMax}` });
    const view = await this.readView(req, req.partition_names, pinnedAt);
    const { coll, at, partitions, segments } = view;
    const pkField = coll.schema.fields.find((f) => f.isPrimary)!;
    const filter = req.ids !== undefined
      ? { kind: 'keys' as const, values: req.ids as unknown[] }
      : resolveFilter(coll.schema, req.filter ?? req.expr, exprParamsOf(req), coll.indexes);
    const outputs = req.output_fields ?? [];
    // Checked before the count(*) test below reads them as strings (else a TypeError, not a coded error).
    if (!Array.isArray(outputs) || outputs.some((o) => typeof o !== 'string')) fail('INVALID_ARGUMENT', { detail: 'output_fields must be an array of strings' });
    const counting = outputs.some((o) => o.replace(/\s/g, '').toLowerCase() === 'count(*)');
    if (counting) {
      if (outputs.length > 1) fail('INVALID_ARGUMENT', { detail: 'count(*) cannot be combined with other output fields' });
      let n = 0;
      if (filter.kind === 'all') {
        for (const s of view.data.shards) n += s.count(at, partitions);
      } else if (filter.kind === 'keys') {
        n = this.lookup(view.data, pkField, filter.values as unknown[], at, partitions).length;
      } else {
        for (const seg of segments) {
          if (partitions && !partitions.has(seg.partitionId)) continue;
          const bits = filter.bits(seg);
          const rows = Math.min(seg.rowCount, bits.length);
          for (let r = 0; r < rows; r++) if (bits[r] === 1 && seg.visible(r, at)) n++;
        }
      }
      return { status, data: [{ 'count(*)': n }] };
    }
    if (filter.kind === 'all' && limit === undefined) fail('INVALID_ARGUMENT', { detail: 'a query without a filter needs a limit' });
    // As in search: `emit` below stores a row before it compares with the limit, so a
    // limit of 0 would return one row.
    if (limit === 0) fail('INVALID_ARGUMENT', { detail: 'limit must be at least 1' });
    const plan = planOutput(coll.schema, coll.name, outputs);
    // Results come in primary-key order, as Milvus returns them (its reduce merges by key):
    // the SDK's query iterator pages with `pk > last` and relies on it. Only the first
    // offset + limit keys are kept while scanning.
    const want = limit === undefined ? Infinity : offset + limit;
    const byKey = pkOrder(pkField.type === DataType.Int64);
    const matches = new BoundedHeap<{ seg: Segment; row: number }>(want, (a, b) => byKey(a.seg.pks[a.row]!, b.seg.pks[b.row]!));
    if (after !== undefined) {
      // An iterator's next page: only keys after the last one it returned.
      const push = matches.push.bind(matches);
      matches.push = (m) => {
        if (byKey(m.seg.pks[m.row]!, after) > 0) push(m);
      };
    }
    if (filter.kind === 'keys') {
      for (const loc of this.lookup(view.data, pkField, filter.values as unknown[], at, partitions)) matches.push(loc);
    } else {
      for (const seg of segments) {
        if (partitions && !partitions.has(seg.partitionId)) continue;
        const bits = filter.kind === 'predicate' ? filter.bits(seg) : undefined;
        const rows = bits ? Math.min(seg.rowCount, bits.length) : seg.rowCount;
        for (let r = 0; r < rows; r++) if ((!bits || bits[r] === 1) && seg.visible(r, at)) matches.push({ seg, row: r });
      }
    }
    const kept = matches.sorted().slice(offset);
    // A key is visible once at a timestamp: a query never returns it twice, and returns keys in order.
    for (let i = 1; i < kept.length; i++) assert(byKey(kept[i - 1]!.seg.pks[kept[i - 1]!.row]!, kept[i]!.seg.pks[kept[i]!.row]!) < 0, 'query results in strictly increasing key order');
    checkResultBytes(plan, kept, this.core.limits.resultBytesMax);
    return { status, data: kept.map((m) => rowObject(plan, m.seg, m.row)) };
  }

  /** Rows visible at `at` with the given keys: through the key index when reading the latest state, else by scan. */
  private lookup(data: CollectionData, pkField: CollectionSchema['fields'][number], values: unknown[], at: bigint, partitions: ReadonlySet<number> | undefined): Array<{ seg: Segment; row: number }> {
    if (!Array.isArray(values)) fail('INVALID_ARGUMENT', { detail: 'ids must be an array' });
    const keys = new Set(values.map((v) => pkKeyOf(pkField, v)));
    const shardOf = shardRouter(data.shards.length);
    const out: Array<{ seg: Segment; row: number }> = [];
    for (const k of keys) {
      const shard = data.shards[shardOf(k)]!;
      const loc = shard.pkIndex.get(k);
      if (loc && loc.seg.visible(loc.row, at)) {
        if (!partitions || partitions.has(loc.seg.partitionId)) out.push(loc);
        continue;
      }
      // The live row is newer than `at` (or gone): an older version may be the one visible at `at`.
      for (const seg of shard.segments()) {
        if (partitions && !partitions.has(seg.partitionId)) continue;
        for (let r = 0; r < seg.rowCount; r++) {
          if (seg.pks[r] === k && seg.visible(r, at)) out.push({ seg, row: r });
        }
      }
    }
    return out;
  }

  async get(req: GetReq): Promise<{ status: typeof status; data: Array<Record<string, unknown>> }> {
    this.core.requireObject(req);
    if (!Array.isArray(req.ids)) fail('INVALID_ARGUMENT', { detail: 'ids must be an array' });
    return this.query({ ...req, ids: req.ids, output_fields: req.output_fields ?? ['*'] });
  }

  async count(req: ReadReq & { filter?: string }): Promise<{ status: typeof status; data: number }> {
    const r = await this.query({ ...req, output_fields: ['count(*)'] });
    return { status, data: r.data[0]!['count(*)'] as number };
  }

  /**
   * Vector search. With `params.iterator` (the SDK's searchIterator sends it, with
   * search_iter_v2, search_iter_id and search_iter_batch_size) it returns one batch of
   * an iterator over a pinned snapshot, nearest first, and a token for the next batch.
   */
  async search(req: SearchReq): Promise<{
    status: typeof status;
    results: Array<Record<string, unknown>> | Array<Array<Record<string, unknown>>>;
    search_iterator_v2_results?: { token: string; last_bound: number };
    session_ts?: string;
  }> {
    this.core.requireObject(req);
    const limit = optionalCount('limit', req.limit ?? req.topk) ?? 10;
    const offset = optionalCount('offset', req.offset) ?? 0;
    if (limit < 1) fail('INVALID_ARGUMENT', { detail: 'limit must be at least 1' });
    if (limit + offset > searchTopKMax) fail('LIMIT_EXCEEDED', { what: 'search topk', detail: `offset + limit must be at most ${searchTopKMax}` });
    const { coll } = this.core.live(req);
    const vectorFields = coll.schema.fields.filter((f) => isVector(f.type));
    let field = vectorFields[0]!;
    if (req.anns_field !== undefined) {
      const f = coll.schema.fields.find((x) => x.name === req.anns_field);
      if (!f) fail('FIELD_NOT_FOUND', { field: req.anns_field, collection: coll.name });
      if (!isVector(f.type)) fail('INVALID_ARGUMENT', { detail: `anns_field "${f.name}" is ${dataTypeName(f.type)}, not a vector field` });
      field = f;
    } else if (vectorFields.length > 1) {
      fail('INVALID_ARGUMENT', { detail: `the collection has ${vectorFields.length} vector fields; say which one with anns_field` });
    }
    const metric = searchMetric(coll, field, req.metric_type ?? (req.params as { metric_type?: unknown } | undefined)?.metric_type);
    const raw = req.data ?? req.vectors ?? req.vector;
    const queries = prepareQueries(field, raw);
    if (queries.length > nqMax) fail('LIMIT_EXCEEDED', { what: 'nq', detail: `at most ${nqMax} query vectors` });
    const pkField = coll.schema.fields.find((f) => f.isPrimary)!;
    const filter = resolveFilter(coll.schema, req.filter ?? req.expr, exprParamsOf(req), coll.indexes);
    const plan = planOutput(coll.schema, coll.name, req.output_fields ?? [], { includeVectorsByDefault: false });
    const params = parseSearchParams(req.params, req as unknown as Record<string, unknown>, offset + limit);
    if (params.radius !== undefined) checkRange(metric, params.radius, params.rangeFilter);
    const groupField = params.groupByField === undefined ? undefined
      : checkGroupField(coll.schema.fields.find((f) => f.name === params.groupByField && !f.isDynamic), params.groupByField, coll.name);
    if (groupField && params.radius !== undefined) fail('INVALID_ARGUMENT', { detail: 'a search cannot both group (group_by_field) and use a range (radius)' });
    const iter = searchIteratorParams(req.params);
    let iterState: SearchIterState | undefined;
    if (iter) {
      if (groupField) fail('INVALID_ARGUMENT', { detail: 'a search iterator cannot group (group_by_field)' });
      if (queries.length !== 1) fail('INVALID_ARGUMENT', { detail: `a search iterator takes exactly one query vector, got ${queries.length}` });
      if (offset !== 0) fail('INVALID_ARGUMENT', { detail: 'a search iterator takes no offset' });
      if (iter.token !== undefined) {
        iterState = this.core.searchIters.get(iter.token);
        const pin = iterState ? this.core.pins.get(iterState.pin) : undefined;
        if (!iterState || !pin) {
          if (iterState) this.core.searchIters.delete(iter.token);
          fail('TIMEOUT', { what: `search iterator ${JSON.stringify(iter.token)} (unknown, or unused past its lease)`, ms: iteratorLeaseMs });
        }
        pin.lastUsedMs = this.core.clock.now();
      }
    }
    const view = await this.readView(req, req.partition_names, iterState ? this.core.pins.get(iterState.pin)!.ts : undefined);
    let keyTest: ((seg: Segment, row: number) => boolean) | undefined;
    if (filter.kind === 'keys') {
      const keys = new Set(filter.values.map((v) => pkKeyOf(pkField, v)));
      keyTest = (seg, row) => keys.has(seg.pks[row]!);
    }
    const fieldIndex = coll.schema.fields.indexOf(field);
    const spec: VectorSearchSpec = {
      field, fieldIndex, metric, queries, k: offset + limit, at: view.at, partitions: view.partitions, filter, keyTest, params,
      indexOf: (seg) => this.core.vindex.lookup(coll, field, seg),
      interimOf: (seg) => this.core.interim.lookup(coll, field, seg),
    };
    let results: Array<Array<Record<string, unknown>>>;
    const hitRow = (h: SearchHit) => {
      const row = rowObject(plan, h.seg, h.row);
      return { ...row, id: row[pkField.name], score: h.score };
    };
    if (iter) {
      if (!iterState) {
        const pin = this.core.nextPin++;
        this.core.pins.set(pin, { ts: view.at, lastUsedMs: this.core.clock.now() });
        iterState = { pin, bound: undefined, ties: new Set() };
        this.core.searchIters.set(String(pin), iterState);
      }
      const batch = await searchIteratorStep(view.segments, spec, iterState, limit);
      checkResultBytes(plan, batch, this.core.limits.resultBytesMax, hitOverheadBytes);
      return {
        status,
        results: batch.map(hitRow),
        search_iterator_v2_results: { token: String(iterState.pin), last_bound: iterState.bound ?? 0 },
        session_ts: view.at.toString(),
      };
    }
    if (groupField) {
      const grouped = await groupingSearch(view.segments, spec, coll.schema.fields.indexOf(groupField), offset + limit, params.groupSize, params.strictGroupSize);
      checkResultBytes(plan, grouped.flat(), this.core.limits.resultBytesMax, hitOverheadBytes);
      // offset and limit count groups.
      results = grouped.map((list) => {
        const seen: unknown[] = [];
        return list.filter((h) => {
          let i = seen.indexOf(h.group);
          if (i < 0) i = seen.push(h.group) - 1;
          return i >= offset;
        }).map((h) => ({ ...hitRow(h), [groupField.name]: h.group }));
      });
    } else {
      const r = params.radius !== undefined ? await vectorRangeSearch(view.segments, spec) : await vectorSearch(view.segments, spec);
      const kept = r.hits.map((list) => list.slice(offset));
      checkResultBytes(plan, kept.flat(), this.core.limits.resultBytesMax, hitOverheadBytes);
      results = kept.map((list) => list.map(hitRow));
    }
    return { status, results: queries.length === 1 && !isBatch(raw) ? results[0]! : results };
  }

  /**
   * Batches of one search, nearest first, over one pinned snapshot (as the SDK's
   * searchIterator): each visible row matching the filter comes once, in order, until
   * `limit` rows or the rows run out. Writes after the first batch are not seen.
   */
  async searchIterator(req: SearchReq & { batchSize?: number }): Promise<AsyncIterableIterator<Array<Record<string, unknown>>> & { close(): void }> {
    this.core.requireObject(req);
    const batchSize = optionalCount('batchSize', req.batchSize) ?? 1000;
    if (batchSize < 1 || batchSize > searchTopKMax) fail('INVALID_ARGUMENT', { detail: `batchSize must be in [1, ${searchTopKMax}]` });
    const total = optionalCount('limit', req.limit) ?? Infinity;
    let token: string | undefined;
    const release = () => {
      const it = token === undefined ? undefined : this.core.searchIters.get(token);
      if (it) {
        this.core.pins.delete(it.pin);
        this.core.searchIters.delete(token!);
      }
    };
    // The first batch runs now, so that a bad request fails here and the snapshot is taken at the call.
    let pending: Awaited<ReturnType<ReadRole['search']>> | undefined = await this.search({
      ...req, limit: Math.min(batchSize, total), offset: 0, params: { ...req.params, iterator: true },
    });
    token = pending.search_iterator_v2_results!.token;
    return pagedIterator(total, async (remaining) => {
      const r = pending ?? await this.search({
        ...req, limit: Math.min(batchSize, remaining), offset: 0,
        params: { ...req.params, iterator: true, search_iter_id: token },
      });
      pending = undefined;
      return r.results as Array<Record<string, unknown>>;
    }, release);
  }

  /**
   * Several vector searches (usually on different vector fields) fused by a ranker, as
   * Milvus's hybrid search: RRF scores a hit by Σ 1/(k + rank) over the lists it is in
   * (rank from 1); Weighted by Σ wᵢ·norm(scoreᵢ), where norm maps each metric onto [0, 1]
   * with larger = nearer (IP: ½ + atan(s)/π, L2 and other distances: 1 − 2·atan(d)/π,
   * COSINE: (1 + s)/2), unless norm_score is false.
   */
  async hybridSearch(req: ReadReq & {
    data: Array<{ anns_field: string; data: unknown; limit?: number; params?: Record<string, unknown>; filter?: string; expr?: string; metric_type?: string; exprValues?: Record<string, unknown>; expr_params?: Record<string, unknown> }>;
    rerank?: { strategy: string; params?: { k?: number; weights?: number[]; norm_score?: boolean } };
    limit?: number;
    offset?: number;
  }): Promise<{ status: typeof status; results: Array<Record<string, unknown>> | Array<Array<Record<string, unknown>>> }> {
    this.core.requireObject(req);
    if (!Array.isArray(req.data) || req.data.length === 0) fail('INVALID_ARGUMENT', { detail: 'hybrid search needs at least one search request in data' });
    if (req.data.length > hybridRequestsMax) fail('LIMIT_EXCEEDED', { what: 'hybrid search', detail: `at most ${hybridRequestsMax} search requests` });
    const limit = optionalCount('limit', req.limit) ?? 10;
    const offset = optionalCount('offset', req.offset) ?? 0;
    if (limit < 1) fail('INVALID_ARGUMENT', { detail: 'limit must be at least 1' });
    const strategy = (req.rerank?.strategy ?? 'rrf').toLowerCase();
    if (strategy !== 'rrf' && strategy !== 'weighted') fail('INVALID_ARGUMENT', { detail: `rerank strategy must be rrf or weighted, got ${JSON.stringify(req.rerank?.strategy)}` });
    const k = Number(req.rerank?.params?.k ?? 60);
    if (strategy === 'rrf' && !(k > 0 && k < 16_384)) fail('INVALID_ARGUMENT', { detail: `RRF k must be in (0, 16384), got ${String(req.rerank?.params?.k)}` });
    const weights = req.rerank?.params?.weights ?? [];
    if (strategy === 'weighted') {
      if (!Array.isArray(weights) || weights.length !== req.data.length) fail('INVALID_ARGUMENT', { detail: `weighted rerank needs one weight per search request (${req.data.length}), got ${Array.isArray(weights) ? weights.length : 0}` });
      for (const w of weights) if (typeof w !== 'number' || !(w >= 0 && w <= 1)) fail('INVALID_ARGUMENT', { detail: `weights must be numbers in [0, 1], got ${JSON.stringify(w)}` });
    }
    const normalize = req.rerank?.params?.norm_score !== false;
    // Every sub-search reads the same view: take it once, with the request's consistency.
    const { coll } = this.core.live(req);
    const pk = coll.schema.fields.find((f) => f.isPrimary)!;
    const lists = [];
    for (const [i, sub] of req.data.entries()) {
      const r = await this.search({
        db_name: req.db_name, collection_name: req.collection_name, partition_names: req.partition_names,
        consistency_level: i === 0 ? req.consistency_level : 'Eventually',
        anns_field: sub.anns_field, data: [sub.data], limit: sub.limit ?? limit, params: sub.params,
        filter: sub.filter ?? sub.expr, metric_type: sub.metric_type, output_fields: req.output_fields,
        // Each sub-request's filter takes its own template values, as in Milvus.
        exprValues: exprParamsOf(sub),
      });
      const field = coll.schema.fields.find((f) => f.name === sub.anns_field)!;
      lists.push({ hits: (r.results as Array<Array<Record<string, unknown>>>)[0]!, metric: searchMetric(coll, field, sub.metric_type) });
    }
    const fused = new Map<unknown, { score: number; row: Record<string, unknown> }>();
    lists.forEach((list, i) => {
      list.hits.forEach((h, rank) => {
        const id = h[pk.name];
        const add = strategy === 'rrf' ? 1 / (k + rank + 1) : weights[i]! * (normalize ? normScore(list.metric, h.score as number) : (h.score as number));
        const cur = fused.get(id);
        if (cur) cur.score += add;
        else fused.set(id, { score: add, row: h });
      });
    });
    const ranked = [...fused.values()].sort((a, b) => b.score - a.score).slice(offset, offset + limit);
    return { status, results: ranked.map(({ score, row }) => ({ ...row, score })) };
  }
}

const searchTopKMax = 16_384;
/** A search hit's own bytes beside its output fields: its key and score. */
const hitOverheadBytes = 16;
const nqMax = 16_384;

// ---------------------------------------------------------------- small helpers

const hybridRequestsMax = 1024;

/** Maps a metric's score onto [0, 1], larger = nearer, as Milvus's weighted ranker does. */
function normScore(metric: string, s: number): number {
  if (metric === 'IP') return 0.5 + Math.atan(s) / Math.PI;
  if (metric === 'COSINE') return (1 + s) / 2;
  return 1 - (2 * Math.atan(s)) / Math.PI;
}

/** Orders primary keys: Int64 numerically (exactly, also past 2^53), VarChar by code units. */
function pkOrder(int64: boolean): (a: PkKey, b: PkKey) => number {
  if (!int64) return (a, b) => (a < b ? -1 : a > b ? 1 : 0);
  return (a, b) => {
    if (typeof a === 'number' && typeof b === 'number') return a - b;
    const x = BigInt(a);
    const y = BigInt(b);
    return x < y ? -1 : x > y ? 1 : 0;
  };
}


function isBatch(raw: unknown): boolean {
  return Array.isArray(raw) && raw.length > 0 && (Array.isArray(raw[0]) || ArrayBuffer.isView(raw[0]) || (typeof raw[0] === 'object' && raw[0] !== null));
}

function optionalCount(name: string, v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) fail('INVALID_ARGUMENT', { detail: `${name} must be a non-negative integer, got ${JSON.stringify(v)}` });
  return n;
}
