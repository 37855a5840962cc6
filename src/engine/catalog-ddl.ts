// Databases, collections, partitions, aliases and load state: the catalog changes, each a step of the coordinator queue (core.ddl).
// A role of the embedded engine (engine/README.md): its state is the engine core's,
// shared with the other roles; it reaches them only through core.roles.
import { fail } from '../errors/index.js';
import { type CollectionMeta, type CollectionSchema, DataType, type PartitionMeta, catalogKeys, consistencyLevels, defaultDatabase, defaultPartition, normalizeSchema, normalizeAddedField, partitionKeyPartitionsDefault, partitionsPerCollectionMax, shardsPerCollectionMax, validateName, type FieldInput, databasesMax, varcharLengthMax, collectionsPerDatabaseMax, dataTypeName, arrayCapacityMax, mmapParam, type FieldSchema, checkCollectionTtl, collectionTtlKey, collectionTtlSeconds, timezoneKey, defaultTimezone, isTimezoneValid, formatTimestamptz } from '../catalog/index.js';
import { objectKeys } from '../storage/index.js';
import { expiredBefore, physicalOf } from '../tso/index.js';
import { CollectionData, collectionPrefix, metaKeys, topicOf } from './collection.js';
import { type CollectionReq, type CreateCollectionReq, type DbScoped, type PartitionReq, status } from '../gateway/requests.js';
import { type EngineCore, isPartitionLoaded } from './core.js';
import type { LoadOptions } from '../gateway/resource-groups.js';
import { loadPlacement } from './resource-groups.js';

export class CatalogRole {
  constructor(private readonly core: EngineCore) {}

  // ---------------------------------------------------------------- databases

  createDatabase(req: { db_name: string; properties?: Record<string, string> }): Promise<typeof status> {
    return this.core.ddl(async () => {
      const name = validateName('database', this.core.requireObject(req).db_name);
      if (this.core.catalog.hasDatabase(name)) fail('DATABASE_ALREADY_EXISTS', { name });
      if (this.core.catalog.listDatabases().length >= databasesMax) fail('LIMIT_EXCEEDED', { what: 'database', detail: `at most ${databasesMax} databases` });
      const properties = stringProps(req.properties);
      validateTimezone(properties);
      await this.core.catalog.commit({ put: { [catalogKeys.database(name)]: { id: this.core.ids.next(), name, properties, createdTs: this.core.tso.next().toString() } } });
      return status;
    });
  }

  dropDatabase(req: { db_name: string }): Promise<typeof status> {
    return this.core.ddl(async () => {
      const name = validateName('database', this.core.requireObject(req).db_name);
      if (name === defaultDatabase) fail('DEFAULT_DATABASE');
      // Drops are idempotent, as in Milvus: what is not there is already dropped.
      if (!this.core.catalog.hasDatabase(name)) return status;
      const n = this.core.catalog.listCollections(name).length;
      if (n > 0) fail('DATABASE_NOT_EMPTY', { name, count: n });
      await this.core.catalog.commit({ del: [catalogKeys.database(name), ...this.core.catalog.listAliases(name).map((a) => catalogKeys.alias(name, a.alias))] });
      return status;
    });
  }

  async listDatabases(): Promise<{ status: typeof status; db_names: string[] }> {
    this.core.checkOpen();
    return { status, db_names: this.core.catalog.listDatabases().map((d) => d.name) };
  }

  async describeDatabase(req: { db_name: string }): Promise<{ status: typeof status; db_name: string; dbID: number; properties: Array<{ key: string; value: string }>; created_timestamp: string }> {
    this.core.checkOpen();
    const d = this.core.catalog.database(this.core.requireObject(req).db_name);
    return { status, db_name: d.name, dbID: d.id, properties: kv(d.properties), created_timestamp: d.createdTs };
  }

  alterDatabase(req: { db_name: string; properties: Record<string, string> }): Promise<typeof status> {
    return this.core.ddl(async () => {
      const d = this.core.catalog.database(this.core.requireObject(req).db_name);
      const given = stringProps(req.properties);
      validateTimezone(given);
      await this.core.catalog.commit({ put: { [catalogKeys.database(d.name)]: { ...d, properties: { ...d.properties, ...given } } } });
      return status;
    });
  }

  /** Removes database properties; a key that is not set is no error (as in Milvus). */
  dropDatabaseProperties(req: { db_name: string; properties: string[] }): Promise<typeof status> {
    return this.core.ddl(async () => {
      const d = this.core.catalog.database(this.core.requireObject(req).db_name);
      // A string would be iterated character by character, deleting one-letter keys.
      if (!Array.isArray(req.properties) || req.properties.some((k) => typeof k !== 'string')) fail('INVALID_ARGUMENT', { detail: 'properties must be an array of property names' });
      const properties = { ...d.properties };
      for (const k of req.properties) delete properties[k];
      await this.core.catalog.commit({ put: { [catalogKeys.database(d.name)]: { ...d, properties } } });
      return status;
    });
  }

