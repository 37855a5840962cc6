// The read path's gateway side: read views at a consistency level, queries, counts,
// searches, hybrid search and iterators. A read is checked and its filter planned here,
// once; the data nodes that serve the collection's shards (core.roles.placement,
// gateway/roles.ts) answer for their shards and the answers are merged (gateway/merge.ts).
// A role of the embedded engine (engine/README.md): its state is the engine core's,
// shared with the other roles; it reaches them only through core.roles.
import { fail } from '../errors/index.js';
import { type CollectionMeta, type CollectionSchema, type ConsistencyLevel, DataType, type FieldSchema, consistencyLevels, indexesOf, isVector, structPathOf, validateName, dataTypeName, collectionTtlSeconds } from '../catalog/index.js';
import { embListFields, embListMetricOf, prepareEmbLists } from '../query/emb-list.js';
import type { EmbListMetric } from '../query/distance.js';
import { pkKeyOf } from '../gateway/validate.js';
import { mergeGroups, mergeHits, mergeRows, topGroups } from '../gateway/merge.js';
import type { SearchMode, ShardHits, ShardReadReq, ShardReader } from '../gateway/roles.js';
import type { QueryColumns, SearchColumns } from '../gateway/api.js';
import { renderTimestamptz, rowsOfColumns } from '../query/result-columns.js';
import { type FilterPlan, planFilter } from '../query/filter.js';
import { explainFilter } from '../query/exec/explain.js';
import { planOutput } from '../query/rows.js';
import { prepareQueries } from '../query/search.js';
import { type PreparedQuery, type SearchIterState, checkGroupField, searchIteratorParams } from '../query/vector-search.js';
import { checkRange, parseSearchParams } from '../index/spec.js';
import { pagedIterator } from './paged.js';
import { searchMetric } from '../gateway/indexes.js';
import type { PkKey } from '../segments/pk.js';
import { expiredBefore, physicalOf } from '../tso/index.js';
import { CollectionData } from './collection.js';
import { hitOverheadBytes } from './shard-reads.js';
import { type CollectionReq, type GetReq, type QueryReq, type ReadReq, type SearchReq, status } from '../gateway/requests.js';
import { type EngineCore, iteratorLeaseMs, exprParamsOf, isPartitionLoaded, shardRouter } from './core.js';
import type { ReadTicket, ShardPlacement, TicketReq, TicketSource } from '../gateway/roles.js';

/** What a read sees (ReadRole.readView); `release` ends its hold against compaction. */
interface ReadView {
  readonly coll: CollectionMeta;
  readonly data: CollectionData;
  readonly at: bigint;
  /** Rows written before this have expired under the collection's TTL (0n: none). */
  readonly since: bigint;
  readonly partitions: Set<number> | undefined;
  readonly waitApplied: boolean;
  readonly logEnds: readonly number[] | undefined;
  readonly partitionsNamed: boolean;
  readonly release: () => void;
}

/** A search request as checked before its view is taken (ReadRole.searchColumns). */
interface SearchPlan {
  readonly coll: CollectionMeta;
  readonly field: FieldSchema;
  readonly metric: ReturnType<typeof searchMetric>;
  readonly keys: readonly PkKey[] | undefined;
  readonly queries: PreparedQuery[];
  readonly filter: FilterPlan;
  readonly params: ReturnType<typeof parseSearchParams>;
  readonly groupField: FieldSchema | undefined;
  readonly iter: ReturnType<typeof searchIteratorParams>;
  readonly iterState: SearchIterState | undefined;
  readonly limit: number;
  readonly offset: number;
  readonly raw: unknown;
  /** Timestamptz values of the answer are written in it. */
  readonly timezone: string;
}

export class ReadRole {
  /**
   * `placement` is the data nodes reads fan out to (the engine's: core.roles.placement);
   * `tickets`, on a read replica's copy, is where each read's view comes from (the
   * coordinator) instead of this core's own clock and shards.
   */
  constructor(private readonly core: EngineCore, private readonly placement: () => ShardPlacement = () => core.roles.placement, private readonly tickets?: TicketSource) {}

  // ---------------------------------------------------------------- reads

  /**
   * Pins what a read sees: a timestamp and the segments, held against compaction until
   * `release` (withView calls it). Strong waits for every write
   * submitted before it; Bounded waits only for writes older than boundedStalenessMs;
   * Session and Eventually read what is applied (a client's own acknowledged writes
   * are always applied, so Session is read-your-writes).
   */
  /**
   * Runs `body` on a read's view, holding its snapshot against compaction until `body`
   * has settled (core.holdRead): the one way the read paths take a view, so none can
   * forget to let it go.
   */
  private async withView<T>(req: ReadReq, partitionNames: string[] | undefined, pinned: Snapshot | undefined, body: (view: ReadView) => T | Promise<T>): Promise<T> {
    const view = await this.readView(req, partitionNames, pinned);
    try {
      return await body(view);
    } finally {
      view.release();
    }
  }

