// The data/query role's read side: partial answers over the shards this node serves
// (gateway/roles.ts ShardReader), merged by the gateway (reads.ts). Requests and results
// are plain data; the segments, indexes and filter closures stay here.
// A role of the embedded engine (engine/README.md): its state is the engine core's,
// shared with the other roles; it reaches them only through core.roles.
import { assert, fail } from '../errors/index.js';
import type { CollectionMeta } from '../catalog/index.js';
import type { ShardHit, ShardHits, ShardQueryReq, ShardReadReq, ShardReader, ShardRows, ShardSearchReq } from '../gateway/roles.js';
import { pkOrder } from '../gateway/merge.js';
import { type Filter, bindFilter } from '../query/filter.js';
import { planOutput, resultBytes } from '../query/rows.js';
import { gatherColumns } from '../query/result-columns.js';
import { type GroupedHit, type SearchHit, type VectorSearchSpec, groupValueAt, groupingSearch, searchBeyond, vectorRangeSearch, vectorSearch } from '../query/vector-search.js';
import { BoundedHeap } from '../index/topk.js';
import { DataType, structPathOf } from '../catalog/index.js';
import { embListSearch } from '../query/emb-list.js';
import type { EmbListMetric, Metric } from '../query/distance.js';
import type { PkKey } from '../segments/pk.js';
import type { Segment } from '../segments/segment.js';
import type { Shard } from '../segments/shard.js';
import type { CollectionData } from './collection.js';
import { type EngineCore, shardRouter } from './core.js';

/** A search hit's own bytes beside its output fields: its key and score. */
export const hitOverheadBytes = 16;

export class ShardReads implements ShardReader {
  constructor(private readonly core: EngineCore, readonly node: string) {}

  /** The shards asked for, once every write submitted before the call is applied when the read waits. */
  private async view(req: ShardReadReq) {
    const { coll, data } = await this.settled(req);
    if (req.partitionsNamed && req.partitions) {
      for (const p of req.partitions) {
        // Dropped, or being dropped, since the read was planned (a wait above, or a node's queue).
        if (!coll.partitions.some((x) => x.id === p) || data.droppingPartitions.has(p)) fail('PARTITION_NOT_FOUND', { name: `#${p}`, collection: coll.name });
      }
    }
    const shards = req.shards.map((i) => data.shards[i]!);
    return {
      coll, data, shards,
      partitions: req.partitions === undefined ? undefined : new Set(req.partitions),
      segments: shards.flatMap((s) => s.segments()),
      filter: bindFilter(req.filter, coll.schema, coll.indexes),
    };
  }

  private collection(req: ShardReadReq): { coll: CollectionMeta; data: CollectionData } {
    this.core.checkOpen();
    const data = this.core.data.get(req.collectionId);
    const coll = this.core.catalog.collectionById(req.collectionId);
    if (!data || data.state !== 'ready' || !coll) fail('COLLECTION_NOT_FOUND', { name: req.collection_name, db: req.db_name });
    return { coll, data };
  }

  async appliedEnds(req: ShardReadReq): Promise<readonly number[]> {
    const { data } = await this.settled(req);
    return req.shards.map((i) => data.shards[i]!.appliedOffset + 1);
  }

  /** The collection once every write submitted to the asked shards before the call is applied, when the read waits. */
  private async settled(req: ShardReadReq): Promise<{ coll: CollectionMeta; data: CollectionData }> {
    const first = this.collection(req);
    for (const i of req.shards) assert(Number.isInteger(i) && i >= 0 && i < first.data.shards.length, 'a shard read names shards of its collection');
    if (!req.waitApplied) return first;
    await Promise.all(req.shards.map((i) => first.data.shards[i]!.barrier()));
    // The collection may have been dropped while we waited.
    return this.collection(req);
  }

