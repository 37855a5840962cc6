// Vector search over a pinned set of segments. Each segment is searched on its own and
// the per-segment answers are merged per query:
//   - a sealed segment whose index is ready is searched through the index, with the
//     rows it may return (visible at the read's timestamp and matching the filter) given
//     as a byte mask that the index honours inside its search;
//   - a segment without its own index yet (growing, or waiting for its build) that has
//     interim chunks (engine/interim-indexes.ts) walks them and scans exactly only the
//     rows past the last chunk;
//   - otherwise, and for a FLAT index or a filter that leaves so few rows that scanning
//     them is cheaper than walking the index (preferExact), an exact scan of the allowed
//     rows;
//   - range search is always an exact scan, so it returns exactly the rows in range.
// Dense and binary work runs in the native addon, off the event loop, on its own thread
// pool (index/native.ts), which bounds how much runs at once; sparse vectors are scored
// here.
import { DataType, type FieldSchema } from '../catalog/types.js';
import { assert, fail } from '../errors/index.js';
import type { SearchParams } from '../index/spec.js';
import { elementOf } from '../index/spec.js';
import { type NativeIndex, type VectorData, exactSearch, rangeSearch, searchMany } from '../index/native.js';
import { SparseIndex, type SparseVec } from '../index/sparse.js';
import type { Segment } from '../segments/segment.js';
import { type Metric, largerIsNearer, sparseIp } from './distance.js';
import type { Filter } from './filter.js';
import { TopK } from '../index/topk.js';

export interface SearchHit {
  readonly seg: Segment;
  readonly row: number;
  readonly score: number;
}

export type PreparedQuery = Float32Array | Uint8Array | SparseVec;

/** The structure standing behind one segment's vectors, when one is ready. */
export type SegmentIndex =
  | { readonly kind: 'native'; readonly index: NativeIndex; readonly hnswM?: number; readonly nlist?: number }
  | { readonly kind: 'sparse'; readonly index: SparseIndex };

export interface VectorSearchSpec {
  readonly field: FieldSchema;
  readonly fieldIndex: number;
  readonly metric: Metric;
  readonly queries: readonly PreparedQuery[];
  /** offset + limit (for grouping: groups). */
  readonly k: number;
  readonly at: bigint;
  /** Rows written before it have expired for this read (segments/segment.ts); 0 when none. */
  readonly since: bigint;
  readonly partitions: ReadonlySet<number> | undefined;
  readonly filter: Filter;
  /** A further test of each row, beside the filter (a `keys` filter's keys; the group values a search is held to). */
  readonly rowTest?: (seg: Segment, row: number) => boolean;
  readonly params: SearchParams;
  readonly indexOf: (seg: Segment) => SegmentIndex | undefined;
  /** Interim chunk graphs of a segment that has no index of its own yet. */
  readonly interimOf?: (seg: Segment) => InterimChunks | undefined;
}

/** HNSW graphs over consecutive chunks of a segment's rows: chunk c holds rows [c·chunkRows, (c+1)·chunkRows). */
export interface InterimChunks {
  readonly chunkRows: number;
  readonly chunks: readonly NativeIndex[];
  readonly hnswM: number;
}

/** Segments searched through an index or by exact scan since the process started (tests and metrics read it). */
export const segmentSearches = { index: 0, exact: 0, interim: 0 };

/** How the planner chose to search one segment (counted for explain and tests). */
export interface SegmentPlan {
  readonly segment: number;
  readonly rows: number;
  readonly allowed: number;
  readonly access: 'index' | 'interim' | 'exact' | 'skip';
}

export interface VectorSearchResult {
  readonly hits: SearchHit[][];
  readonly plans: SegmentPlan[];
}

interface Allowed {
  readonly rows: number;
  /** Undefined: every row of [0, rows) may be returned. */
  readonly mask: Uint8Array | undefined;
  readonly count: number;
}

/** filter answer → (live mask it was combined with, the rows both allow). */
const conjunctions = new WeakMap<Uint8Array, Allowed & { readonly live: Uint8Array }>();

