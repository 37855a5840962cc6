// A segment: rows of one partition of one shard, column by column, with each row's
// insert timestamp and the timestamp at which it stopped being visible (deleted or
// replaced). Growing segments append; sealed ones are frozen in memory and become
// "flushed" once their file is named by committed metadata.
//
// Visibility at timestamp T: ts[i] <= T < deleteTs[i]. Only deleteTs changes after a row
// is written, and only from MAX to a smaller value, by the shard that owns the segment.
// A read of a collection with a TTL also passes `since` (tso expiredBefore): rows written
// before it have expired for that read (since = 0 when nothing expires).
import { assert } from '../errors/index.js';
import type { CollectionSchema, FieldSchema } from '../catalog/types.js';
import { type Column, ColumnBuilder, defaultColumn } from './columns.js';
import type { PkKey } from './pk.js';

export const tsMax = 2n ** 63n - 1n;

export type SegmentState = 'growing' | 'sealed' | 'flushed' | 'dropped';

export interface SegmentInit {
  id: number;
  partitionId: number;
  shard: number;
  schema: CollectionSchema;
  /** Log offset of the first record whose rows it holds. */
  startOffset: number;
}

export class Segment {
  readonly id: number;
  readonly partitionId: number;
  readonly shard: number;
  /** The schema its columns follow; grows (never shrinks) when fields are added. */
  schema: CollectionSchema;
  state: SegmentState = 'growing';
  readonly startOffset: number;
  /** Log offset of the last record whose rows it holds. */
  endOffset: number;
  /** File name (relative to the data folder) once flushed. */
  file: string | undefined;
  fileBytes = 0;
  /** Compaction wrote this segment dropping every row deleted at or before this ts. */
  cleanTs = 0n;

  private builders: ColumnBuilder[] | undefined;
  private sealedColumns: Column[] | undefined;
  /** Primary key of each row. Appended to only while growing; never changed after. */
  private pkList: PkKey[] = [];
  private tsCol: BigInt64Array;
  private delCol: BigInt64Array;
  /** 1 where deleteTs is set: reading the latest state needs only this byte, not two 64-bit timestamps. */
  private deleted: Uint8Array;
  private rows = 0;
  /** Rows whose deleteTs is set, and the largest such deleteTs: fast paths for counts. */
  deletedRows = 0;
  maxDeleteTs = 0n;
  minTs = tsMax;
  maxTs = 0n;

  constructor(init: SegmentInit) {
    this.id = init.id;
    this.partitionId = init.partitionId;
    this.shard = init.shard;
    this.schema = init.schema;
    this.startOffset = init.startOffset;
    this.endOffset = init.startOffset;
    this.builders = init.schema.fields.map((f) => new ColumnBuilder(f));
    this.tsCol = new BigInt64Array(64);
    this.delCol = new BigInt64Array(64).fill(tsMax);
    this.deleted = new Uint8Array(64);
  }

  /** Builds a sealed segment from stored columns (recovery and compaction). */
  static sealedFrom(init: SegmentInit, columns: Column[], pks: PkKey[], ts: BigInt64Array, endOffset: number): Segment {
    const s = new Segment(init);
    s.builders = undefined;
    s.sealedColumns = columns;
    // Taken over, not copied: a spread into push() overflows the stack past ~125k rows.
    s.pkList = pks;
    s.rows = pks.length;
    s.tsCol = ts;
    s.delCol = new BigInt64Array(pks.length).fill(tsMax);
    s.deleted = new Uint8Array(pks.length);
    s.endOffset = endOffset;
    s.state = 'sealed';
    for (const t of ts) {
      if (t < s.minTs) s.minTs = t;
      if (t > s.maxTs) s.maxTs = t;
    }
    return s;
  }

  get pks(): readonly PkKey[] {
    return this.pkList;
  }

  get rowCount(): number {
    return this.rows;
  }

  /** Appends rows [from, to) of `columns` (schema order), all inserted at `ts`. */
  append(columns: readonly Column[], pks: readonly PkKey[], from: number, to: number, ts: bigint, offset: number): number {
    assert(this.state === 'growing' && this.builders, `append to a ${this.state} segment`);
    const first = this.rows;
    // A record written before a field was added lacks that (last) column.
    for (let c = 0; c < this.builders.length; c++) {
      const col = columns[c] ?? defaultColumn(this.schema.fields[c]!, to);
      this.builders[c]!.appendFrom(col, from, to);
    }
    const n = to - from;
    this.reserve(first + n);
    this.tsCol.fill(ts, first, first + n);
    for (let i = from; i < to; i++) this.pkList.push(pks[i]!);
    this.rows += n;
    this.endOffset = offset;
    if (ts < this.maxTs) this.tsSorted = false;
    if (ts < this.minTs) this.minTs = ts;
    if (ts > this.maxTs) this.maxTs = ts;
    return first;
  }

  private reserve(rows: number): void {
    if (this.tsCol.length >= rows) return;
    let cap = this.tsCol.length;
    while (cap < rows) cap *= 2;
    const ts = new BigInt64Array(cap);
    ts.set(this.tsCol);
    const del = new BigInt64Array(cap).fill(tsMax);
    del.set(this.delCol);
    const flags = new Uint8Array(cap);
    flags.set(this.deleted);
    this.deleted = flags;
    this.tsCol = ts;
    this.delCol = del;
  }

