// Notifications: asynchronous, never re-entrant, merged, never delivered to a closed
// subscription or a group being destroyed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FaultFileSystem } from '../../src/testing/index.js';
import { Wal } from '../../src/wal/index.js';
import { payloadOf } from './helpers.js';

async function openWal() {
  const wal = await Wal.open({ fs: new FaultFileSystem({ seed: 5 }), dir: '/wal' });
  await wal.createTopic('t');
  await wal.createGroup('t', 'g', 'earliest');
  return wal;
}

/** Lets every pending microtask and I/O step run. */
const settle = () => new Promise<void>((r) => setImmediate(r));

test('a subscriber is told about durable records, asynchronously, and catches up by reading from its position', async () => {
  const wal = await openWal();
  const seen: number[] = [];
  let calls = 0;
  let inside = false;
  const sub = wal.subscribe('t', 'g', async () => {
    assert.equal(inside, false, 'never re-entrant');
    inside = true;
    calls++;
    for (;;) {
      const records = await wal.read('t', wal.position('t', 'g'), 4);
      if (records.length === 0) break;
      seen.push(...records.map((r) => r.offset));
      await wal.commit('t', 'g', records.at(-1)!.offset + 1);
    }
    inside = false;
  });
  assert.equal(calls, 0, 'nothing to tell yet');
  const appends = Array.from({ length: 25 }, (_, i) => wal.append('t', payloadOf(i)));
  assert.equal(calls, 0, 'not called synchronously');
  await Promise.all(appends);
  for (let i = 0; i < 10 && wal.position('t', 'g') < 25; i++) await settle();
  assert.deepEqual(seen, Array.from({ length: 25 }, (_, i) => i));
  assert.ok(calls >= 1 && calls <= 3, `hints are merged (${calls} calls)`);
  sub.close();
  assert.equal(sub.state, 'closed');
  sub.close();
  await wal.append('t', payloadOf(99));
  await settle();
  assert.equal(seen.length, 25, 'a closed subscription hears nothing');
  await wal.close();
});

test('a subscription with a backlog is told at once; close() inside the callback is "closing" until it returns', async () => {
  const wal = await openWal();
  await wal.append('t', payloadOf(0));
  const states: string[] = [];
  let release!: () => void;
  const sub = wal.subscribe('t', 'g', async () => {
    sub.close();
    states.push(sub.state);
    await new Promise<void>((r) => (release = r));
  });
  await settle();
  assert.deepEqual(states, ['closing']);
  assert.equal(sub.state, 'closing');
  release();
  await settle();
  assert.equal(sub.state, 'closed');
  await wal.close();
});

test('destroyGroup closes its subscriptions at once; a delivery already scheduled is dropped', async () => {
  const wal = await openWal();
  await wal.append('t', payloadOf(0));
  let calls = 0;
  // There is a backlog, so subscribing schedules a delivery (a microtask)...
  const sub = wal.subscribe('t', 'g', () => {
    calls++;
  });
  // ...which the destroy, in the same synchronous run, must cancel.
  const d = wal.destroyGroup('t', 'g');
  assert.equal(sub.state, 'closed');
  await d;
  await settle();
  assert.equal(calls, 0);
  await wal.close();
});

test('a callback that throws closes its subscription and keeps the error; nothing escapes', async () => {
  const wal = await openWal();
  const sub = wal.subscribe('t', 'g', () => {
    throw new Error('consumer bug');
  });
  const asyncSub = wal.subscribe('t', 'g', async () => {
    throw new Error('async consumer bug');
  });
  await wal.append('t', payloadOf(0));
  await settle();
  assert.equal(sub.state, 'closed');
  assert.equal(asyncSub.state, 'closed');
  assert.equal((sub.error as Error).message, 'consumer bug');
  assert.equal((asyncSub.error as Error).message, 'async consumer bug');
  await wal.close();
});

test('a seek backwards wakes the group up again', async () => {
  const wal = await openWal();
  await wal.append('t', payloadOf(0));
  await wal.commit('t', 'g', 1);
  let calls = 0;
  wal.subscribe('t', 'g', () => {
    calls++;
  });
  await settle();
  assert.equal(calls, 0, 'nothing beyond the position');
  await wal.seek('t', 'g', 0);
  await settle();
  assert.equal(calls, 1);
  await wal.close();
});
