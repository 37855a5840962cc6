import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EmbeddedMetaStore, LocalMetaStore, frameRecord } from '../../src/storage/index.js';
import { FaultFileSystem, Random } from '../../src/testing/index.js';

test('transactions are all-or-nothing, durable, and survive reopen', async () => {
  const fs = new FaultFileSystem();
  let m = await EmbeddedMetaStore.open({ fs, dir: '/meta' });
  await m.commit({ put: { 'a/1': { x: 1 }, 'a/2': 2 } });
  await m.commit({ put: { 'a/3': 'three' }, del: ['a/1'] });
  assert.deepEqual(m.scan('a/'), [['a/2', 2], ['a/3', 'three']]);
  await m.close();
  m = await EmbeddedMetaStore.open({ fs, dir: '/meta' });
  assert.deepEqual(m.scan('a/'), [['a/2', 2], ['a/3', 'three']]);
  assert.equal(m.get('a/1'), undefined);
  await m.close();
});

test('concurrent commits share fsyncs (group commit) and all land', async () => {
  const fs = new FaultFileSystem();
  const m = await EmbeddedMetaStore.open({ fs, dir: '/meta' });
  const before = fs.opCount;
  await Promise.all(Array.from({ length: 100 }, (_, i) => m.commit({ put: { [`k/${i}`]: i } })));
  const ops = fs.opCount - before;
  assert.ok(ops < 50, `100 commits took ${ops} mutating operations`);
  assert.equal(m.scan('k/').length, 100);
  await m.close();
});

test('snapshots replace the journal and replay stays exact', async () => {
  const fs = new FaultFileSystem();
  let m = await EmbeddedMetaStore.open({ fs, dir: '/meta', journalBytesMax: 2000 });
  for (let i = 0; i < 300; i++) await m.commit({ put: { [`k/${i % 37}`]: i }, del: i % 5 === 0 ? [`k/${(i + 3) % 37}`] : [] });
  const expected = m.scan('k/');
  await m.close();
  m = await EmbeddedMetaStore.open({ fs, dir: '/meta', journalBytesMax: 2000 });
  assert.deepEqual(m.scan('k/'), expected);
  await m.close();
});

test('a torn journal tail is cut off; corruption in the middle refuses to open, naming the file and offset', async () => {
  const fs = new FaultFileSystem();
  const m = await EmbeddedMetaStore.open({ fs, dir: '/meta' });
  await m.commit({ put: { a: 1 } });
  await m.commit({ put: { b: 2 } });
  await m.close();
  const journal = await fs.readFile('/meta/journal');
  // Torn: half of a third record.
  const third = frameRecord(new TextEncoder().encode(JSON.stringify({ seq: 3, put: { c: '3' }, del: [] })));
  await fs.writeFile('/meta/journal', concat(journal, third.subarray(0, 10)));
  const m2 = await EmbeddedMetaStore.open({ fs, dir: '/meta' });
  assert.equal(m2.get('b'), 2);
  assert.equal(m2.get('c'), undefined);
  await m2.close();
  // Corrupt: flip a byte inside the first record's payload.
  const bad = (await fs.readFile('/meta/journal')).slice();
  bad[12] = bad[12]! ^ 0xff;
  await fs.writeFile('/meta/journal', bad);
  await assert.rejects(EmbeddedMetaStore.open({ fs, dir: '/meta' }), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'CORRUPT_DATA');
    assert.match(e.message, /\/meta\/journal at offset 0/);
    return true;
  });
});

test('power loss at every I/O point keeps every acknowledged commit', async () => {
  const run = async (fs: FaultFileSystem, acked: Map<string, number>) => {
    try {
      const m = await EmbeddedMetaStore.open({ fs, dir: '/meta', journalBytesMax: 600 });
      for (let i = 0; i < 60; i++) {
        await Promise.all([0, 1, 2].map(async (j) => {
          await m.commit({ put: { [`k/${j}`]: i } });
          acked.set(`k/${j}`, i);
        }));
      }
    } catch {
      // The injected crash.
    }
  };
  const dry = new FaultFileSystem();
  await run(dry, new Map());
  const total = dry.opCount;
  const rnd = new Random(11);
  for (let p = 0; p < 150; p++) {
    const fs = new FaultFileSystem({ seed: p });
    fs.crashAfter(rnd.int(total));
    const acked = new Map<string, number>();
    await run(fs, acked);
    fs.powerLoss();
    const m = await EmbeddedMetaStore.open({ fs, dir: '/meta' });
    for (const [k, v] of acked) {
      const got = m.get(k) as number;
      // A later, unacknowledged commit of the same key may have landed too.
      assert.ok(got !== undefined && got >= v, `point ${p}: ${k} is ${got}, acknowledged ${v}`);
    }
    await m.close();
  }
});

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

test('a folder written before revisions opens in the LocalMetaStore with revisions derived from it', async () => {
  const fs = new FaultFileSystem();
  await fs.mkdir('/meta');
  const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
  // The old formats: a snapshot of [key, JSON text] pairs, records without `rev`.
  await fs.writeFile('/meta/snapshot', frameRecord(enc({ seq: 5, entries: [['a', '1'], ['b', '"x"']] })));
  await fs.writeFile('/meta/journal', concat(frameRecord(enc({ seq: 6, put: { c: '2' }, del: ['a'] })), frameRecord(enc({ seq: 7, put: {}, del: ['missing'] }))));
  const m = await LocalMetaStore.open({ fs, dir: '/meta' });
  assert.deepEqual((await m.range('')).kvs.map((kv) => [kv.key, kv.value, kv.createRevision, kv.modRevision, kv.version]), [['b', '"x"', 5, 5, 1], ['c', '2', 6, 6, 1]]);
  assert.equal(await m.revision(), 6, 'the snapshot counts as revision 5; a record that changes nothing makes none');
  assert.equal(await m.put('d', '3'), 7);
  await m.close();
  const old = await EmbeddedMetaStore.open({ fs, dir: '/meta' });
  assert.deepEqual(old.scan(''), [['b', 'x'], ['c', 2], ['d', 3]], 'and the engine reads it as before');
  await old.close();
});
