// Every invalid call is a coded error, never a crash and never a silent success.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FaultFileSystem } from '../../src/testing/index.js';
import { Wal } from '../../src/wal/index.js';
import { payloadOf } from './helpers.js';

async function openWal(opts: { segmentBytesMax?: number } = {}) {
  const fs = new FaultFileSystem({ seed: 3 });
  const wal = await Wal.open({ fs, dir: '/wal', ...opts });
  await wal.createTopic('t');
  return { fs, wal };
}

test('an unknown topic is TOPIC_NOT_FOUND for every call', async () => {
  const { wal } = await openWal();
  const code = 'TOPIC_NOT_FOUND';
  await assert.rejects(wal.append('nope', payloadOf(1)), { code });
  await assert.rejects(wal.read('nope', 0, 1), { code });
  await assert.rejects(wal.dropTopic('nope'), { code });
  await assert.rejects(wal.createGroup('nope', 'g', 'earliest'), { code });
  await assert.rejects(wal.destroyGroup('nope', 'g'), { code });
  await assert.rejects(wal.commit('nope', 'g', 0), { code });
  await assert.rejects(wal.seek('nope', 'g', 0), { code });
  await assert.rejects(wal.retain('nope'), { code });
  assert.throws(() => wal.endOffset('nope'), { code });
  assert.throws(() => wal.durableEndOffset('nope'), { code });
  assert.throws(() => wal.startOffset('nope'), { code });
  assert.throws(() => wal.groups('nope'), { code });
  assert.throws(() => wal.position('nope', 'g'), { code });
  assert.throws(() => wal.subscribe('nope', 'g', () => undefined), { code });
  await wal.close();
});

test('an unknown group is CONSUMER_GROUP_NOT_FOUND; a duplicate is CONSUMER_GROUP_ALREADY_EXISTS', async () => {
  const { wal } = await openWal();
  const code = 'CONSUMER_GROUP_NOT_FOUND';
  await assert.rejects(wal.destroyGroup('t', 'g'), { code });
  await assert.rejects(wal.commit('t', 'g', 0), { code });
  await assert.rejects(wal.seek('t', 'g', 0), { code });
  assert.throws(() => wal.position('t', 'g'), { code });
  assert.throws(() => wal.subscribe('t', 'g', () => undefined), { code });

  await wal.createGroup('t', 'g', 'earliest');
  await assert.rejects(wal.createGroup('t', 'g', 'latest'), { code: 'CONSUMER_GROUP_ALREADY_EXISTS' });
  // Two creations racing: the second fails at once, before the first is durable.
  const a = wal.createGroup('t', 'h', 'earliest');
  await assert.rejects(wal.createGroup('t', 'h', 'earliest'), { code: 'CONSUMER_GROUP_ALREADY_EXISTS' });
  await a;
  assert.deepEqual(wal.groups('t'), ['g', 'h']);

  // Destroy: the second call, while the first is in flight, is DROPPING; afterwards NOT_FOUND.
  const d = wal.destroyGroup('t', 'g');
  await assert.rejects(wal.destroyGroup('t', 'g'), { code: 'DROPPING' });
  await assert.rejects(wal.commit('t', 'g', 0), { code: 'DROPPING' });
  await d;
  await assert.rejects(wal.destroyGroup('t', 'g'), { code });
  assert.deepEqual(wal.groups('t'), ['h']);
  // The name is free again.
  await wal.createGroup('t', 'g', 'earliest');
  await wal.close();
});

test('offsets: backward commit, seek or read below the start, and past the end', async () => {
  const { wal } = await openWal({ segmentBytesMax: 128 });
  for (let i = 0; i < 30; i++) await wal.append('t', payloadOf(i, 20));
  await wal.createGroup('t', 'g', 'earliest');
  await wal.commit('t', 'g', 10);
  await assert.rejects(wal.commit('t', 'g', 9), { code: 'INVALID_ARGUMENT', message: /below the position 10/ });
  await wal.commit('t', 'g', 10); // the same position again is fine
  await assert.rejects(wal.commit('t', 'g', 31), { code: 'INVALID_ARGUMENT', message: /past the end/ });
  await assert.rejects(wal.commit('t', 'g', -1), { code: 'INVALID_ARGUMENT' });
  await assert.rejects(wal.commit('t', 'g', 1.5), { code: 'INVALID_ARGUMENT' });
  await wal.seek('t', 'g', 2); // seek may move back
  assert.equal(wal.position('t', 'g'), 2);
  await wal.commit('t', 'g', 10);

  const start = await wal.retain('t');
  assert.ok(start > 0, 'retention removed something');
  await assert.rejects(wal.read('t', start - 1, 1), { code: 'OFFSET_TRUNCATED', message: new RegExp(`earliest stored offset is ${start}`) });
  await assert.rejects(wal.seek('t', 'g', start - 1), { code: 'OFFSET_TRUNCATED' });
  await assert.rejects(wal.createGroup('t', 'old', 0), { code: 'OFFSET_TRUNCATED' });
  await assert.rejects(wal.read('t', 31, 1), { code: 'INVALID_ARGUMENT' });
  await assert.rejects(wal.read('t', 0, 0), { code: 'INVALID_ARGUMENT' });
  await assert.rejects(wal.seek('t', 'g', 31), { code: 'INVALID_ARGUMENT' });
  await assert.rejects(wal.retain('t', -3), { code: 'INVALID_ARGUMENT' });
  await wal.close();
});