/** The rows of `seg` a search may return: visible at `at`, not expired, in the filter. */
export function allowedRows(seg: Segment, spec: Pick<VectorSearchSpec, 'filter' | 'rowTest' | 'at' | 'since'>): Allowed {
  const rows = seg.rowCount;
  const f = spec.filter;
  if (seg.allExpired(spec.since)) return { rows, mask: new Uint8Array(rows), count: 0 };
  // The shortcuts below read visibility from deletes alone: only where no row has expired.
  const fresh = seg.noneExpired(spec.since);
  if (fresh && f.kind === 'all' && spec.rowTest === undefined && seg.deletedRows === 0 && seg.allInsertedBy(spec.at)) return { rows, mask: undefined, count: rows };
  const bits = f.kind === 'predicate' ? f.bits(seg) : undefined;
  if (fresh && seg.allInsertedBy(spec.at) && spec.at >= seg.maxDeleteTs && spec.rowTest === undefined) {
    // Reading the latest state: visibility is the segment's cached live mask.
    const live = seg.liveMask();
    if (!bits) return { rows, mask: live, count: rows - seg.deletedRows };
    // A sealed segment's filter answer and live mask are both kept between reads, so their
    // conjunction can be too: a repeated filter costs no pass over the rows.
    const kept = conjunctions.get(bits);
    if (kept && kept.live === live && kept.rows === rows) return kept;
    const mask = new Uint8Array(rows);
    let count = 0;
    for (let r = 0; r < rows; r++) count += mask[r] = bits[r]! & live[r]!;
    const out = { rows, mask, count, live };
    conjunctions.set(bits, out);
    return out;
  }
  const prefix = fresh && spec.at >= seg.maxDeleteTs && spec.rowTest === undefined ? seg.insertedPrefix(spec.at) : undefined;
  if (prefix !== undefined) {
    // A growing segment read before its latest appends: the visible rows are the first
    // `prefix` ones that are not deleted (every delete is at or before the read, so it hit
    // a row of the prefix).
    const live = seg.liveMask().subarray(0, prefix);
    if (!bits) return { rows: prefix, mask: live, count: prefix - seg.deletedRows };
    const mask = new Uint8Array(prefix);
    let count = 0;
    for (let r = 0; r < prefix; r++) count += mask[r] = bits[r]! & live[r]!;
    return { rows: prefix, mask, count };
  }
  const mask = new Uint8Array(rows);
  let count = 0;
  for (let r = 0; r < rows; r++) {
    if (bits && bits[r] !== 1) continue;
    if (spec.rowTest !== undefined && !spec.rowTest(seg, r)) continue;
    if (!seg.visible(r, spec.at, spec.since)) continue;
    mask[r] = 1;
    count++;
  }
  return { rows, mask, count };
}

/**
 * Exact scan or index walk for a segment, by estimated cost in streamed distances: an
 * HNSW walk (hnswWalkCost), an IVF search scanning nprobe/nlist of the rows whatever the
 * filter, an exact scan computing one distance per allowed row plus a pass over the mask.
 */
export function preferExact(idx: SegmentIndex, allowed: Allowed, k: number, p: SearchParams): boolean {
  if (idx.kind !== 'native') return false;
  if (allowed.count <= k) return true;
  const selectivity = allowed.count / Math.max(1, allowed.rows);
  const exactCost = scanCost(allowed);
  if (idx.nlist !== undefined) {
    const nprobe = Math.min(p.nprobe ?? 8, idx.nlist);
    return exactCost < allowed.rows * (nprobe / idx.nlist);
  }
  return exactCost < hnswWalkCost(Math.max(p.ef ?? 64, k), idx.hnswM ?? 16, selectivity);
}

/**
 * The cost of an exact scan of the allowed rows, in units of one streamed distance: one
 * per allowed row, plus the pass over the mask (eight rows per step).
 */
function scanCost(allowed: Allowed): number {
  return allowed.count + (allowed.mask ? allowed.rows / 256 : 0);
}

/**
 * The cost of one HNSW walk in the same units: ef·2M·(1 + 2/selectivity). Unfiltered a
 * walk computes about ef·2M distances, each a random read of a row, ~3x a streamed one
 * (an unfiltered walk at ef 64 over 8-16k rows of 128-d took ~80 µs, as long as scanning
 * ~6,000 rows); a filter makes it meet more rows it may not return. Fitted on the vector
 * benchmark: at 10% allowed on 200,000 x 128 a walk at ef 16 took 279 µs and the exact
 * scan of the 20,000 allowed rows ~480 µs; on Fashion-MNIST (60,000 x 784) the two were
 * equal (~870 µs); on tight clusters with queries at data points (100,000 x 128) the walk
 * took 638 µs CPU and the scan 236 µs. Data decides the truth; this keeps each choice
 * within about 2x of the better one on those sets.
 */