  private async readView(req: ReadReq, partitionNames: string[] | undefined, pinned?: Snapshot): Promise<ReadView> {
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
    // Strong (and Bounded past its bound) reads at a new timestamp and the data nodes wait
    // until every write submitted before it is applied; the others read what is applied.
    let waitApplied = false;
    let logEnds: readonly number[] | undefined;
    if (pinned !== undefined) {
      at = pinned.at;
    } else if (this.tickets) {
      // A replica's copy: the coordinator picks the snapshot and says how far each shard's
      // log must be applied (the source checks the copy holds the catalog it checked against).
      const t = await this.tickets({ db_name: req.db_name, collection_name: req.collection_name, consistency_level: level, ...(partitionNames ? { partition_names: partitionNames } : {}) });
      if (t.collectionId !== coll.id || t.logEnds.length !== data.shards.length) fail('REPLICA_BEHIND', { node: 'this node', detail: `the coordinator's collection ${t.collectionId} (${t.logEnds.length} shards) is not the copy's ${coll.id} (${data.shards.length})` });
      at = t.at;
      logEnds = t.logEnds;
    } else if (level === 'Strong' || (level === 'Bounded' && this.staleBeyondBound(data))) {
      at = this.core.tso.next();
      waitApplied = true;
    } else {
      at = this.core.collectionSafeTs(data);
    }
    // Which rows have expired is decided here, once per read (a pinned read keeps its own):
    // every shard and segment it reaches then agrees on it.
    const since = pinned !== undefined ? pinned.since : expiredBefore(at, collectionTtlSeconds(coll));
    // From here until the read is answered, compaction keeps what it sees (core.holdRead).
    const release = this.core.holdRead(at);
    return { coll, data, at, since, partitions, waitApplied, logEnds, partitionsNamed: partitionNames !== undefined && partitionNames.length > 0, release };
  }

  /**
   * The coordinator's side of a gateway's replica read: the view a read of `req` would
   * take here now (checked as a read here is: collection, load state, partitions,
   * consistency level), with each shard's applied log end once the read's wait is over.
   */
  async readTicket(req: TicketReq): Promise<ReadTicket> {
    this.core.requireObject(req);
    // The gateway reads its own replica's copy, which compaction here does not touch: the
    // hold ends with the view's choice.
    const view = await this.withView(req, req.partition_names, undefined, (v) => v);
    const { coll, data } = view;
    const placement = this.placement();
    const byNode = shardsByNode(placement.writeOwners(coll.id, data.shards.length), undefined);
    const logEnds = new Array<number>(data.shards.length).fill(0);
    for (const [node, list] of byNode) {
      const reader = placement.reader(node);
      if (!reader.appliedEnds) fail('INTERNAL', { detail: `data node ${node} cannot say how far its shards are applied` });
      const ends = await reader.appliedEnds(this.shardRead(req, coll, view, { kind: 'all' }, list));
      list.forEach((shard, i) => (logEnds[shard] = ends[i]!));
    }
    // The wait is over: a partition the read names that a drop took meanwhile is gone for it,
    // as for a read answered here (shard-reads.ts).
    const now = this.core.catalog.collectionById(coll.id);
    if (!now) fail('COLLECTION_NOT_FOUND', { name: req.collection_name, db: this.core.dbOf(req) });
    for (const p of view.partitionsNamed ? view.partitions ?? [] : []) {
      if (!now.partitions.some((x) => x.id === p) || data.droppingPartitions.has(p)) fail('PARTITION_NOT_FOUND', { name: `#${p}`, collection: coll.name });
    }
    return { catalogVersion: this.core.catalog.version, collectionId: coll.id, at: view.at, logEnds };
  }

