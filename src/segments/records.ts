// Log records: what a shard's topic holds. Each record is one transaction, applied
// whole or not at all:
//   insert  rows at one timestamp; a row whose key is visible replaces it (an upsert is
//           exactly this: delete + insert at one timestamp)
//   delete  primary keys at one timestamp, optionally only within one partition
import { ElanusError } from '../errors/index.js';
import { DataType, type CollectionSchema, type FieldSchema } from '../catalog/types.js';
import { type Column, defaultColumn } from './columns.js';
import { decodeColumns, encodeColumns } from './codec.js';
import type { PkKey } from './pk.js';

export interface InsertRecord {
  readonly kind: 'insert';
  readonly ts: bigint;
  readonly count: number;
  /** Schema order. */
  readonly columns: readonly Column[];
  readonly pks: readonly PkKey[];
  /** The partition of every row, or one partition for all. */
  readonly partitionId: number;
  readonly rowPartitions?: Int32Array;
}

export interface DeleteRecord {
  readonly kind: 'delete';
  readonly ts: bigint;
  readonly pks: readonly PkKey[];
  /** -1: every partition. */
  readonly partitionId: number;
}

export type LogRecord = InsertRecord | DeleteRecord;

const partitionsFieldId = 2;
const partitionsField: FieldSchema = Object.freeze({
  fieldId: partitionsFieldId, name: '$partition', description: '', type: DataType.Int32,
  isPrimary: false, autoId: false, nullable: false, isPartitionKey: false, isDynamic: false,
});

export function encodeRecord(r: LogRecord): Uint8Array {
  if (r.kind === 'insert') {
    const cols = r.rowPartitions ? [...r.columns, { fieldId: partitionsFieldId, values: r.rowPartitions }] : r.columns;
    return encodeColumns({ k: 'i', ts: r.ts.toString(), p: r.partitionId }, r.count, cols);
  }
  return encodeColumns({ k: 'd', ts: r.ts.toString(), p: r.partitionId }, r.pks.length, [{ fieldId: 0, values: r.pks as unknown[] }]);
}

export function decodeRecord(buf: Uint8Array, schema: CollectionSchema, pkKeysOf: (col: Column, n: number) => PkKey[], where: string): LogRecord {
  const byId = new Map(schema.fields.map((f) => [f.fieldId, f]));
  byId.set(partitionsFieldId, partitionsField);
  const d = decodeColumns(buf, (id) => byId.get(id), where);
  const ts = BigInt(d.meta.ts as string);
  const partitionId = d.meta.p as number;
  if (d.meta.k === 'd') return { kind: 'delete', ts, partitionId, pks: d.columns[0]!.values as PkKey[] };
  if (d.meta.k !== 'i') throw new ElanusError('CORRUPT_DATA', { path: where, offset: 0, detail: `unknown record kind ${String(d.meta.k)}` });
  const got = new Map(d.columns.map((c) => [c.fieldId, c]));
  const rowPartitions = got.get(partitionsFieldId)?.values as Int32Array | undefined;
  // A field added to the schema after this record was written reads as null (or its default).
  const columns = schema.fields.map((f) => got.get(f.fieldId) ?? defaultColumn(f, d.count));
  const pkIndex = schema.fields.findIndex((f) => f.isPrimary);
  return { kind: 'insert', ts, count: d.count, columns, partitionId, rowPartitions, pks: pkKeysOf(columns[pkIndex]!, d.count) };
}