function hnswWalkCost(ef: number, m: number, selectivity: number): number {
  return ef * m * 2 * (1 + 2 / selectivity);
}

/** How many leading interim chunks to walk (0: scan the segment exactly instead). */
function interimChunksToWalk(interim: InterimChunks, allowed: Allowed, k: number, p: SearchParams): number {
  // Only chunks wholly inside the rows this read sees (a read pinned before later appends
  // sees a shorter prefix, and each chunk's mask must cover all its rows).
  const usable = Math.min(interim.chunks.length, Math.floor(allowed.rows / interim.chunkRows));
  if (usable === 0 || allowed.count <= k) return 0;
  const selectivity = allowed.count / Math.max(1, allowed.rows);
  const tail = allowed.rows - usable * interim.chunkRows;
  const walks = usable * hnswWalkCost(Math.max(p.ef ?? 64, k), interim.hnswM, selectivity) + tail * selectivity;
  return walks < scanCost(allowed) ? usable : 0;
}

function concatQueries(field: FieldSchema, queries: readonly PreparedQuery[]): Float32Array | Uint8Array {
  if (field.type === DataType.BinaryVector) {
    const w = field.dim! / 8;
    const out = new Uint8Array(queries.length * w);
    queries.forEach((q, i) => out.set(q as Uint8Array, i * w));
    return out;
  }
  const out = new Float32Array(queries.length * field.dim!);
  queries.forEach((q, i) => out.set(q as Float32Array, i * field.dim!));
  return out;
}

/** Rows of the native result [q*k, (q+1)*k) as hits; `base` is added to each row (a chunk's or scan's first row). */
function unpack(seg: Segment, rows: Int32Array, scores: Float32Array, nq: number, k: number, base = 0): SearchHit[][] {
  const out: SearchHit[][] = [];
  for (let q = 0; q < nq; q++) {
    const list: SearchHit[] = [];
    for (let i = q * k; i < (q + 1) * k; i++) {
      const r = rows[i]!;
      if (r < 0) break;
      list.push({ seg, row: base + r, score: scores[i]! });
    }
    out.push(list);
  }
  return out;
}