  // ---------------------------------------------------------------- collections

  createCollection(req: CreateCollectionReq): Promise<typeof status> {
    return this.core.ddl(async () => {
      this.core.requireObject(req);
      const db = this.core.dbOf(req);
      const dbMeta = this.core.catalog.database(db);
      const name = validateName('collection', req.collection_name);
      const quick = req.dimension !== undefined && !req.fields && !req.schema;
      const fields = quick ? quickFields(req) : (req.fields ?? req.schema);
      if (!Array.isArray(fields)) fail('INVALID_SCHEMA', { detail: 'fields (or dimension for quick setup) is required' });
      // Properties follow the same rules at creation as in alterCollection; without this
      // check a collection could be created with a TTL that alterCollection would refuse.
      const properties = stringProps(req.properties);
      validateProperties(properties);
      const schema = normalizeSchema({
        fields,
        enableDynamicField: req.enable_dynamic_field ?? req.enableDynamicField ?? (quick ? true : false),
        description: req.description,
        partitionKeyField: req.partition_key_field,
        collectionName: name,
        // Milvus places a Timestamptz default without an offset in the collection's
        // timezone, which the collection takes from the database when it names none.
        timezone: properties[timezoneKey] ?? dbMeta.properties[timezoneKey] ?? defaultTimezone,
      });
      const existing = this.core.catalog.findCollection(db, name);
      if (existing) {
        // Creating the same collection again succeeds, as in Milvus; a different schema is a conflict.
        if (this.core.catalog.isCollectionName(db, name) && sameSchema(existing.schema, schema)) return status;
        if (!this.core.catalog.isCollectionName(db, name)) fail('ALIAS_CONFLICTS', { name, what: 'alias', db });
        fail('COLLECTION_ALREADY_EXISTS', { name, db });
      }
      if (this.core.catalog.listCollections(db).length >= collectionsPerDatabaseMax) fail('LIMIT_EXCEEDED', { what: 'collection', detail: `at most ${collectionsPerDatabaseMax} per database` });
      const shardsNum = intOption('shards_num', req.shards_num, this.core.shardsDefault, 1, shardsPerCollectionMax);
      const hasKey = schema.fields.some((f) => f.isPartitionKey);
      if (!hasKey && req.num_partitions !== undefined) fail('INVALID_ARGUMENT', { detail: 'num_partitions needs a partition key field' });
      const numPartitions = hasKey ? intOption('num_partitions', req.num_partitions, partitionKeyPartitionsDefault, 1, partitionsPerCollectionMax) : 0;
      const level = req.consistency_level ?? 'Bounded';
      if (!consistencyLevels.includes(level)) fail('INVALID_ARGUMENT', { detail: `consistency_level must be one of ${consistencyLevels.join(', ')}` });
      const createdTs = this.core.tso.next().toString();
      const partitions: PartitionMeta[] = hasKey
        ? Array.from({ length: numPartitions }, (_, i) => ({ id: this.core.ids.next(), name: `${defaultPartition}_${i}`, createdTs }))
        : [{ id: this.core.ids.next(), name: defaultPartition, createdTs }];
      const coll: CollectionMeta = {
        id: this.core.ids.next(), db, name, schema, shardsNum, numPartitions, partitions,
        properties, consistencyLevel: level, createdTs,
        loaded: quick, loadedPartitions: [],
      };
      const data = new CollectionData(coll.id, this.core.context(), shardsNum);
      const put: Record<string, unknown> = { [catalogKeys.collection(coll.id)]: coll };
      for (const s of data.shards) {
        const topic = topicOf(coll.id, s.index);
        await this.core.log.createStream(topic);
        // Where the stream starts is the store's (0 embedded, 1 in JetStream): the
        // checkpoint says so, and a replay starts after it.
        const upTo = (await this.core.log.bounds(topic)).end - 1;
        s.checkpoint = upTo;
        s.appliedOffset = upTo;
        put[metaKeys.checkpoint(coll.id, s.index)] = upTo;
      }
      await this.core.catalog.commit({ put });
      this.core.data.set(coll.id, data);
      return status;
    });
  }

