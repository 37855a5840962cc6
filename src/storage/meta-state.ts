// The metadata store's state in memory: keys with their revisions, leases, the
// store-wide revision. One journal record is one `MetaChange`; applying it is
// deterministic, so replaying the journal at open rebuilds exactly the state (and the
// watch events) that the live commits made.
//
// A staged state (`MetaState.staged`) is an overlay on another: the journal's write loop
// plans a batch of transactions against one, each seeing the ones before it, and throws
// it away; only what became durable is applied to the real state.
import type { KeyValue, WatchEvent } from './meta.js';

export interface Entry {
  /** The value as stored (JSON text for the engine's own keys). */
  readonly value: string;
  readonly create: number;
  readonly mod: number;
  readonly version: number;
  /** 0 for none. */
  readonly lease: number;
}

export interface LeaseEntry {
  readonly ttlMs: number;
}

/** What one journal record changes. Deletes apply before puts. */
export interface MetaChange {
  readonly put: Readonly<Record<string, string>>;
  readonly del: readonly string[];
  /** Leases of the puts that have one: key → lease id. */
  readonly lease?: Readonly<Record<string, number>>;
  /** Leases granted: [id, ttlMs]. */
  readonly grant?: ReadonlyArray<readonly [number, number]>;
  /** Leases ended (their keys are in `del`). */
  readonly revoke?: readonly number[];
}

export function isEmptyChange(c: MetaChange): boolean {
  return Object.keys(c.put).length === 0 && c.del.length === 0 && !c.grant?.length && !c.revoke?.length;
}

/** The few Map operations the state needs, so that an overlay can stand in for a Map. */
interface KvMap<K, V> {
  get(key: K): V | undefined;
  has(key: K): boolean;
  set(key: K, value: V): void;
  delete(key: K): void;
  entries(): Iterable<[K, V]>;
  readonly size: number;
}

const removed = Symbol('removed');

/** Reads through to `base`; writes stay in the overlay. */
class OverlayMap<K, V> implements KvMap<K, V> {
  private readonly over = new Map<K, V | typeof removed>();
  private count: number;

  constructor(private readonly base: KvMap<K, V>) {
    this.count = base.size;
  }

  get(key: K): V | undefined {
    const v = this.over.get(key);
    if (v === removed) return undefined;
    return v !== undefined ? v : this.base.get(key);
  }

  has(key: K): boolean {
    return this.get(key) !== undefined;
  }

  set(key: K, value: V): void {
    if (!this.has(key)) this.count++;
    this.over.set(key, value);
  }

  delete(key: K): void {
    if (this.has(key)) this.count--;
    this.over.set(key, removed);
  }

  *entries(): Iterable<[K, V]> {
    for (const [k, v] of this.base.entries()) if (!this.over.has(k)) yield [k, v];
    for (const [k, v] of this.over) if (v !== removed) yield [k, v];
  }

  get size(): number {
    return this.count;
  }
}

export class MetaState {
  revision = 0;
  /** The id the next granted lease gets. */
  leaseNext = 1;

  private constructor(
    readonly entries: KvMap<string, Entry>,
    readonly leases: KvMap<number, LeaseEntry>,
  ) {}

  static empty(): MetaState {
    return new MetaState(new Map(), new Map());
  }

  /** A copy-on-write view of `base`: changes applied to it leave `base` as it was. */
  static staged(base: MetaState): MetaState {
    const s = new MetaState(new OverlayMap(base.entries), new OverlayMap(base.leases));
    s.revision = base.revision;
    s.leaseNext = base.leaseNext;
    return s;
  }

  get(key: string): KeyValue | undefined {
    const e = this.entries.get(key);
    return e === undefined ? undefined : toKeyValue(key, e);
  }

  /** Keys that start with `prefix`, sorted. */
  keysWithPrefix(prefix: string): string[] {
    const out: string[] = [];
    for (const [k] of this.entries.entries()) if (k.startsWith(prefix)) out.push(k);
    return out.sort(compareKeys);
  }

  /** Keys attached to `lease`, sorted. */
  keysOfLease(lease: number): string[] {
    const out: string[] = [];
    for (const [k, e] of this.entries.entries()) if (e.lease === lease) out.push(k);
    return out.sort(compareKeys);
  }

  /**
   * Applies one record's change and returns the events it made. The revision moves by
   * one when a key changed (`revision` says to what, for records that carry it).
   */
  apply(change: MetaChange, revision?: number): WatchEvent[] {
    const next = this.revision + 1;
    const events: WatchEvent[] = [];
    for (const id of change.revoke ?? []) this.leases.delete(id);
    for (const key of change.del) {
      if (!this.entries.has(key)) continue;
      this.entries.delete(key);
      events.push({ type: 'delete', kv: Object.freeze({ key, value: '', createRevision: 0, modRevision: next, version: 0, lease: 0 }) });
    }
    for (const [key, value] of Object.entries(change.put)) {
      const old = this.entries.get(key);
      const e: Entry = Object.freeze({ value, create: old?.create ?? next, mod: next, version: (old?.version ?? 0) + 1, lease: change.lease !== undefined && Object.hasOwn(change.lease, key) ? (change.lease[key] as number) : 0 });
      this.entries.set(key, e);
      events.push({ type: 'put', kv: toKeyValue(key, e) });
    }
    for (const [id, ttlMs] of change.grant ?? []) {
      this.leases.set(id, Object.freeze({ ttlMs }));
      this.leaseNext = Math.max(this.leaseNext, id + 1);
    }
    if (events.length > 0) this.revision = next;
    if (revision !== undefined) this.revision = Math.max(this.revision, revision);
    return events;
  }
}

export function toKeyValue(key: string, e: Entry): KeyValue {
  return Object.freeze({ key, value: e.value, createRevision: e.create, modRevision: e.mod, version: e.version, lease: e.lease });
}

export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