test('names, payloads and options are checked', async () => {
  const { fs, wal } = await openWal();
  await assert.rejects(wal.createTopic('../etc'), { code: 'INVALID_NAME' });
  await assert.rejects(wal.createTopic(''), { code: 'INVALID_NAME' });
  await assert.rejects(wal.createTopic('x'.repeat(129)), { code: 'INVALID_NAME' });
  await assert.rejects(wal.createGroup('t', '', 'earliest'), { code: 'INVALID_NAME' });
  await assert.rejects(wal.append('t', 'text' as unknown as Uint8Array), { code: 'INVALID_ARGUMENT' });
  await assert.rejects(wal.createGroup('t', 'g', 'middle' as 'latest'), { code: 'INVALID_ARGUMENT' });
  await assert.rejects(Wal.open({ fs, dir: '/other', segmentBytesMax: 10 }), { code: 'INVALID_ARGUMENT' });
  await assert.rejects(Wal.open({ fs, dir: '/other', batchBytesMax: 1.5 }), { code: 'INVALID_ARGUMENT' });
  await assert.rejects(Wal.open({ fs, dir: '/wal' }), { code: 'DATA_DIR_LOCKED' });
  await wal.close();
});

test('createTopic is idempotent; dropTopic fails queued appends with DROPPING and removes the files', async () => {
  const { fs, wal } = await openWal();
  await wal.createTopic('t');
  await Promise.all([wal.createTopic('u'), wal.createTopic('u')]);
  assert.deepEqual(wal.topics(), ['t', 'u']);
  await wal.append('t', payloadOf(0));
  await wal.createGroup('t', 'g', 'earliest');
  const inFlight = wal.append('t', payloadOf(1));
  await Promise.resolve(); // the writer takes this one...
  await Promise.resolve();
  const queued = wal.append('t', payloadOf(2)); // ...and this one waits behind its fsync
  const drop = wal.dropTopic('t');
  assert.deepEqual(wal.topics(), ['u']);
  await assert.rejects(queued, { code: 'DROPPING' });
  await assert.rejects(wal.append('t', payloadOf(3)), { code: 'DROPPING' });
  await assert.rejects(wal.createTopic('t'), { code: 'DROPPING' });
  await assert.rejects(wal.commit('t', 'g', 1), { code: 'DROPPING' });
  assert.equal(await inFlight, 1, 'the batch already written completes');
  await drop;
  await assert.rejects(wal.append('t', payloadOf(4)), { code: 'TOPIC_NOT_FOUND' });
  assert.deepEqual(await fs.readdir('/wal/topics'), ['u']);
  // Re-created, it starts empty.
  await wal.createTopic('t');
  assert.equal(wal.endOffset('t'), 0);
  assert.deepEqual(wal.groups('t'), []);
  await wal.close();
});

test('after close every call is CLOSED; queued appends either complete or fail with CLOSED', async () => {
  const { wal } = await openWal();
  await wal.createGroup('t', 'g', 'earliest');
  const sub = wal.subscribe('t', 'g', () => undefined);
  const appends = Array.from({ length: 20 }, (_, i) => wal.append('t', payloadOf(i)).then(
    (o) => ({ ok: true as const, o }),
    (e: unknown) => ({ ok: false as const, e }),
  ));
  const closing = wal.close();
  assert.equal(wal.close(), closing, 'close is idempotent');
  assert.equal(sub.state, 'closed');
  const results = await Promise.all(appends);
  for (const r of results) {
    if (!r.ok) assert.equal((r.e as { code?: string }).code, 'CLOSED');
  }
  await closing;
  await assert.rejects(wal.append('t', payloadOf(0)), { code: 'CLOSED' });
  await assert.rejects(wal.createTopic('v'), { code: 'CLOSED' });
  await assert.rejects(wal.read('t', 0, 1), { code: 'CLOSED' });
  await assert.rejects(wal.commit('t', 'g', 0), { code: 'CLOSED' });
  assert.throws(() => wal.topics(), { code: 'CLOSED' });
  assert.throws(() => wal.subscribe('t', 'g', () => undefined), { code: 'CLOSED' });
});