/** Top-k per query over every searched segment. */
export async function vectorSearch(segments: readonly Segment[], spec: VectorSearchSpec): Promise<VectorSearchResult> {
  const { field, k } = spec;
  const nq = spec.queries.length;
  const plans: SegmentPlan[] = [];
  const tasks: Array<Promise<SearchHit[][]>> = [];
  const sparse = field.type === DataType.SparseFloatVector;
  const packed = sparse ? undefined : concatQueries(field, spec.queries);
  for (const seg of segments) {
    if (spec.partitions && !spec.partitions.has(seg.partitionId)) continue;
    // Everything about the segment is read now, in one synchronous step: a growing
    // segment may gain rows while the native search runs, and those are not ours.
    const allowed = allowedRows(seg, spec);
    if (allowed.count === 0) {
      plans.push({ segment: seg.id, rows: allowed.rows, allowed: 0, access: 'skip' });
      continue;
    }
    const idx = seg.state === 'flushed' ? spec.indexOf(seg) : undefined;
    if (sparse) {
      plans.push({ segment: seg.id, rows: allowed.rows, allowed: allowed.count, access: idx ? 'index' : 'exact' });
      tasks.push(Promise.resolve(sparseSearch(seg, spec, allowed, idx?.kind === 'sparse' ? idx.index : undefined)));
      continue;
    }
    const mask = allowed.mask;
    const interim = idx === undefined ? spec.interimOf?.(seg) : undefined;
    const walked = interim ? interimChunksToWalk(interim, allowed, k, spec.params) : 0;
    if (walked > 0) {
      // Each chunk's graph, then an exact scan of the rows past the last chunk walked.
      plans.push({ segment: seg.id, rows: allowed.rows, allowed: allowed.count, access: 'interim' });
      segmentSearches.interim++;
      const n = interim!.chunkRows;
      const chunks = interim!.chunks.slice(0, walked);
      const from = walked * n;
      const chunkMask = mask?.subarray(0, from);
      tasks.push(searchMany(chunks, packed as Float32Array, nq, { k, ef: spec.params.ef, allow: chunkMask })
        .then((r) => unpack(seg, r.rows, r.scores, nq, k)));
      if (allowed.rows > from) {
        const width = field.type === DataType.BinaryVector ? field.dim! / 8 : field.dim!;
        const vectors = (seg.column(spec.fieldIndex).values as VectorData).subarray(from * width, allowed.rows * width) as VectorData;
        const tailMask = mask?.subarray(from, allowed.rows);
        tasks.push(exactSearch(vectors, allowed.rows - from, field.dim!, elementOf(field), spec.metric, packed!, nq, { k, allow: tailMask })
          .then((r) => unpack(seg, r.rows, r.scores, nq, k, from)));
      }
      continue;
    }
    const exact = idx === undefined || preferExact(idx, allowed, k, spec.params);
    plans.push({ segment: seg.id, rows: allowed.rows, allowed: allowed.count, access: exact ? 'exact' : 'index' });
    segmentSearches[exact ? 'exact' : 'index']++;
    if (!exact && idx?.kind === 'native') {
      const index = idx.index;
      tasks.push(index.search(packed!, nq, { k, ef: spec.params.ef, nprobe: spec.params.nprobe, allow: mask, allowedCount: allowed.count })
        .then((r) => unpack(seg, r.rows, r.scores, nq, k)));
    } else {
      const vectors = seg.column(spec.fieldIndex).values as VectorData;
      tasks.push(exactSearch(vectors, allowed.rows, field.dim!, elementOf(field), spec.metric, packed!, nq, { k, allow: mask })
        .then((r) => unpack(seg, r.rows, r.scores, nq, k)));
    }
  }
  const perSegment = await Promise.all(tasks);
  return { hits: mergeHits(perSegment, nq, k, spec.metric), plans };
}

/**
 * The k best hits per query over the per-segment answers. Equal scores are ordered by
 * primary key, so the order (and paging with offset) does not depend on segment layout.
 */
export function mergeHits(perSegment: readonly SearchHit[][][], nq: number, k: number, metric: Metric): SearchHit[][] {
  const larger = largerIsNearer(metric);
  const out: SearchHit[][] = [];
  for (let q = 0; q < nq; q++) {
    const all: SearchHit[] = [];
    for (const seg of perSegment) for (const h of seg[q] ?? []) all.push(h);
    all.sort((a, b) => (a.score === b.score ? comparePk(a.seg.pks[a.row], b.seg.pks[b.row]) : larger ? b.score - a.score : a.score - b.score));
    const kept = all.length > k ? all.slice(0, k) : all;
    // One visible version per key at the read's timestamp: a key is never a hit twice.
    const keys = new Set<unknown>();
    for (const h of kept) keys.add(h.seg.pks[h.row]);
    assert(keys.size === kept.length, 'search hits have distinct primary keys');
    out.push(kept);
  }
  return out;
}

/** The order of equal-score hits: by primary key (Int64 keys past 2^53, held as strings, by their text). */
export function comparePk(a: unknown, b: unknown): number {
  if (typeof a === 'string' || typeof b === 'string') return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
  return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
}

function sparseSearch(seg: Segment, spec: VectorSearchSpec, allowed: Allowed, index: SparseIndex | undefined): SearchHit[][] {
  const col = seg.column(spec.fieldIndex).values as readonly (SparseVec | null)[];
  const idx = index ?? undefined;
  return spec.queries.map((q) => {
    const query = q as SparseVec;
    if (idx) return idx.search(query, spec.k, allowed.mask, spec.params.dropRatioSearch).map((h) => ({ seg, row: h.row, score: h.score }));
    const heap = new TopK(spec.k, (a: number, b: number) => a > b);
    for (let r = 0; r < allowed.rows; r++) {
      if (allowed.mask && allowed.mask[r] !== 1) continue;
      const v = col[r];
      if (!v) continue;
      const score = sparseIp(query, v);
      // As the inverted index: rows that share no dimension with the query are not hits.
      if (score !== 0 && heap.admits(score)) heap.push({ score, ref: r });
    }
    return heap.sorted().map((x) => ({ seg, row: x.ref as number, score: x.score }));
  });
}

