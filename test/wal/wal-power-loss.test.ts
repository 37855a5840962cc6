// Power loss at every I/O point: a workload runs on the fault-injecting file system,
// the "process" dies after k mutating operations, the machine loses power (unsynced
// bytes are lost or torn), and the log is reopened (sometimes dying again during
// recovery). Every append whose promise resolved must be there, with its exact
// payload at its offset; offsets are dense; nothing follows a gap; acknowledged group
// changes and topic drops hold.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ElanusError, isElanusError } from '../../src/errors/index.js';
import { FaultFileSystem } from '../../src/testing/index.js';
import { Wal } from '../../src/wal/index.js';
import { payloadOf, readAll } from './helpers.js';

const dir = '/data/wal';
const options = { dir, segmentBytesMax: 160, batchBytesMax: 96 };

/** What the workload was told. */
interface Acks {
  /**
   * offset → payloads, for every append attempted on topic 't'. A refused append gives its
   * offset back, so a later append may be given the same one.
   */
  attempted: Map<number, Uint8Array[]>;
  acked: Set<number>;
  /** group → highest position acknowledged (by create, commit or seek). */
  positions: Map<string, number>;
  groupsCreated: Set<string>;
  destroyCalled: Set<string>;
  groupsDestroyed: Set<string>;
  droppedU: boolean;
}

function newAcks(): Acks {
  return { attempted: new Map(), acked: new Set(), positions: new Map(), groupsCreated: new Set(), destroyCalled: new Set(), groupsDestroyed: new Set(), droppedU: false };
}

/** A failure the crash explains: anything else is a bug. */
function expectCrash(e: unknown): void {
  if (isElanusError(e, 'STORAGE_IO') || isElanusError(e, 'CLOSED')) return;
  throw e;
}

/** Also what follows from an earlier call that the crash failed (a topic or group never made). */
function expectCrashOrMissing(e: unknown): void {
  if (isElanusError(e, 'TOPIC_NOT_FOUND') || isElanusError(e, 'CONSUMER_GROUP_NOT_FOUND')) return;
  expectCrash(e);
}

async function workload(wal: Wal, acks: Acks): Promise<void> {
  const pending: Promise<unknown>[] = [];
  const track = <T>(p: Promise<T>, onOk: (v: T) => void) => {
    pending.push(p.then(onOk, expectCrash));
  };
  const append = (i: number) => {
    const offset = wal.endOffset('t');
    const payload = payloadOf(i, 5 + (i % 23));
    const at = acks.attempted.get(offset);
    if (at) at.push(payload);
    else acks.attempted.set(offset, [payload]);
    track(wal.append('t', payload), (o) => {
      assert.equal(o, offset);
      acks.acked.add(o);
    });
  };
  const attempt = async (f: () => Promise<unknown>) => {
    try {
      await f();
    } catch (e) {
      expectCrashOrMissing(e);
    }
  };
  await attempt(() => wal.createTopic('u'));
  let n = 0;
  for (let round = 0; round < 8; round++) {
    // A burst of concurrent appends (group commit, segment rolls)...
    for (let i = 0; i < 3 + (round % 4); i++) append(n++);
    if (round === 1) {
      await attempt(async () => {
        await wal.createGroup('t', 'a', 'earliest');
        acks.groupsCreated.add('a');
        acks.positions.set('a', 0);
      });
      await attempt(() => wal.append('u', payloadOf(1000)));
    }
    if (round === 3) {
      // 'latest' while appends are in flight: the position names offsets not yet durable.
      const create = wal.createGroup('t', 'c', 'latest');
      append(n++);
      await attempt(async () => {
        await create;
        acks.groupsCreated.add('c');
      });
    }
    if (round === 2) {
      await attempt(async () => {
        await wal.createGroup('t', 'b', 'earliest');
        acks.groupsCreated.add('b');
        acks.positions.set('b', 0);
      });
    }
    await Promise.allSettled(pending);
    // ...then metadata changes racing the next burst.
    const durable = wal.durableEndOffset('t');
    if (round >= 2) {
      await attempt(async () => {
        const to = Math.max(acks.positions.get('a') ?? 0, durable - 2);
        await wal.commit('t', 'a', to);
        acks.positions.set('a', to);
      });
    }
    if (round === 4) {
      acks.destroyCalled.add('b');
      await attempt(async () => {
        await wal.destroyGroup('t', 'b');
        acks.groupsDestroyed.add('b');
      });
      await attempt(async () => {
        await wal.dropTopic('u');
        acks.droppedU = true;
      });
    }
    if (round === 5 || round === 7) await attempt(() => wal.retain('t'));
  }
  await Promise.allSettled(pending);
}