  dropCollection(req: CollectionReq): Promise<typeof status> {
    return this.core.ddl(async () => {
      this.core.requireObject(req);
      const db = this.core.dbOf(req);
      if (!this.core.catalog.isCollectionName(db, req.collection_name)) {
        if (this.core.catalog.hasDatabase(db) && this.core.catalog.alias(db, req.collection_name)) fail('DROP_BY_ALIAS', { name: req.collection_name });
        // Drops are idempotent, as in Milvus (whatever the name: a malformed one was never
        // created): a program that drops before it creates, or drops twice, goes on.
        return status;
      }
      const coll = this.core.catalog.collection(db, req.collection_name);
      const aliases = this.core.catalog.listAliases(db, coll.id);
      if (aliases.length > 0) fail('COLLECTION_HAS_ALIASES', { name: coll.name, aliases: aliases.map((a) => a.alias).join(', ') });
      const data = this.core.data.get(coll.id)!;
      // From here new operations fail at once; writes already submitted are applied first.
      data.state = 'dropping';
      await data.barrier();
      // One small transaction whatever the collection holds: its segments, delete files
      // and checkpoints go by prefix.
      try {
        await this.core.catalog.commit({
          del: [catalogKeys.collection(coll.id)],
          delPrefix: [metaKeys.segments(coll.id), metaKeys.l0s(coll.id), metaKeys.checkpoints(coll.id)],
        });
      } catch (e) {
        data.state = 'ready';
        throw e;
      }
      this.core.crashPoint?.('drop:committed');
      data.state = 'dropped';
      this.core.data.delete(coll.id);
      this.core.vindex.forgetCollection(coll.id);
      this.core.healthState.forget('segments', `collection ${coll.id} `);
      for (const s of data.shards) await this.core.log.dropStream(topicOf(coll.id, s.index));
      // The drop is committed: from here it has happened, whatever the store does. Its
      // objects are listed and deleted; a failure leaves garbage that the next open removes
      // (maintenance.ts). An index build that was saving its file when the drop came may
      // put an object under the prefix after the listing: it deletes that object itself
      // once it sees the drop (vector-indexes.ts), so nothing here waits for it or fails.
      await this.deleteObjects(collectionPrefix(coll.id)).catch(() => undefined);
      return status;
    });
  }

  /** Deletes every object under `prefix`. */
  private async deleteObjects(prefix: string): Promise<void> {
    const keys: string[] = [];
    for await (const key of objectKeys(this.core.objects, prefix)) keys.push(key);
    await this.core.objects.deleteMany(keys);
  }

  async hasCollection(req: CollectionReq): Promise<{ status: typeof status; value: boolean }> {
    this.core.checkOpen();
    // Milvus checks the name's form first: a malformed one is an error, not "false".
    validateName('collection', this.core.requireObject(req).collection_name);
    const db = this.core.dbOf(req);
    this.core.catalog.database(db);
    const c = this.core.catalog.findCollection(db, req.collection_name);
    return { status, value: c !== undefined && this.core.data.get(c.id)?.state === 'ready' };
  }

  async describeCollection(req: CollectionReq) {
    validateName('collection', this.core.requireObject(req).collection_name);
    const { coll } = this.core.live(req);
    return {
      status,
      collection_name: coll.name,
      collectionID: coll.id,
      db_name: coll.db,
      schema: {
        name: coll.name,
        description: coll.schema.description,
        enable_dynamic_field: coll.schema.enableDynamicField,
        fields: coll.schema.fields.filter((f) => !f.isDynamic).map((f) => describeField(f, this.core.timezoneOf(coll))),
      },
      shards_num: coll.shardsNum,
      num_partitions: coll.numPartitions || coll.partitions.length,
      consistency_level: coll.consistencyLevel,
      aliases: this.core.catalog.listAliases(coll.db, coll.id).map((a) => a.alias),
      properties: kv(coll.properties),
      created_timestamp: coll.createdTs,
    };
  }

  async showCollections(req: DbScoped = {}): Promise<{ status: typeof status; data: Array<{ name: string; id: number; loadedPercentage: number; timestamp: string }> }> {
    this.core.checkOpen();
    const db = this.core.dbOf(req);
    const data = this.core.catalog.listCollections(db)
      .filter((c) => this.core.data.get(c.id)?.state === 'ready')
      .map((c) => ({ name: c.name, id: c.id, loadedPercentage: c.loaded ? 100 : 0, timestamp: c.createdTs }));
    return { status, data };
  }

  renameCollection(req: CollectionReq & { new_collection_name: string; new_db_name?: string }): Promise<typeof status> {
    return this.core.ddl(async () => {
      const { coll } = this.core.live(req);
      if (!this.core.catalog.isCollectionName(coll.db, req.collection_name)) fail('INVALID_ARGUMENT', { detail: 'rename a collection by its name, not an alias' });
      const newName = validateName('collection', req.new_collection_name);
      const newDb = req.new_db_name ?? coll.db;
      this.core.catalog.database(newDb);
      if (this.core.catalog.findCollection(newDb, newName)) fail(this.core.catalog.isCollectionName(newDb, newName) ? 'COLLECTION_ALREADY_EXISTS' : 'ALIAS_CONFLICTS', { name: newName, db: newDb, what: 'alias' });
      if (newDb !== coll.db && this.core.catalog.listAliases(coll.db, coll.id).length > 0) fail('COLLECTION_HAS_ALIASES', { name: coll.name, aliases: this.core.catalog.listAliases(coll.db, coll.id).map((a) => a.alias).join(', ') });
      await this.core.catalog.commit({ put: { [catalogKeys.collection(coll.id)]: { ...coll, name: newName, db: newDb } } });
      return status;
    });
  }

