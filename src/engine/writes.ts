// The write path: validate, take a timestamp and submit one record per shard in one synchronous step; acknowledged once durable and applied.
// A role of the embedded engine (engine/README.md): its state is the engine core's,
// shared with the other roles; it reaches them only through core.roles.
import { fail } from '../errors/index.js';
import { DataType, collectionTtlSeconds, defaultPartition } from '../catalog/index.js';
import { expiredBefore } from '../tso/index.js';
import { type ColumnBatch, type ValidatedBatch, pkKeyOf, validateColumns, validateRows } from '../gateway/validate.js';
import { resolveFilter } from '../query/filter.js';
import type { PkKey } from '../segments/pk.js';
import type { InsertRecord } from '../segments/records.js';
import type { Segment } from '../segments/segment.js';
import type { PreparedWrite, ShardWriter } from '../gateway/roles.js';
import { type DeleteReq, type InsertReq, status } from '../gateway/requests.js';
import { crc32 } from 'node:zlib';
import { type EngineCore, exprParamsOf, shardRouter } from './core.js';
import { mergePartial } from './partial-upsert.js';

export class WriteRole {
  constructor(private readonly core: EngineCore) {}

  /** The write side of the data node serving each shard (the coordinator's placement). */
  private writersOf(collectionId: number, shards: number): ShardWriter[] {
    const placement = this.core.roles.placement;
    return placement.writeOwners(collectionId, shards).map((node) => placement.writer(node));
  }

  // ---------------------------------------------------------------- writes

  async insert(req: InsertReq): Promise<{ status: typeof status; succ_index: number[]; err_index: number[]; IDs: { int_id: { data: Array<number | string> } } | { str_id: { data: string[] } }; insert_cnt: number; timestamp: string }> {
    const r = await this.write(req, false);
    return { status, succ_index: r.ids.map((_, i) => i), err_index: [], IDs: r.idsOut, insert_cnt: r.ids.length, timestamp: r.ts.toString() };
  }

  /** With `partial_update: true`, a partial upsert: fields a row leaves out keep their stored values (partial-upsert.ts). */
  async upsert(req: InsertReq): Promise<{ status: typeof status; succ_index: number[]; err_index: number[]; IDs: { int_id: { data: Array<number | string> } } | { str_id: { data: string[] } }; upsert_cnt: number; timestamp: string }> {
    const partial = req.partial_update;
    if (partial !== undefined && typeof partial !== 'boolean') fail('INVALID_ARGUMENT', { detail: `partial_update must be true or false, got ${JSON.stringify(partial)}` });
    const r = await this.write(req, true, partial === true);
    return { status, succ_index: r.ids.map((_, i) => i), err_index: [], IDs: r.idsOut, upsert_cnt: r.ids.length, timestamp: r.ts.toString() };
  }

