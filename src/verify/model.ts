// The model of what the database must hold: for every primary key, the writes that
// touched it with their real-time intervals. From them follows, for any read that ran
// over [start, end], the set of states it may legally observe (its candidates):
//
//   - a write W is a candidate if it was invoked before the read ended, and no
//     acknowledged write W2 began after W had completed and was itself acknowledged
//     before the read began (W2 would then have superseded W for a Strong read);
//   - "absent" is a candidate if no acknowledged write completed before the read began.
//
// A write whose outcome is unknown (a timeout, or in flight at a kill) stays a candidate
// until it is superseded; while its server incarnation lives it may still take effect at
// any moment, so its completion is taken as +infinity until that incarnation ends. A
// failed write (a coded error) took no effect and is forgotten.
//
// Counts over 100,000 keys run many times a second, so the model also keeps, per filter,
// the number of "quiet" keys (no write open) that are certainly and possibly live and
// matching; a count is then checked by evaluating only the keys that were busy or became
// quiet during it.
import type { Clock } from './clock.js';
import type { Op } from './history.js';
import type { Filter, State } from './values.js';

export interface Write {
  /** The operation that made it (0 for a state pinned by a quiescent check). */
  readonly op: number;
  readonly value: State;
  readonly invokeMs: number;
  /** The acknowledgement time; +Infinity while pending or unknown on a live incarnation. */
  completeMs: number;
  acked: boolean;
  readonly incarnation: number;
}

/** The state before any write: absent, as if written and acknowledged at -infinity. */
const initial: Write = Object.freeze({ op: -1, value: null, invokeMs: -Infinity, completeMs: -Infinity, acked: true, incarnation: -1 });

interface KeyRecord {
  writes: Write[];
  /** Writes whose completion is +Infinity. */
  open: number;
  /** When the key last became quiet (open dropped to 0). */
  quietSinceMs: number;
  /** Bit f set: certainly live and matching filter f (min) / possibly (max). Valid while quiet. */
  minMask: number;
  maxMask: number;
}

export interface Bounds {
  readonly min: number;
  readonly max: number;
}

export class KeyModel {
  private readonly keys = new Map<number, KeyRecord>();
  private readonly busy = new Set<number>();
  /** Keys in the order they became quiet, with the time; read from the end for recent ones. */
  private recentQuiet: Array<{ key: number; atMs: number }> = [];
  private readonly minCount: number[];
  private readonly maxCount: number[];
  /** Unknown-outcome writes per incarnation, closed when that incarnation ends. */
  private readonly openUnknown = new Map<number, Array<{ key: number; write: Write }>>();
  private readonly pending = new Map<number, Array<{ key: number; write: Write }>>();
  /** Incarnations already ended, with the time: a late unknown outcome there closes at once. */
  private readonly ended = new Map<number, number>();

  constructor(readonly filters: readonly Filter[], private readonly clock: Clock) {
    if (filters.length > 30) throw new Error('at most 30 filters');
    this.minCount = filters.map(() => 0);
    this.maxCount = filters.map(() => 0);
  }

  /** Every key the model has seen written. */
  allKeys(): IterableIterator<number> {
    return this.keys.keys();
  }

  size(): number {
    return this.keys.size;
  }

  /** Registers the writes of `op` (invoked now): each key gets its new state. */
  begin(op: Op, entries: ReadonlyArray<readonly [number, State]>): void {
    const list: Array<{ key: number; write: Write }> = [];
    for (const [key, value] of entries) {
      const rec = this.record(key);
      if (rec.open === 0) this.leaveQuiet(key, rec);
      const write: Write = { op: op.id, value, invokeMs: op.invokeMs, completeMs: Infinity, acked: false, incarnation: op.incarnation };
      rec.writes.push(write);
      rec.open++;
      list.push({ key, write });
    }
    this.pending.set(op.id, list);
  }

