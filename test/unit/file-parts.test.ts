// Rows in parts (segments/file-parts.ts): each part within its limit, cut exactly at the
// boundary, halved when an estimate was wrong, read back whole; files of one frame from
// before parts existed still read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataType, type FieldSchema } from '../../src/catalog/types.js';
import { encodeColumns } from '../../src/segments/codec.js';
import type { Column } from '../../src/segments/columns.js';
import { PartsReader, partPayloads } from '../../src/segments/file-parts.js';
import { FaultFileSystem } from '../../src/testing/index.js';
import { FsObjectStore, framedObject, readObjectFrames } from '../../src/storage/index.js';

const fields = new Map<number, FieldSchema>([
  [100, { fieldId: 100, type: DataType.Int64 } as FieldSchema],
  [101, { fieldId: 101, type: DataType.FloatVector, dim: 4 } as FieldSchema],
  [102, { fieldId: 102, type: DataType.VarChar, nullable: true } as FieldSchema],
]);

function columns(n: number, text: (i: number) => string = (i) => `s${i}`): Column[] {
  const valid = new Uint8Array(n).fill(1);
  valid[1] = 0;
  return [
    { fieldId: 100, values: BigInt64Array.from({ length: n }, (_, i) => BigInt(i)) },
    { fieldId: 101, values: Float32Array.from({ length: n * 4 }, (_, i) => i / 4) },
    { fieldId: 102, values: Array.from({ length: n }, (_, i) => (i === 1 ? null : text(i))), valid },
  ];
}

function readBack(payloads: Iterable<Uint8Array>): ReturnType<PartsReader['finish']> {
  const r = new PartsReader((id) => fields.get(id), 'test');
  for (const p of payloads) r.add(p);
  return r.finish();
}

/** Bytes per row that partPayloads estimates for columns(): 8 + 16 + (16 + 2 * length) + 1. */
const rowBytes = (len: number) => 8 + 16 + 16 + len * 2 + 1;

test('parts are cut at the target: rows that fill it exactly make one part, one row more makes two', () => {
  const n = 100;
  const text = () => 'abcd';
  const target = n * rowBytes(4);
  const exact = [...partPayloads({ x: 1 }, n, columns(n, text), { payloadBytesMax: 1 << 30, targetBytes: target })];
  assert.equal(exact.length, 1);
  const over = [...partPayloads({ x: 1 }, n + 1, columns(n + 1, text), { payloadBytesMax: 1 << 30, targetBytes: target })];
  assert.equal(over.length, 2);
  const back = readBack(over);
  assert.equal(back.count, n + 1);
  assert.deepEqual(back.meta, { x: 1 });
  assert.deepEqual(Array.from(back.columns[0]!.values as BigInt64Array).slice(-2), [99n, 100n]);
  assert.equal((back.columns[1]!.values as Float32Array).length, (n + 1) * 4);
  assert.equal((back.columns[1]!.values as Float32Array)[n * 4 + 3], n + 0.75);
  assert.deepEqual((back.columns[2]!.values as unknown[]).slice(0, 3), ['abcd', null, 'abcd']);
  assert.deepEqual(Array.from(back.columns[2]!.valid!.subarray(0, 3)), [1, 0, 1]);
});

test('a part whose encoding is over the limit is halved until every part fits', () => {
  // The estimate counts two bytes per character; escaped control characters take six.
  const n = 64;
  const text = (i: number) => '\u0001'.repeat(100) + i;
  const max = 4_000;
  const parts = [...partPayloads({}, n, columns(n, text), { payloadBytesMax: max, targetBytes: 1 << 20 })];
  assert.ok(parts.length > 1);
  for (const p of parts) assert.ok(p.length <= max, `a part of ${p.length} bytes`);
  const back = readBack(parts);
  assert.equal(back.count, n);
  assert.equal((back.columns[2]!.values as string[])[63], text(63));
});

test('a single row over the limit is refused with a coded error, not written', () => {
  const gen = partPayloads({}, 1, columns(1, () => 'x'.repeat(10_000)), { payloadBytesMax: 1_000 });
  assert.throws(() => [...gen], { code: 'LIMIT_EXCEEDED' });
});

test('a file of one frame without part headers (written before parts existed) reads as it did', async () => {
  const n = 10;
  const old = encodeColumns({ segment: 7 }, n, columns(n));
  const back = readBack([old]);
  assert.equal(back.count, n);
  assert.deepEqual(back.meta, { segment: 7 });
  const store = await FsObjectStore.open({ fs: new FaultFileSystem(), dir: '/d' });
  await store.put('f', framedObject([old]));
  let frames = 0;
  await readObjectFrames(store, 'f', () => { frames++; });
  assert.equal(frames, 1);
  await store.close();
});

test('parts out of order, missing or damaged are CORRUPT_DATA, never rows', async () => {
  const parts = [...partPayloads({}, 30, columns(30), { payloadBytesMax: 1 << 30, targetBytes: 10 * rowBytes(3) })];
  assert.equal(parts.length, 3);
  const r = new PartsReader((id) => fields.get(id), 'test');
  r.add(parts[0]!);
  assert.throws(() => r.add(parts[2]!), { code: 'CORRUPT_DATA' });
  const short = new PartsReader((id) => fields.get(id), 'test');
  short.add(parts[0]!);
  short.add(parts[1]!);
  assert.throws(() => short.finish(), { code: 'CORRUPT_DATA' });
  const store = await FsObjectStore.open({ fs: new FaultFileSystem(), dir: '/d' });
  const whole = framedObject(parts);
  // An object that ends inside its last frame (the store's own checksum is right).
  await store.put('f', whole.subarray(0, whole.length - 3));
  await assert.rejects(readObjectFrames(store, 'f', () => undefined), { code: 'CORRUPT_DATA' });
  await store.close();
});