  /**
   * Validates, then — in one synchronous step — checks the catalog, takes a timestamp and
   * submits one record per shard. Acknowledged once every record is durable and applied.
   */
  private async write(req: InsertReq, upsert: boolean, partial = false) {
    const { coll, data } = this.core.live(req);
    const rows = req.data ?? req.fields_data;
    const keyField = coll.schema.fields.find((f) => f.isPartitionKey);
    if (keyField && req.partition_name !== undefined) fail('PARTITION_KEY_MODE', { collection: coll.name });
    const partition = keyField ? undefined : this.core.livePartition(coll, data, req.partition_name ?? defaultPartition);
    // Milvus 2.6: "Structs do not support upsert in merge mode"; an upsert that replaces whole rows does.
    const struct = partial ? coll.schema.fields.find((f) => f.type === DataType.ArrayOfStruct) : undefined;
    if (struct) fail('INVALID_ARGUMENT', { detail: `a partial upsert (partial_update) is not supported on a collection with an Array of Structs field ("${struct.name}"), as in Milvus; upsert whole rows` });
    const pkField = coll.schema.fields.find((f) => f.isPrimary)!;
    if (upsert && pkField.autoId && !req.columnar && !req.columns) {
      for (const [i, row] of (Array.isArray(rows) ? rows : []).entries()) {
        if (row && typeof row === 'object' && !(pkField.name in row)) fail('MISSING_FIELD', { field: pkField.name, row: i });
      }
    }
    const opts = { upsert, partial, timezone: this.core.timezoneOf(coll), autoIds: (n: number) => Array.from({ length: n }, () => this.core.tso.next()) };
    // Columns (the gRPC layer's decoded FieldData, or the SDK's column form) stay columns.
    const columnar = req.columnar ?? (req.columns !== undefined ? columnBatchOf(req.columns) : undefined);
    const given = columnar ? validateColumns(coll, columnar, opts) : validateRows(coll, rows, opts);
    const keyIndex = keyField ? coll.schema.fields.indexOf(keyField) : -1;
    const shardOf = shardRouter(data.shards.length);
    const byShard: number[][] = data.shards.map(() => []);
    for (let i = 0; i < given.count; i++) byShard[shardOf(given.pks[i]!)]!.push(i);
    const writers = this.writersOf(coll.id, data.shards.length);
    // From here to the submits: one synchronous step (a partial upsert's merge reads the
    // rows its records replace; partial-upsert.ts says why that makes it atomic).
    const ts = this.core.tso.next();
    // A stored row expired under the TTL is no row to merge with: as for a query at `ts`.
    const batch: ValidatedBatch = partial ? mergePartial(coll, given, this.storedRows(coll.id, writers, byShard, given.pks, expiredBefore(ts, collectionTtlSeconds(coll)))) : given;
    const prepared: PreparedWrite[] = [];
    for (let s = 0; s < byShard.length; s++) {
      const rowsOf = byShard[s]!;
      if (rowsOf.length === 0) continue;
      const sub = rowsOf.length === batch.count ? batch : subsetBatch(batch, rowsOf);
      let rowPartitions: Int32Array | undefined;
      if (keyField) {
        const values = sub.columns[keyIndex]!.values;
        rowPartitions = Int32Array.from({ length: sub.count }, (_, i) => coll.partitions[partitionIndex(values, i, coll.partitions.length)]!.id);
      }
      const record: InsertRecord = { kind: 'insert', ts, count: sub.count, columns: sub.columns, pks: sub.pks, partitionId: partition?.id ?? -1, rowPartitions };
      prepared.push(writers[s]!.prepare(coll.id, s, record));
    }
    // Every record is encoded and within the log's limit before the first is submitted.
    await Promise.all(prepared.map((p) => writers[p.shard]!.submit(p)));
    const ids = batch.pks;
    const idsOut = pkField.type === DataType.Int64
      ? { int_id: { data: ids.slice() } }
      : { str_id: { data: ids.map(String) } };
    return { ids, idsOut, ts };
  }

  /** For each row of a batch, the stored row its key would replace (the shards' latest state), unless written before `since` (expired). */
  private storedRows(collectionId: number, writers: readonly ShardWriter[], byShard: readonly number[][], pks: readonly PkKey[], since: bigint) {
    const out = new Array<ReturnType<ShardWriter['latestRows']>[number]>(pks.length);
    byShard.forEach((rowsOf, s) => {
      if (rowsOf.length === 0) return;
      const found = writers[s]!.latestRows(collectionId, s, rowsOf.map((i) => pks[i]!));
      rowsOf.forEach((i, k) => { const row = found[k]; out[i] = row && row.ts >= since ? row : undefined; });
    });
    return out;
  }

  async delete(req: DeleteReq): Promise<{ status: typeof status; delete_cnt: number; timestamp: string }> {
    const { coll, data } = this.core.live(req);
    const pkField = coll.schema.fields.find((f) => f.isPrimary)!;
    let keys: PkKey[];
    if (req.ids !== undefined) {
      if (!Array.isArray(req.ids)) fail('INVALID_ARGUMENT', { detail: 'ids must be an array' });
      keys = req.ids.map((v) => pkKeyOf(pkField, v));
    } else {
      const f = resolveFilter(coll.schema, req.filter ?? req.expr, exprParamsOf(req), coll.indexes, this.core.timezoneOf(coll));
      if (f.kind === 'all') fail('INVALID_ARGUMENT', { detail: 'delete needs ids or a filter; to remove every row, drop or truncate the collection' });
      if (f.kind === 'keys') keys = f.values.map((v) => pkKeyOf(pkField, v));
      else {
        // Delete by expression is "find the matching keys, delete them": every write
        // submitted before is applied first, then matching and submitting happen in one
        // synchronous step, so no write can slip between what was matched and the delete.
        const partitionId = req.partition_name === undefined ? undefined : this.core.livePartition(coll, data, req.partition_name).id;
        await data.barrier();
        return this.deleteMatching(req, f.test, partitionId);
      }
    }
    const partition = req.partition_name === undefined ? undefined : this.core.livePartition(coll, data, req.partition_name);
    keys = [...new Set(keys)];
    // Count what this delete will hide, as Milvus reports it, at the moment it is submitted.
    const ts = this.core.tso.next();
    const shardOf = shardRouter(data.shards.length);
    const byShard: PkKey[][] = data.shards.map(() => []);
    for (const k of keys) byShard[shardOf(k)]!.push(k);
    const writers = this.writersOf(coll.id, data.shards.length);
    const prepared: PreparedWrite[] = [];
    for (let s = 0; s < byShard.length; s++) {
      if (byShard[s]!.length === 0) continue;
      prepared.push(writers[s]!.prepare(coll.id, s, { kind: 'delete', ts, pks: byShard[s]!, partitionId: partition?.id ?? -1 }));
    }
    await Promise.all(prepared.map((p) => writers[p.shard]!.submit(p)));
    return { status, delete_cnt: keys.length, timestamp: ts.toString() };
  }

