// Databases, collections, partitions, aliases, load and release.
import { ElanusError, fail, isElanusError } from '../../../errors/index.js';
import { type CollectionMeta, validateName } from '../../../catalog/index.js';
import { okStatus } from '../../status.js';
import type { CallContext, Handler } from '../context.js';
import { consistencyFromProto, consistencyToProto, decodeField, decodeSchema, fieldsFromProto, kvToObject, objectToKv, schemaToProto, type Kv } from '../convert.js';

const ok = okStatus;
const tsMs = (ts: string) => String(BigInt(ts) >> 18n);

function describe(c: CollectionMeta, ctx: CallContext) {
  return {
    status: ok,
    schema: schemaToProto(c, ctx.engine.collectionTimezone(c)),
    collectionID: String(c.id),
    virtual_channel_names: Array.from({ length: c.shardsNum }, (_, i) => `c${c.id}s${i}`),
    physical_channel_names: Array.from({ length: c.shardsNum }, (_, i) => `c${c.id}s${i}`),
    created_timestamp: c.createdTs,
    created_utc_timestamp: tsMs(c.createdTs),
    shards_num: c.shardsNum,
    aliases: [] as string[],
    start_positions: [],
    consistency_level: consistencyToProto(c.consistencyLevel),
    collection_name: c.name,
    properties: objectToKv(c.properties),
    db_name: c.db,
    // Fix: numPartitions is set only for partition-key collections (0 otherwise); Milvus,
    // like the engine's describeCollection, reports how many partitions there are.
    num_partitions: String(c.numPartitions || c.partitions.length),
    db_id: '0',
    update_timestamp: c.createdTs,
    update_timestamp_str: c.createdTs,
    ...(ctx ? {} : {}),
  };
}

async function describeWithAliases(name: string, ctx: CallContext) {
  // As Milvus: a malformed name is an error (1100), so pymilvus's has_collection raises.
  validateName('collection', name);
  const c = ctx.engine.collectionMeta({ collection_name: name, db_name: ctx.db });
  const aliases = (await ctx.engine.listAliases({ db_name: c.db, collection_name: c.name })).aliases;
  return { ...describe(c, ctx), aliases };
}

function loadStateNumber(s: string): number {
  return s === 'LoadStateLoaded' ? 3 : s === 'LoadStateLoading' ? 2 : 1;
}