  /** Marks row `i` invisible from `ts` on. Returns false when it already was. */
  markDeleted(i: number, ts: bigint): boolean {
    if (this.delCol[i]! <= ts) return false;
    if (this.delCol[i] === tsMax) this.deletedRows++;
    this.delCol[i] = ts;
    this.deleted[i] = 1;
    if (ts > this.maxDeleteTs) this.maxDeleteTs = ts;
    return true;
  }

  /**
   * Follows a schema that gained fields (added at the end): rows stored before read
   * each new field as its default, or null. Only sealed segments: a growing one is
   * sealed first, since its builders follow the schema it was created with.
   */
  conform(schema: CollectionSchema): void {
    if (schema.fields.length <= this.schema.fields.length) return;
    assert(this.sealedColumns, 'conform of a growing segment');
    for (let i = this.schema.fields.length; i < schema.fields.length; i++) this.sealedColumns.push(defaultColumn(schema.fields[i]!, this.rows));
    this.schema = schema;
  }

  seal(): void {
    assert(this.state === 'growing' && this.builders, 'seal of a segment that is not growing');
    this.sealedColumns = this.builders.map((b) => b.freeze());
    this.builders = undefined;
    this.tsCol = this.tsCol.slice(0, this.rows);
    this.delCol = this.delCol.slice(0, this.rows);
    this.deleted = this.deleted.slice(0, this.rows);
    this.state = 'sealed';
  }

  tsAt(i: number): bigint {
    return this.tsCol[i]!;
  }

  deleteTsAt(i: number): bigint {
    return this.delCol[i]!;
  }

  visible(i: number, at: bigint, since: bigint): boolean {
    // No row read from the column when none can have expired (always so without a TTL).
    if (since > this.minTs && this.tsCol[i]! < since) return false;
    // Reading at or after every insert and delete of this segment (the common case):
    // a row is visible exactly when it was never deleted.
    if (at >= this.maxTs && at >= this.maxDeleteTs) return this.deleted[i] === 0;
    return this.tsCol[i]! <= at && this.delCol[i]! > at;
  }

  private liveCache: { rows: number; deletedRows: number; mask: Uint8Array } | undefined;
  /** Rows were appended in timestamp order (always so in log order; checked, not assumed). */
  private tsSorted = true;

  /**
   * When the rows inserted at or before `at` are exactly the first n (rows appended in
   * timestamp order), that n; else undefined. A growing segment read at a timestamp
   * before its latest appends sees such a prefix.
   */
  insertedPrefix(at: bigint): number | undefined {
    if (!this.tsSorted || this.builders === undefined) return undefined;
    let lo = 0;
    let hi = this.rows;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.tsCol[mid]! <= at) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * One byte per row, 1 where the row is not deleted: the rows visible to any read at or
   * after every insert and delete of this segment. Cached until the next delete or append;
   * a new array is made then, so a holder's copy never changes under it.
   */
  liveMask(): Uint8Array {
    const c = this.liveCache;
    if (c && c.rows === this.rows && c.deletedRows === this.deletedRows) return c.mask;
    const mask = new Uint8Array(this.rows);
    const del = this.deleted;
    for (let i = 0; i < this.rows; i++) mask[i] = del[i]! ^ 1;
    this.liveCache = { rows: this.rows, deletedRows: this.deletedRows, mask };
    return mask;
  }

  /** True when every row's visibility at `at` is decided by deleteTs alone being MAX. */
  allInsertedBy(at: bigint): boolean {
    return this.maxTs <= at;
  }

  /** True when no row was written before `since`: none has expired for a read from `since`. */
  noneExpired(since: bigint): boolean {
    return this.minTs >= since;
  }

  /** True when every row was written before `since`: all have expired for a read from `since`. */
  allExpired(since: bigint): boolean {
    return this.rows > 0 && this.maxTs < since;
  }

  /** Rows visible at `at` and not expired for a read from `since`. */
  countVisible(at: bigint, since: bigint): number {
    if (this.rows === 0 || this.allExpired(since)) return 0;
    if (this.maxTs <= at && this.maxDeleteTs <= at && this.noneExpired(since)) return this.rows - this.deletedRows;
    let n = 0;
    for (let i = 0; i < this.rows; i++) if (this.visible(i, at, since)) n++;
    return n;
  }

  /** Column of a field (a view that is valid until the next append). */
  column(index: number): Column {
    if (index >= this.schema.fields.length) {
      // A field added a moment ago, before this segment was conformed: all null.
      return { fieldId: -1, values: new Array(this.rows).fill(null), valid: new Uint8Array(this.rows) };
    }
    if (this.sealedColumns) return this.sealedColumns[index]!;
    return this.builders![index]!.view();
  }

  columns(): Column[] {
    return this.schema.fields.map((_, i) => this.column(i));
  }

  timestamps(): BigInt64Array {
    return this.tsCol.subarray(0, this.rows);
  }

  field(index: number): FieldSchema {
    return this.schema.fields[index]!;
  }

  /** Bytes held in memory (columns, timestamps, primary keys), for accounting. */
  memoryBytes(): number {
    let b = this.tsCol.byteLength + this.delCol.byteLength + this.deleted.byteLength + this.pkList.length * 16;
    if (this.builders) for (const c of this.builders) b += c.bytes();
    else for (const c of this.sealedColumns!) b += columnBytes(c);
    return b;
  }
}

function columnBytes(c: Column): number {
  let b = c.valid?.byteLength ?? 0;
  if (ArrayBuffer.isView(c.values)) b += c.values.byteLength;
  else for (const v of c.values) b += typeof v === 'string' ? 16 + v.length * 2 : 16 + JSON.stringify(v ?? null).length * 2;
  return b;
}
