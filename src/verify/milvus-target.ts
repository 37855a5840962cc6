// Target over the official Milvus client (@zilliz/milvus2-sdk-node), and nothing else:
// what works here works against any Milvus-compatible endpoint.
//
// The client's own retries are off (maxRetries 0): a retried write that had reached a
// server before it was killed could be applied again by the next one, after the
// verifier had already counted its outcome as settled.
import { ConsistencyLevelEnum, DataType, MilvusClient, RRFRanker } from '@zilliz/milvus2-sdk-node';
import type { CompactionState, HybridSpec, IndexInfo, IndexSpec, QuerySpec, Result, SearchSpec, SegmentsInfo, Target, Hit } from './target.js';
import { vec2Dim, type Row, type Schema } from './values.js';

const strong = ConsistencyLevelEnum.Strong;

/** gRPC status codes after which a call may or may not have taken effect. */
const uncertainGrpc = new Map<number, string>([
  [1, 'CANCELLED'], [2, 'UNKNOWN'], [4, 'DEADLINE_EXCEEDED'], [8, 'RESOURCE_EXHAUSTED'], [13, 'INTERNAL'], [14, 'UNAVAILABLE'],
]);

/** Milvus's numeric error codes (merr) for the situations a race explains, named as Elanus names them. */
const milvusCodes = new Map<number, string>([
  [8, 'RATE_LIMITED'], [100, 'COLLECTION_NOT_FOUND'], [101, 'COLLECTION_NOT_LOADED'], [104, 'COLLECTION_LOADED'],
  [200, 'PARTITION_NOT_FOUND'], [201, 'PARTITION_NOT_LOADED'], [202, 'PARTITION_NOT_LOADED'], [700, 'INDEX_NOT_FOUND'],
]);

/** How long connect() keeps trying. */
const connectRetryMs = 5_000;
/** How often loadCollection asks whether the load has finished. */
const loadPollMs = 100;

interface WireStatus {
  error_code?: string | number;
  code?: number;
  reason?: string;
  detail?: string;
}

export interface MilvusTargetOptions {
  readonly address: string;
  /** Deadline of each call; past it the outcome is unknown. */
  readonly callTimeoutMs: number;
}

export class MilvusTarget implements Target {
  readonly address: string;

  private constructor(private readonly client: MilvusClient, address: string) {
    this.address = address;
  }