  async countShards(req: ShardReadReq): Promise<number> {
    const v = await this.view(req);
    const { filter, partitions } = v;
    let n = 0;
    if (filter.kind === 'all') {
      for (const s of v.shards) n += s.count(req.at, req.since, partitions);
    } else if (filter.kind === 'keys') {
      n = this.lookup(v.data, v.shards, filter.values as PkKey[], req.at, req.since, partitions).length;
    } else {
      for (const seg of v.segments) {
        if (partitions && !partitions.has(seg.partitionId)) continue;
        if (seg.allExpired(req.since)) continue;
        const bits = filter.bits(seg);
        const rows = Math.min(seg.rowCount, bits.length);
        for (let r = 0; r < rows; r++) if (bits[r] === 1 && seg.visible(r, req.at, req.since)) n++;
      }
    }
    return n;
  }

  async queryShards(req: ShardQueryReq): Promise<ShardRows> {
    const v = await this.view(req);
    const { coll, filter, partitions } = v;
    const pkField = coll.schema.fields.find((f) => f.isPrimary)!;
    const plan = planOutput(coll.schema, coll.name, req.output_fields);
    // Results come in primary-key order, as Milvus returns them (its reduce merges by key):
    // the SDK's query iterator pages with `pk > last` and relies on it. Only the first
    // offset + limit keys are kept while scanning.
    const want = req.limit === undefined ? Infinity : req.offset + req.limit;
    const byKey = pkOrder(pkField.type === DataType.Int64);
    const matches = new BoundedHeap<{ seg: Segment; row: number }>(want, (a, b) => byKey(a.seg.pks[a.row]!, b.seg.pks[b.row]!));
    const after = req.after;
    const push = after === undefined
      ? (m: { seg: Segment; row: number }) => matches.push(m)
      // An iterator's next page: only keys after the last one it returned.
      : (m: { seg: Segment; row: number }) => { if (byKey(m.seg.pks[m.row]!, after) > 0) matches.push(m); };
    if (filter.kind === 'keys') {
      for (const loc of this.lookup(v.data, v.shards, filter.values as PkKey[], req.at, req.since, partitions)) push(loc);
    } else {
      for (const seg of v.segments) {
        if (partitions && !partitions.has(seg.partitionId)) continue;
        if (seg.allExpired(req.since)) continue;
        const bits = filter.kind === 'predicate' ? filter.bits(seg) : undefined;
        const rows = bits ? Math.min(seg.rowCount, bits.length) : seg.rowCount;
        for (let r = 0; r < rows; r++) if ((!bits || bits[r] === 1) && seg.visible(r, req.at, req.since)) push({ seg, row: r });
      }
    }
    const kept = matches.sorted().slice(req.offset);
    const bytes = resultBytes(plan, kept, req.bytesMax);
    return { keys: kept.map((m) => m.seg.pks[m.row]!), columns: gatherColumns(plan, kept), bytes };
  }

  /**
   * Rows visible at `at` (and not expired for a read from `since`) with the given keys,
   * among this node's shards: through the key index when reading the latest state, else
   * by scan.
   */
  private lookup(data: CollectionData, shards: readonly Shard[], keys: readonly PkKey[], at: bigint, since: bigint, partitions: ReadonlySet<number> | undefined): Array<{ seg: Segment; row: number }> {
    const shardOf = shardRouter(data.shards.length);
    const mine = new Set(shards.map((s) => s.index));
    const out: Array<{ seg: Segment; row: number }> = [];
    for (const k of new Set(keys)) {
      const index = shardOf(k);
      if (!mine.has(index)) continue;
      const shard = data.shards[index]!;
      const loc = shard.pkIndex.get(k);
      if (loc && loc.seg.visible(loc.row, at, since)) {
        if (!partitions || partitions.has(loc.seg.partitionId)) out.push(loc);
        continue;
      }
      // The live row is written by `at` but expired: every older version of the key is too.
      if (loc && loc.seg.tsAt(loc.row) <= at && loc.seg.tsAt(loc.row) < since) continue;
      // The live row is newer than `at` (or gone): an older version may be the one visible at `at`.
      for (const seg of shard.segments()) {
        if (partitions && !partitions.has(seg.partitionId)) continue;
        for (let r = 0; r < seg.rowCount; r++) {
          if (seg.pks[r] === k && seg.visible(r, at, since)) out.push({ seg, row: r });
        }
      }
    }
    return out;
  }

