// The gateway's merge of partial answers from the data nodes (roles.ts): rows in key
// order, hits nearest first, groups regrouped. Keys are disjoint across shards (a key
// lives in one shard), so merging never has to choose between two versions of a row.
import { assert } from '../errors/index.js';
import { checkBudget } from '../query/rows.js';
import { type SearchMetric, largerIsNearer } from '../query/distance.js';
import { comparePk } from '../query/vector-search.js';
import { type ResultColumns, selectColumns } from '../query/result-columns.js';
import type { PkKey } from '../segments/pk.js';
import type { ShardHit, ShardHits, ShardRows } from './roles.js';

/** A hit of the merged answer; its output fields are row `i` of the columns, counting every query's hits in order. */
export interface MergedHit {
  readonly key: PkKey;
  readonly score: number;
  readonly group?: unknown;
}

export interface MergedHits {
  /** Per query, nearest first. */
  readonly lists: MergedHit[][];
  /** The hits' output fields: the lists' hits in order, query after query. */
  readonly columns: ResultColumns;
}

/** A hit with the part that answered it. */
interface PartHit {
  readonly h: ShardHit;
  readonly p: number;
}

/** Orders primary keys: Int64 numerically (exactly, also past 2^53), VarChar by code units. */
export function pkOrder(int64: boolean): (a: PkKey, b: PkKey) => number {
  if (!int64) return (a, b) => (a < b ? -1 : a > b ? 1 : 0);
  return (a, b) => {
    if (typeof a === 'number' && typeof b === 'number') return a - b;
    const x = BigInt(a);
    const y = BigInt(b);
    return x < y ? -1 : x > y ? 1 : 0;
  };
}

/** The rows of every part in key order, `offset` skipped, at most `limit`; RESULT_TOO_LARGE past `bytesMax`. */
export function mergeRows(parts: readonly ShardRows[], int64: boolean, offset: number, limit: number | undefined, bytesMax: number): ResultColumns {
  const byKey = pkOrder(int64);
  let all: Array<{ key: PkKey; p: number; i: number; bytes: number }> = [];
  parts.forEach((part, p) => {
    for (let i = 0; i < part.keys.length; i++) all.push({ key: part.keys[i]!, p, i, bytes: part.bytes[i]! });
  });
  if (parts.length > 1) all.sort((a, b) => byKey(a.key, b.key));
  all = all.slice(offset, limit === undefined ? undefined : offset + limit);
  // A key is visible once at a timestamp: a query never returns it twice, and returns keys in order.
  for (let i = 1; i < all.length; i++) assert(byKey(all[i - 1]!.key, all[i]!.key) < 0, 'query results in strictly increasing key order');
  checkBytes(all, 0, bytesMax);
  return selectColumns(parts.map((x) => x.columns), all.map((r) => [r.p, r.i] as const));
}

/** Per query, the nearest `k` hits of every part (equal scores by key), `offset` skipped. */
export function mergeHits(parts: readonly ShardHits[], nq: number, k: number, metric: SearchMetric, offset: number, bytesMax: number, perHitBytes: number): MergedHits {
  const out: PartHit[][] = [];
  for (let q = 0; q < nq; q++) {
    const all = sortedHits(parts, q, metric);
    const kept = all.slice(0, k).slice(offset);
    const keys = new Set(kept.map((x) => x.h.key));
    assert(keys.size === kept.length, 'search hits have distinct primary keys');
    out.push(kept);
  }
  return collect(parts, out, perHitBytes, bytesMax);
}

/**
 * Per query, the best `groups` groups (ranked by their best hit) with up to `size` hits
 * each, over every part's hits; groups before `offset` are left out. With `only`, query q
 * takes only the groups only[q] names.
 */
export function mergeGroups(parts: readonly ShardHits[], nq: number, groups: number, size: number, metric: SearchMetric, offset: number, bytesMax: number, perHitBytes: number, only?: ReadonlyArray<readonly unknown[]>): MergedHits {
  const out: PartHit[][] = [];
  for (let q = 0; q < nq; q++) {
    // After a second round, each query's groups are those its first round chose.
    const allowed = only === undefined ? undefined : new Set(only[q]);
    const order: unknown[] = [];
    const members = new Map<unknown, PartHit[]>();
    const seen = new Set<PkKey>();
    for (const x of sortedHits(parts, q, metric)) {
      const h = x.h;
      // A second round may return a hit the first already had.
      if (seen.has(h.key) || (allowed !== undefined && !allowed.has(h.group))) continue;
      seen.add(h.key);
      let m = members.get(h.group);
      if (!m) {
        if (order.length >= groups) continue;
        members.set(h.group, (m = []));
        order.push(h.group);
      }
      if (m.length < size) m.push(x);
    }
    out.push(order.slice(offset).flatMap((g) => members.get(g)!));
  }
  return collect(parts, out, perHitBytes, bytesMax);
}

/** Group values of each query's best `groups` groups over the parts (the first round of a grouping search on several nodes). */
export function topGroups(parts: readonly ShardHits[], nq: number, groups: number, metric: SearchMetric): unknown[][] {
  const out: unknown[][] = [];
  for (let q = 0; q < nq; q++) {
    const order = new Set<unknown>();
    for (const { h } of sortedHits(parts, q, metric)) {
      if (order.size >= groups) break;
      order.add(h.group);
    }
    out.push([...order]);
  }
  return out;
}

function sortedHits(parts: readonly ShardHits[], q: number, metric: SearchMetric): PartHit[] {
  const larger = largerIsNearer(metric);
  const all: PartHit[] = [];
  parts.forEach((part, p) => {
    for (const h of part.hits[q] ?? []) all.push({ h, p });
  });
  if (parts.length > 1) all.sort((a, b) => (a.h.score === b.h.score ? comparePk(a.h.key, b.h.key) : larger ? b.h.score - a.h.score : a.h.score - b.h.score));
  return all;
}

/** The merged lists and their output fields, within the result budget. */
function collect(parts: readonly ShardHits[], lists: readonly PartHit[][], perHitBytes: number, bytesMax: number): MergedHits {
  const flat = lists.flat();
  checkBytes(flat.map((x) => x.h), perHitBytes, bytesMax);
  return {
    lists: lists.map((l) => l.map(({ h }) => (h.group === undefined ? { key: h.key, score: h.score } : { key: h.key, score: h.score, group: h.group }))),
    columns: selectColumns(parts.map((x) => x.columns), flat.map(({ h, p }) => [p, h.at] as const)),
  };
}

function checkBytes(rows: ReadonlyArray<{ bytes: number }>, perRow: number, max: number): void {
  checkBudget(rows.map((r) => r.bytes), perRow, max);
}
