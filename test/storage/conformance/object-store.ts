// The one suite every ObjectStore implementation passes: the embedded one on a real
// folder and on the fault-injecting file system (a power loss at every reopen), and
// later S3. Cases that need what a subject cannot give are skipped, each saying why.
import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { isElanusError } from '../../../src/errors/index.js';
import { objectLimits, type ObjectStore } from '../../../src/storage/index.js';

export interface ObjectStoreSubject {
  open(): Promise<ObjectStore>;
  /** Ends `store` as a restart does (a power loss for a simulated disk) and opens it again. */
  reopen(store: ObjectStore): Promise<ObjectStore>;
  /** The storage fails every operation after `ops` more writes, until the next reopen. */
  crashAfter?(ops: number): void;
  cleanup(): Promise<void>;
}

const runs = 12;
const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);
const coded = (code: string) => (e: unknown) => isElanusError(e) && e.code === code;

export function objectStoreConformance(name: string, make: () => Promise<ObjectStoreSubject>): void {
  describe(`ObjectStore conformance: ${name}`, () => {
    let subject: ObjectStoreSubject;
    let store: ObjectStore;

    beforeEach(async () => {
      subject = await make();
      store = await subject.open();
    });
    afterEach(async () => {
      await store.close();
      await subject.cleanup();
    });

    test('put then get returns the bytes; a put replaces; empty and binary objects round-trip', async () => {
      await store.put('a/b/c.bin', bytes('hello'));
      assert.equal(text(await store.get('a/b/c.bin')), 'hello');
      await store.put('a/b/c.bin', bytes('replaced, and longer'));
      assert.equal(text(await store.get('a/b/c.bin')), 'replaced, and longer');
      await store.put('empty', new Uint8Array(0));
      assert.equal((await store.get('empty')).length, 0);
      const all = Uint8Array.from({ length: 256 * 3 }, (_, i) => i % 256);
      await store.put('binary', all);
      assert.deepEqual(await store.get('binary'), all);
      const source = bytes('not shared');
      await store.put('copy', source);
      source[0] = 0;
      assert.equal(text(await store.get('copy')), 'not shared', 'the store keeps its own copy');
    });

    test('putParts stores the parts joined and answers the size and checksum; no parts is an empty object', async () => {
      const parts = [bytes('frame one|'), new Uint8Array(0), bytes('two|'), Uint8Array.from({ length: 70_000 }, (_, i) => i % 251)];
      const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      parts.reduce((at, p) => (joined.set(p, at), at + p.length), 0);
      function* lazily() { for (const p of parts) yield p; }
      const head = await store.putParts('streamed/x', lazily());
      assert.deepEqual(head, { size: joined.length, crc32: crc32(joined) });
      assert.deepEqual(await store.get('streamed/x'), joined);
      assert.deepEqual(await store.head('streamed/x'), head);
      assert.deepEqual(await store.putParts('streamed/none', []), { size: 0, crc32: 0 });
      assert.deepEqual(await store.get('streamed/none'), new Uint8Array(0));
      await assert.rejects(store.putParts('streamed/bad', [bytes('a'), 'b' as unknown as Uint8Array]), coded('INVALID_ARGUMENT'));
      await assert.rejects(store.putParts('streamed/bad', 7 as unknown as Iterable<Uint8Array>), coded('INVALID_ARGUMENT'));
      assert.equal(await store.head('streamed/bad'), undefined);
    });

    test('a part source that throws puts nothing: the key keeps its old object', async () => {
      await store.put('kept', bytes('old'));
      function* failing() {
        yield bytes('new beginning');
        throw new Error('the producer failed');
      }
      await assert.rejects(store.putParts('kept', failing()), /the producer failed/);
      assert.deepEqual(text(await store.get('kept')), 'old');
      await assert.rejects(store.putParts('fresh', failing()), /the producer failed/);
      assert.equal(await store.head('fresh'), undefined);
      assert.deepEqual((await store.list('')).objects.map((o) => o.key), ['kept']);
    });

    test('getRange reads a part; short at the end; empty at the end; past the end is refused', async () => {
      await store.put('r', bytes('0123456789'));
      assert.equal(text(await store.getRange('r', 2, 3)), '234');
      assert.equal(text(await store.getRange('r', 0, 10)), '0123456789');
      assert.equal(text(await store.getRange('r', 7, 100)), '789');
      assert.equal((await store.getRange('r', 4, 0)).length, 0);
      assert.equal((await store.getRange('r', 10, 5)).length, 0);
      await assert.rejects(store.getRange('r', 11, 1), coded('INVALID_ARGUMENT'));
      await assert.rejects(store.getRange('r', -1, 1), coded('INVALID_ARGUMENT'));
      await assert.rejects(store.getRange('r', 0, -1), coded('INVALID_ARGUMENT'));
      await assert.rejects(store.getRange('r', 0.5, 1), coded('INVALID_ARGUMENT'));
      await assert.rejects(store.getRange('missing', 0, 1), coded('OBJECT_NOT_FOUND'));
    });

    test('head gives the size and the CRC-32 of the bytes; a missing key gives undefined', async () => {
      const data = bytes('some object bytes');
      await store.put('h/x', data);
      assert.deepEqual(await store.head('h/x'), { size: data.length, crc32: crc32(data) });
      await store.put('h/empty', new Uint8Array(0));
      assert.deepEqual(await store.head('h/empty'), { size: 0, crc32: crc32(new Uint8Array(0)) });
      assert.equal(await store.head('h/missing'), undefined);
      await assert.rejects(store.get('h/missing'), coded('OBJECT_NOT_FOUND'));
    });

    test('list returns the keys under a prefix, sorted, with sizes, and pages', async () => {
      const keys = ['seg/2/b', 'seg/1/a', 'seg/10', 'seg', 'idx/1', 'seg/1/a.tmp', 'seg/1/a/deeper'];
      for (const [i, k] of keys.entries()) await store.put(k, new Uint8Array(i));
      const all = await store.list('seg/');
      assert.deepEqual(all.objects, [
        { key: 'seg/1/a', size: 1 }, { key: 'seg/1/a.tmp', size: 5 }, { key: 'seg/1/a/deeper', size: 6 }, { key: 'seg/10', size: 2 }, { key: 'seg/2/b', size: 0 },
      ]);
      assert.equal(all.more, false);
      assert.deepEqual((await store.list('seg/1')).objects.map((o) => o.key), ['seg/1/a', 'seg/1/a.tmp', 'seg/1/a/deeper', 'seg/10'], 'a prefix may end mid-segment');
      assert.deepEqual((await store.list('')).objects.map((o) => o.key), ['idx/1', 'seg', 'seg/1/a', 'seg/1/a.tmp', 'seg/1/a/deeper', 'seg/10', 'seg/2/b']);
      const page1 = await store.list('seg/', { limit: 2 });
      assert.deepEqual(page1.objects.map((o) => o.key), ['seg/1/a', 'seg/1/a.tmp']);
      assert.equal(page1.more, true);
      const page2 = await store.list('seg/', { limit: 2, startAfter: 'seg/1/a.tmp' });
      assert.deepEqual(page2.objects.map((o) => o.key), ['seg/1/a/deeper', 'seg/10']);
      assert.equal(page2.more, true);
      assert.deepEqual((await store.list('nothing/')).objects, []);
    });

    test('delete removes the object and is idempotent', async () => {
      await store.put('d/1', bytes('x'));
      await store.delete('d/1');
      await assert.rejects(store.get('d/1'), coded('OBJECT_NOT_FOUND'));
      assert.equal(await store.head('d/1'), undefined);
      assert.deepEqual((await store.list('d/')).objects, []);
      await store.delete('d/1');
      await store.delete('d/never');
    });

    test('deleteMany removes every key named, missing ones too; a bad key refuses the call and deletes nothing', async () => {
      for (const k of ['m/1', 'm/2', 'm/3', 'keep']) await store.put(k, bytes(k));
      await store.deleteMany(['m/1', 'm/3', 'm/never-was']);
      assert.deepEqual((await store.list('')).objects.map((o) => o.key), ['keep', 'm/2']);
      await store.deleteMany([]);
      await assert.rejects(store.deleteMany(['m/2', '../escape']), coded('INVALID_ARGUMENT'));
      await assert.rejects(store.deleteMany('m/2' as unknown as string[]), coded('INVALID_ARGUMENT'));
      assert.deepEqual((await store.list('')).objects.map((o) => o.key), ['keep', 'm/2']);
      store = await subject.reopen(store);
      assert.deepEqual((await store.list('')).objects.map((o) => o.key), ['keep', 'm/2'], 'the deletes are durable');
    });

    test('keys are names, never paths: every other form is refused with INVALID_ARGUMENT', async () => {
      const bad: unknown[] = ['', '/a', 'a/', 'a//b', '.', '..', '../x', 'a/../b', 'a/./b', '.hidden', 'a/.b', 'a b', 'a\\b', 'a~b', 'ä', 'a\u0000b', 'x'.repeat(objectLimits.keyBytesMax + 1), 7, null, undefined];
      for (const key of bad) {
        await assert.rejects(Promise.resolve().then(() => store.put(key as string, bytes('x'))), coded('INVALID_ARGUMENT'), `put ${JSON.stringify(key)}`);
        await assert.rejects(Promise.resolve().then(() => store.get(key as string)), coded('INVALID_ARGUMENT'), `get ${JSON.stringify(key)}`);
        await assert.rejects(Promise.resolve().then(() => store.head(key as string)), coded('INVALID_ARGUMENT'), `head ${JSON.stringify(key)}`);
        await assert.rejects(Promise.resolve().then(() => store.delete(key as string)), coded('INVALID_ARGUMENT'), `delete ${JSON.stringify(key)}`);
      }
      for (const prefix of ['/a', 'a//', '../', 7]) {
        await assert.rejects(Promise.resolve().then(() => store.list(prefix as string)), coded('INVALID_ARGUMENT'), `list ${JSON.stringify(prefix)}`);
      }
      await assert.rejects(store.put('ok', 'text' as unknown as Uint8Array), coded('INVALID_ARGUMENT'));
      await assert.rejects(store.list('', { limit: 0 }), coded('INVALID_ARGUMENT'));
      await assert.rejects(store.list('', { limit: objectLimits.listLimitMax + 1 }), coded('INVALID_ARGUMENT'));
      // The longest key is a key.
      const longest = 'k'.repeat(objectLimits.keyBytesMax);
      await store.put(longest, bytes('long'));
      assert.equal(text(await store.get(longest)), 'long');
      assert.deepEqual((await store.list('')).objects.map((o) => o.key), [longest]);
    });

    test('concurrent puts of one key leave one of them whole; a racing delete leaves either state', async () => {
      const versions = Array.from({ length: 6 }, (_, i) => bytes(`version ${i} `.repeat(50 * (i + 1))));
      await Promise.all(versions.map((v) => store.put('race', v)));
      const got = await store.get('race');
      assert.ok(versions.some((v) => Buffer.from(v).equals(got)), 'the object is one of the puts, whole');
      assert.equal((await store.head('race'))?.crc32, crc32(got));
      await Promise.all([store.put('race2', bytes('a')), store.delete('race2'), store.put('race2', bytes('b'))]);
      const last = await store.head('race2');
      assert.ok(last === undefined || last.size === 1);
    });

    test('acknowledged puts and deletes survive restarts (property)', async () => {
      const op = fc.oneof(
        fc.record({ kind: fc.constant('put' as const), key: fc.constantFrom('a', 'b/1', 'b/2', 'c'), data: fc.uint8Array({ maxLength: 64 }) }),
        fc.record({ kind: fc.constant('delete' as const), key: fc.constantFrom('a', 'b/1', 'b/2', 'c') }),
        fc.record({ kind: fc.constant('reopen' as const) }),
      );
      let round = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(op, { maxLength: 12 }), async (ops) => {
          const ns = `p${round++}/`;
          const model = new Map<string, Uint8Array>();
          for (const o of ops) {
            if (o.kind === 'reopen') store = await subject.reopen(store);
            else if (o.kind === 'put') {
              await store.put(ns + o.key, o.data);
              model.set(ns + o.key, o.data);
            } else {
              await store.delete(ns + o.key);
              model.delete(ns + o.key);
            }
          }
          store = await subject.reopen(store);
          const listed = (await store.list(ns)).objects;
          assert.deepEqual(listed.map((x) => x.key), [...model.keys()].sort());
          for (const { key, size } of listed) {
            const want = model.get(key)!;
            assert.equal(size, want.length);
            assert.deepEqual(await store.get(key), want);
          }
        }),
        { numRuns: runs },
      );
    });

    test('a crash mid-put leaves each key with its old object or its new one, whole; acknowledged puts stay', async (t) => {
      const crashAfter = subject.crashAfter?.bind(subject);
      if (!crashAfter) return t.skip('the subject cannot crash its storage');
      const old = (i: number) => bytes(`old ${i} `.repeat(20));
      const neu = (i: number) => bytes(`new ${i} `.repeat(30));
      for (let ops = 0; ops < 20; ops++) {
        const ns = `crash${ops}/`;
        for (let i = 0; i < 3; i++) await store.put(`${ns}${i}`, old(i));
        crashAfter(ops);
        const acked = await Promise.all(
          [0, 1, 2, 3].map((i) => store.put(`${ns}${i}`, neu(i)).then(() => true, () => false)),
        );
        store = await subject.reopen(store);
        for (let i = 0; i < 4; i++) {
          const head = await store.head(`${ns}${i}`);
          if (acked[i]) {
            assert.deepEqual(await store.get(`${ns}${i}`), neu(i), `acknowledged put ${i} lost (crash at ${ops})`);
          } else if (head === undefined) {
            assert.equal(i, 3, `key ${i} lost its old object (crash at ${ops})`);
          } else {
            const got = await store.get(`${ns}${i}`);
            assert.ok(Buffer.from(got).equals(neu(i)) || (i < 3 && Buffer.from(got).equals(old(i))), `key ${i} is neither old nor new (crash at ${ops})`);
          }
        }
        // No leftover of an interrupted put is listed as an object.
        assert.deepEqual((await store.list(ns)).objects.map((o) => o.key).filter((k) => !/^crash\d+\/\d$/.test(k)), []);
      }
    });

    test('after close every call fails with CLOSED; close is idempotent', async () => {
      await store.put('x', bytes('1'));
      await store.close();
      await store.close();
      const calls: Array<() => Promise<unknown>> = [() => store.put('x', bytes('2')), () => store.get('x'), () => store.getRange('x', 0, 1), () => store.head('x'), () => store.list(''), () => store.delete('x')];
      for (const call of calls) await assert.rejects(call(), coded('CLOSED'));
      store = await subject.reopen(store);
      assert.equal(text(await store.get('x')), '1');
    });
  });
}