  alterCollection(req: CollectionReq & { properties: Record<string, string | number | boolean> }): Promise<typeof status> {
    return this.core.ddl(async () => {
      const { coll } = this.core.live(req);
      if (typeof req.properties !== 'object' || req.properties === null) fail('INVALID_ARGUMENT', { detail: 'properties must be an object' });
      const properties = { ...coll.properties, ...stringProps(req.properties) };
      validateProperties(properties);
      await this.core.catalog.commit({ put: { [catalogKeys.collection(coll.id)]: { ...coll, properties } } });
      return status;
    });
  }

  /** The SDK's name for alterCollection. */
  alterCollectionProperties(req: CollectionReq & { properties: Record<string, string | number | boolean> }): Promise<typeof status> {
    return this.alterCollection(req);
  }

  dropCollectionProperties(req: CollectionReq & { properties: string[] }): Promise<typeof status> {
    return this.core.ddl(async () => {
      const { coll } = this.core.live(req);
      // A string would be iterated character by character, deleting one-letter keys.
      if (!Array.isArray(req.properties)) fail('INVALID_ARGUMENT', { detail: 'properties must be an array of property names' });
      const properties = { ...coll.properties };
      for (const k of req.properties) delete properties[k];
      await this.core.catalog.commit({ put: { [catalogKeys.collection(coll.id)]: { ...coll, properties } } });
      return status;
    });
  }

  async getCollectionStatistics(req: CollectionReq): Promise<{ status: typeof status; stats: Array<{ key: string; value: string }>; data: { row_count: number } }> {
    const { data } = this.core.live(req);
    await data.barrier();
    const at = this.core.tso.next();
    // The collection's TTL as it is once the wait is over, like a read at `at`.
    const since = expiredBefore(at, collectionTtlSeconds(this.core.live(req).coll));
    const rows = data.shards.reduce((n, s) => n + s.count(at, since), 0);
    return { status, stats: [{ key: 'row_count', value: String(rows) }], data: { row_count: rows } };
  }

  /**
   * Changes a field's properties, as Milvus allows: `max_length` of a VarChar (or Array
   * of VarChar) field and `max_capacity` of an Array field, only upwards (every stored
   * value still fits), and `mmap.enabled`. The primary key's cannot change. All or none.
   */
  alterCollectionField(req: CollectionReq & { field_name: string; properties: Record<string, string | number | boolean> }): Promise<typeof status> {
    return this.core.ddl(async () => {
      const { coll, f } = this.fieldOf(req);
      const props = this.core.requireObject(req.properties);
      if (typeof props !== 'object' || Array.isArray(props)) fail('INVALID_ARGUMENT', { detail: 'properties must be an object of field properties' });
      if (f.isPrimary) fail('INVALID_ARGUMENT', { detail: `the properties of the primary key "${f.name}" cannot be altered` });
      const next: { -readonly [K in keyof FieldSchema]: FieldSchema[K] } = { ...f };
      for (const [k, v] of Object.entries(props)) {
        if (k === 'max_length') {
          if (f.maxLength === undefined) fail('INVALID_ARGUMENT', { detail: `field "${f.name}" has no max_length (it is ${dataTypeName(f.type)})` });
          const n = Number(v);
          if (!Number.isInteger(n) || n < f.maxLength || n > varcharLengthMax) fail('INVALID_ARGUMENT', { detail: `max_length of "${f.name}" can only grow, up to ${varcharLengthMax}: from ${f.maxLength}, got ${JSON.stringify(v)}` });
          next.maxLength = n;
        } else if (k === 'max_capacity') {
          if (f.maxCapacity === undefined) fail('INVALID_ARGUMENT', { detail: `field "${f.name}" has no max_capacity (it is ${dataTypeName(f.type)}, not an Array)` });
          const n = Number(v);
          if (!Number.isInteger(n) || n < f.maxCapacity || n > arrayCapacityMax) fail('INVALID_ARGUMENT', { detail: `max_capacity of "${f.name}" can only grow, up to ${arrayCapacityMax}: from ${f.maxCapacity}, got ${JSON.stringify(v)}` });
          next.maxCapacity = n;
        } else if (k === 'mmap.enabled') {
          next.mmapEnabled = mmapParam(f.name, v);
        } else {
          fail('INVALID_ARGUMENT', { detail: `field property ${JSON.stringify(k)} cannot be altered; allowed: max_length, max_capacity, mmap.enabled` });
        }
      }
      await this.commitField(coll, f, next);
      return status;
    });
  }