  async searchShards(req: ShardSearchReq): Promise<ShardHits> {
    const v = await this.view(req);
    const { coll, filter, partitions } = v;
    const path = structPathOf(coll.schema, req.anns_field);
    const field = path ? path.struct : coll.schema.fields.find((f) => f.name === req.anns_field);
    if (!field) fail('FIELD_NOT_FOUND', { field: req.anns_field, collection: coll.name });
    const plan = planOutput(coll.schema, coll.name, req.output_fields, { includeVectorsByDefault: false });
    const mode = req.mode;
    const tests: Array<(seg: Segment, row: number) => boolean> = [];
    if (filter.kind === 'keys') {
      const keys = new Set(filter.values as PkKey[]);
      tests.push((seg, row) => keys.has(seg.pks[row]!));
    }
    if (path) {
      // An embedding list (a struct's vector sub-field): exact MAX_SIM top-k, nothing else (reads.ts refuses the other modes).
      assert(mode.kind === 'top', 'an embedding-list search is a plain top-k search');
      const hits = embListSearch(v.segments, {
        field, fieldIndex: coll.schema.fields.indexOf(field), sub: path.sub, metric: req.metric as EmbListMetric,
        queries: req.queries as Float32Array[], k: req.k, at: req.at, since: req.since, partitions, filter: filter as Filter,
        rowTest: tests.length === 0 ? undefined : tests[0],
      });
      return this.shardHits(plan, hits.map((list) => list.slice(req.offset)), req.bytesMax);
    }
    const groupIndex = mode.kind === 'group' ? coll.schema.fields.findIndex((f) => f.name === mode.field && !f.isDynamic) : -1;
    if (mode.kind === 'group') {
      if (groupIndex < 0) fail('FIELD_NOT_FOUND', { field: mode.field, collection: coll.name });
      if (mode.only !== undefined) {
        const only = new Set(mode.only);
        tests.push((seg, row) => only.has(groupValueAt(seg, groupIndex, row)));
      }
    }
    const spec: VectorSearchSpec = {
      field, fieldIndex: coll.schema.fields.indexOf(field), metric: req.metric as Metric, queries: req.queries, k: req.k,
      at: req.at, since: req.since, partitions, filter: filter as Filter, params: req.params,
      rowTest: tests.length === 0 ? undefined : tests.length === 1 ? tests[0] : (seg, row) => tests.every((t) => t(seg, row)),
      indexOf: (seg) => this.core.vindex.lookup(coll, field, seg),
      interimOf: (seg) => this.core.interim.lookup(coll, field, seg),
    };
    let lists: ReadonlyArray<ReadonlyArray<SearchHit | GroupedHit>>;
    switch (mode.kind) {
      case 'iterate':
        lists = [await searchBeyond(v.segments, spec, mode.bound, new Set(mode.ties), req.k)];
        break;
      case 'group':
        lists = await groupingSearch(v.segments, spec, groupIndex, req.k, mode.size, mode.strict);
        break;
      default: {
        const r = mode.kind === 'range' ? await vectorRangeSearch(v.segments, spec) : await vectorSearch(v.segments, spec);
        lists = r.hits.map((list) => list.slice(req.offset));
      }
    }
    return this.shardHits(plan, lists, req.bytesMax);
  }

  /** A shard's hits and their output columns, held to the result budget. */
  private shardHits(plan: ReturnType<typeof planOutput>, lists: ReadonlyArray<ReadonlyArray<SearchHit | GroupedHit>>, bytesMax: number): ShardHits {
    const flat = lists.flat();
    const bytes = resultBytes(plan, flat, bytesMax, hitOverheadBytes);
    let at = 0;
    const hits = lists.map((list) => list.map((h): ShardHit => {
      const key = h.seg.pks[h.row]!;
      const size = bytes[at]!;
      // Literals, not a spread with a property after it (V8's slow path, reads.ts shardRead).
      return 'group' in h ? { key, score: h.score, at: at++, bytes: size, group: h.group } : { key, score: h.score, at: at++, bytes: size };
    }));
    return { hits, columns: gatherColumns(plan, flat) };
  }
}
