// A partial upsert (Milvus 2.6's `partial_update`): each row carries its primary key and
// the fields it changes; every field it leaves out keeps the stored row's value. A key
// that is not stored is inserted, and then needs every field that has neither a default
// nor null allowed (MISSING_FIELD otherwise). Dynamic keys merge: the keys a row gives
// replace or join the stored row's, the others stay (Milvus's documented merge mode).
//
// Why the merge is atomic. The write path (writes.ts) takes the stored rows from each
// shard (ShardWriter.latestRows), merges, takes the timestamp and submits the records
// in ONE synchronous step, with no await in between. latestRows answers with the
// shard's applied rows and, over them, every record already submitted but still in
// flight, in log order. So the stored row a partial upsert merges with is exactly the
// row its own record replaces in the log: no other write to the key can come between
// the read and the write, and a serial order (the log's) explains every result. A
// record in flight that fails takes every record queued behind it down with it
// (segments/shard.ts drain), so a merge never outlives the row it was built on.
// This was preferred to a per-collection queue of partial upserts: a queue would have
// to await the shards' in-flight writes before reading (a barrier), and plain upserts,
// inserts and deletes, which do not go through it, could still slip in between.
import { fail } from '../errors/index.js';
import type { CollectionMeta, FieldSchema } from '../catalog/index.js';
import { type PartialBatch, type ValidatedBatch, checkJson } from '../gateway/validate.js';
import { type Column, type TypedValues, defaultColumn, widthOf } from '../segments/columns.js';
import type { StoredRow } from '../segments/shard.js';

/**
 * The full rows of a partial batch: each left-out field from `stored[r]` (the row key r
 * replaces), or, for a key not stored, the field's default or null. Fills the batch's
 * own columns (made for this request) and returns them as an ordinary batch.
 */
export function mergePartial(coll: CollectionMeta, batch: PartialBatch, stored: ReadonlyArray<StoredRow | undefined>): ValidatedBatch {
  const fields = coll.schema.fields;
  for (let c = 0; c < fields.length; c++) {
    const f = fields[c]!;
    const dst = batch.columns[c]!;
    if (f.isDynamic) {
      mergeDynamic(f, c, dst, stored);
      continue;
    }
    const given = batch.given[c];
    if (given === undefined) continue;
    // The value a new key takes for a left-out field: its default, else null.
    let fallback: Column | undefined;
    for (let r = 0; r < batch.count; r++) {
      if (given[r] === 1) continue;
      const old = stored[r];
      const src = old?.columns[c];
      if (old && src && src.fieldId === f.fieldId) {
        copyValue(f, dst, r, src, old.row);
        continue;
      }
      // A stored row written before field c was added reads c as a new row would.
      if (f.defaultValue === undefined && !f.nullable) fail('MISSING_FIELD', { field: f.name, row: r });
      fallback ??= defaultColumn(f, 1);
      copyValue(f, dst, r, fallback, 0);
    }
  }
  return { count: batch.count, columns: batch.columns, pks: batch.pks };
}

/** The stored row's dynamic keys, then the ones the request gives (the request's win). */
function mergeDynamic(f: FieldSchema, c: number, dst: Column, stored: ReadonlyArray<StoredRow | undefined>): void {
  const values = dst.values as Array<Record<string, unknown> | null>;
  for (let r = 0; r < values.length; r++) {
    const old = stored[r];
    const meta = old?.columns[c]?.values as ReadonlyArray<unknown> | undefined;
    const before = meta?.[old!.row];
    if (typeof before !== 'object' || before === null || Array.isArray(before)) continue;
    const merged = Object.assign({}, before, values[r] ?? {});
    // The merge may outgrow what one row's dynamic field may hold.
    values[r] = checkJson(f, merged, r) as Record<string, unknown>;
  }
}

/** Row `from` of `src` into row `to` of `dst`, both columns of field `f`. */
function copyValue(f: FieldSchema, dst: Column, to: number, src: Column, from: number): void {
  if (ArrayBuffer.isView(dst.values)) {
    const w = widthOf(f);
    const s = src.values as TypedValues;
    (dst.values as Uint8Array).set((s as Uint8Array).subarray(from * w, (from + 1) * w), to * w);
  } else {
    (dst.values as unknown[])[to] = (src.values as readonly unknown[])[from];
  }
  if (dst.valid) dst.valid[to] = src.valid ? src.valid[from]! : 1;
}
