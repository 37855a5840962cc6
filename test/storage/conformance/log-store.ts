// The one suite every LogStore implementation passes: the embedded one (an adapter
// over the Wal) on a real folder and on the fault-injecting file system (a power loss at
// every reopen), and later NATS JetStream. Cases that need what a subject cannot give
// are skipped, each saying why.
import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isElanusError } from '../../../src/errors/index.js';
import { logLimits, type LogStore } from '../../../src/storage/index.js';

export interface LogStoreSubject {
  open(): Promise<LogStore>;
  /** Ends `store` as a restart does (a power loss for a simulated disk) and opens it again. */
  reopen(store: LogStore): Promise<LogStore>;
  /** The storage fails every operation after `ops` more writes, until the next reopen. */
  crashAfter?(ops: number): void;
  cleanup(): Promise<void>;
}

const runs = 10;
const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);
const coded = (code: string) => (e: unknown) => isElanusError(e) && e.code === code;

/** Every record from the first kept one to the end. */
async function readAll(store: LogStore, stream: string): Promise<Array<[number, string]>> {
  const { first, end } = await store.bounds(stream);
  const out: Array<[number, string]> = [];
  for (let at = first; at < end; ) {
    const got = await store.read(stream, at, 100);
    assert.ok(got.length > 0, `a read at ${at} below the end ${end} returned nothing`);
    for (const e of got) out.push([e.position, text(e.payload)]);
    at = got.at(-1)!.position + 1;
  }
  return out;
}