export const catalogHandlers: Record<string, Handler> = {
  // ---- databases
  async CreateDatabase(r, ctx) {
    await ctx.engine.createDatabase({ db_name: r.db_name, properties: kvToObject(r.properties) });
    return ok as unknown as Record<string, unknown>;
  },
  async DropDatabase(r, ctx) {
    await ctx.engine.dropDatabase({ db_name: r.db_name });
    return ok as unknown as Record<string, unknown>;
  },
  async ListDatabases(_r, ctx) {
    const { db_names } = await ctx.engine.listDatabases();
    const described = await Promise.all(db_names.map((n) => ctx.engine.describeDatabase({ db_name: n })));
    return { status: ok, db_names, created_timestamp: described.map((d) => d.created_timestamp), db_ids: described.map((d) => String(d.dbID)) };
  },
  async DescribeDatabase(r, ctx) {
    const d = await ctx.engine.describeDatabase({ db_name: r.db_name || ctx.db });
    return { status: ok, db_name: d.db_name, dbID: String(d.dbID), created_timestamp: d.created_timestamp, properties: d.properties };
  },
  async AlterDatabase(r, ctx) {
    const db = r.db_name || ctx.db;
    // Milvus takes either properties to set or keys to delete (drop_database_properties).
    const deleteKeys: string[] = r.delete_keys ?? [];
    if (deleteKeys.length > 0 && (r.properties ?? []).length > 0) fail('INVALID_ARGUMENT', { detail: 'alter database takes properties to set or keys to delete, not both' });
    if (deleteKeys.length > 0) await ctx.engine.dropDatabaseProperties({ db_name: db, properties: deleteKeys });
    else await ctx.engine.alterDatabase({ db_name: db, properties: kvToObject(r.properties) });
    return ok as unknown as Record<string, unknown>;
  },

  // ---- collections
  async CreateCollection(r, ctx) {
    const schema = decodeSchema(r.schema);
    const props = kvToObject([...(r.properties ?? []), ...(schema.properties ?? [])] as Kv);
    const level = consistencyFromProto(r.consistency_level, false);
    await ctx.engine.createCollection({
      db_name: ctx.db,
      collection_name: r.collection_name,
      fields: fieldsFromProto(schema),
      description: schema.description,
      enable_dynamic_field: schema.enable_dynamic_field === true,
      shards_num: r.shards_num > 0 ? r.shards_num : undefined,
      num_partitions: schema.fields.some((f) => f.is_partition_key) && Number(r.num_partitions) > 0 ? Number(r.num_partitions) : undefined,
      consistency_level: level,
      properties: props,
    });
    return ok as unknown as Record<string, unknown>;
  },
  async DropCollection(r, ctx) {
    await ctx.engine.dropCollection({ db_name: ctx.db, collection_name: r.collection_name });
    return ok as unknown as Record<string, unknown>;
  },
  async HasCollection(r, ctx) {
    const { value } = await ctx.engine.hasCollection({ db_name: ctx.db, collection_name: r.collection_name });
    return { status: ok, value };
  },
  async DescribeCollection(r, ctx) {
    if (!r.collection_name && r.collectionID && r.collectionID !== '0') fail('NOT_SUPPORTED', { what: 'describing a collection by id' });
    try {
      return await describeWithAliases(r.collection_name, ctx);
    } catch (e) {
      // Milvus words this one differently (its metadata cache answers it); pymilvus's
      // has_collection reads the legacy CollectionNotExists code, which both carry.
      if (isElanusError(e, 'COLLECTION_NOT_FOUND')) throw new ElanusError('COLLECTION_NOT_FOUND_DESCRIBE', e.details);
      throw e;
    }
  },
  async BatchDescribeCollection(r, ctx) {
    const names: string[] = r.collection_name ?? [];
    const responses = await Promise.all(names.map((n) => describeWithAliases(n, ctx)));
    return { status: ok, responses };
  },
  async ShowCollections(r, ctx) {
    const { data } = await ctx.engine.showCollections({ db_name: ctx.db });
    const wanted: string[] = r.collection_names ?? [];
    let list = wanted.length > 0 ? data.filter((c) => wanted.includes(c.name)) : data;
    for (const w of wanted) if (!data.some((c) => c.name === w)) fail('COLLECTION_NOT_FOUND', { name: w, db: ctx.db });
    if (r.type === 1) list = list.filter((c) => c.loadedPercentage === 100);
    return {
      status: ok,
      collection_names: list.map((c) => c.name),
      collection_ids: list.map((c) => String(c.id)),
      created_timestamps: list.map((c) => c.timestamp),
      created_utc_timestamps: list.map((c) => tsMs(c.timestamp)),
      inMemory_percentages: list.map((c) => String(c.loadedPercentage)),
      query_service_available: list.map((c) => c.loadedPercentage === 100),
      shards_num: [],
    };
  },
  async RenameCollection(r, ctx) {
    await ctx.engine.renameCollection({ db_name: r.db_name || ctx.db, collection_name: r.oldName, new_collection_name: r.newName, new_db_name: r.newDBName || undefined });
    return ok as unknown as Record<string, unknown>;
  },
  async AlterCollection(r, ctx) {
    const req = { db_name: ctx.db, collection_name: r.collection_name };
    if ((r.properties ?? []).length > 0) await ctx.engine.alterCollection({ ...req, properties: kvToObject(r.properties) });
    if ((r.delete_keys ?? []).length > 0) await ctx.engine.dropCollectionProperties({ ...req, properties: r.delete_keys });
    if ((r.properties ?? []).length === 0 && (r.delete_keys ?? []).length === 0) ctx.engine.collectionMeta(req);
    return ok as unknown as Record<string, unknown>;
  },
  async AlterCollectionField(r, ctx) {
    const req = { db_name: ctx.db, collection_name: r.collection_name, field_name: r.field_name };
    const deleteKeys: string[] = r.delete_keys ?? [];
    if (deleteKeys.length > 0 && (r.properties ?? []).length > 0) fail('INVALID_ARGUMENT', { detail: 'alter collection field takes properties to set or keys to delete, not both' });
    if (deleteKeys.length > 0) await ctx.engine.dropCollectionFieldProperties({ ...req, properties: deleteKeys });
    else await ctx.engine.alterCollectionField({ ...req, properties: kvToObject(r.properties) });
    return ok as unknown as Record<string, unknown>;
  },
  async AddCollectionField(r, ctx) {
    await ctx.engine.addCollectionField({ db_name: ctx.db, collection_name: r.collection_name, field: decodeField(r.schema) });
    return ok as unknown as Record<string, unknown>;
  },
  async GetCollectionStatistics(r, ctx) {
    const s = await ctx.engine.getCollectionStatistics({ db_name: ctx.db, collection_name: r.collection_name });
    return { status: ok, stats: s.stats };
  },

  // ---- partitions
  async CreatePartition(r, ctx) {
    await ctx.engine.createPartition({ db_name: ctx.db, collection_name: r.collection_name, partition_name: r.partition_name });
    return ok as unknown as Record<string, unknown>;
  },
  async DropPartition(r, ctx) {
    await ctx.engine.dropPartition({ db_name: ctx.db, collection_name: r.collection_name, partition_name: r.partition_name });
    return ok as unknown as Record<string, unknown>;
  },
  async HasPartition(r, ctx) {
    const { value } = await ctx.engine.hasPartition({ db_name: ctx.db, collection_name: r.collection_name, partition_name: r.partition_name });
    return { status: ok, value };
  },
  async ShowPartitions(r, ctx) {
    const s = await ctx.engine.showPartitions({ db_name: ctx.db, collection_name: r.collection_name });
    const wanted: string[] = r.partition_names ?? [];
    const keep = s.partition_names.map((n, i) => i).filter((i) => wanted.length === 0 || wanted.includes(s.partition_names[i]!));
    for (const w of wanted) if (!s.partition_names.includes(w)) fail('PARTITION_NOT_FOUND', { name: w, collection: r.collection_name });
    return {
      status: ok,
      partition_names: keep.map((i) => s.partition_names[i]),
      partitionIDs: keep.map((i) => String(s.partitionIDs[i])),
      created_timestamps: keep.map((i) => s.created_utc_timestamps[i]),
      created_utc_timestamps: keep.map((i) => s.created_utc_timestamps[i]),
      inMemory_percentages: keep.map((i) => String(s.loadedPercentages[i])),
    };
  },
  async GetPartitionStatistics(r, ctx) {
    const s = await ctx.engine.getPartitionStatistics({ db_name: ctx.db, collection_name: r.collection_name, partition_name: r.partition_name });
    return { status: ok, stats: s.stats };
  },

  // ---- aliases
  async CreateAlias(r, ctx) {
    await ctx.engine.createAlias({ db_name: ctx.db, collection_name: r.collection_name, alias: r.alias });
    return ok as unknown as Record<string, unknown>;
  },
  async DropAlias(r, ctx) {
    await ctx.engine.dropAlias({ db_name: ctx.db, alias: r.alias });
    return ok as unknown as Record<string, unknown>;
  },
  async AlterAlias(r, ctx) {
    await ctx.engine.alterAlias({ db_name: ctx.db, collection_name: r.collection_name, alias: r.alias });
    return ok as unknown as Record<string, unknown>;
  },
  async DescribeAlias(r, ctx) {
    const a = await ctx.engine.describeAlias({ db_name: ctx.db, alias: r.alias });
    return { status: ok, db_name: a.db_name, alias: a.alias, collection: a.collection };
  },
  async ListAliases(r, ctx) {
    const a = await ctx.engine.listAliases({ db_name: ctx.db, collection_name: r.collection_name || undefined });
    return { status: ok, db_name: ctx.db, collection_name: r.collection_name ?? '', aliases: a.aliases };
  },

  // ---- load / release
  async LoadCollection(r, ctx) {
    await ctx.engine.loadCollection({ db_name: ctx.db, collection_name: r.collection_name, replica_number: r.replica_number, resource_groups: r.resource_groups });
    return ok as unknown as Record<string, unknown>;
  },
  async ReleaseCollection(r, ctx) {
    await ctx.engine.releaseCollection({ db_name: ctx.db, collection_name: r.collection_name });
    return ok as unknown as Record<string, unknown>;
  },
  async LoadPartitions(r, ctx) {
    await ctx.engine.loadPartitions({ db_name: ctx.db, collection_name: r.collection_name, partition_names: r.partition_names, replica_number: r.replica_number, resource_groups: r.resource_groups });
    return ok as unknown as Record<string, unknown>;
  },
  async ReleasePartitions(r, ctx) {
    await ctx.engine.releasePartitions({ db_name: ctx.db, collection_name: r.collection_name, partition_names: r.partition_names });
    return ok as unknown as Record<string, unknown>;
  },
  async GetLoadState(r, ctx) {
    const names: string[] = r.partition_names ?? [];
    const s = await ctx.engine.getLoadState({ db_name: ctx.db, collection_name: r.collection_name, partition_names: names.length ? names : undefined });
    return { status: ok, state: loadStateNumber(s.state) };
  },
  async GetLoadingProgress(r, ctx) {
    const names: string[] = r.partition_names ?? [];
    const p = await ctx.engine.getLoadingProgress({ db_name: ctx.db, collection_name: r.collection_name, partition_names: names.length ? names : undefined });
    return { status: ok, progress: String(p.progress), refresh_progress: String(p.progress) };
  },
};
