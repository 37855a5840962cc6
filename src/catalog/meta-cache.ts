// The engine's metadata, read synchronously: a copy in memory of every key of a
// `MetaStore`, loaded once at open and changed only after the store acknowledged a
// commit. The catalog, the segment lists and the checkpoints are read between two awaits
// (DESIGN.md: no await between a check and the act), so they cannot be read from the
// store each time; the store is the durable truth, this the owner's view of it.
//
// It is correct because the engine is the store's only writer (it holds the data
// folder's lock; in cluster mode the coordinator holds the catalog lease). Commits
// resolve in journal order, so applying each one as it resolves keeps the copy equal
// to the store.
import { ElanusError } from '../errors/index.js';
import { metaLimits, type Compare, type MetaOp, type MetaStore, type MetaTxn, type MetaValue, type SyncMetaStore } from '../storage/index.js';

/** What the engine's store offers besides the MetaStore interface (health probes). */
export interface EngineMetaStore extends MetaStore {
  /** Heals a failed journal; true when it takes commits again. */
  probe(): Promise<boolean>;
}

export class MetaCache implements SyncMetaStore {
  /** Key → value as JSON text, parsed on every read so that no caller shares an object. */
  private readonly values = new Map<string, string>();
  /** The store's revision this copy equals: the load's, then each commit's. */
  revision = 0;

  private constructor(readonly store: EngineMetaStore, private readonly fence: readonly Compare[]) {}

  /**
   * Reads every key of `store`. With a fence (cluster mode: the coordinator lease's key
   * still held by this node's lease), every commit holds only while the fence does: a
   * node that lost the lease cannot change the catalog after another took over, even
   * with a commit that was already on its way (NOT_COORDINATOR).
   */
  static async load(store: EngineMetaStore, opts: { readonly fence?: readonly Compare[] } = {}): Promise<MetaCache> {
    for (;;) {
      const cache = new MetaCache(store, Object.freeze([...(opts.fence ?? [])]));
      if (await cache.readAll()) return cache;
    }
  }

  /**
   * Reads every key, page by page; true when every page was read at one revision (the
   * copy is then the store's state at it). A writer that committed between two pages
   * makes it false, and the load reads again: a reader beside a writer (a cluster's read
   * replica) must not see half of a transaction.
   */
  private async readAll(): Promise<boolean> {
    let startAfter: string | undefined;
    let revision: number | undefined;
    for (;;) {
      const page = await this.store.range('', { limit: metaLimits.rangeLimitMax, ...(startAfter === undefined ? {} : { startAfter }) });
      if (revision !== undefined && page.revision !== revision) return false;
      revision = page.revision;
      for (const kv of page.kvs) this.values.set(kv.key, kv.value);
      if (!page.more) break;
      startAfter = page.kvs.at(-1)?.key;
    }
    this.revision = revision;
    return true;
  }

  get(key: string): MetaValue | undefined {
    const v = this.values.get(key);
    return v === undefined ? undefined : JSON.parse(v);
  }

  /** Entries whose key starts with `prefix`, sorted by key. */
  scan(prefix: string): Array<[string, MetaValue]> {
    const out: Array<[string, MetaValue]> = [];
    for (const [k, v] of this.values) if (k.startsWith(prefix)) out.push([k, JSON.parse(v)]);
    return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }

  /** One store transaction: the deletes, then the puts (a key in both ends up put). */
  async commit(txn: MetaTxn): Promise<void> {
    const puts = new Map<string, string>();
    for (const [k, v] of Object.entries(txn.put ?? {})) {
      const text = JSON.stringify(v);
      if (typeof text !== 'string') throw new ElanusError('INVALID_ARGUMENT', { detail: `metadata value of "${k}" has no JSON form` });
      puts.set(k, text);
    }
    // The store refuses a branch that writes a key twice; a put replaces the key anyway.
    const dels = [...new Set(txn.del ?? [])].filter((k) => !puts.has(k));
    const prefixes = [...new Set(txn.delPrefix ?? [])];
    for (const p of prefixes) {
      if (p === '') throw new ElanusError('INVALID_ARGUMENT', { detail: 'a metadata prefix delete needs a non-empty prefix' });
      for (const k of puts.keys()) if (k.startsWith(p)) throw new ElanusError('INVALID_ARGUMENT', { detail: `metadata put of "${k}" under the deleted prefix "${p}"` });
    }
    const underPrefix = (k: string) => prefixes.some((p) => k.startsWith(p));
    const success: MetaOp[] = [];
    for (const prefix of prefixes) success.push({ op: 'deletePrefix', prefix });
    for (const key of dels) if (!underPrefix(key)) success.push({ op: 'delete', key });
    for (const [key, value] of puts) success.push({ op: 'put', key, value });
    if (success.length > 0) {
      const r = await this.store.txn(this.fence.length > 0 ? { compare: this.fence, success } : { success });
      if (!r.succeeded) throw new ElanusError('NOT_COORDINATOR', { detail: `a catalog commit found the fence changed: ${JSON.stringify(this.fence)}` });
      if (r.revision > this.revision) this.revision = r.revision;
    }
    if (prefixes.length > 0) for (const k of [...this.values.keys()]) if (underPrefix(k)) this.values.delete(k);
    for (const k of dels) this.values.delete(k);
    for (const [k, v] of puts) this.values.set(k, v);
  }

  probe(): Promise<boolean> {
    return this.store.probe();
  }

  /**
   * Never fails, as the journal's close never did: every commit was acknowledged or
   * refused before it, so a failure here (a lock that cannot be released on a dead
   * volume) loses nothing, and the engine's close must go on to release the rest.
   */
  close(): Promise<void> {
    return this.store.close().catch(() => undefined);
  }
}
