// The log through its public surface, on the in-memory fault file system and on the
// real one: round trips, dense offsets across restart, segment rolls and retention,
// group commit, and the order in which appends resolve.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Wal } from '../../src/wal/index.js';
import { CountingFileSystem, fsCases, payloadOf, readAll } from './helpers.js';

for (const c of fsCases) {
  describe(`wal on ${c.name}`, () => {
    test('append, read and reopen give the same records at dense offsets', async () => {
      const { fs, dir, cleanup } = await c.make();
      try {
        let wal = await Wal.open({ fs, dir });
        await wal.createTopic('shard-0');
        const offsets = await Promise.all(Array.from({ length: 100 }, (_, i) => wal.append('shard-0', payloadOf(i))));
        assert.deepEqual(offsets, Array.from({ length: 100 }, (_, i) => i));
        assert.equal(wal.endOffset('shard-0'), 100);
        assert.equal(wal.durableEndOffset('shard-0'), 100);
        assert.equal(wal.startOffset('shard-0'), 0);
        const first = await readAll(wal, 'shard-0');
        assert.deepEqual(first.map((r) => r.offset), offsets);
        for (const r of first) assert.deepEqual(r.payload, payloadOf(r.offset));
        const some = await wal.read('shard-0', 40, 5);
        assert.deepEqual(some.map((r) => r.offset), [40, 41, 42, 43, 44]);
        assert.deepEqual(await wal.read('shard-0', 100, 5), []);
        // An empty payload is a record too.
        assert.equal(await wal.append('shard-0', new Uint8Array(0)), 100);
        assert.deepEqual((await wal.read('shard-0', 100, 5)).map((r) => r.payload.length), [0]);
        first.push({ offset: 100, payload: new Uint8Array(0) });
        await wal.close();
        await wal.close(); // idempotent

        wal = await Wal.open({ fs, dir });
        assert.deepEqual(wal.topics(), ['shard-0']);
        assert.equal(wal.endOffset('shard-0'), 101);
        const again = await readAll(wal, 'shard-0');
        assert.deepEqual(again, first);
        assert.equal(await wal.append('shard-0', payloadOf(101)), 101);
        await wal.close();
      } finally {
        await cleanup();
      }
    });

    test('offsets stay dense and stable across segment rolls, retention and restart', async () => {
      const { fs, dir, cleanup } = await c.make();
      try {
        const opts = { fs, dir, segmentBytesMax: 256 };
        let wal = await Wal.open(opts);
        await wal.createTopic('t');
        for (let i = 0; i < 60; i++) assert.equal(await wal.append('t', payloadOf(i, 20)), i);
        const segments = (await fs.readdir(`${dir}/topics/t`)).filter((n) => n.endsWith('.log'));
        assert.ok(segments.length > 5, `expected several segments, got ${segments.length}`);
        await wal.createGroup('t', 'g', 'earliest');
        await wal.commit('t', 'g', 33);
        const start = await wal.retain('t');
        assert.ok(start > 0 && start <= 33, `start ${start}`);
        assert.equal(wal.startOffset('t'), start);
        await wal.close();

        wal = await Wal.open(opts);
        assert.equal(wal.startOffset('t'), start);
        assert.equal(wal.endOffset('t'), 60);
        assert.equal(wal.position('t', 'g'), 33);
        const records = await readAll(wal, 't');
        assert.deepEqual(records.map((r) => r.offset), Array.from({ length: 60 - start }, (_, i) => start + i));
        for (const r of records) assert.deepEqual(r.payload, payloadOf(r.offset, 20));
        assert.equal(await wal.append('t', payloadOf(60, 20)), 60);
        await wal.close();
      } finally {
        await cleanup();
      }
    });

    test('group commit: concurrent appends share few fsyncs and resolve in offset order', async () => {
      const { fs, dir, cleanup } = await c.make();
      try {
        const counting = new CountingFileSystem(fs);
        const wal = await Wal.open({ fs: counting, dir });
        await wal.createTopic('t');
        const before = counting.fileSyncs;
        const n = 500;
        const resolved: number[] = [];
        const all = Array.from({ length: n }, (_, i) => wal.append('t', payloadOf(i)).then((o) => {
          resolved.push(o);
          return o;
        }));
        assert.equal(wal.endOffset('t'), n, 'offsets are assigned at call time');
        const offsets = await Promise.all(all);
        assert.deepEqual(offsets, Array.from({ length: n }, (_, i) => i));
        assert.deepEqual(resolved, offsets, 'promises resolve in offset order');
        const syncs = counting.fileSyncs - before;
        assert.ok(syncs <= 2, `${n} appends took ${syncs} fsyncs`);
        await wal.close();
      } finally {
        await cleanup();
      }
    });
  });
}

test('appends made while an fsync is in flight are written together and share the next fsync', async () => {
  const { fs, dir, cleanup } = await fsCases[0]!.make();
  try {
    const counting = new CountingFileSystem(fs);
    const wal = await Wal.open({ fs: counting, dir });
    await wal.createTopic('t');
    const syncs0 = counting.fileSyncs;
    const writes0 = counting.writes;
    let release!: () => void;
    counting.syncGate = new Promise<void>((r) => (release = r));
    const syncRequested = new Promise<void>((r) => (counting.onSync = r));
    const resolved: number[] = [];
    const first = wal.append('t', payloadOf(0)).then((o) => resolved.push(o));
    await syncRequested; // the first batch's fsync is in flight
    counting.onSync = undefined;
    const rest = Array.from({ length: 50 }, (_, i) => wal.append('t', payloadOf(i + 1)).then((o) => resolved.push(o)));
    assert.equal(wal.durableEndOffset('t'), 0, 'nothing is durable before its fsync');
    counting.syncGate = undefined;
    release();
    await Promise.all([first, ...rest]);
    assert.equal(counting.fileSyncs - syncs0, 2, 'one fsync for the first append, one for the fifty that waited');
    assert.equal(counting.writes - writes0, 2, 'the waiting appends went out in one write');
    assert.deepEqual(resolved, Array.from({ length: 51 }, (_, i) => i));
    await wal.close();
  } finally {
    await cleanup();
  }
});

test('batchBytesMax splits a large group commit into several writes', async () => {
  const { fs, dir, cleanup } = await fsCases[0]!.make();
  try {
    const counting = new CountingFileSystem(fs);
    const wal = await Wal.open({ fs: counting, dir, batchBytesMax: 1024 });
    await wal.createTopic('t');
    const writes0 = counting.writes;
    // 100 records of 100 bytes (+16 bytes of framing each) → at least 12 batches of <= 1 KiB.
    const offsets = await Promise.all(Array.from({ length: 100 }, (_, i) => wal.append('t', payloadOf(i, 100))));
    assert.deepEqual(offsets, Array.from({ length: 100 }, (_, i) => i));
    const writes = counting.writes - writes0;
    assert.ok(writes >= 12 && writes <= 14, `writes ${writes}`);
    // A record larger than the batch limit still goes through, alone.
    assert.equal(await wal.append('t', payloadOf(100, 5000)), 100);
    assert.deepEqual((await wal.read('t', 100, 1))[0]!.payload, payloadOf(100, 5000));
    await wal.close();
  } finally {
    await cleanup();
  }
});