  /** The second half of a delete by expression; see delete(). No await before the submits. */
  private async deleteMatching(req: DeleteReq, test: (seg: Segment, row: number) => boolean, partitionId: number | undefined) {
    const { coll, data } = this.core.live(req);
    const at = this.core.collectionSafeTs(data);
    // Expired rows are gone for this read too: a delete by expression only names rows a
    // query at `at` would return.
    const since = expiredBefore(at, collectionTtlSeconds(coll));
    const ts = this.core.tso.next();
    let count = 0;
    const writers = this.writersOf(coll.id, data.shards.length);
    const prepared: PreparedWrite[] = [];
    // The matching scans the shards' segments in this same synchronous step, in process:
    // a data node elsewhere would answer a query for the keys first (as Milvus does), and
    // a write between the two could then escape the delete.
    for (const shard of data.shards) {
      const pks: PkKey[] = [];
      for (const seg of shard.segments()) {
        if (partitionId !== undefined && seg.partitionId !== partitionId) continue;
        for (let r = 0; r < seg.rowCount; r++) if (seg.visible(r, at, since) && test(seg, r)) pks.push(seg.pks[r]!);
      }
      count += pks.length;
      if (pks.length > 0) prepared.push(writers[shard.index]!.prepare(coll.id, shard.index, { kind: 'delete', ts, pks, partitionId: partitionId ?? -1 }));
    }
    await Promise.all(prepared.map((p) => writers[p.shard]!.submit(p)));
    return { status, delete_cnt: count, timestamp: ts.toString() };
  }
}

/** The SDK's column form (field name → values) as a batch of columns. */
function columnBatchOf(columns: Record<string, unknown[]>): ColumnBatch {
  if (typeof columns !== 'object' || columns === null || Array.isArray(columns)) fail('INVALID_ARGUMENT', { detail: 'columns must be an object of arrays' });
  const names = Object.keys(columns);
  for (const k of names) if (!Array.isArray(columns[k])) fail('INVALID_ARGUMENT', { detail: `column "${k}" must be an array` });
  const count = names.length === 0 ? 0 : columns[names[0]!]!.length;
  return { count, columns: new Map(names.map((k) => [k, { values: columns[k]! }])) };
}

function partitionIndex(values: unknown, i: number, n: number): number {
  const v = ArrayBuffer.isView(values) ? String((values as BigInt64Array)[i]) : String((values as readonly unknown[])[i]);
  return crc32(v) % n;
}

function subsetBatch(b: { count: number; columns: readonly import('../segments/columns.js').Column[]; pks: readonly PkKey[] }, rows: number[]) {
  const columns = b.columns.map((c) => {
    const values = c.values;
    let out: import('../segments/columns.js').Column['values'];
    if (ArrayBuffer.isView(values)) {
      const w = (values as Uint8Array).length / b.count;
      const t = new (values.constructor as new (n: number) => Uint8Array)(rows.length * w);
      rows.forEach((r, i) => t.set((values as Uint8Array).subarray(r * w, (r + 1) * w), i * w));
      out = t as unknown as import('../segments/columns.js').TypedValues;
    } else {
      out = rows.map((r) => (values as readonly unknown[])[r]);
    }
    return { fieldId: c.fieldId, values: out, valid: c.valid ? Uint8Array.from(rows, (r) => c.valid![r]!) : undefined };
  });
  return { count: rows.length, columns, pks: rows.map((r) => b.pks[r]!) };
}