export function logStoreConformance(name: string, make: () => Promise<LogStoreSubject>): void {
  describe(`LogStore conformance: ${name}`, () => {
    let subject: LogStoreSubject;
    let store: LogStore;

    beforeEach(async () => {
      subject = await make();
      store = await subject.open();
    });
    afterEach(async () => {
      await store.close();
      await subject.cleanup();
    });

    test('streams: create is idempotent, list is sorted, drop removes; a missing stream is TOPIC_NOT_FOUND', async () => {
      await store.createStream('s-b');
      await store.createStream('s-a');
      await store.createStream('s-b');
      assert.deepEqual(await store.streams(), ['s-a', 's-b']);
      await store.append('s-a', bytes('x'));
      await store.dropStream('s-a');
      assert.deepEqual(await store.streams(), ['s-b']);
      await assert.rejects(store.dropStream('s-a'), coded('TOPIC_NOT_FOUND'));
      await assert.rejects(store.append('s-a', bytes('x')), coded('TOPIC_NOT_FOUND'));
      await assert.rejects(store.read('s-a', 0, 1), coded('TOPIC_NOT_FOUND'));
      await assert.rejects(store.bounds('nope'), coded('TOPIC_NOT_FOUND'));
      await store.createStream('s-a');
      const { first, end } = await store.bounds('s-a');
      assert.equal(first, end, 'a stream created again starts empty');
      await assert.rejects(store.createStream('bad name/with slash'), coded('INVALID_NAME'));
      await assert.rejects(store.createStream(''), coded('INVALID_NAME'));
    });

    test('append gives dense positions in order; read returns the payloads from any position', async () => {
      await store.createStream('s');
      const start = (await store.bounds('s')).end;
      const positions: number[] = [];
      for (let i = 0; i < 10; i++) positions.push(await store.append('s', bytes(`r${i}`)));
      assert.deepEqual(positions, positions.map((_, i) => start + i));
      assert.deepEqual(await store.bounds('s'), { first: start, end: start + 10 });
      const all = await store.read('s', start, 100);
      assert.deepEqual(all.map((e) => [e.position, text(e.payload)]), positions.map((p, i) => [p, `r${i}`]));
      assert.deepEqual((await store.read('s', start + 7, 2)).map((e) => text(e.payload)), ['r7', 'r8']);
      assert.deepEqual(await store.read('s', start + 10, 5), [], 'a read at the end returns nothing');
      await assert.rejects(store.read('s', start + 11, 1), coded('INVALID_ARGUMENT'));
      const empty = await store.append('s', new Uint8Array(0));
      assert.equal((await store.read('s', empty, 1))[0]!.payload.length, 0);
    });

    test('concurrent appends get unique dense positions and resolve in position order', async () => {
      await store.createStream('c');
      const start = (await store.bounds('c')).end;
      const resolved: number[] = [];
      const positions = await Promise.all(Array.from({ length: 50 }, (_, i) => store.append('c', bytes(`p${i}`)).then((p) => (resolved.push(p), p))));
      assert.deepEqual([...positions].sort((a, b) => a - b), positions.map((_, i) => start + i));
      assert.deepEqual(resolved, [...resolved].sort((a, b) => a - b), 'resolved out of position order');
      const read = await readAll(store, 'c');
      for (const [i, p] of positions.entries()) assert.deepEqual(read[p - start], [p, `p${i}`]);
    });

    test('positions follow call order, keyed or not, also while a restarted stream reloads its keys', async () => {
      await store.createStream('o');
      await store.append('o', bytes('k0'), { idempotencyKey: 'k0' });
      store = await subject.reopen(store);
      // The first keyed append after a restart may wait for the stream's keys; the
      // appends called after it still get later positions.
      const calls = Array.from({ length: 12 }, (_, i) =>
        store.append('o', bytes(`o${i}`), i % 3 === 0 ? { idempotencyKey: `ko${i}` } : {}));
      const positions = await Promise.all(calls);
      for (let i = 1; i < positions.length; i++) assert.ok(positions[i]! > positions[i - 1]!, `append ${i} got ${positions[i]}, before append ${i - 1} (${positions[i - 1]})`);
      const read = await readAll(store, 'o');
      assert.deepEqual(read.slice(-12).map(([, d]) => d), calls.map((_, i) => `o${i}`));
    });

    test('payloads up to payloadBytesMax are stored; a larger one is BATCH_TOO_LARGE and stores nothing', async (t) => {
      const max = store.payloadBytesMax;
      assert.ok(Number.isSafeInteger(max) && max >= 1, `payloadBytesMax ${max}`);
      if (max > 64 * 1024 * 1024) return t.skip(`payloadBytesMax is ${max} bytes: too large to allocate in a test (the subject can set a smaller one)`);
      await store.createStream('big');
      const full = new Uint8Array(max).fill(7);
      const p = await store.append('big', full, { idempotencyKey: 'k'.repeat(logLimits.idempotencyKeyBytesMax) });
      const end = (await store.bounds('big')).end;
      await assert.rejects(store.append('big', new Uint8Array(max + 1)), coded('BATCH_TOO_LARGE'));
      await assert.rejects(store.append('big', new Uint8Array(max + 1), { idempotencyKey: 'other' }), coded('BATCH_TOO_LARGE'));
      assert.equal((await store.bounds('big')).end, end);
      assert.deepEqual((await store.read('big', p, 1))[0]!.payload, full);
    });

    test('an append repeating a recent idempotency key returns the first position and stores nothing', async () => {
      await store.createStream('d');
      const p1 = await store.append('d', bytes('first'), { idempotencyKey: 'k1' });
      await store.append('d', bytes('other'));
      const end = (await store.bounds('d')).end;
      assert.equal(await store.append('d', bytes('retry'), { idempotencyKey: 'k1' }), p1);
      assert.equal((await store.bounds('d')).end, end, 'the repeat stored nothing');
      const p2 = await store.append('d', bytes('second'), { idempotencyKey: 'k2' });
      assert.notEqual(p2, p1);
      const [e1] = await store.read('d', p1, 1);
      assert.equal(text(e1!.payload), 'first');
      assert.equal(e1!.idempotencyKey, 'k1');
      // Keys are per stream.
      await store.createStream('d2');
      const other = await store.append('d2', bytes('x'), { idempotencyKey: 'k1' });
      assert.equal((await store.read('d2', other, 1))[0]!.idempotencyKey, 'k1');
    });

    test('concurrent appends with one idempotency key get one position and one record', async () => {
      await store.createStream('k');
      const start = (await store.bounds('k')).end;
      const got = await Promise.all([
        ...Array.from({ length: 5 }, (_, i) => store.append('k', bytes(`same${i}`), { idempotencyKey: 'same' })),
        store.append('k', bytes('plain')),
        ...Array.from({ length: 3 }, () => store.append('k', bytes('other'), { idempotencyKey: 'other' })),
      ]);
      assert.equal(new Set(got.slice(0, 5)).size, 1);
      assert.equal(new Set(got.slice(6)).size, 1);
      assert.equal((await store.bounds('k')).end, start + 3);
      const records = await store.read('k', start, 10);
      assert.deepEqual(records.map((r) => r.idempotencyKey ?? null).sort(), ['other', 'same', null].sort());
    });

    test('idempotency keys are remembered across a restart', async () => {
      await store.createStream('r');
      const p = await store.append('r', bytes('once'), { idempotencyKey: 'restart-key' });
      await store.append('r', bytes('after'));
      store = await subject.reopen(store);
      const end = (await store.bounds('r')).end;
      assert.equal(await store.append('r', bytes('again'), { idempotencyKey: 'restart-key' }), p);
      assert.equal((await store.bounds('r')).end, end);
    });

    test('the dedupe window keeps at least dedupeWindowRecordsMin records', async () => {
      await store.createStream('w');
      const p = await store.append('w', bytes('keyed'), { idempotencyKey: 'window' });
      const n = logLimits.dedupeWindowRecordsMin - 2;
      await Promise.all(Array.from({ length: n }, (_, i) => store.append('w', bytes(String(i)))));
      assert.equal(await store.append('w', bytes('repeat'), { idempotencyKey: 'window' }), p);
    });

    test('consumers: durable positions that move forward; each name once', async () => {
      await store.createStream('g');
      const start = (await store.bounds('g')).end;
      for (let i = 0; i < 5; i++) await store.append('g', bytes(`m${i}`));
      await store.createConsumer('g', 'early', 'earliest');
      await store.createConsumer('g', 'late', 'latest');
      await store.createConsumer('g', 'mid', start + 2);
      assert.deepEqual(await store.consumers('g'), ['early', 'late', 'mid']);
      assert.equal(await store.position('g', 'early'), start);
      assert.equal(await store.position('g', 'late'), start + 5);
      assert.equal(await store.position('g', 'mid'), start + 2);
      await assert.rejects(store.createConsumer('g', 'early', 'earliest'), coded('CONSUMER_GROUP_ALREADY_EXISTS'));
      await store.commit('g', 'early', start + 3);
      assert.equal(await store.position('g', 'early'), start + 3);
      await store.commit('g', 'early', start + 3);
      await assert.rejects(store.commit('g', 'early', start + 1), coded('INVALID_ARGUMENT'));
      await assert.rejects(store.commit('g', 'early', start + 6), coded('INVALID_ARGUMENT'));
      await assert.rejects(store.position('g', 'nobody'), coded('CONSUMER_GROUP_NOT_FOUND'));
      await assert.rejects(store.commit('g', 'nobody', start), coded('CONSUMER_GROUP_NOT_FOUND'));
      store = await subject.reopen(store);
      assert.equal(await store.position('g', 'early'), start + 3, 'a committed position survives a restart');
      await store.dropConsumer('g', 'mid');
      assert.deepEqual(await store.consumers('g'), ['early', 'late']);
      await assert.rejects(store.position('g', 'mid'), coded('CONSUMER_GROUP_NOT_FOUND'));
      await assert.rejects(store.dropConsumer('g', 'mid'), coded('CONSUMER_GROUP_NOT_FOUND'));
      await store.createConsumer('g', 'mid', 'earliest');
      assert.equal(await store.position('g', 'mid'), start, 'a dropped name can be used again');
    });

    test('truncate removes records below a position (or fewer); reads below the first fail with OFFSET_TRUNCATED', async () => {
      await store.createStream('t');
      const start = (await store.bounds('t')).end;
      for (let i = 0; i < 60; i++) await store.append('t', bytes(`record number ${i}`));
      const first = await store.truncate('t', start + 40);
      assert.ok(first > start && first <= start + 40, `truncate to ${start + 40} kept from ${first}`);
      assert.deepEqual(await store.bounds('t'), { first, end: start + 60 });
      await assert.rejects(store.read('t', first - 1, 1), coded('OFFSET_TRUNCATED'));
      assert.equal(text((await store.read('t', start + 40, 1))[0]!.payload), 'record number 40');
      store = await subject.reopen(store);
      assert.equal((await store.bounds('t')).first, first, 'truncation survives a restart');
      assert.equal(await store.truncate('t', start), first, 'truncating below the first changes nothing');
      await assert.rejects(store.truncate('t', start + 61), coded('INVALID_ARGUMENT'));
    });

    test('every invalid request is a coded error and stores nothing', async () => {
      await store.createStream('v');
      const end = (await store.bounds('v')).end;
      const cases: Array<[string, () => Promise<unknown>, string]> = [
        ['payload not bytes', () => store.append('v', 'text' as unknown as Uint8Array), 'INVALID_ARGUMENT'],
        ['empty key', () => store.append('v', bytes('x'), { idempotencyKey: '' }), 'INVALID_ARGUMENT'],
        ['key not a string', () => store.append('v', bytes('x'), { idempotencyKey: 5 as unknown as string }), 'INVALID_ARGUMENT'],
        ['key too long', () => store.append('v', bytes('x'), { idempotencyKey: 'k'.repeat(logLimits.idempotencyKeyBytesMax + 1) }), 'INVALID_ARGUMENT'],
        ['read of 0 records', () => store.read('v', end, 0), 'INVALID_ARGUMENT'],
        ['read of too many', () => store.read('v', end, logLimits.readRecordsMax + 1), 'INVALID_ARGUMENT'],
        ['read from -1', () => store.read('v', -1, 1), 'INVALID_ARGUMENT'],
        ['read from a fraction', () => store.read('v', 0.5, 1), 'INVALID_ARGUMENT'],
        ['consumer at a bad start', () => store.createConsumer('v', 'c', 'middle' as 'earliest'), 'INVALID_ARGUMENT'],
        ['consumer past the end', () => store.createConsumer('v', 'c', end + 5), 'INVALID_ARGUMENT'],
        ['empty consumer name', () => store.createConsumer('v', '', 'earliest'), 'INVALID_NAME'],
        ['truncate at -1', () => store.truncate('v', -1), 'INVALID_ARGUMENT'],
      ];
      for (const [what, call, code] of cases) {
        await assert.rejects(Promise.resolve().then(call), coded(code), `${what}: ${code}`);
      }
      assert.equal((await store.bounds('v')).end, end);
      assert.deepEqual(await store.consumers('v'), []);
    });

    test('random appends, commits and restarts read back as the model says (property)', async () => {
      const op = fc.oneof(
        fc.record({ kind: fc.constant('append' as const), data: fc.string({ maxLength: 10 }), key: fc.option(fc.constantFrom('a', 'b', 'c'), { nil: undefined }) }),
        fc.record({ kind: fc.constant('commit' as const), by: fc.nat(3) }),
        fc.record({ kind: fc.constant('reopen' as const) }),
      );
      let round = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(op, { maxLength: 15 }), async (ops) => {
          const stream = `prop-${round++}`;
          await store.createStream(stream);
          const start = (await store.bounds(stream)).end;
          await store.createConsumer(stream, 'c', 'earliest');
          const records: string[] = [];
          const keyed = new Map<string, number>();
          let position = start;
          for (const o of ops) {
            if (o.kind === 'reopen') store = await subject.reopen(store);
            else if (o.kind === 'commit') {
              position = Math.min(position + o.by, start + records.length);
              await store.commit(stream, 'c', position);
            } else {
              const p = await store.append(stream, bytes(o.data), o.key === undefined ? {} : { idempotencyKey: o.key });
              if (o.key !== undefined && keyed.has(o.key)) {
                assert.equal(p, keyed.get(o.key));
                continue;
              }
              assert.equal(p, start + records.length);
              if (o.key !== undefined) keyed.set(o.key, p);
              records.push(o.data);
            }
          }
          store = await subject.reopen(store);
          assert.deepEqual((await readAll(store, stream)).map(([, d]) => d), records);
          assert.equal(await store.position(stream, 'c'), position);
        }),
        { numRuns: runs },
      );
    });

    test('a crash mid-append keeps every acknowledged record; the rest is whole or gone, and no key is stored twice', async (t) => {
      const crashAfter = subject.crashAfter?.bind(subject);
      if (!crashAfter) return t.skip('the subject cannot crash its storage');
      for (let ops = 0; ops < 10; ops++) {
        const stream = `crash-${ops}`;
        await store.createStream(stream);
        await store.append(stream, bytes('base'), { idempotencyKey: 'base' });
        crashAfter(ops);
        const attempts = Array.from({ length: 8 }, (_, i) => ({ data: `payload ${i} `.repeat(i + 1), key: i % 2 === 0 ? `key${i}` : undefined }));
        const acked = await Promise.all(
          attempts.map((a) => store.append(stream, bytes(a.data), a.key === undefined ? {} : { idempotencyKey: a.key }).then((p) => p, () => undefined)),
        );
        // A failed append leaves nothing behind it: what was acknowledged is a prefix of the calls.
        const firstFailed = acked.indexOf(undefined);
        if (firstFailed >= 0) assert.deepEqual(acked.slice(firstFailed).filter((p) => p !== undefined), [], `an append called after a failed one was acknowledged (crash at ${ops})`);
        store = await subject.reopen(store);
        const read = await store.read(stream, (await store.bounds(stream)).first, 100);
        const byPosition = new Map(read.map((e) => [e.position, e]));
        for (const [i, p] of acked.entries()) {
          if (p === undefined) continue;
          assert.equal(text(byPosition.get(p)!.payload), attempts[i]!.data, `acknowledged append ${i} lost (crash at ${ops})`);
        }
        const wanted = new Set(['base', ...attempts.map((a) => a.data)]);
        for (const e of read) assert.ok(wanted.has(text(e.payload)), `a record that was never appended whole: ${text(e.payload).slice(0, 20)}`);
        const keys = read.map((e) => e.idempotencyKey).filter((k) => k !== undefined);
        assert.equal(new Set(keys).size, keys.length, 'a key stored twice');
        // Retrying every keyed append now stores only the ones the crash lost.
        for (const a of attempts) {
          if (a.key === undefined) continue;
          const stored = read.find((e) => e.idempotencyKey === a.key);
          const p = await store.append(stream, bytes(a.data), { idempotencyKey: a.key });
          if (stored) assert.equal(p, stored.position, `retry of ${a.key} stored it again (crash at ${ops})`);
        }
      }
    });

    test('after close every call fails with CLOSED; close is idempotent', async () => {
      await store.createStream('x');
      await store.close();
      await store.close();
      const calls: Array<() => Promise<unknown>> = [() => store.append('x', bytes('1')), () => store.read('x', 0, 1), () => store.streams(), () => store.createStream('y'), () => store.bounds('x')];
      for (const call of calls) await assert.rejects(Promise.resolve().then(call), coded('CLOSED'));
      store = await subject.reopen(store);
      assert.deepEqual(await store.streams(), ['x']);
    });
  });
}