  /**
   * Asks the data nodes serving the collection's shards (only `wanted` ones, when given)
   * for their part. `single` tells a node it serves every shard read, so it may apply the
   * request's offset itself.
   */
  private async fanOut<T>(coll: CollectionMeta, data: CollectionData, wanted: ReadonlySet<number> | undefined, call: (reader: ShardReader, shards: number[], single: boolean) => Promise<T>): Promise<{ parts: T[]; single: boolean }> {
    const placement = this.placement();
    const byNode = shardsByNode(placement.owners(coll.id, data.shards.length), wanted);
    const single = byNode.size <= 1;
    if (single) {
      // One node (the embedded mode's usual case): no array of promises to wait on.
      const [only] = byNode;
      return { parts: only === undefined ? [] : [await call(placement.reader(only[0]), only[1], true)], single };
    }
    const parts = await Promise.all([...byNode].map(([node, shards]) => call(placement.reader(node), shards, single)));
    return { parts, single };
  }

  /**
   * What every partial read of a request shares, for the shards one node is asked for: a
   * new object each call, which the callers extend with Object.assign. Not with a spread:
   * on Node 20 each property written after a spread in an object literal takes V8's slow
   * path (about 1 µs a property, 8 µs for a search's request).
   */
  private shardRead(req: ReadReq, coll: CollectionMeta, view: ReadViewOf, filter: FilterPlan, shards: number[]): ShardReadReq {
    const ends = view.logEnds;
    return {
      db_name: this.core.dbOf(req), collection_name: req.collection_name, collectionId: coll.id, shards,
      at: view.at, since: view.since, waitApplied: view.waitApplied, partitions: view.partitions === undefined ? undefined : [...view.partitions], filter,
      catalogVersion: this.core.catalog.version, partitionsNamed: view.partitionsNamed === true,
      logEnds: ends === undefined ? undefined : shards.map((i) => ends[i]!),
    };
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
    return { status, data: rowsOf(await this.queryAt(req, undefined, undefined)) };
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
    const plan = explainFilter(coll.schema, text, exprParamsOf(req), coll.indexes, data.shards.flatMap((s) => s.segments()), undefined, this.core.timezoneOf(coll, (req as ReadReq).timezone));
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
    const pin = this.core.nextPin++;
    // The pin holds the snapshot from here on (each page holds it again while it reads).
    const view = await this.withView(req, req.partition_names, undefined, (v) => {
      this.core.pins.set(pin, { ts: v.at, since: v.since, collectionId: v.coll.id, lastUsedMs: this.core.clock.now() });
      return v;
    });
    const pkField = view.coll.schema.fields.find((f) => f.isPrimary)!;
    let after: PkKey | undefined;
    const it = pagedIterator(total, async (remaining) => {
      const p = this.core.pins.get(pin);
      if (!p) fail('TIMEOUT', { what: 'query iterator (unused past its lease)', ms: iteratorLeaseMs });
      p.lastUsedMs = this.core.clock.now();
      const data = rowsOf(await this.queryAt({ ...req, limit: Math.min(batchSize, remaining), offset: 0 }, view, after));
      if (data.length > 0) after = pkKeyOf(pkField, data[data.length - 1]![pkField.name]);
      return data;
    }, () => this.core.pins.delete(pin));
    return Object.assign(it, { snapshotTs: view.at.toString() });
  }

  /** A query's rows in columns (or its count(*)), as the gRPC layer puts them on the wire. */
  async queryColumns(req: QueryReq): Promise<QueryColumns> {
    validateName('collection', this.core.requireObject(req).collection_name);
    return this.queryAt(req, undefined, undefined);
  }

  private async queryAt(req: QueryReq, pinned: Snapshot | undefined, after: PkKey | undefined): Promise<QueryColumns> {
    this.core.requireObject(req);
    const limit = optionalCount('limit', req.limit);
    const offset = optionalCount('offset', req.offset) ?? 0;
    if (limit !== undefined && limit + offset > this.core.limits.resultRowsMax) fail('LIMIT_EXCEEDED', { what: 'query result', detail: `offset + limit must be at most ${this.core.limits.resultRowsMax}` });
    return this.withView(req, req.partition_names, pinned, (view) => this.queryView(req, view, limit, offset, after));
  }

