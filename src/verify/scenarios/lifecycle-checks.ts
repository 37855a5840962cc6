// What a lifecycle round checks after each step, and after each restart. The steps run
// one at a time, so with nothing in flight every key has one state the model knows, and
// a read's answer is exact: count(*) with and without a filter, get() of live keys,
// deleted keys and keys never written, a filtered range query, and searches.
//
// Searches: every hit must be a live row matching the filter, at the distance its
// vector gives, in order (DataSet.judgeHits). Under an exact index (FLAT, BIN_FLAT: brute
// force, on Elanus and on Milvus) the answer is also compared with the model's: the
// hits' distances must be the k smallest of all live matching rows — compared as
// distances, so ties may be broken either way. Approximate indexes (HNSW, IVF) may miss
// neighbours, so there only the hits are judged. Past `exactComponentsMax` the model's
// answer would take too long to compute for every step; a sample of live keys then
// stands in: none of them may be nearer than the last hit, and there must be as many
// hits as the limit allows.
import type { ScenarioContext } from '../context.js';
import type { Op } from '../history.js';
import type { Hit } from '../target.js';
import { distanceMatches, distanceTo, filters } from '../values.js';
import { Random } from '../../testing/random.js';
import type { DataSet } from './dataset.js';
import { isExact } from './lifecycle-plan.js';

/** The client every lifecycle call is recorded under. */
export const lifecycleClient = 1;
/** Hits per search. */
export const searchLimit = 10;
/** Live keys × dimension up to which a search's exact answer is computed from the model (about 0.1 s). */
export const exactComponentsMax = 1 << 24;
/** Keys sampled from the model when the exact answer is too large to compute. */
const sampleKeys = 2_000;
/** Keys read with get(): this many live ones and this many deleted ones, at most. */
const getKeys = 16;
/** Width of the key window of a filtered range query. */
const windowKeys = 2_000;

/** A key's state, as the model knows it with nothing in flight. */
export function stateOf(ds: DataSet, key: number): number | null | undefined {
  return ds.model.current(key)?.value;
}

/** The per-step checks; `space` is one past the largest key written. */
export async function checkStep(ctx: ScenarioContext, ds: DataSet, rng: Random, space: number): Promise<void> {
  const c = lifecycleClient;
  const f = 1 + rng.int(filters.length - 1);
  await ds.count(c, 0);
  await ds.count(c, f);
  await ds.get(c, sampleForGet(ds, rng, space), rng.int(3) === 0);
  const from = rng.int(Math.max(1, space));
  await ds.range(c, from, from + windowKeys, rng.int(filters.length));
  await ds.search(c, rng, 0, searchLimit, exactJudge(ctx, ds, 0, space, rng));
  await ds.search(c, rng, f, searchLimit, exactJudge(ctx, ds, f, space, rng));
}

/** The checks after a restart: every key, count(*) without and with a filter, the collection and its index. */
export async function checkAfterRestart(ctx: ScenarioContext, ds: DataSet, label: string, f: number): Promise<void> {
  await ds.fullCheck(0, true, label, [0, f]);
  await ds.checkCatalog(0, label);
  await checkIndex(ctx, ds, label);
}

/** The collection has exactly the index the round built last, on `vec`. */
export async function checkIndex(ctx: ScenarioContext, ds: DataSet, label: string): Promise<void> {
  await ctx.call(0, 'check-catalog', (t) => t.describeIndex(ds.collection), {
    collection: ds.collection, bypassGate: true,
    onOk: (list, op) => {
      ctx.checked('catalog-mismatch');
      const want = ds.index;
      const ok = list.length === 1 && list[0]!.indexName === want.indexName && list[0]!.field === want.field && list[0]!.indexType === want.indexType;
      if (!ok) {
        const got = list.map((i) => `${i.indexName} (${i.indexType} on ${i.field})`).join(', ') || 'none';
        ctx.violations.add({ kind: 'catalog-mismatch', message: `${label}: ${ds.collection} has the indexes ${got}; it must have ${want.indexName} (${want.indexType} on ${want.field}) alone`, ops: [op], subject: `${label}:index` });
      }
    },
  });
}