/**
 * Range search: per query, every allowed row whose score is inside the range (for
 * distances range_filter <= d < radius, for similarities radius < s <= range_filter),
 * nearest first, at most k. Always exact.
 */
export async function vectorRangeSearch(segments: readonly Segment[], spec: VectorSearchSpec): Promise<VectorSearchResult> {
  const { field, k } = spec;
  const radius = spec.params.radius!;
  const rangeFilter = spec.params.rangeFilter;
  const nq = spec.queries.length;
  const plans: SegmentPlan[] = [];
  const tasks: Array<Promise<SearchHit[][]>> = [];
  const larger = largerIsNearer(spec.metric);
  const inRange = (s: number) => (larger ? s > radius && (rangeFilter === undefined || s <= rangeFilter) : s < radius && (rangeFilter === undefined || s >= rangeFilter));
  const sparse = field.type === DataType.SparseFloatVector;
  const packed = sparse ? undefined : concatQueries(field, spec.queries);
  for (const seg of segments) {
    if (spec.partitions && !spec.partitions.has(seg.partitionId)) continue;
    const allowed = allowedRows(seg, spec);
    plans.push({ segment: seg.id, rows: allowed.rows, allowed: allowed.count, access: allowed.count === 0 ? 'skip' : 'exact' });
    if (allowed.count === 0) continue;
    if (sparse) {
      const col = seg.column(spec.fieldIndex).values as readonly (SparseVec | null)[];
      tasks.push(Promise.resolve(spec.queries.map((q) => {
        const list: SearchHit[] = [];
        for (let r = 0; r < allowed.rows; r++) {
          if (allowed.mask && allowed.mask[r] !== 1) continue;
          const v = col[r];
          if (!v) continue;
          const s = sparseIp(q as SparseVec, v);
          if (inRange(s)) list.push({ seg, row: r, score: s });
        }
        return list;
      })));
      continue;
    }
    const vectors = seg.column(spec.fieldIndex).values as VectorData;
    tasks.push(rangeSearch(vectors, allowed.rows, field.dim!, elementOf(field), spec.metric, packed!, nq, {
      radius, ...(rangeFilter !== undefined ? { rangeFilter } : {}), limit: k, allow: allowed.mask,
    }).then((r) => {
      const out: SearchHit[][] = [];
      for (let q = 0; q < nq; q++) {
        const list: SearchHit[] = [];
        for (let i = r.offsets[q]!; i < r.offsets[q + 1]!; i++) list.push({ seg, row: r.rows[i]!, score: r.scores[i]! });
        out.push(list);
      }
      return out;
    }));
  }
  const perSegment = await Promise.all(tasks);
  return { hits: mergeHits(perSegment, nq, k, spec.metric), plans };
}

/** Field types a search can group by (Milvus 2.5). */
const groupableTypes = new Set([DataType.Bool, DataType.Int8, DataType.Int16, DataType.Int32, DataType.Int64, DataType.VarChar]);

export function checkGroupField(f: FieldSchema | undefined, name: string, collection: string): FieldSchema {
  if (!f) return fail('FIELD_NOT_FOUND', { field: name, collection });
  if (!groupableTypes.has(f.type)) fail('INVALID_ARGUMENT', { detail: `cannot group by field "${f.name}" of type ${DataType[f.type]}; group_by_field must be Bool, Int8, Int16, Int32, Int64 or VarChar` });
  return f;
}

/** A hit of a grouping search, with its group's value. */
export interface GroupedHit extends SearchHit {
  readonly group: unknown;
}

/**
 * Grouping search: per query, the best `groups` groups of rows sharing a value of the
 * group field (groups ranked by their best hit), each with up to `groupSize` hits.
 * Searches for more candidates (doubling) until every group is full or the allowed
 * rows are exhausted, so the answer does not depend on how many hits share a group.
 */