  private async queryView(req: QueryReq, view: ReadView, limit: number | undefined, offset: number, after: PkKey | undefined): Promise<QueryColumns> {
    const { coll, data } = view;
    const pkField = coll.schema.fields.find((f) => f.isPrimary)!;
    const timezone = this.core.timezoneOf(coll, req.timezone);
    const planned = req.ids !== undefined ? undefined : planFilter(coll.schema, req.filter ?? req.expr, exprParamsOf(req), timezone);
    const outputs = req.output_fields ?? [];
    // Checked before the count(*) test below reads them as strings (else a TypeError, not a coded error).
    if (!Array.isArray(outputs) || outputs.some((o) => typeof o !== 'string')) fail('INVALID_ARGUMENT', { detail: 'output_fields must be an array of strings' });
    const filter = keysAsPks(planned ?? keysPlan(req.ids), coll.schema);
    const wanted = shardsOfKeys(filter, data.shards.length);
    const counting = outputs.some((o) => o.replace(/\s/g, '').toLowerCase() === 'count(*)');
    if (counting) {
      if (outputs.length > 1) fail('INVALID_ARGUMENT', { detail: 'count(*) cannot be combined with other output fields' });
      const { parts } = await this.fanOut(coll, data, wanted, (r, shards) => r.countShards(this.shardRead(req, coll, view, filter, shards)));
      return { status, count: parts.reduce((a, b) => a + b, 0) };
    }
    if (filter.kind === 'all' && limit === undefined) fail('INVALID_ARGUMENT', { detail: 'a query without a filter needs a limit' });
    // As in search: a limit of 0 would return one row.
    if (limit === 0) fail('INVALID_ARGUMENT', { detail: 'limit must be at least 1' });
    // Checked here, before any node reads a row: a missing field is FIELD_NOT_FOUND.
    planOutput(coll.schema, coll.name, outputs);
    const bytesMax = this.core.limits.resultBytesMax;
    // One node: it skips the offset itself. Several: each returns its first offset + limit
    // rows in key order, and the merge skips the offset.
    const { parts, single } = await this.fanOut(coll, data, wanted, (r, shards, one) => r.queryShards(Object.assign(this.shardRead(req, coll, view, filter, shards), {
      output_fields: outputs, offset: one ? offset : 0,
      limit: one || limit === undefined ? limit : offset + limit, after, bytesMax,
    })));
    const merged = mergeRows(parts, pkField.type === DataType.Int64, single ? 0 : offset, single ? undefined : limit, bytesMax);
    return { status, columns: renderTimestamptz(merged, timezone) };
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
  search(req: SearchReq): Promise<SearchRows> {
    return this.searchRows(req, {});
  }

  /** A search's rows; `snapshot` as in searchAt. */
  private async searchRows(req: SearchReq, snapshot: { view?: Snapshot }): Promise<SearchRows> {
    const r = await this.searchAt(req, snapshot);
    // The primary key is always among the output columns (when there are hits).
    const pk = r.columns.fields.find((c) => c.field.isPrimary)?.field.name ?? '';
    const rows = rowsOfColumns(r.columns);
    let i = 0;
    // Each row is a new object of this call's: the hit's fields are set on it, in the
    // order a spread ({ ...row, id, score }) would give, without the spread's slow path.
    // (A row whose dynamic keys included "__proto__" got another prototype from
    // Object.assign in rowsOfColumns; the spread made it a plain object again, and still does.)
    const results = r.lists.map((list) => list.map((h) => {
      const row = rows[i++]!;
      const hit = Object.getPrototypeOf(row) === Object.prototype ? row : { ...row };
      hit.id = hit[pk];
      hit.score = h.score;
      if (r.groupField !== undefined) hit[r.groupField] = h.group;
      return hit;
    }));
    const { search_iterator_v2_results: iterator, session_ts } = r;
    return {
      status,
      results: r.flat ? results[0]! : results,
      ...(iterator ? { search_iterator_v2_results: iterator } : {}),
      ...(session_ts !== undefined ? { session_ts } : {}),
    };
  }

  /** A search's hits per query and their output fields in columns, as the gRPC layer puts them on the wire. */
  searchColumns(req: SearchReq): Promise<SearchColumns> {
    return this.searchAt(req, {});
  }

  /**
   * A search read at `snapshot.view` when set, else at the view its consistency level
   * takes, which is then left in `snapshot.view`: a hybrid search's sub-searches read the
   * first one's, so all of them see the same rows (and the same expired ones).
   */
  private async searchAt(req: SearchReq, snapshot: { view?: Snapshot }): Promise<SearchColumns> {
    this.core.requireObject(req);
    const limit = optionalCount('limit', req.limit ?? req.topk) ?? 10;
    const offset = optionalCount('offset', req.offset) ?? 0;
    if (limit < 1) fail('INVALID_ARGUMENT', { detail: 'limit must be at least 1' });
    if (limit + offset > searchTopKMax) fail('LIMIT_EXCEEDED', { what: 'search topk', detail: `offset + limit must be at most ${searchTopKMax}` });
    const { coll } = this.core.live(req);
    const path = structPathOf(coll.schema, req.anns_field);
    if (path) return this.embListSearch(req, coll, path, limit, offset);
    const vectorFields = coll.schema.fields.filter((f) => isVector(f.type));
    let field = vectorFields[0]!;
    if (req.anns_field === undefined && vectorFields.length === 0) {
      fail('INVALID_ARGUMENT', { detail: `the collection's vectors are in Array of Structs fields; say which with anns_field (${coll.schema.fields.flatMap(embListFields).join(', ')})` });
    }
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
    // Search by primary keys (Milvus 2.6): each key's stored vector is a query vector,
    // looked up at the search's own snapshot once it is taken (below).
    const keys = req.ids === undefined || req.ids === null ? undefined : searchKeys(coll, req.ids, raw);
    let queries = keys ? [] : prepareQueries(field, raw);
    if ((keys ?? queries).length > nqMax) fail('LIMIT_EXCEEDED', { what: 'nq', detail: `at most ${nqMax} query vectors` });
    // Milvus takes a search's timezone from its search params (the SDKs put `params` there too).
    const timezone = this.core.timezoneOf(coll, req.timezone ?? (req.params as { timezone?: unknown } | undefined)?.timezone);
    const filter = planFilter(coll.schema, req.filter ?? req.expr, exprParamsOf(req), timezone);
    planOutput(coll.schema, coll.name, req.output_fields ?? [], { includeVectorsByDefault: false });
    const params = parseSearchParams(req.params, req as unknown as Record<string, unknown>, offset + limit);
    if (params.radius !== undefined) checkRange(metric, params.radius, params.rangeFilter);
    const groupField = params.groupByField === undefined ? undefined
      : checkGroupField(coll.schema.fields.find((f) => f.name === params.groupByField && !f.isDynamic), params.groupByField, coll.name);
    if (groupField && params.radius !== undefined) fail('INVALID_ARGUMENT', { detail: 'a search cannot both group (group_by_field) and use a range (radius)' });
    const iter = searchIteratorParams(req.params);
    let iterState: SearchIterState | undefined;
    if (iter) {
      if (keys) fail('INVALID_ARGUMENT', { detail: 'a search iterator cannot search by primary keys (ids); give the query vector' });
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
    const pinned = iterState ? this.core.pins.get(iterState.pin)! : undefined;
    return this.withView(req, req.partition_names, pinned ? { at: pinned.ts, since: pinned.since } : snapshot.view, (view) => {
      snapshot.view ??= { at: view.at, since: view.since };
      return this.searchView(req, view, { coll, field, metric, keys, queries, filter, params, groupField, iter, iterState, limit, offset, raw, timezone });
    });
  }

  private async searchView(req: SearchReq, view: ReadView, s: SearchPlan): Promise<SearchColumns> {
    const { coll, field, metric, keys, filter, params, groupField, iter, limit, offset, raw, timezone } = s;
    let { queries, iterState } = s;
    const { data } = view;
    if (keys) queries = await this.vectorsOfKeys(req, coll, data, view, field, keys);
    const keyed = keysAsPks(filter, coll.schema);
    const wanted = shardsOfKeys(keyed, data.shards.length);
    const outputFields = req.output_fields ?? [];
    const bytesMax = this.core.limits.resultBytesMax;
    const ask = (mode: SearchMode, k: number, offsetOnNode: (single: boolean) => number) =>
      this.fanOut(coll, data, wanted, (r, shards, single) => r.searchShards(Object.assign(this.shardRead(req, coll, view, keyed, shards), {
        anns_field: field.name, metric, queries, params, output_fields: outputFields, bytesMax, mode, k, offset: offsetOnNode(single),
      })));
    if (iter) {
      if (!iterState) {
        const pin = this.core.nextPin++;
        this.core.pins.set(pin, { ts: view.at, since: view.since, collectionId: coll.id, lastUsedMs: this.core.clock.now() });
        iterState = { pin, bound: undefined, ties: new Set() };
        this.core.searchIters.set(String(pin), iterState);
      }
      const state = iterState;
      const { parts } = await ask({ kind: 'iterate', bound: state.bound, ties: [...state.ties] as PkKey[] }, limit, () => 0);
      const merged = mergeHits(parts, 1, limit, metric, 0, bytesMax, hitOverheadBytes);
      const batch = merged.lists[0]!;
      if (batch.length > 0) {
        const last = batch[batch.length - 1]!.score;
        if (last !== state.bound) state.ties = new Set();
        for (const h of batch) if (h.score === last) state.ties.add(h.key);
        state.bound = last;
      }
      return {
        status, lists: merged.lists, columns: renderTimestamptz(merged.columns, timezone), flat: true, groupField: undefined,
        search_iterator_v2_results: { token: String(state.pin), last_bound: state.bound ?? 0 },
        session_ts: view.at.toString(),
      };
    }
    // By primary keys: one list per key, in the order given, even for one key.
    const flat = !keys && queries.length === 1 && !isBatch(raw);
    if (groupField) {
      const mode = { kind: 'group' as const, field: groupField.name, size: params.groupSize, strict: params.strictGroupSize };
      const first = await ask(mode, offset + limit, () => 0);
      let parts: ShardHits[] = first.parts;
      let only: unknown[][] | undefined;
      if (!first.single) {
        // A group's best hits may lie on any node, also one where the group did not make
        // that node's best: a second round asks every node for the chosen groups' hits.
        only = topGroups(first.parts, queries.length, offset + limit, metric);
        const union = [...new Set(only.flat())];
        if (union.length > 0) parts = [...parts, ...(await ask({ ...mode, only: union }, union.length, () => 0)).parts];
      }
      // offset and limit count groups.
      const grouped = mergeGroups(parts, queries.length, offset + limit, params.groupSize, metric, offset, bytesMax, hitOverheadBytes, only);
      return { status, lists: grouped.lists, columns: renderTimestamptz(grouped.columns, timezone), flat, groupField: groupField.name };
    }
    const k = offset + limit;
    const { parts, single } = await ask({ kind: params.radius !== undefined ? 'range' : 'top' }, k, (one) => (one ? offset : 0));
    const merged = mergeHits(parts, queries.length, single ? Infinity : k, metric, single ? 0 : offset, bytesMax, hitOverheadBytes);
    // A literal, not a spread with properties after it (V8's slow path, shardRead).
    return { status, lists: merged.lists, columns: renderTimestamptz(merged.columns, timezone), flat, groupField: undefined };
  }

  /**
   * A search of an embedding list (anns_field `chunks[vec]`, a struct's FloatVector
   * sub-field): each query is a list of vectors, each row scored by MAX_SIM over its
   * list, exactly. As in Milvus, not by primary keys, not grouped, not a range search
   * and not an iterator.
   */
  private async embListSearch(req: SearchReq, coll: CollectionMeta, path: { struct: FieldSchema; sub: FieldSchema }, limit: number, offset: number): Promise<SearchColumns> {
    const name = `${path.struct.name}[${path.sub.name}]`;
    if (path.sub.type !== DataType.FloatVector) fail('INVALID_ARGUMENT', { detail: `anns_field "${name}" is a ${dataTypeName(path.sub.type)} sub-field, not a vector` });
    const given = req.metric_type ?? (req.params as { metric_type?: unknown } | undefined)?.metric_type;
    const index = indexesOf(coll).find((i) => i.fieldId === path.sub.fieldId);
    const metric = embListMetricOf({ ...path.sub, name }, given ?? index?.metricType);
    if (index?.metricType !== undefined && metric !== index.metricType) fail('METRIC_MISMATCH', { field: name, expected: index.metricType, actual: metric });
    if (req.ids !== undefined && req.ids !== null) fail('INVALID_ARGUMENT', { detail: `an embedding-list search ("${name}") cannot search by primary keys (ids)` });
    const raw = req.data ?? req.vectors ?? req.vector;
    const queries = prepareEmbLists(path.sub, name, raw);
    if (queries.length > nqMax) fail('LIMIT_EXCEEDED', { what: 'nq', detail: `at most ${nqMax} query embedding lists` });
    const timezone = this.core.timezoneOf(coll, req.timezone ?? (req.params as { timezone?: unknown } | undefined)?.timezone);
    const filter = planFilter(coll.schema, req.filter ?? req.expr, exprParamsOf(req), timezone);
    planOutput(coll.schema, coll.name, req.output_fields ?? [], { includeVectorsByDefault: false });
    const params = parseSearchParams(req.params, req as unknown as Record<string, unknown>, offset + limit);
    if (params.radius !== undefined || params.groupByField !== undefined || searchIteratorParams(req.params)) {
      fail('INVALID_ARGUMENT', { detail: `an embedding-list search ("${name}") takes no range (radius), grouping (group_by_field) or iterator, as in Milvus` });
    }
    return this.withView(req, req.partition_names, undefined, (view) => this.embListView(req, view, { name, metric, queries, filter, params, limit, offset, raw, timezone }));
  }

  private async embListView(req: SearchReq, view: ReadView, s: { name: string; metric: EmbListMetric; queries: Float32Array[]; filter: FilterPlan; params: ReturnType<typeof parseSearchParams>; limit: number; offset: number; raw: unknown; timezone: string }): Promise<SearchColumns> {
    const { name, metric, queries, filter, params, limit, offset, raw, timezone } = s;
    const { coll, data } = view;
    const keyed = keysAsPks(filter, coll.schema);
    const wanted = shardsOfKeys(keyed, data.shards.length);
    const bytesMax = this.core.limits.resultBytesMax;
    const k = offset + limit;
    const { parts, single } = await this.fanOut(coll, data, wanted, (r, shards, one) => r.searchShards(Object.assign(this.shardRead(req, coll, view, keyed, shards), {
      anns_field: name, metric, queries, params, output_fields: req.output_fields ?? [], bytesMax, mode: { kind: 'top' as const }, k, offset: one ? offset : 0,
    })));
    const merged = mergeHits(parts, queries.length, single ? Infinity : k, metric, single ? 0 : offset, bytesMax, hitOverheadBytes);
    // One list given as an array of vectors answers with one flat list, as one vector does.
    const flat = queries.length === 1 && nesting(raw) <= 2;
    return { status, lists: merged.lists, columns: renderTimestamptz(merged.columns, timezone), flat, groupField: undefined };
  }

  /**
   * The stored vectors of `keys` in field `field`, as query vectors in the keys' order,
   * read from the search's own view: its snapshot and consistency, its partitions (the
   * filter does not apply; it selects hits, not query vectors). A key that is not there
   * is an INVALID_ARGUMENT naming it, as Milvus refuses ids it cannot find.
   */
  private async vectorsOfKeys(req: SearchReq, coll: CollectionMeta, data: CollectionData, view: ReadViewOf, field: FieldSchema, keys: readonly PkKey[]): Promise<PreparedQuery[]> {
    const pkField = coll.schema.fields.find((f) => f.isPrimary)!;
    const filter: FilterPlan = { kind: 'keys', values: keys };
    const bytesMax = this.core.limits.resultBytesMax;
    const { parts } = await this.fanOut(coll, data, shardsOfKeys(filter, data.shards.length), (r, shards) => r.queryShards(Object.assign(this.shardRead(req, coll, view, filter, shards), {
      output_fields: [field.name], offset: 0, limit: undefined, after: undefined, bytesMax,
    })));
    const found = new Map<unknown, unknown>();
    for (const row of rowsOfColumns(mergeRows(parts, pkField.type === DataType.Int64, 0, undefined, bytesMax))) found.set(row[pkField.name], row[field.name]);
    const missing = keys.filter((k) => !found.has(k));
    if (missing.length > 0) {
      const shown = missing.slice(0, 10).map((k) => JSON.stringify(k)).join(', ') + (missing.length > 10 ? `, … (${missing.length} in all)` : '');
      const where = req.partition_names && req.partition_names.length > 0 ? ` in partitions ${JSON.stringify(req.partition_names)}` : '';
      fail('INVALID_ARGUMENT', { detail: `some of the primary keys given as ids do not exist${where}: ${shown}` });
    }
    return keys.map((k) => {
      const v = found.get(k);
      if (v === null || v === undefined) fail('INVALID_ARGUMENT', { detail: `the row with primary key ${JSON.stringify(k)} has no value in vector field "${field.name}"` });
      // A sparse vector is stored as sorted indices and values; a query takes an index map.
      const sparse = v as { indices?: unknown; values?: unknown };
      const q = Array.isArray(sparse.indices) && Array.isArray(sparse.values)
        ? Object.fromEntries(sparse.indices.map((i, n) => [i, (sparse.values as unknown[])[n]]))
        : v;
      return prepareQueries(field, [q])[0]!;
    });
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
    const snapshot: { view?: Snapshot } = {};
    // The first sub-search takes the view; it stays held against compaction until the
    // last one has read (each holds it only while it runs).
    let release: (() => void) | undefined;
    try {
      for (const sub of req.data) {
        const r = await this.searchRows({
          db_name: req.db_name, collection_name: req.collection_name, partition_names: req.partition_names,
          consistency_level: req.consistency_level,
          anns_field: sub.anns_field, data: [sub.data], limit: sub.limit ?? limit, params: sub.params, timezone: req.timezone,
          filter: sub.filter ?? sub.expr, metric_type: sub.metric_type, output_fields: req.output_fields,
          // Each sub-request's filter takes its own template values, as in Milvus.
          exprValues: exprParamsOf(sub),
        }, snapshot);
        // Taken in the same run of microtasks as the sub-search's own release: no
        // compaction can start between the two.
        if (snapshot.view && !release) release = this.core.holdRead(snapshot.view.at);
        const field = coll.schema.fields.find((f) => f.name === sub.anns_field)!;
        lists.push({ hits: (r.results as Array<Array<Record<string, unknown>>>)[0]!, metric: searchMetric(coll, field, sub.metric_type) });
      }
    } finally {
      release?.();
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

/** What a read sees: its timestamp and the first write timestamp it does not take as expired. */
interface Snapshot {
  readonly at: bigint;
  readonly since: bigint;
}

/** The parts of a read's view that its partial reads carry. */
interface ReadViewOf extends Snapshot {
  readonly partitions: ReadonlySet<number> | undefined;
  readonly waitApplied: boolean;
  readonly partitionsNamed?: boolean;
  readonly logEnds?: readonly number[] | undefined;
}

type SearchRows = {
  status: typeof status;
  results: Array<Record<string, unknown>> | Array<Array<Record<string, unknown>>>;
  search_iterator_v2_results?: { token: string; last_bound: number };
  session_ts?: string;
};
const nqMax = 16_384;

// ---------------------------------------------------------------- small helpers

/** The shards each node serves, from a placement's owners (index = shard); only `wanted` ones when given. */
function shardsByNode(owners: readonly string[], wanted: ReadonlySet<number> | undefined): Map<string, number[]> {
  const byNode = new Map<string, number[]>();
  owners.forEach((node, shard) => {
    if (wanted && !wanted.has(shard)) return;
    const list = byNode.get(node);
    if (list) list.push(shard);
    else byNode.set(node, [shard]);
  });
  return byNode;
}

const hybridRequestsMax = 1024;

/** Maps a metric's score onto [0, 1], larger = nearer, as Milvus's weighted ranker does. */
function normScore(metric: string, s: number): number {
  if (metric === 'IP') return 0.5 + Math.atan(s) / Math.PI;
  if (metric === 'COSINE') return (1 + s) / 2;
  return 1 - (2 * Math.atan(s)) / Math.PI;
}

/** A query's answer as rows: its rows, or one row holding count(*). */
function rowsOf(r: QueryColumns): Array<Record<string, unknown>> {
  return r.columns === undefined ? [{ 'count(*)': r.count }] : rowsOfColumns(r.columns);
}

/**
 * A search's `ids` as keys: a non-empty list of keys of the primary key's type, each
 * once (Milvus refuses a repeated one too), and no query vectors beside them.
 */
function searchKeys(coll: CollectionMeta, ids: unknown, raw: unknown): PkKey[] {
  if (raw !== undefined && raw !== null) fail('INVALID_ARGUMENT', { detail: 'give either ids (primary keys) or query vectors (data), not both' });
  if (!Array.isArray(ids) || ids.length === 0) fail('INVALID_ARGUMENT', { detail: 'ids must be a non-empty list of primary keys' });
  const pk = coll.schema.fields.find((f) => f.isPrimary)!;
  const seen = new Map<PkKey, number>();
  return ids.map((v, i) => {
    const key = pkKeyOf(pk, v, i);
    const first = seen.get(key);
    if (first !== undefined) fail('INVALID_ARGUMENT', { detail: `ids repeats primary key ${JSON.stringify(key)} (at ${first} and ${i}); each key gives one query vector, so give it once` });
    seen.set(key, i);
    return key;
  });
}

/** `ids` as a key filter (they are checked as keys in keysAsPks). */
function keysPlan(ids: unknown): FilterPlan {
  if (!Array.isArray(ids)) fail('INVALID_ARGUMENT', { detail: 'ids must be an array' });
  return { kind: 'keys', values: ids };
}

/** A key filter's values as the segments hold keys (Int64 as a number when safe), each once. */
function keysAsPks(plan: FilterPlan, schema: CollectionSchema): FilterPlan {
  if (plan.kind !== 'keys') return plan;
  const pk = schema.fields.find((f) => f.isPrimary)!;
  return { kind: 'keys', values: [...new Set(plan.values.map((v) => pkKeyOf(pk, v)))] };
}

/** The shards a key filter can touch (undefined: every shard). */
function shardsOfKeys(plan: FilterPlan, shards: number): Set<number> | undefined {
  if (plan.kind !== 'keys') return undefined;
  const shardOf = shardRouter(shards);
  return new Set((plan.values as PkKey[]).map(shardOf));
}

/** How deep arrays nest in `x` (a vector is 1, a list of vectors 2), following first elements. */
function nesting(x: unknown): number {
  return Array.isArray(x) || ArrayBuffer.isView(x) ? 1 + nesting((x as ArrayLike<unknown>)[0]) : 0;
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