/** Up to `getKeys` live keys, as many deleted ones, and two keys never written. */
function sampleForGet(ds: DataSet, rng: Random, space: number): number[] {
  const live = new Set<number>();
  const dead = new Set<number>();
  for (let tries = 0; tries < 40 * getKeys && (live.size < getKeys || dead.size < getKeys) && space > 0; tries++) {
    const k = rng.int(space);
    const s = stateOf(ds, k);
    if (s === undefined) continue;
    if (s === null) {
      if (dead.size < getKeys) dead.add(k);
    } else if (live.size < getKeys) {
      live.add(k);
    }
  }
  return [...live, ...dead, space + rng.int(1000), -1 - rng.int(1000)];
}

/** Judges a search against the model's exact answer, when the index is exact. */
function exactJudge(ctx: ScenarioContext, ds: DataSet, f: number, space: number, rng: Random): (hits: readonly Hit[], op: Op, vector: readonly number[]) => void {
  const index = ds.index;
  if (!isExact(index)) return () => undefined;
  const filter = filters[f]!;
  // Drawn before the search, so that the same seed samples the same keys.
  const sampleSeed = rng.int(0x7fffffff);
  return (hits, op, vector) => {
    const bounds = ds.model.countBounds(f, op.invokeMs, op.completeMs!);
    if (bounds.min !== bounds.max) return; // a state in doubt (an earlier violation): no exact answer
    const due = Math.min(searchLimit, bounds.min);
    const say = (message: string, keys: readonly number[]) =>
      ctx.violations.add({ kind: 'search-inexact', message: `${index.indexType} search with filter ${filter.name}: ${message}`, keys, ops: [op], subject: `search-inexact:${op.id}` });
    ctx.checked('search-inexact');
    if (hits.length !== due) {
      say(`${hits.length} hits, but ${bounds.min} live rows match, so ${due} were due`, hits.map((h) => h.key));
      return;
    }
    const exact = bounds.min * ds.schema.dim <= exactComponentsMax;
    const figure = exact ? 'searchesComparedExactly' : 'searchesComparedWithASample';
    ctx.figures[figure] = Number(ctx.figures[figure] ?? 0) + 1;
    if (exact) {
      const nearest = nearestOf(ds, f, vector, due);
      for (let i = 0; i < due; i++) {
        if (!distanceMatches(hits[i]!.score, nearest[i]!.d)) {
          say(`hit ${i} (key ${hits[i]!.key}) is at ${hits[i]!.score}; the ${i + 1}th nearest live matching row is key ${nearest[i]!.key} at ${nearest[i]!.d}`, [hits[i]!.key, nearest[i]!.key]);
          return;
        }
      }
      return;
    }
    const last = hits[hits.length - 1]?.score ?? Infinity;
    const returned = new Set(hits.map((h) => h.key));
    const sampler = new Random(sampleSeed);
    for (let i = 0; i < sampleKeys && space > 0; i++) {
      const k = sampler.int(space);
      const v = stateOf(ds, k);
      if (v === undefined || v === null || returned.has(k) || !filter.matches(k, v)) continue;
      const d = distanceTo(ds.schema, vector, k, v);
      if (d < last && !distanceMatches(last, d)) {
        say(`live matching key ${k} is at ${d}, nearer than the last hit (key ${hits[hits.length - 1]!.key} at ${last}), and was not returned`, [k]);
        return;
      }
    }
  };
}

/** The `n` live rows matching filter `f` nearest to `vector`, nearest first, from the model. */
function nearestOf(ds: DataSet, f: number, vector: readonly number[], n: number): Array<{ key: number; d: number }> {
  const filter = filters[f]!;
  const all: Array<{ key: number; d: number }> = [];
  for (const k of ds.model.allKeys()) {
    const v = stateOf(ds, k);
    if (v === undefined || v === null || !filter.matches(k, v)) continue;
    all.push({ key: k, d: distanceTo(ds.schema, vector, k, v) });
  }
  all.sort((a, b) => a.d - b.d);
  return all.slice(0, n);
}