  /**
   * Connects, trying again for a few seconds (a server just restarted may still be
   * settling); fails with the client's message when the endpoint does not answer.
   */
  static async connect(opts: MilvusTargetOptions): Promise<MilvusTarget> {
    const until = Date.now() + connectRetryMs;
    for (;;) {
      // A subchannel pool of its own: gRPC's shared pool would hand a new client the old
      // connection to a killed server, still backing off, and fail it at once.
      const client = new MilvusClient({
        address: opts.address, maxRetries: 0, timeout: opts.callTimeoutMs, logLevel: 'error',
        channelOptions: { 'grpc.use_local_subchannel_pool': 1 },
      });
      try {
        await client.connectPromise;
        return new MilvusTarget(client, opts.address);
      } catch (e) {
        await client.closeConnection().catch(() => undefined);
        if (Date.now() > until) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  async close(): Promise<void> {
    await this.client.closeConnection().catch(() => undefined);
  }

  createCollection(name: string, schema: Schema): Promise<Result<void>> {
    const fields = [
      { name: 'id', data_type: DataType.Int64, is_primary_key: true, autoID: false },
      { name: 'i32', data_type: DataType.Int32 },
      { name: 'f', data_type: DataType.Float },
      { name: 'd', data_type: DataType.Double },
      { name: 's', data_type: DataType.VarChar, max_length: 64 },
      { name: 'b', data_type: DataType.Bool },
      { name: 'tag', data_type: DataType.VarChar, max_length: 16 },
      { name: 'arr', data_type: DataType.Array, element_type: DataType.Int32, max_capacity: 4 },
      { name: 'js', data_type: DataType.JSON },
      { name: 'vec', data_type: schema.binary ? DataType.BinaryVector : DataType.FloatVector, dim: schema.dim },
      ...(schema.hybrid ? [{ name: 'vec2', data_type: DataType.FloatVector, dim: vec2Dim }] : []),
    ];
    return this.status(() => this.client.createCollection({ collection_name: name, fields, consistency_level: 'Strong' as never }));
  }

  dropCollection(name: string): Promise<Result<void>> {
    return this.status(() => this.client.dropCollection({ collection_name: name }));
  }

  listCollections(): Promise<Result<string[]>> {
    return this.value(() => this.client.showCollections({}), (r) => r.data.map((c) => c.name));
  }

  createPartition(collection: string, partition: string): Promise<Result<void>> {
    return this.status(() => this.client.createPartition({ collection_name: collection, partition_name: partition }));
  }

  dropPartition(collection: string, partition: string): Promise<Result<void>> {
    return this.status(() => this.client.dropPartition({ collection_name: collection, partition_name: partition }));
  }

  listPartitions(collection: string): Promise<Result<string[]>> {
    return this.value(() => this.client.showPartitions({ collection_name: collection }), (r) => [...r.partition_names]);
  }

  loadPartitions(collection: string, partitions: readonly string[]): Promise<Result<void>> {
    return this.status(() => this.client.loadPartitions({ collection_name: collection, partition_names: [...partitions] }));
  }

  releasePartitions(collection: string, partitions: readonly string[]): Promise<Result<void>> {
    return this.status(() => this.client.releasePartitions({ collection_name: collection, partition_names: [...partitions] }));
  }

  loadCollection(collection: string): Promise<Result<void>> {
    // LoadCollection starts the load (Milvus loads in the background); the collection is
    // usable once GetLoadState says Loaded. The call's deadline bounds the whole wait.
    return this.chain(async (): Promise<Result<void>> => {
      const started = await this.client.loadCollectionAsync({ collection_name: collection });
      const bad = failed(started);
      if (bad) return bad;
      for (;;) {
        const s = await this.client.getLoadState({ collection_name: collection });
        const bad2 = failed(s.status);
        if (bad2) return bad2;
        if (String(s.state) === 'LoadStateLoaded') return { outcome: 'ok', value: undefined };
        await new Promise((r) => setTimeout(r, loadPollMs));
      }
    });
  }

  releaseCollection(collection: string): Promise<Result<void>> {
    return this.status(() => this.client.releaseCollection({ collection_name: collection }));
  }

  createIndex(collection: string, index: IndexSpec): Promise<Result<void>> {
    return this.status(() => this.client.createIndex({
      collection_name: collection, field_name: index.field, index_name: index.indexName, index_type: index.indexType,
      ...(index.metric ? { metric_type: index.metric } : {}), ...(index.params ? { params: { ...index.params } as never } : {}),
    }));
  }

  dropIndex(collection: string, field: string, indexName: string): Promise<Result<void>> {
    return this.status(() => this.client.dropIndex({ collection_name: collection, field_name: field, index_name: indexName }));
  }

  describeIndex(collection: string): Promise<Result<IndexInfo[]>> {
    return this.value(() => this.client.describeIndex({ collection_name: collection }), (r) => r.index_descriptions.map((d) => ({
      indexName: d.index_name, field: d.field_name,
      indexType: String(d.params.find((p) => p.key === 'index_type')?.value ?? ''),
      indexedRows: Number(d.indexed_rows ?? 0), totalRows: Number(d.total_rows ?? 0), pendingRows: Number(d.pending_index_rows ?? 0),
      failReason: d.index_state_fail_reason ?? '',
    })));
  }

  compact(collection: string): Promise<Result<string>> {
    return this.value(() => this.client.compact({ collection_name: collection }), (r) => String(r.compactionID));
  }

  compactionState(compactionId: string): Promise<Result<CompactionState>> {
    // The client decodes the enum as its name (Completed), the wire has its number (2).
    const names: Record<string, CompactionState> = { Executing: 'executing', 1: 'executing', Completed: 'completed', 2: 'completed' };
    return this.value(() => this.client.getCompactionState({ compactionID: compactionId }), (r) => names[String(r.state)] ?? 'undefined');
  }

  flush(collection: string): Promise<Result<void>> {
    return this.status(() => this.client.flush({ collection_names: [collection] }));
  }

  insert(collection: string, rows: readonly Row[], partition?: string): Promise<Result<void>> {
    return this.status(() => this.client.insert({ collection_name: collection, data: rows as never, ...(partition ? { partition_name: partition } : {}) }));
  }

  upsert(collection: string, rows: readonly Row[], partition?: string): Promise<Result<void>> {
    return this.status(() => this.client.upsert({ collection_name: collection, data: rows as never, ...(partition ? { partition_name: partition } : {}) }));
  }

  delete(collection: string, filter: string, partition?: string): Promise<Result<void>> {
    return this.status(() => this.client.delete({ collection_name: collection, filter, ...(partition ? { partition_name: partition } : {}) }));
  }

  query(collection: string, q: QuerySpec): Promise<Result<Row[]>> {
    return this.value(() => this.client.query({
      collection_name: collection, filter: q.filter, output_fields: [...q.outputFields], limit: q.limit, consistency_level: strong,
      ...(q.partitions ? { partition_names: [...q.partitions] } : {}),
    }), (r) => r.data as Row[]);
  }

  get(collection: string, ids: readonly number[], outputFields: readonly string[]): Promise<Result<Row[]>> {
    return this.value(() => this.client.get({
      collection_name: collection, ids: ids.map(String), output_fields: [...outputFields], consistency_level: strong,
    }), (r) => r.data as Row[]);
  }

  count(collection: string, filter: string, partitions?: readonly string[]): Promise<Result<number>> {
    // Not client.count(): it sends neither a consistency level nor partitions.
    return this.value(() => this.client.query({
      collection_name: collection, filter, output_fields: ['count(*)'], consistency_level: strong,
      ...(partitions ? { partition_names: [...partitions] } : {}),
    }), (r) => Number((r.data[0] as Row | undefined)?.['count(*)']));
  }

  search(collection: string, s: SearchSpec): Promise<Result<Hit[]>> {
    return this.value(() => this.client.search({
      collection_name: collection, anns_field: s.field, data: [...s.vector], limit: s.limit, metric_type: s.metric,
      consistency_level: strong, output_fields: ['id'],
      ...(s.filter ? { filter: s.filter } : {}), ...(s.partitions ? { partition_names: [...s.partitions] } : {}),
    }), (r) => hits(r.results));
  }

  hybridSearch(collection: string, h: HybridSpec): Promise<Result<Hit[]>> {
    return this.value(() => this.client.hybridSearch({
      collection_name: collection, limit: h.limit, rerank: RRFRanker(60), consistency_level: strong, output_fields: ['id'],
      data: h.requests.map((r) => ({ anns_field: r.field, data: [...r.vector], ...(h.filter ? { expr: h.filter } : {}) })),
      ...(h.partitions ? { partition_names: [...h.partitions] } : {}),
    }), (r) => hits(r.results));
  }

  async queryIterator(collection: string, q: Omit<QuerySpec, 'limit'> & { batchSize: number; pagesMax: number }, onBatch: (rows: Row[]) => void): Promise<Result<number>> {
    try {
      const it = await this.client.queryIterator({
        collection_name: collection, filter: q.filter, batchSize: q.batchSize, output_fields: [...q.outputFields], consistency_level: strong,
        ...(q.partitions ? { partition_names: [...q.partitions] } : {}),
      } as never);
      let pages = 0;
      for await (const batch of it as AsyncIterable<Row[]>) {
        // The client's iterator stops after as many rows as count(*) gave at its start;
        // when rows were deleted meanwhile, its last page comes back empty, and on the
        // next it forgets the last key and starts again from the first. An empty page is
        // therefore the end.
        if (batch.length === 0) break;
        onBatch(batch);
        if (++pages >= q.pagesMax) return { outcome: 'fail', code: 'ITERATOR_RUNAWAY', message: `the iterator was still going after ${pages} pages` };
      }
      return { outcome: 'ok', value: pages };
    } catch (e) {
      return classify(e);
    }
  }

  segments(collection: string): Promise<Result<SegmentsInfo>> {
    return this.chain(async (): Promise<Result<SegmentsInfo>> => {
      const d = await this.client.describeCollection({ collection_name: collection });
      const bad = failed(d.status);
      if (bad) return bad;
      const s = await this.client.getPersistentSegmentInfo({ collectionName: collection });
      const bad2 = failed(s.status);
      if (bad2) return bad2;
      const ix = await this.client.describeIndex({ collection_name: collection });
      // A collection without an index answers INDEX_NOT_FOUND: no index files then.
      const descriptions = failed(ix.status) ? [] : ix.index_descriptions;
      return {
        outcome: 'ok',
        value: {
          collectionId: String(d.collectionID),
          segmentIds: s.infos.map((i) => String(i.segmentID)),
          indexIds: descriptions.map((x) => String(x.indexID)),
          indexPendingRows: descriptions.reduce((n, x) => n + Number(x.pending_index_rows ?? 0), 0),
        },
      };
    });
  }

  private async status(call: () => Promise<unknown>): Promise<Result<void>> {
    return this.value(call, () => undefined);
  }

  private async value<R, T>(call: () => Promise<R>, pick: (r: R) => T): Promise<Result<T>> {
    let r: R;
    try {
      r = await call();
    } catch (e) {
      return classify(e);
    }
    const bad = failed(statusOf(r));
    if (bad) return bad;
    try {
      return { outcome: 'ok', value: pick(r) };
    } catch (e) {
      return { outcome: 'fail', code: 'MALFORMED_RESPONSE', message: String((e as Error)?.message ?? e) };
    }
  }

  private async chain<T>(fn: () => Promise<Result<T>>): Promise<Result<T>> {
    try {
      return await fn();
    } catch (e) {
      return classify(e);
    }
  }
}

function hits(results: unknown): Hit[] {
  return (results as Array<{ id: unknown; score: unknown }>).map((h) => ({ key: Number(h.id), score: Number(h.score) }));
}

function statusOf(r: unknown): WireStatus {
  const o = r as { status?: WireStatus } & WireStatus;
  return o && typeof o.status === 'object' && o.status !== null ? o.status : o;
}

/** The failure a status reports, or undefined for success. */
function failed(s: WireStatus | undefined): Result<never> | undefined {
  if (!s || ((s.error_code === 'Success' || s.error_code === 0) && (s.code ?? 0) === 0)) return undefined;
  return { outcome: 'fail', code: codeOf(s), message: s.reason ?? '' };
}

/** Elanus puts its code first in the reason ("PARTITION_NOT_FOUND: ...") and in detail; Milvus has numbers. */
function codeOf(s: WireStatus): string {
  const m = /^([A-Z][A-Z0-9_]+): /.exec(s.reason ?? '');
  // The same failure in DescribeCollection's own wording (the SDK describes before writes).
  if (m) return m[1] === 'COLLECTION_NOT_FOUND_DESCRIBE' ? 'COLLECTION_NOT_FOUND' : m[1]!;
  if (s.detail && /^[A-Z][A-Z0-9_]+$/.test(s.detail)) return s.detail;
  const named = s.code !== undefined ? milvusCodes.get(s.code) : undefined;
  return named ?? `MILVUS_${s.code || s.error_code}`;
}

/** A thrown error: a gRPC status, a status object the client threw, or the client's own error. */
export function classify(e: unknown): Result<never> {
  const err = e as { code?: unknown; details?: string; message?: string; error_code?: unknown };
  if (err && typeof err === 'object' && 'error_code' in err) {
    return failed(err as WireStatus) ?? { outcome: 'fail', code: 'CLIENT_ERROR', message: 'the client threw a success status' };
  }
  if (err && typeof err.code === 'number') {
    const name = uncertainGrpc.get(err.code);
    if (name) return { outcome: 'unknown', message: `${name}: ${err.details ?? err.message ?? ''}` };
    return { outcome: 'fail', code: `GRPC_${err.code}`, message: err.details ?? err.message ?? '' };
  }
  // The client's own error: it may have been raised before or after the request was
  // sent (a response it could not parse), so the outcome is not known.
  return { outcome: 'unknown', message: `CLIENT_ERROR: ${err?.message ?? describe(e)}` };
}

/** A thrown value that is not an Error, readable in a report (not "[object Object]"). */
function describe(e: unknown): string {
  if (e === null || typeof e !== 'object') return String(e);
  try {
    return JSON.stringify(e).slice(0, 300);
  } catch {
    return Object.prototype.toString.call(e);
  }
}