  /**
   * Removes field properties (AlterCollectionField's delete_keys): only `mmap.enabled`
   * can go (the field then reads as never set); `max_length`, `max_capacity` and `dim`
   * define the field and are refused; a key the field does not have is nothing to remove.
   */
  dropCollectionFieldProperties(req: CollectionReq & { field_name: string; properties: string[] }): Promise<typeof status> {
    return this.core.ddl(async () => {
      const { coll, f } = this.fieldOf(req);
      if (!Array.isArray(req.properties) || req.properties.some((k) => typeof k !== 'string')) fail('INVALID_ARGUMENT', { detail: 'the keys to delete must be an array of property names' });
      const next: { -readonly [K in keyof FieldSchema]: FieldSchema[K] } = { ...f };
      for (const k of req.properties) {
        if (k === 'max_length' || k === 'max_capacity' || k === 'dim') fail('INVALID_ARGUMENT', { detail: `field property ${k} of "${f.name}" defines the field and cannot be deleted; alter it instead` });
        if (k === 'mmap.enabled') delete next.mmapEnabled;
      }
      await this.commitField(coll, f, next);
      return status;
    });
  }

  private fieldOf(req: CollectionReq & { field_name: string }): { coll: CollectionMeta; f: FieldSchema } {
    const { coll } = this.core.live(req);
    const f = coll.schema.fields.find((x) => x.name === req.field_name && !x.isDynamic);
    if (!f) fail('FIELD_NOT_FOUND', { field: String(req.field_name), collection: coll.name });
    return { coll, f };
  }

  private async commitField(coll: CollectionMeta, f: FieldSchema, next: FieldSchema): Promise<void> {
    const fields = coll.schema.fields.map((x) => (x === f ? Object.freeze(next) : x));
    await this.core.catalog.commit({ put: { [catalogKeys.collection(coll.id)]: { ...coll, schema: Object.freeze({ ...coll.schema, fields: Object.freeze(fields) }) } } });
  }

  /** Adds a nullable scalar field; rows stored before it read null (or its default). */
  addCollectionField(req: CollectionReq & { field: FieldInput }): Promise<typeof status> {
    return this.core.ddl(async () => {
      const { coll, data } = this.core.live(req);
      const schema = normalizeAddedField(coll.schema, this.core.requireObject(req).field, coll.name, this.core.timezoneOf(coll));
      await this.core.catalog.commit({ put: { [catalogKeys.collection(coll.id)]: { ...coll, schema } } });
      for (const s of data.shards) s.conform(this.core.catalog.collectionById(coll.id)!.schema);
      return status;
    });
  }

  /**
   * Removes every row and keeps everything else (schema, partitions, indexes, aliases,
   * load state). One metadata transaction forgets the segments and moves each shard's
   * checkpoint to the end of its log, so nothing written before comes back in a replay.
   */
  truncateCollection(req: CollectionReq): Promise<typeof status> {
    return this.core.ddl(async () => {
      const { coll, data } = this.core.live(req);
      data.state = 'dropping';
      let fresh: CollectionData;
      try {
        await data.barrier();
        fresh = new CollectionData(coll.id, this.core.context(), coll.shardsNum);
        const put: Record<string, unknown> = {};
        for (const s of fresh.shards) {
          // No write is in flight (the barrier), so the durable end is the end.
          const upTo = (await this.core.log.bounds(topicOf(coll.id, s.index))).end - 1;
          s.checkpoint = upTo;
          s.appliedOffset = upTo;
          put[metaKeys.checkpoint(coll.id, s.index)] = upTo;
        }
        await this.core.catalog.commit({ put, delPrefix: [metaKeys.segments(coll.id), metaKeys.l0s(coll.id)] });
      } catch (e) {
        data.state = 'ready';
        throw e;
      }
      data.state = 'dropped';
      this.core.data.set(coll.id, fresh);
      const files = [...data.liveFiles()];
      await data.removeFiles(files);
      for (const s of fresh.shards) await this.core.log.truncate(topicOf(coll.id, s.index), s.checkpoint + 1);
      return status;
    });
  }

  // ---------------------------------------------------------------- partitions

  createPartition(req: PartitionReq): Promise<typeof status> {
    return this.core.ddl(async () => {
      const { coll } = this.core.live(req);
      const name = validateName('partition', req.partition_name);
      if (coll.schema.fields.some((f) => f.isPartitionKey)) fail('PARTITION_KEY_MODE', { collection: coll.name });
      if (coll.partitions.some((p) => p.name === name)) fail('PARTITION_ALREADY_EXISTS', { name, collection: coll.name });
      if (coll.partitions.length >= partitionsPerCollectionMax) fail('LIMIT_EXCEEDED', { what: 'partition', detail: `at most ${partitionsPerCollectionMax} per collection` });
      const p: PartitionMeta = { id: this.core.ids.next(), name, createdTs: this.core.tso.next().toString() };
      await this.core.catalog.commit({ put: { [catalogKeys.collection(coll.id)]: { ...coll, partitions: [...coll.partitions, p] } } });
      return status;
    });
  }

