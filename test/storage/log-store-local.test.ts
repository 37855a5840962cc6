// The LogStore suite against the embedded implementation (wal/'s adapter): on a real
// folder, and on the fault-injecting file system where every restart is a power loss
// and the storage can die mid-write. Segment files are small, so that truncation (which
// removes whole files) has files to remove.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeFileSystem, joinPath, type LogStore } from '../../src/storage/index.js';
import { FaultFileSystem } from '../../src/testing/index.js';
import { Wal, WalLogStore } from '../../src/wal/index.js';
import { isElanusError } from '../../src/errors/index.js';
import { logStoreConformance } from './conformance/log-store.js';

const segmentBytesMax = 256;

logStoreConformance('WalLogStore on NodeFileSystem', async () => {
  const root = await mkdtemp(join(tmpdir(), 'elanus-log-'));
  const fs = new NodeFileSystem();
  const open = () => WalLogStore.open({ fs, dir: joinPath(root, 'log'), segmentBytesMax, payloadBytesMax: 4096 });
  return {
    open,
    reopen: async (s: LogStore) => {
      await s.close();
      return open();
    },
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
});

let seed = 1;
logStoreConformance('WalLogStore on FaultFileSystem (power loss at every restart)', async () => {
  const fs = new FaultFileSystem({ seed: seed++ });
  const open = () => WalLogStore.open({ fs, dir: '/data/log', segmentBytesMax, batchBytesMax: 128, payloadBytesMax: 4096 });
  return {
    open,
    reopen: async (s: LogStore) => {
      fs.powerLoss();
      await s.close().catch(() => undefined);
      return open();
    },
    crashAfter: (ops: number) => fs.crashAfter(ops),
    cleanup: async () => undefined,
  };
});

// Folders whose topics the engine wrote through the Wal directly, before it used the
// adapter: their records have no header and read back whole, without a key.
describe('WalLogStore on a log written before the adapter', () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  const dec = (b: Uint8Array) => new TextDecoder().decode(b);

  test('old records read back as they were written; new ones carry keys; notes go with drop and truncate', async () => {
    const fs = new FaultFileSystem({ seed: 7 });
    const dir = '/data/log';
    const wal = await Wal.open({ fs, dir, segmentBytesMax });
    await wal.createTopic('old');
    await wal.createTopic('gone');
    // A payload whose first bytes look like a header (format 1, key length 2).
    for (const p of ['a', '\u0001\u0002xyz', 'c']) await wal.append('old', enc(p));
    await wal.append('gone', enc('g'));
    await wal.close();

    let store = await WalLogStore.open({ fs, dir, segmentBytesMax });
    assert.deepEqual((await store.read('old', 0, 10)).map((e) => [e.position, dec(e.payload), e.idempotencyKey]), [
      [0, 'a', undefined], [1, '\u0001\u0002xyz', undefined], [2, 'c', undefined],
    ]);
    assert.equal(await store.append('old', enc('d'), { idempotencyKey: 'kd' }), 3);
    assert.equal(await store.append('old', enc('d'), { idempotencyKey: 'kd' }), 3, 'the key is remembered');
    await store.append('old', enc('e'));
    await store.dropStream('gone');
    await store.createStream('gone');
    await store.append('gone', enc('new'), { idempotencyKey: 'kn' });

    fs.powerLoss();
    await store.close().catch(() => undefined);
    store = await WalLogStore.open({ fs, dir, segmentBytesMax });
    const all = await store.read('old', 0, 10);
    assert.deepEqual(all.map((e) => [dec(e.payload), e.idempotencyKey]), [['a', undefined], ['\u0001\u0002xyz', undefined], ['c', undefined], ['d', 'kd'], ['e', undefined]]);
    // The topic made again after the drop has headers from its first record.
    assert.deepEqual((await store.read('gone', 0, 10)).map((e) => [dec(e.payload), e.idempotencyKey]), [['new', 'kn']]);
    assert.equal(await store.append('old', enc('d'), { idempotencyKey: 'kd' }), 3, 'the key is remembered across the restart');

    // Truncating past the old records drops their note; what is left still reads.
    for (let i = 0; i < 40; i++) await store.append('old', enc(`fill ${i} `.repeat(8)));
    const first = await store.truncate('old', 10);
    assert.ok(first > 3, `truncation removed the old records (first kept ${first})`);
    await store.close();
    store = await WalLogStore.open({ fs, dir, segmentBytesMax });
    const kept = await store.read('old', first, 100);
    assert.ok(kept.every((e) => dec(e.payload).startsWith('fill')), 'records past the old ones read with their headers taken off');
    await store.close();
  });

  test('a damaged notes file is CORRUPT_DATA naming it', async () => {
    const fs = new FaultFileSystem({ seed: 8 });
    const store = await WalLogStore.open({ fs, dir: '/data/log', segmentBytesMax });
    await store.close();
    await fs.writeFile('/data/log/headerless', enc('not framed'));
    await assert.rejects(WalLogStore.open({ fs, dir: '/data/log', segmentBytesMax }), (e: unknown) => isElanusError(e) && e.code === 'CORRUPT_DATA' && e.message.includes('headerless'));
  });
});
