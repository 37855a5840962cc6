// The catalog: databases, collections (with their partitions, properties and load
// state) and aliases. It is a cache of the SyncMetaStore that changes only in `commit`,
// after the transaction is durable, and synchronously, so a reader between two awaits
// always sees one consistent catalog. One owner (the engine's coordinator queue) calls
// `commit`; everyone else only reads.
import { fail } from '../errors/index.js';
import type { SyncMetaStore, MetaTxn } from '../storage/meta-store.js';
import type { AliasMeta, CollectionMeta, DatabaseMeta } from './types.js';
import { defaultResourceGroup, initialDefaultGroup, type ResourceGroupMeta } from './resource-groups.js';

export const defaultDatabase = 'default';
export const defaultPartition = '_default';

export const keys = {
  database: (name: string) => `db/${name}`,
  collection: (id: number) => `coll/${id}`,
  alias: (db: string, alias: string) => `alias/${db}/${alias}`,
  resourceGroup: (name: string) => `rg/${name}`,
  /** The catalog's version (`Catalog.version`). */
  version: 'catalog/version',
};

export class Catalog {
  private readonly dbs = new Map<string, DatabaseMeta>();
  private readonly collections = new Map<number, CollectionMeta>();
  /** db → name → id */
  private readonly names = new Map<string, Map<string, number>>();
  private readonly aliases = new Map<string, Map<string, AliasMeta>>();
  /** Resource groups stored so far; the default group is implied until its first change. */
  private readonly groups = new Map<string, ResourceGroupMeta>();
  /**
   * Counts the commits that changed the catalog (a database, collection or alias; not a
   * flush's segment list), stored with each of them: a cluster's read replica answers a
   * read only from a copy of the very catalog the read was planned against.
   */
  version: number;

  constructor(private readonly meta: SyncMetaStore) {
    this.version = (meta.get(keys.version) as number | undefined) ?? 0;
    for (const [, v] of meta.scan('db/')) this.putDb(v as DatabaseMeta);
    for (const [, v] of meta.scan('coll/')) this.putCollection(v as CollectionMeta);
    for (const [, v] of meta.scan('alias/')) this.putAlias(v as AliasMeta);
    for (const [, v] of meta.scan('rg/')) this.groups.set((v as ResourceGroupMeta).name, deepFreeze(v as ResourceGroupMeta));
  }

  async commit(txn: MetaTxn): Promise<void> {
    const isCatalog = (k: string) => k.startsWith('db/') || k.startsWith('coll/') || k.startsWith('alias/') || k.startsWith('rg/');
    const changes = (txn.del ?? []).some(isCatalog) || Object.keys(txn.put ?? {}).some(isCatalog);
    const version = this.version + 1;
    await this.meta.commit(changes ? { ...txn, put: { ...txn.put, [keys.version]: version } } : txn);
    if (changes) this.version = version;
    // Deletions first, then puts: a rename is a delete of the old entry and a put.
    for (const k of txn.del ?? []) this.forget(k);
    for (const [k, v] of Object.entries(txn.put ?? {})) {
      if (k.startsWith('db/')) this.putDb(v as DatabaseMeta);
      else if (k.startsWith('coll/')) this.putCollection(v as CollectionMeta);
      else if (k.startsWith('alias/')) this.putAlias(v as AliasMeta);
      else if (k.startsWith('rg/')) this.groups.set((v as ResourceGroupMeta).name, deepFreeze(v as ResourceGroupMeta));
    }
  }

  private forget(key: string): void {
    const [kind, a, b] = key.split('/');
    if (kind === 'db') {
      this.dbs.delete(a!);
      this.names.delete(a!);
      this.aliases.delete(a!);
    } else if (kind === 'coll') {
      const c = this.collections.get(Number(a));
      if (c) {
        this.collections.delete(c.id);
        const byName = this.names.get(c.db);
        if (byName?.get(c.name) === c.id) byName.delete(c.name);
      }
    } else if (kind === 'alias') {
      this.aliases.get(a!)?.delete(b!);
    } else if (kind === 'rg') {
      this.groups.delete(key.slice('rg/'.length));
    }
  }