  /** Records the outcome of `op`, begun with begin(). */
  end(op: Op): void {
    const list = this.pending.get(op.id);
    if (!list) throw new Error(`operation ${op.id} was not begun in the model`);
    this.pending.delete(op.id);
    if (op.outcome === 'ok') {
      for (const { key, write } of list) {
        write.completeMs = op.completeMs!;
        write.acked = true;
        this.closeOne(key);
      }
    } else if (op.outcome === 'fail') {
      for (const { key, write } of list) {
        const rec = this.keys.get(key)!;
        rec.writes.splice(rec.writes.indexOf(write), 1);
        this.closeOne(key);
      }
    } else if (op.outcome === 'unknown') {
      const endedAt = this.ended.get(op.incarnation);
      if (endedAt !== undefined) {
        for (const { key, write } of list) {
          write.completeMs = Math.min(endedAt, op.completeMs!);
          this.closeOne(key);
        }
        return;
      }
      const open = this.openUnknown.get(op.incarnation) ?? [];
      for (const e of list) open.push(e);
      this.openUnknown.set(op.incarnation, open);
    } else {
      throw new Error(`operation ${op.id} has not completed`);
    }
  }

  /** The server incarnation ended at `atMs` (killed or stopped): its unknown writes can no longer take effect after it. */
  endIncarnation(incarnation: number, atMs: number): void {
    this.ended.set(incarnation, atMs);
    const open = this.openUnknown.get(incarnation);
    this.openUnknown.delete(incarnation);
    for (const { key, write } of open ?? []) {
      write.completeMs = atMs;
      this.closeOne(key);
    }
  }

  /** Writes still open (pending, or unknown on a live incarnation). */
  openWrites(): number {
    let n = 0;
    for (const list of this.openUnknown.values()) n += list.length;
    for (const list of this.pending.values()) n += list.length;
    return n;
  }

  /** The writes a read over [startMs, endMs] may observe for `key`. */
  candidates(key: number, startMs: number, endMs: number): Write[] {
    const rec = this.keys.get(key);
    if (!rec) return [initial];
    return candidatesOf(rec.writes, startMs, endMs);
  }

  /**
   * The state a read starting now must see when only one is possible (every write to the
   * key settled: acknowledged, failed, or pinned by a check after its kill); undefined
   * while the key has more than one candidate. A sequential scenario (lifecycle) decides
   * which keys a delete by filter hits from it.
   */
  current(key: number): { readonly value: State } | undefined {
    const rec = this.keys.get(key);
    if (!rec) return { value: null };
    if (rec.open > 0) return undefined;
    const c = candidatesOf(rec.writes, Infinity, Infinity);
    return c.length === 1 ? { value: c[0]!.value } : undefined;
  }

  /** The acknowledged writes that a read over [startMs, ...) must not see past: the latest ones acknowledged before it began. */
  floorOf(key: number, startMs: number): Write | undefined {
    const rec = this.keys.get(key);
    return rec ? floor(rec.writes, startMs) : undefined;
  }

  /**
   * After a quiescent check observed `value` for `key` (one of its candidates): pin it,
   * so that later reads may not go back to another candidate. A key with open writes
   * (unknown outcomes on a live server) is left as it is.
   */
  pin(key: number, value: State, atMs: number): boolean {
    const rec = this.record(key);
    if (rec.open > 0) return false;
    this.leaveQuiet(key, rec);
    rec.writes = [{ op: 0, value, invokeMs: atMs, completeMs: atMs, acked: true, incarnation: -1 }];
    rec.open = 1;
    this.closeOne(key);
    return true;
  }