async function verify(wal: Wal, acks: Acks, context: string): Promise<void> {
  const records = await readAll(wal, 't');
  const start = wal.startOffset('t');
  const end = wal.endOffset('t');
  assert.equal(wal.durableEndOffset('t'), end, context);
  assert.deepEqual(records.map((r) => r.offset), Array.from({ length: end - start }, (_, i) => start + i), `${context}: dense offsets`);
  for (const r of records) {
    const tried = acks.attempted.get(r.offset) ?? [];
    assert.ok(tried.some((p) => Buffer.from(p).equals(Buffer.from(r.payload))), `${context}: payload at ${r.offset} was never appended there`);
    // An acknowledged offset holds the payload that was acknowledged: the last one tried there.
    if (acks.acked.has(r.offset)) assert.deepEqual(r.payload, tried.at(-1), `${context}: acknowledged payload at ${r.offset}`);
  }
  for (const o of acks.acked) {
    if (o >= start) continue;
    // Below the start only if retention removed it, which needs every group past it.
    for (const g of wal.groups('t')) assert.ok(wal.position('t', g) > o, `${context}: acked offset ${o} removed below group ${g}`);
  }
  const maxAcked = Math.max(-1, ...acks.acked);
  assert.ok(end > maxAcked, `${context}: end ${end} lost acked offset ${maxAcked}`);
  for (const g of acks.groupsCreated) {
    if (acks.destroyCalled.has(g)) continue;
    assert.ok(wal.groups('t').includes(g), `${context}: group ${g} lost`);
    assert.ok(wal.position('t', g) >= (acks.positions.get(g) ?? 0), `${context}: group ${g} went back`);
  }
  for (const g of acks.groupsDestroyed) assert.ok(!wal.groups('t').includes(g), `${context}: destroyed group ${g} came back`);
  for (const g of wal.groups('t')) {
    const p = wal.position('t', g);
    assert.ok(p >= start && p <= end, `${context}: group ${g} at ${p} outside [${start}, ${end}]`);
  }
  if (acks.droppedU) assert.ok(!wal.topics().includes('u'), `${context}: dropped topic came back`);
  // And the log goes on from where it is.
  assert.equal(await wal.append('t', payloadOf(9999)), end, context);
}

async function prepare(fs: FaultFileSystem): Promise<Wal> {
  const wal = await Wal.open({ fs, ...options });
  await wal.createTopic('t');
  return wal;
}

test('no acknowledged append, commit or drop is lost at any crash point', async () => {
  // How many mutating operations the whole workload performs.
  const probe = new FaultFileSystem({ seed: 0 });
  const probeWal = await prepare(probe);
  const before = probe.opCount;
  const probeAcks = newAcks();
  await workload(probeWal, probeAcks);
  const total = probe.opCount - before;
  assert.ok(total > 100, `the workload performs ${total} operations`);
  await verify(probeWal, probeAcks, 'no crash');
  await probeWal.close();

  let crashes = 0;
  for (let k = 0; k <= total; k++) {
    const fs = new FaultFileSystem({ seed: k + 1 });
    const wal = await prepare(fs);
    fs.crashAfter(k);
    const acks = newAcks();
    await workload(wal, acks);
    if (fs.crashed) crashes++;
    fs.powerLoss();
    // Every third crash point also dies during recovery, a few operations in.
    if (k % 3 === 0) {
      fs.crashAfter(k % 5);
      await Wal.open({ fs, ...options }).then(
        (w) => w.close(),
        (e: unknown) => expectCrash(e),
      );
      fs.powerLoss();
    }
    const reopened = await Wal.open({ fs, ...options });
    await verify(reopened, acks, `crash after ${k} operations`);
    await reopened.close();
  }
  assert.ok(crashes >= total - 2, `${crashes} of ${total + 1} runs crashed`);
});

test('an I/O error on fsync refuses the batch, cuts its bytes off, and the next append goes on at the same offset', async () => {
  const fs = new FaultFileSystem({ seed: 11 });
  const wal = await prepare(fs);
  assert.equal(await wal.append('t', payloadOf(0)), 0);
  fs.failNext('sync');
  const failed = wal.append('t', payloadOf(1));
  await assert.rejects(failed, { code: 'STORAGE_IO' });
  // The refused record's offset is given back; its bytes were cut off before this write.
  assert.equal(await wal.append('t', payloadOf(2)), 1);
  assert.deepEqual((await wal.read('t', 0, 10)).map((r) => r.payload), [payloadOf(0), payloadOf(2)]);
  await wal.close();
  fs.powerLoss();
  const again = await Wal.open({ fs, ...options });
  assert.equal(again.endOffset('t'), 2);
  assert.deepEqual((await again.read('t', 0, 10)).map((r) => r.payload), [payloadOf(0), payloadOf(2)]);
  await again.close();
  assert.ok(new ElanusError('STORAGE_IO', { path: 'x', detail: 'y' }).retryable);
});

test('once the fault clears and the log heals, a power loss never brings a refused record back', async () => {
  for (let seed = 1; seed <= 40; seed++) {
    const fs = new FaultFileSystem({ seed });
    const wal = await prepare(fs);
    assert.equal(await wal.append('t', payloadOf(0)), 0);
    // The write lands whole in the page cache; only its fsync fails.
    fs.setFault({ errno: 'EIO', ops: ['sync'] });
    await assert.rejects(wal.append('t', payloadOf(1)), { code: 'STORAGE_IO' });
    fs.clearFault();
    // What the engine's background pass does while degraded. (While the fault lasts, a
    // refused record whose bytes reached the disk could survive a power loss: nothing
    // can be made durable then, not even its removal.)
    assert.equal((await wal.probe()).length, 0);
    await wal.close();
    fs.powerLoss();
    const again = await Wal.open({ fs, ...options });
    assert.deepEqual((await again.read('t', 0, 10)).map((r) => r.payload), [payloadOf(0)], `seed ${seed}`);
    await again.close();
  }
});