  dropPartition(req: PartitionReq): Promise<typeof status> {
    return this.core.ddl(async () => {
      const { coll, data } = this.core.live(req);
      if (coll.schema.fields.some((f) => f.isPartitionKey)) fail('PARTITION_KEY_MODE', { collection: coll.name });
      validateName('partition', req.partition_name);
      const p = coll.partitions.find((x) => x.name === req.partition_name);
      // Idempotent, as in Milvus: the collection must exist, the partition need not.
      if (!p) return status;
      if (p.name === defaultPartition) fail('DEFAULT_PARTITION', { action: 'deleted' });
      if (isPartitionLoaded(coll, p.id)) fail('PARTITION_LOADED', { name: p.name });
      data.droppingPartitions.add(p.id);
      try {
        await data.barrier();
        const del: string[] = [];
        for (const s of data.shards) for (const seg of s.segments()) if (seg.partitionId === p.id && seg.state === 'flushed') del.push(metaKeys.segment(coll.id, seg.id));
        const tombstones = await data.writeDropTombstones(p.id, this.core.tso.next());
        const put: Record<string, unknown> = {};
        for (const t of tombstones) put[metaKeys.l0(coll.id, t.id)] = t;
        const fresh = this.core.catalog.collectionById(coll.id)!;
        put[catalogKeys.collection(coll.id)] = { ...fresh, partitions: fresh.partitions.filter((x) => x.id !== p.id) };
        // A failed commit leaves the tombstone files: whether its journal record reached
        // the disk is unknown until the store heals, and files committed metadata names
        // must exist. The next open removes them if nothing names them.
        await this.core.catalog.commit({ put, del });
        data.addL0(tombstones);
        this.core.crashPoint?.('drop:committed');
        const files: string[] = [];
        for (const s of data.shards) for (const seg of s.dropPartition(p.id)) if (seg.file) files.push(seg.file);
        await data.removeFiles(files);
      } finally {
        data.droppingPartitions.delete(p.id);
      }
      return status;
    });
  }

  async hasPartition(req: PartitionReq): Promise<{ status: typeof status; value: boolean }> {
    // Both names' forms first, as Milvus checks them: a malformed one is an error, not "false".
    validateName('collection', this.core.requireObject(req).collection_name);
    validateName('partition', req.partition_name);
    const { coll, data } = this.core.live(req);
    const p = coll.partitions.find((x) => x.name === req.partition_name);
    return { status, value: p !== undefined && !data.droppingPartitions.has(p.id) };
  }

  async showPartitions(req: CollectionReq): Promise<{ status: typeof status; partition_names: string[]; partitionIDs: number[]; created_utc_timestamps: string[]; loadedPercentages: number[] }> {
    const { coll, data } = this.core.live(req);
    const ps = coll.partitions.filter((p) => !data.droppingPartitions.has(p.id));
    return {
      status,
      partition_names: ps.map((p) => p.name),
      partitionIDs: ps.map((p) => p.id),
      created_utc_timestamps: ps.map((p) => String(physicalOf(BigInt(p.createdTs)))),
      loadedPercentages: ps.map((p) => (isPartitionLoaded(coll, p.id) ? 100 : 0)),
    };
  }

  async getPartitionStatistics(req: PartitionReq): Promise<{ status: typeof status; stats: Array<{ key: string; value: string }>; data: { row_count: number } }> {
    const { coll, data } = this.core.live(req);
    const p = this.core.livePartition(coll, data, req.partition_name);
    await data.barrier();
    const at = this.core.tso.next();
    const since = expiredBefore(at, collectionTtlSeconds(this.core.live(req).coll));
    const rows = data.shards.reduce((n, s) => n + s.count(at, since, new Set([p.id])), 0);
    return { status, stats: [{ key: 'row_count', value: String(rows) }], data: { row_count: rows } };
  }

  // ---------------------------------------------------------------- aliases

  createAlias(req: CollectionReq & { alias: string }): Promise<typeof status> {
    return this.core.ddl(async () => {
      const { coll } = this.core.live(req);
      const alias = validateName('alias', req.alias);
      if (this.core.catalog.isCollectionName(coll.db, alias)) fail('ALIAS_CONFLICTS', { name: alias, what: 'collection', db: coll.db });
      const existing = this.core.catalog.alias(coll.db, alias);
      if (existing) {
        if (existing.collectionId === coll.id) return status;
        fail('ALIAS_ALREADY_EXISTS', { name: alias, db: coll.db, collection: this.core.catalog.collectionById(existing.collectionId)?.name ?? '?' });
      }
      await this.core.catalog.commit({ put: { [catalogKeys.alias(coll.db, alias)]: { db: coll.db, alias, collectionId: coll.id } } });
      return status;
    });
  }