export async function groupingSearch(segments: readonly Segment[], spec: VectorSearchSpec, groupFieldIndex: number, groups: number, groupSize: number, strict: boolean): Promise<GroupedHit[][]> {
  const totalAllowed = segments.reduce((n, s) => n + ((spec.partitions && !spec.partitions.has(s.partitionId)) ? 0 : s.rowCount), 0);
  let want = Math.min(Math.max(groups * groupSize * 4, 64), Math.max(1, totalAllowed));
  for (;;) {
    const ef = spec.params.ef === undefined ? undefined : Math.max(spec.params.ef, want);
    const r = await vectorSearch(segments, { ...spec, k: want, params: { ...spec.params, ef } });
    const out = r.hits.map((list) => group(list, groupFieldIndex, groups, groupSize));
    const exhausted = want >= totalAllowed || r.hits.every((l) => l.length < want);
    const done = out.every((g) => g.filled >= groups && (!strict || g.full));
    if (done || exhausted || want >= 16384) return out.map((g) => g.hits);
    want = Math.min(want * 4, totalAllowed, 16384);
  }
}

function group(list: readonly SearchHit[], fieldIndex: number, groups: number, groupSize: number): { hits: GroupedHit[]; filled: number; full: boolean } {
  const order: unknown[] = [];
  const members = new Map<unknown, GroupedHit[]>();
  for (const h of list) {
    const v = groupValueAt(h.seg, fieldIndex, h.row);
    let m = members.get(v);
    if (!m) {
      if (order.length >= groups) continue;
      members.set(v, (m = []));
      order.push(v);
    }
    if (m.length < groupSize) m.push({ ...h, group: v });
  }
  const hits = order.flatMap((v) => members.get(v)!);
  return { hits, filled: order.length, full: order.every((v) => members.get(v)!.length >= groupSize) };
}

/** A row's value of the group field, as results report it (Int64 as a number when safe, else text; Bool as a boolean; null when unset). */
export function groupValueAt(seg: Segment, fieldIndex: number, row: number): unknown {
  const col = seg.column(fieldIndex);
  const valid = col.valid ? col.valid[row] === 1 : true;
  let v: unknown = valid ? (col.values as ArrayLike<unknown>)[row] : null;
  if (typeof v === 'bigint') v = v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (seg.field(fieldIndex).type === DataType.Bool && typeof v === 'number') v = v === 1;
  return v;
}

/** A search iterator between batches: its pinned snapshot, and where the last batch ended. */
export interface SearchIterState {
  readonly pin: number;
  /** Score of the last hit returned so far. */
  bound: number | undefined;
  /** Keys already returned whose score equals `bound` (the next batch starts at `bound`, inclusive). */
  ties: Set<unknown>;
}

const truthy = (v: unknown) => v === true || v === 'true' || v === 'True' || v === 1;

/** The iterator keys of a search's params (as the SDK's searchIterator sends them), or undefined for a plain search. */
export function searchIteratorParams(params: Readonly<Record<string, unknown>> | undefined): { token: string | undefined } | undefined {
  if (!params || !truthy(params['iterator'])) return undefined;
  const t = params['search_iter_id'];
  if (t !== undefined && t !== null && t !== '' && typeof t !== 'string' && typeof t !== 'number') fail('INVALID_ARGUMENT', { detail: 'search_iter_id must be the token a previous batch returned' });
  return { token: t === undefined || t === null || t === '' ? undefined : String(t) };
}

/**
 * The next batch of a search iterator: the `batch` nearest allowed rows at or beyond the
 * previous batch's last score, leaving out those already returned at exactly that score.
 * Every batch is an exact range scan over the pinned snapshot, so batches are stable:
 * each row comes once, in order, however the batches are sized.
 */
export async function searchBeyond(segments: readonly Segment[], spec: VectorSearchSpec, bound: number | undefined, ties: ReadonlySet<unknown>, batch: number): Promise<SearchHit[]> {
  const larger = largerIsNearer(spec.metric);
  const p = spec.params;
  // The request's own range (if any) intersected with "not nearer than the bound".
  const radius = p.radius ?? (larger ? -Infinity : Infinity);
  const rangeFilter = bound === undefined ? p.rangeFilter
    : p.rangeFilter === undefined ? bound : larger ? Math.min(bound, p.rangeFilter) : Math.max(bound, p.rangeFilter);
  const r = await vectorRangeSearch(segments, { ...spec, k: batch + ties.size, params: { ...p, radius, rangeFilter } });
  return (r.hits[0] ?? []).filter((h) => !ties.has(h.seg.pks[h.row])).slice(0, batch);
}
