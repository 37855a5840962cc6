// Each on-disk limit at its boundary, where the producer enforces it: exactly at the
// limit is written, one byte over is refused before anything reaches a file (docs/LIMITS.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataType, type CollectionSchema } from '../../src/catalog/types.js';
import { checkIndexFileSize, indexFileBytesMax } from '../../src/engine/vector-indexes.js';
import { Shard } from '../../src/segments/shard.js';
import type { LogRecord } from '../../src/segments/records.js';
import { EmbeddedMetaStore, FsObjectStore, readObjectFrames, recordHeaderBytes, recordPayloadBytesMax } from '../../src/storage/index.js';
import { FaultFileSystem } from '../../src/testing/index.js';

const schema = { fields: [{ fieldId: 100, name: 'id', type: DataType.Int64, isPrimary: true }] } as unknown as CollectionSchema;

function shard(payloadBytesMax: number, appended: Uint8Array[]): Shard {
  return new Shard({
    collectionId: 1, index: 0, payloadBytesMax, schema: () => schema,
    log: { append: async (p) => appended.push(p) - 1 },
    // A record's encoding is its keys' text: its length is easy to set exactly.
    encode: (r: LogRecord) => new TextEncoder().encode((r.pks as string[]).join('')),
    newSegmentId: () => 1, segmentRowsMax: 100, segmentBytesMax: 1 << 20,
    onSealed: () => undefined, partitionExists: () => true,
  });
}

test('log record: exactly the limit is submitted, one byte over is BATCH_TOO_LARGE and appends nothing', async () => {
  const appended: Uint8Array[] = [];
  const s = shard(10, appended);
  const del = (text: string): LogRecord => ({ kind: 'delete', ts: 1n, pks: [text], partitionId: -1 });
  await s.submit(s.prepare(del('x'.repeat(10))));
  assert.throws(() => s.prepare(del('x'.repeat(11))), { code: 'BATCH_TOO_LARGE' });
  assert.equal(appended.length, 1);
});

test('metadata transaction: exactly the limit commits, one byte over is LIMIT_EXCEEDED and the journal is unchanged', async () => {
  const fs = new FaultFileSystem();
  // {"seq":1,"rev":1,"put":{"k":"\\"…\\""},"del":[]}: 45 bytes around the value's n
  // characters (the value is stored as JSON text, so its quotes are escaped); "k2" makes
  // it one more.
  const around = 45;
  const limit = 200;
  const store = await EmbeddedMetaStore.open({ fs, dir: '/meta', recordBytesMax: limit });
  await store.commit({ put: { k: 'x'.repeat(limit - around) } });
  await assert.rejects(store.commit({ put: { k2: 'x'.repeat(limit - around) } }), { code: 'LIMIT_EXCEEDED' });
  await store.commit({ put: { k3: 'y' } });
  await store.close();
  const again = await EmbeddedMetaStore.open({ fs, dir: '/meta', recordBytesMax: limit });
  assert.equal((again.get('k') as string).length, limit - around);
  assert.equal(again.get('k2'), undefined);
  assert.equal(again.get('k3'), 'y');
  await again.close();
});

test('index file: exactly indexFileBytesMax is written, one byte over is LIMIT_EXCEEDED', () => {
  const header = 16;
  assert.doesNotThrow(() => checkIndexFileSize(indexFileBytesMax - header));
  assert.throws(() => checkIndexFileSize(indexFileBytesMax - header + 1), { code: 'LIMIT_EXCEEDED' });
});

test('a frame header that claims more than the framing limit is damage, not an allocation', async () => {
  const store = await FsObjectStore.open({ fs: new FaultFileSystem(), dir: '/d' });
  const head = new Uint8Array(recordHeaderBytes);
  new DataView(head.buffer).setUint32(0, recordPayloadBytesMax + 1, true);
  await store.put('f', head);
  await assert.rejects(readObjectFrames(store, 'f', () => undefined), { code: 'CORRUPT_DATA' });
  await store.close();
});