  private putDb(d: DatabaseMeta): void {
    this.dbs.set(d.name, Object.freeze(d));
    if (!this.names.has(d.name)) this.names.set(d.name, new Map());
    if (!this.aliases.has(d.name)) this.aliases.set(d.name, new Map());
  }

  private putCollection(c: CollectionMeta): void {
    const old = this.collections.get(c.id);
    // A rename may change the name, the database, or both (a move to another database
    // under the same name): the old (db, name) entry goes whenever either differs.
    if (old && (old.name !== c.name || old.db !== c.db)) this.names.get(old.db)?.delete(old.name);
    this.collections.set(c.id, deepFreeze(c));
    let byName = this.names.get(c.db);
    if (!byName) this.names.set(c.db, (byName = new Map()));
    byName.set(c.name, c.id);
  }

  private putAlias(a: AliasMeta): void {
    let m = this.aliases.get(a.db);
    if (!m) this.aliases.set(a.db, (m = new Map()));
    m.set(a.alias, Object.freeze(a));
  }

  // Reads. Each returns frozen objects; a later commit replaces them, never mutates them.

  listDatabases(): DatabaseMeta[] {
    return [...this.dbs.values()].sort((a, b) => a.id - b.id);
  }

  database(name: string): DatabaseMeta {
    const d = this.dbs.get(name);
    if (!d) fail('DATABASE_NOT_FOUND', { name });
    return d;
  }

  hasDatabase(name: string): boolean {
    return this.dbs.has(name);
  }

  listCollections(db: string): CollectionMeta[] {
    this.database(db);
    return [...(this.names.get(db)?.values() ?? [])].map((id) => this.collections.get(id)!).sort((a, b) => a.id - b.id);
  }

  allCollections(): CollectionMeta[] {
    return [...this.collections.values()];
  }

  /** Resolves a collection by name or alias. */
  collection(db: string, name: string): CollectionMeta {
    const c = this.findCollection(db, name);
    if (!c) {
      this.database(db);
      fail('COLLECTION_NOT_FOUND', { name, db });
    }
    return c;
  }

  findCollection(db: string, name: string): CollectionMeta | undefined {
    const id = this.names.get(db)?.get(name) ?? this.aliases.get(db)?.get(name)?.collectionId;
    return id === undefined ? undefined : this.collections.get(id);
  }

  collectionById(id: number): CollectionMeta | undefined {
    return this.collections.get(id);
  }

  /** True when `name` is a collection's own name (not an alias). */
  isCollectionName(db: string, name: string): boolean {
    return this.names.get(db)?.has(name) === true;
  }

  alias(db: string, alias: string): AliasMeta | undefined {
    return this.aliases.get(db)?.get(alias);
  }

  /**
   * Every resource group by name, the default group always among them. Until the default
   * group is first stored it holds the node, unless a stored group does.
   */
  resourceGroups(): ReadonlyMap<string, ResourceGroupMeta> {
    const out = new Map(this.groups);
    if (!out.has(defaultResourceGroup)) {
      const initial = initialDefaultGroup();
      const held = new Set([...this.groups.values()].flatMap((g) => g.nodes));
      out.set(defaultResourceGroup, deepFreeze({ ...initial, nodes: initial.nodes.filter((n) => !held.has(n)) }));
    }
    return out;
  }

  listAliases(db: string, collectionId?: number): AliasMeta[] {
    return [...(this.aliases.get(db)?.values() ?? [])]
      .filter((a) => collectionId === undefined || a.collectionId === collectionId)
      .sort((a, b) => (a.alias < b.alias ? -1 : 1));
  }
}

export function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o as object)) deepFreeze(v);
  }
  return o;
}