  alterAlias(req: CollectionReq & { alias: string }): Promise<typeof status> {
    return this.core.ddl(async () => {
      const { coll } = this.core.live(req);
      const existing = this.core.catalog.alias(coll.db, req.alias);
      if (!existing) fail('ALIAS_NOT_FOUND', { name: req.alias, db: coll.db });
      await this.core.catalog.commit({ put: { [catalogKeys.alias(coll.db, req.alias)]: { db: coll.db, alias: req.alias, collectionId: coll.id } } });
      return status;
    });
  }

  dropAlias(req: DbScoped & { alias: string }): Promise<typeof status> {
    return this.core.ddl(async () => {
      const db = this.core.dbOf(this.core.requireObject(req));
      // Idempotent, as in Milvus: an alias (or database) that is not there is dropped already.
      if (!this.core.catalog.hasDatabase(db) || typeof req.alias !== 'string' || !this.core.catalog.alias(db, req.alias)) return status;
      await this.core.catalog.commit({ del: [catalogKeys.alias(db, req.alias)] });
      return status;
    });
  }

  async describeAlias(req: DbScoped & { alias: string }): Promise<{ status: typeof status; alias: string; collection: string; db_name: string }> {
    this.core.checkOpen();
    const db = this.core.dbOf(this.core.requireObject(req));
    validateName('alias', req.alias);
    this.core.catalog.database(db);
    const a = this.core.catalog.alias(db, req.alias);
    if (!a) fail('ALIAS_NOT_FOUND', { name: req.alias, db });
    return { status, alias: a.alias, collection: this.core.catalog.collectionById(a.collectionId)!.name, db_name: db };
  }

  async listAliases(req: DbScoped & { collection_name?: string } = {}): Promise<{ status: typeof status; aliases: string[] }> {
    this.core.checkOpen();
    const db = this.core.dbOf(req);
    this.core.catalog.database(db);
    const id = req.collection_name === undefined ? undefined : this.core.catalog.collection(db, req.collection_name).id;
    return { status, aliases: this.core.catalog.listAliases(db, id).map((a) => a.alias) };
  }

  // ---------------------------------------------------------------- load / release

  loadCollection(req: CollectionReq & LoadOptions): Promise<typeof status> {
    return this.core.ddl(async () => {
      const { coll } = this.core.live(req);
      // Checked before anything changes: a load into groups without enough nodes is refused.
      const placement = loadPlacement(this.core.catalog.resourceGroups(), coll, req);
      if (coll.loaded && coll.loadedPartitions.length === 0 && placement === undefined) return status;
      await this.core.catalog.commit({ put: { [catalogKeys.collection(coll.id)]: { ...coll, loaded: true, loadedPartitions: [], ...(placement ? { replicaGroups: placement } : {}) } } });
      return status;
    });
  }

  /** Loading is immediate here (all data is in memory), so the sync form is the same. */
  loadCollectionSync(req: CollectionReq & LoadOptions): Promise<typeof status> {
    return this.loadCollection(req);
  }

  releaseCollection(req: CollectionReq): Promise<typeof status> {
    return this.core.ddl(async () => {
      const { coll } = this.core.live(req);
      const { replicaGroups: _released, ...rest } = coll;
      await this.core.catalog.commit({ put: { [catalogKeys.collection(coll.id)]: { ...rest, loaded: false, loadedPartitions: [] } } });
      return status;
    });
  }

  loadPartitions(req: CollectionReq & LoadOptions & { partition_names: string[] }): Promise<typeof status> {
    return this.core.ddl(async () => {
      const { coll, data } = this.core.live(req);
      const ids = this.partitionIds(coll, data, req.partition_names);
      const placement = loadPlacement(this.core.catalog.resourceGroups(), coll, req);
      if (coll.loaded && coll.loadedPartitions.length === 0 && placement === undefined) return status;
      const loadedPartitions = coll.loaded && coll.loadedPartitions.length === 0 ? [] : [...new Set([...(coll.loaded ? coll.loadedPartitions : []), ...ids])];
      await this.core.catalog.commit({ put: { [catalogKeys.collection(coll.id)]: { ...coll, loaded: true, loadedPartitions, ...(placement ? { replicaGroups: placement } : {}) } } });
      return status;
    });
  }

  releasePartitions(req: CollectionReq & { partition_names: string[] }): Promise<typeof status> {
    return this.core.ddl(async () => {
      const { coll, data } = this.core.live(req);
      const ids = new Set(this.partitionIds(coll, data, req.partition_names));
      if (!coll.loaded) return status;
      const before = coll.loadedPartitions.length === 0 ? coll.partitions.map((p) => p.id) : coll.loadedPartitions;
      const loadedPartitions = before.filter((id) => !ids.has(id));
      const { replicaGroups, ...rest } = coll;
      const next = loadedPartitions.length > 0 ? { ...rest, loaded: true, loadedPartitions, ...(replicaGroups ? { replicaGroups } : {}) } : { ...rest, loaded: false, loadedPartitions };
      await this.core.catalog.commit({ put: { [catalogKeys.collection(coll.id)]: next } });
      return status;
    });
  }

