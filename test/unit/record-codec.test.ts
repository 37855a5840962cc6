// A log record decodes the same from any byte container: a plain Uint8Array, a view at
// an odd offset, or a Node Buffer cut from a larger pooled buffer (records read back from
// JetStream and S3 arrive as Buffers). A Buffer's slice() is a view, not a copy; the
// codec once took it for a copy and read every record's keys from the start of the
// client's read buffer, so a replay over JetStream decoded garbage keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataType, type CollectionSchema, type FieldSchema } from '../../src/catalog/index.js';
import { decodeRecord, encodeRecord } from '../../src/segments/records.js';

const field = (fieldId: number, name: string, type: DataType, extra: Partial<FieldSchema> = {}): FieldSchema => ({
  fieldId, name, description: '', type, isPrimary: false, autoId: false, nullable: false, isPartitionKey: false, isDynamic: false, ...extra,
} as FieldSchema);

const schema = {
  fields: [field(100, 'id', DataType.Int64, { isPrimary: true }), field(101, 'score', DataType.Double), field(102, 'flag', DataType.Int32, { nullable: true })],
} as unknown as CollectionSchema;

test('a record decodes alike from a Uint8Array, an offset view and a pooled Buffer', () => {
  const ids = BigInt64Array.from([5n, 6n, 7n]);
  const bytes = encodeRecord({
    kind: 'insert', ts: 42n, count: 3, partitionId: 1, pks: [5, 6, 7],
    columns: [
      { fieldId: 100, values: ids },
      { fieldId: 101, values: Float64Array.from([0.5, 1.5, 2.5]) },
      { fieldId: 102, values: Int32Array.from([1, 0, 3]), valid: Uint8Array.from([0b101]) },
    ],
  });
  const offsetView = new Uint8Array(bytes.length + 3);
  offsetView.set(bytes, 3);
  // Buffer.from(string) and small Buffers come from Node's shared pool, at an offset.
  const pooled = Buffer.concat([Buffer.from('some bytes before the record'), Buffer.from(bytes)]).subarray(28);
  for (const [what, input] of [['Uint8Array', bytes], ['offset view', offsetView.subarray(3)], ['pooled Buffer', pooled]] as const) {
    const r = decodeRecord(input, schema, (col, n) => Array.from({ length: n }, (_, i) => Number((col.values as BigInt64Array)[i]!)), what);
    assert.equal(r.kind, 'insert', what);
    if (r.kind !== 'insert') continue;
    assert.deepEqual(r.pks, [5, 6, 7], what);
    assert.deepEqual([...(r.columns[1]!.values as Float64Array)], [0.5, 1.5, 2.5], what);
    assert.deepEqual([...(r.columns[2]!.values as Int32Array)], [1, 0, 3], what);
    assert.deepEqual([...r.columns[2]!.valid!], [0b101], what);
    assert.equal(r.ts, 42n, what);
  }
});