  /**
   * Bounds on how many keys a read over [startMs, endMs] may count as live and
   * matching filter `f`.
   */
  countBounds(f: number, startMs: number, endMs: number): Bounds {
    let min = this.minCount[f]!;
    let max = this.maxCount[f]!;
    const bit = 1 << f;
    const explicit = new Set<number>(this.busy);
    for (let i = this.recentQuiet.length - 1; i >= 0; i--) {
      const e = this.recentQuiet[i]!;
      if (e.atMs < startMs) break;
      explicit.add(e.key);
    }
    const filter = this.filters[f]!;
    for (const key of explicit) {
      const rec = this.keys.get(key)!;
      if (rec.open === 0) {
        if (rec.minMask & bit) min--;
        if (rec.maxMask & bit) max--;
      }
      const c = candidatesOf(rec.writes, startMs, endMs);
      const live = c.map((w) => w.value !== null && filter.matches(key, w.value));
      if (live.every(Boolean)) min++;
      if (live.some(Boolean)) max++;
    }
    return { min, max };
  }

  /** Forgets writes no read can observe any more: those superseded before `lowWaterMs`. */
  prune(lowWaterMs: number): void {
    for (const rec of this.keys.values()) if (rec.writes.length > 2) pruneRecord(rec, lowWaterMs);
    let i = 0;
    while (i < this.recentQuiet.length && this.recentQuiet[i]!.atMs < lowWaterMs) i++;
    if (i > 0) this.recentQuiet = this.recentQuiet.slice(i);
  }

  private record(key: number): KeyRecord {
    let rec = this.keys.get(key);
    if (!rec) {
      rec = { writes: [], open: 0, quietSinceMs: -Infinity, minMask: 0, maxMask: 0 };
      this.keys.set(key, rec);
      // A new key is quiet and absent: it contributes nothing.
    }
    return rec;
  }

  private leaveQuiet(key: number, rec: KeyRecord): void {
    for (let f = 0; f < this.filters.length; f++) {
      if (rec.minMask & (1 << f)) this.minCount[f]!--;
      if (rec.maxMask & (1 << f)) this.maxCount[f]!--;
    }
    rec.minMask = 0;
    rec.maxMask = 0;
    this.busy.add(key);
  }

  private closeOne(key: number): void {
    const rec = this.keys.get(key)!;
    rec.open--;
    if (rec.open > 0) return;
    this.busy.delete(key);
    // Quiet from now on: a read that began earlier evaluates this key explicitly.
    const now = this.clock.now();
    rec.quietSinceMs = now;
    this.recentQuiet.push({ key, atMs: now });
    const c = candidatesOf(rec.writes, Infinity, Infinity);
    let minMask = 0;
    let maxMask = 0;
    for (let f = 0; f < this.filters.length; f++) {
      const filter = this.filters[f]!;
      const live = c.map((w) => w.value !== null && filter.matches(key, w.value));
      if (live.every(Boolean)) minMask |= 1 << f;
      if (live.some(Boolean)) maxMask |= 1 << f;
    }
    rec.minMask = minMask;
    rec.maxMask = maxMask;
    for (let f = 0; f < this.filters.length; f++) {
      if (minMask & (1 << f)) this.minCount[f]!++;
      if (maxMask & (1 << f)) this.maxCount[f]!++;
    }
  }
}

/** The acknowledged write completed before `startMs` that was invoked last. */
function floor(writes: readonly Write[], startMs: number): Write | undefined {
  let best: Write | undefined;
  for (const w of writes) if (w.acked && w.completeMs < startMs && (!best || w.invokeMs > best.invokeMs)) best = w;
  return best;
}

export function candidatesOf(writes: readonly Write[], startMs: number, endMs: number): Write[] {
  const f = floor(writes, startMs);
  const out: Write[] = f ? [] : [initial];
  for (const w of writes) {
    if (w.invokeMs > endMs) continue;
    if (f && w !== f && w.completeMs < f.invokeMs) continue;
    out.push(w);
  }
  return out;
}

function pruneRecord(rec: KeyRecord, lowWaterMs: number): void {
  const f = floor(rec.writes, lowWaterMs);
  if (!f) return;
  rec.writes = rec.writes.filter((w) => w === f || w.completeMs >= f.invokeMs);
}