  private partitionIds(coll: CollectionMeta, data: CollectionData, names: unknown): number[] {
    if (!Array.isArray(names) || names.length === 0) fail('INVALID_ARGUMENT', { detail: 'partition_names must be a non-empty array' });
    return names.map((n) => this.core.livePartition(coll, data, String(n)).id);
  }

  async getLoadState(req: CollectionReq & { partition_names?: string[] }): Promise<{ status: typeof status; state: 'LoadStateNotLoad' | 'LoadStateLoaded' }> {
    const { coll, data } = this.core.live(req);
    const ids = req.partition_names?.length ? this.partitionIds(coll, data, req.partition_names) : undefined;
    const loaded = ids ? ids.every((id) => isPartitionLoaded(coll, id)) : coll.loaded;
    return { status, state: loaded ? 'LoadStateLoaded' : 'LoadStateNotLoad' };
  }

  async getLoadingProgress(req: CollectionReq & { partition_names?: string[] }): Promise<{ status: typeof status; progress: number }> {
    const s = await this.getLoadState(req);
    return { status, progress: s.state === 'LoadStateLoaded' ? 100 : 0 };
  }
}

function stringProps(p: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(p ?? {})) out[k] = String(v);
  return out;
}

function validateProperties(p: Record<string, string>): void {
  checkCollectionTtl(p[collectionTtlKey]);
  validateTimezone(p);
}

/** A `timezone` property (collection or database) must name a timezone, as Milvus checks it. */
function validateTimezone(p: Record<string, string>): void {
  const tz = p[timezoneKey];
  if (tz !== undefined && !isTimezoneValid(tz)) fail('INVALID_ARGUMENT', { detail: `unknown or invalid IANA Time Zone ID: ${tz}` });
}

function kv(p: Readonly<Record<string, string>>): Array<{ key: string; value: string }> {
  return Object.entries(p).map(([key, value]) => ({ key, value }));
}

function intOption(name: string, v: unknown, dflt: number, min: number, max: number): number {
  if (v === undefined || v === null) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) fail('INVALID_ARGUMENT', { detail: `${name} must be an integer in [${min}, ${max}], got ${JSON.stringify(v)}` });
  return n;
}

function quickFields(req: CreateCollectionReq): FieldInput[] {
  const idType = req.id_type ?? 'Int64';
  return [
    { name: req.primary_field_name ?? 'id', data_type: idType, is_primary_key: true, autoID: req.auto_id ?? false, ...(idType === 'VarChar' ? { max_length: req.max_length ?? 512 } : {}) },
    { name: req.vector_field_name ?? 'vector', data_type: DataType.FloatVector, dim: req.dimension },
  ];
}

function sameSchema(a: CollectionSchema, b: CollectionSchema): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * A field as the SDK's describeCollection shows it. An Array of Structs field is an Array
 * whose element_type is Struct, with its sub-fields (`fields`), each described by its own type.
 */
/** `timezone`: the collection's, in which a Timestamptz default is written (as Milvus describes it). */
function describeField(f: CollectionSchema['fields'][number], timezone: string): DescribedField {
  const struct = f.type === DataType.ArrayOfStruct;
  const type_params: Array<{ key: string; value: string }> = [];
  if (f.dim !== undefined) type_params.push({ key: 'dim', value: String(f.dim) });
  if (f.maxLength !== undefined) type_params.push({ key: 'max_length', value: String(f.maxLength) });
  if (f.maxCapacity !== undefined) type_params.push({ key: 'max_capacity', value: String(f.maxCapacity) });
  return {
    fieldID: f.fieldId,
    name: f.name,
    description: f.description,
    data_type: DataType[struct ? DataType.Array : f.type]!,
    dataType: struct ? DataType.Array : f.type,
    is_primary_key: f.isPrimary,
    autoID: f.autoId,
    is_partition_key: f.isPartitionKey,
    is_dynamic: f.isDynamic,
    nullable: f.nullable,
    default_value: f.type === DataType.Timestamptz && f.defaultValue !== undefined ? formatTimestamptz(BigInt(f.defaultValue as string), timezone) : f.defaultValue,
    element_type: f.elementType === undefined ? undefined : DataType[f.elementType],
    ...(struct ? { fields: f.structFields!.map((x) => describeField(x, timezone)) } : {}),
    type_params,
    dim: f.dim,
    max_length: f.maxLength,
    max_capacity: f.maxCapacity,
  };
}

interface DescribedField {
  fieldID: number; name: string; description: string; data_type: string; dataType: DataType;
  is_primary_key: boolean; autoID: boolean; is_partition_key: boolean; is_dynamic: boolean; nullable: boolean;
  default_value: unknown; element_type: string | undefined; type_params: Array<{ key: string; value: string }>;
  dim: number | undefined; max_length: number | undefined; max_capacity: number | undefined;
  /** An Array of Structs field's sub-fields. */
  fields?: DescribedField[];
}
