// The one suite every MetaStore implementation passes (STYLE.md habit 5): the embedded
// one on a real folder and on the fault-injecting file system (with a power loss at
// every reopen), and later etcd. A subject supplies its own opening, restarting and, when
// it can, time and crashes; the cases that need what a subject cannot give are skipped,
// each saying why.
import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isElanusError } from '../../../src/errors/index.js';
import { metaLimits, type KeyValue, type MetaStore, type MetaWatch, type WatchBatch } from '../../../src/storage/index.js';

export interface MetaStoreSubject {
  /** Opens the store on the subject's storage (the same data every time, until cleanup). */
  open(): Promise<MetaStore>;
  /**
   * Ends `store` as a restart does and opens the store again: a clean close for a real
   * service, a power loss for a simulated disk. Only what was acknowledged must survive.
   */
  reopen(store: MetaStore): Promise<MetaStore>;
  /** Moves the store's clock forward (lease expiry). Without it (and `wait`) the expiry cases are skipped. */
  advance?(ms: number): void;
  /**
   * Lets `ms` of real time pass, for a store whose clock cannot be moved (a real server);
   * the expiry cases use it where `advance` is absent.
   */
  wait?(ms: number): Promise<void>;
  /** The shortest lease TTL the store keeps as asked (etcd raises shorter ones); the expiry cases use no shorter one. */
  leaseTtlMsMin?: number;
  /**
   * The storage fails every operation after `ops` more writes, like a process killed
   * mid-write; the next reopen brings it back. Without it the crash cases are skipped.
   */
  crashAfter?(ops: number): void;
  cleanup(): Promise<void>;
}

/** Property runs; a subject on a real disk fsyncs for real, so this stays small. */
const runs = 12;

/** The next batch, or fail: a watch that should deliver must not hang the suite. */
async function nextBatch(w: MetaWatch): Promise<WatchBatch> {
  const b = await w.next();
  assert.ok(b !== undefined, 'the watch ended');
  return b;
}

/** Batches until one at or past `revision`. */
async function batchesUntil(w: MetaWatch, revision: number): Promise<WatchBatch[]> {
  const out: WatchBatch[] = [];
  while ((out.at(-1)?.revision ?? 0) < revision) out.push(await nextBatch(w));
  return out;
}

/** Moves the subject's time: its clock when it has one, else real time; undefined when it can do neither. */
function timeMover(subject: MetaStoreSubject): ((ms: number) => Promise<void>) | undefined {
  const advance = subject.advance?.bind(subject);
  if (advance) {
    return async (ms) => advance(ms);
  }
  return subject.wait?.bind(subject);
}

/** A case's lease TTL: `ms`, or the subject's shortest exact TTL if that is longer. */
function leaseTtl(subject: MetaStoreSubject, ms: number): number {
  return Math.max(ms, subject.leaseTtlMsMin ?? 0);
}

function summary(kv: KeyValue | undefined): unknown {
  return kv && { key: kv.key, value: kv.value, createRevision: kv.createRevision, modRevision: kv.modRevision, version: kv.version, lease: kv.lease };
}

export function metaStoreConformance(name: string, make: () => Promise<MetaStoreSubject>): void {
  describe(`MetaStore conformance: ${name}`, () => {
    let subject: MetaStoreSubject;
    let store: MetaStore;

    beforeEach(async () => {
      subject = await make();
      store = await subject.open();
    });
    afterEach(async () => {
      await store.close();
      await subject.cleanup();
    });

    test('put, get and delete keep revisions: create, mod and version per key, one store revision', async () => {
      const r0 = await store.revision();
      const r1 = await store.put('a', 'one');
      assert.equal(r1, r0 + 1);
      assert.deepEqual(summary(await store.get('a')), { key: 'a', value: 'one', createRevision: r1, modRevision: r1, version: 1, lease: 0 });
      const r2 = await store.put('a', 'two');
      assert.equal(r2, r1 + 1);
      assert.deepEqual(summary(await store.get('a')), { key: 'a', value: 'two', createRevision: r1, modRevision: r2, version: 2, lease: 0 });
      assert.equal(await store.delete('a'), true);
      assert.equal(await store.get('a'), undefined);
      const r3 = await store.revision();
      assert.equal(r3, r2 + 1);
      assert.equal(await store.delete('a'), false, 'deleting a missing key reports it');
      assert.equal(await store.revision(), r3, 'and changes no revision');
      const r4 = await store.put('a', 'again');
      assert.deepEqual(summary(await store.get('a')), { key: 'a', value: 'again', createRevision: r4, modRevision: r4, version: 1, lease: 0 }, 'a key created again starts over');
      await store.put('empty', '');
      assert.equal((await store.get('empty'))?.value, '', 'an empty value is a value');
      const unicode = 'ключ/😀';
      await store.put(unicode, 'värde 😀');
      assert.equal((await store.get(unicode))?.value, 'värde 😀');
    });

    test('range returns the keys under a prefix, sorted, pages with limit and startAfter', async () => {
      const keys = ['p/b', 'p/a', 'p/c/1', 'p/c/0', 'q/a', 'p', 'o/z'];
      for (const k of keys) await store.put(k, `v:${k}`);
      const all = await store.range('p/');
      assert.deepEqual(all.kvs.map((kv) => kv.key), ['p/a', 'p/b', 'p/c/0', 'p/c/1']);
      assert.equal(all.more, false);
      assert.equal(all.revision, await store.revision());
      assert.deepEqual(all.kvs.map((kv) => kv.value), ['v:p/a', 'v:p/b', 'v:p/c/0', 'v:p/c/1']);
      const page1 = await store.range('p/', { limit: 3 });
      assert.deepEqual(page1.kvs.map((kv) => kv.key), ['p/a', 'p/b', 'p/c/0']);
      assert.equal(page1.more, true);
      const page2 = await store.range('p/', { limit: 3, startAfter: 'p/c/0' });
      assert.deepEqual(page2.kvs.map((kv) => kv.key), ['p/c/1']);
      assert.equal(page2.more, false);
      assert.deepEqual((await store.range('')).kvs.map((kv) => kv.key), ['o/z', 'p', 'p/a', 'p/b', 'p/c/0', 'p/c/1', 'q/a']);
      assert.deepEqual((await store.range('nothing/')).kvs, []);
      const exact = await store.range('p/a', { limit: 1 });
      assert.deepEqual(exact.kvs.map((kv) => kv.key), ['p/a']);
      assert.equal(exact.more, false);
    });

    test('txn: compares on value, version, revisions, lease and existence choose the branch', async () => {
      const r = await store.put('k', 'v1');
      const kv = (await store.get('k'))!;
      const yes = async (compare: Parameters<MetaStore['txn']>[0]['compare']) => (await store.txn({ compare })).succeeded;
      assert.equal(await yes([{ key: 'k', target: 'value', op: '=', value: 'v1' }]), true);
      assert.equal(await yes([{ key: 'k', target: 'value', op: '!=', value: 'v1' }]), false);
      assert.equal(await yes([{ key: 'k', target: 'value', op: '<', value: 'v2' }]), true);
      assert.equal(await yes([{ key: 'k', target: 'value', op: '>', value: 'v2' }]), false);
      assert.equal(await yes([{ key: 'k', target: 'version', op: '=', value: 1 }]), true);
      assert.equal(await yes([{ key: 'k', target: 'modRevision', op: '=', value: r }]), true);
      assert.equal(await yes([{ key: 'k', target: 'createRevision', op: '<', value: r }]), false);
      assert.equal(await yes([{ key: 'k', target: 'lease', op: '=', value: 0 }]), true);
      assert.equal(await yes([{ key: 'k', target: 'exists', value: true }]), true);
      assert.equal(await yes([{ key: 'missing', target: 'exists', value: false }]), true);
      assert.equal(await yes([{ key: 'missing', target: 'version', op: '=', value: 0 }]), true, 'a missing key has version 0');
      assert.equal(await yes([{ key: 'missing', target: 'modRevision', op: '<', value: 1 }]), true, 'and mod revision 0');
      assert.equal(await yes([{ key: 'missing', target: 'value', op: '!=', value: 'x' }]), false, "a missing key's value compares false");
      assert.equal(await yes([{ key: 'k', target: 'exists', value: true }, { key: 'missing', target: 'exists', value: true }]), false, 'every compare must hold');
      assert.equal(await yes([]), true, 'no compare holds');
      assert.equal(kv.version, 1);

      const before = await store.revision();
      const ok = await store.txn({
        compare: [{ key: 'k', target: 'modRevision', op: '=', value: r }],
        success: [{ op: 'put', key: 'k', value: 'v2' }, { op: 'put', key: 'j', value: 'j1' }, { op: 'get', key: 'k' }, { op: 'get', key: 'missing' }],
        failure: [{ op: 'put', key: 'f', value: 'never' }],
      });
      assert.equal(ok.succeeded, true);
      assert.equal(ok.revision, before + 1, 'one transaction is one revision');
      assert.deepEqual(ok.results.map((x) => x.op), ['put', 'put', 'get', 'get']);
      const got = ok.results[2] as { op: 'get'; kv: KeyValue };
      assert.deepEqual(summary(got.kv), { key: 'k', value: 'v2', createRevision: r, modRevision: ok.revision, version: 2, lease: 0 }, "a get sees the branch's earlier writes");
      assert.equal((ok.results[3] as { kv: unknown }).kv, undefined);
      assert.equal((await store.get('j'))?.modRevision, ok.revision);
      assert.equal(await store.get('f'), undefined);

      const no = await store.txn({
        compare: [{ key: 'k', target: 'modRevision', op: '=', value: r }],
        success: [{ op: 'put', key: 's', value: 'never' }],
        failure: [{ op: 'get', key: 'k' }, { op: 'delete', key: 'j' }],
      });
      assert.equal(no.succeeded, false);
      assert.equal(no.revision, ok.revision + 1);
      assert.equal((no.results[0] as { kv: KeyValue }).kv.value, 'v2');
      assert.deepEqual(no.results[1], { op: 'delete', deleted: 1 });
      assert.equal(await store.get('j'), undefined);
      assert.equal(await store.get('s'), undefined);

      const read = await store.txn({ success: [{ op: 'get', key: 'k' }] });
      assert.equal(read.revision, no.revision, 'a read-only transaction makes no revision');
    });

    test('txn: deletePrefix deletes every key under the prefix in one revision', async () => {
      for (const k of ['d/1', 'd/2', 'd/3/x', 'e/1']) await store.put(k, 'v');
      const r = await store.txn({ success: [{ op: 'deletePrefix', prefix: 'd/' }, { op: 'put', key: 'e/2', value: 'w' }] });
      assert.deepEqual(r.results[0], { op: 'deletePrefix', deleted: 3 });
      assert.deepEqual((await store.range('d/')).kvs, []);
      assert.equal((await store.get('e/2'))?.modRevision, r.revision);
      const none = await store.txn({ success: [{ op: 'deletePrefix', prefix: 'd/' }] });
      assert.deepEqual(none.results[0], { op: 'deletePrefix', deleted: 0 });
      assert.equal(none.revision, r.revision, 'deleting nothing makes no revision');
    });

    test('every invalid request is a coded error and changes nothing', async () => {
      await store.put('keep', 'v');
      const revision = await store.revision();
      const big = 'x'.repeat(metaLimits.keyBytesMax + 1);
      const cases: Array<[string, () => Promise<unknown>, string]> = [
        ['empty key', () => store.put('', 'v'), 'INVALID_ARGUMENT'],
        ['number key', () => store.put(7 as unknown as string, 'v'), 'INVALID_ARGUMENT'],
        ['lone surrogate', () => store.put('a\uD800', 'v'), 'INVALID_ARGUMENT'],
        ['key too long', () => store.put(big, 'v'), 'LIMIT_EXCEEDED'],
        ['value not a string', () => store.put('k', { a: 1 } as unknown as string), 'INVALID_ARGUMENT'],
        ['value too long', () => store.put('k', 'x'.repeat(metaLimits.valueBytesMax + 1)), 'LIMIT_EXCEEDED'],
        ['get of empty key', () => store.get(''), 'INVALID_ARGUMENT'],
        ['range limit 0', () => store.range('', { limit: 0 }), 'INVALID_ARGUMENT'],
        ['range limit too high', () => store.range('', { limit: metaLimits.rangeLimitMax + 1 }), 'INVALID_ARGUMENT'],
        ['range prefix not a string', () => store.range(null as unknown as string), 'INVALID_ARGUMENT'],
        ['txn not an object', () => store.txn(null as never), 'INVALID_ARGUMENT'],
        ['compare with bad op', () => store.txn({ compare: [{ key: 'k', target: 'version', op: '>=' as '=', value: 1 }] }), 'INVALID_ARGUMENT'],
        ['compare with bad target', () => store.txn({ compare: [{ key: 'k', target: 'colour' as 'version', op: '=', value: 1 }] }), 'INVALID_ARGUMENT'],
        ['compare version with a string', () => store.txn({ compare: [{ key: 'k', target: 'version', op: '=', value: '1' as unknown as number }] }), 'INVALID_ARGUMENT'],
        ['unknown op', () => store.txn({ success: [{ op: 'upsert' } as never] }), 'INVALID_ARGUMENT'],
        ['a key written twice', () => store.txn({ success: [{ op: 'put', key: 'k', value: '1' }, { op: 'delete', key: 'k' }] }), 'INVALID_ARGUMENT'],
        ['a put under a deleted prefix', () => store.txn({ failure: [{ op: 'deletePrefix', prefix: 'k' }, { op: 'put', key: 'keep', value: '2' }] }), 'INVALID_ARGUMENT'],
        ['too many operations', () => store.txn({ success: Array.from({ length: metaLimits.txnOpsMax + 1 }, (_, i) => ({ op: 'put' as const, key: `n/${i}`, value: '' })) }), 'LIMIT_EXCEEDED'],
        ['too many compares', () => store.txn({ compare: Array.from({ length: metaLimits.txnOpsMax + 1 }, () => ({ key: 'k', target: 'exists' as const, value: true })) }), 'LIMIT_EXCEEDED'],
        ['put with a lease that does not exist', () => store.put('leased', 'v', { lease: 987654 }), 'LEASE_NOT_FOUND'],
        ['negative lease', () => store.put('leased', 'v', { lease: -1 }), 'INVALID_ARGUMENT'],
        ['watch from revision 0', () => store.watch('', { fromRevision: 0 }), 'INVALID_ARGUMENT'],
        ['watch from a fraction', () => store.watch('', { fromRevision: 1.5 }), 'INVALID_ARGUMENT'],
        ['compact a future revision', () => store.compact(revision + 100), 'INVALID_ARGUMENT'],
        ['lease TTL 0', () => store.grantLease(0), 'INVALID_ARGUMENT'],
        ['lease TTL too long', () => store.grantLease(metaLimits.leaseTtlMsMax + 1), 'INVALID_ARGUMENT'],
        ['keep-alive of lease 0', () => store.keepAlive(0), 'INVALID_ARGUMENT'],
        ['keep-alive of a missing lease', () => store.keepAlive(987654), 'LEASE_NOT_FOUND'],
        ['revoke of a missing lease', () => store.revokeLease(987654), 'LEASE_NOT_FOUND'],
      ];
      for (const [what, call, code] of cases) {
        await assert.rejects(Promise.resolve().then(call), (e: unknown) => isElanusError(e) && e.code === code, `${what}: ${code}`);
      }
      assert.equal(await store.revision(), revision, 'no refused request changed anything');
      assert.deepEqual((await store.range('')).kvs.map((kv) => kv.key), ['keep']);
    });

    test('two compare-and-set transactions on one key at once: exactly one wins', async () => {
      const r = await store.put('lock', 'free');
      const attempt = (who: string) =>
        store.txn({ compare: [{ key: 'lock', target: 'modRevision', op: '=', value: r }], success: [{ op: 'put', key: 'lock', value: who }] });
      const [a, b] = await Promise.all([attempt('a'), attempt('b')]);
      assert.equal([a, b].filter((x) => x.succeeded).length, 1);
      const winner = a.succeeded ? 'a' : 'b';
      assert.equal((await store.get('lock'))?.value, winner);
      // Creation races the same way: compare on existence.
      const create = (who: string) =>
        store.txn({ compare: [{ key: 'leader', target: 'exists', value: false }], success: [{ op: 'put', key: 'leader', value: who }] });
      const results = await Promise.all(['x', 'y', 'z', 'w'].map(create));
      assert.equal(results.filter((x) => x.succeeded).length, 1);
    });

    test('concurrent compare-and-set increments lose no update (property)', async () => {
      let round = 0;
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 2, max: 8 }), fc.integer({ min: 1, max: 3 }), async (workers, each) => {
          const key = `counter/${round++}`;
          await store.put(key, '0');
          const revisions = new Set<number>();
          const worker = async () => {
            for (let done = 0; done < each; ) {
              const kv = (await store.get(key))!;
              const r = await store.txn({
                compare: [{ key, target: 'version', op: '=', value: kv.version }],
                success: [{ op: 'put', key, value: String(Number(kv.value) + 1) }],
              });
              if (r.succeeded) {
                assert.ok(!revisions.has(r.revision), 'two winners share a revision');
                revisions.add(r.revision);
                done++;
              }
            }
          };
          await Promise.all(Array.from({ length: workers }, worker));
          const kv = (await store.get(key))!;
          assert.equal(kv.value, String(workers * each));
          assert.equal(kv.version, workers * each + 1);
        }),
        { numRuns: runs },
      );
    });

    test('acknowledged writes and revisions survive a restart; the revision goes on from there', async () => {
      await store.put('a', '1');
      await store.put('b', '2');
      await store.txn({ success: [{ op: 'put', key: 'a', value: '3' }, { op: 'delete', key: 'b' }] });
      const before = (await store.range('')).kvs.map(summary);
      const revision = await store.revision();
      store = await subject.reopen(store);
      assert.deepEqual((await store.range('')).kvs.map(summary), before);
      assert.equal(await store.revision(), revision);
      assert.equal(await store.put('c', '4'), revision + 1);
    });

    test('random histories with restarts read back as the model says (property)', async () => {
      const op = fc.oneof(
        fc.record({ kind: fc.constant('put' as const), key: fc.constantFrom('a', 'b', 'c/1', 'c/2'), value: fc.string({ maxLength: 8 }) }),
        fc.record({ kind: fc.constant('delete' as const), key: fc.constantFrom('a', 'b', 'c/1', 'c/2') }),
        fc.record({ kind: fc.constant('deletePrefix' as const), key: fc.constant('c/') }),
        fc.record({ kind: fc.constant('reopen' as const) }),
      );
      let round = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(op, { maxLength: 14 }), async (ops) => {
          const ns = `h${round++}/`;
          const model = new Map<string, { value: string; version: number; create: number; mod: number }>();
          for (const o of ops) {
            if (o.kind === 'reopen') {
              store = await subject.reopen(store);
              continue;
            }
            const key = ns + o.key;
            if (o.kind === 'put') {
              const r = await store.put(key, o.value);
              const old = model.get(key);
              model.set(key, { value: o.value, version: (old?.version ?? 0) + 1, create: old?.create ?? r, mod: r });
            } else if (o.kind === 'delete') {
              assert.equal(await store.delete(key), model.delete(key));
            } else {
              await store.txn({ success: [{ op: 'deletePrefix', prefix: key }] });
              for (const k of [...model.keys()]) if (k.startsWith(key)) model.delete(k);
            }
          }
          const got = (await store.range(ns)).kvs.map((kv) => [kv.key, { value: kv.value, version: kv.version, create: kv.createRevision, mod: kv.modRevision }]);
          assert.deepEqual(got, [...model.entries()].sort((x, y) => (x[0] < y[0] ? -1 : 1)));
        }),
        { numRuns: runs },
      );
    });

    test('a watch delivers every revision under its prefix once, in order, puts and deletes', async () => {
      const start = (await store.revision()) + 1;
      const w = await store.watch('w/');
      const r1 = await store.put('w/a', '1');
      await store.put('other', 'x');
      const r2 = await store.txn({ success: [{ op: 'put', key: 'w/b', value: '2' }, { op: 'put', key: 'w/a', value: '3' }] });
      const r3 = await store.txn({ success: [{ op: 'deletePrefix', prefix: 'w/' }] });
      const batches = await batchesUntil(w, r3.revision);
      assert.deepEqual(batches.map((b) => b.revision), [r1, r2.revision, r3.revision]);
      assert.ok(r1 >= start);
      assert.deepEqual(batches[0]!.events.map((e) => [e.type, e.kv.key, e.kv.value, e.kv.version]), [['put', 'w/a', '1', 1]]);
      const second = batches[1]!.events.map((e) => [e.type, e.kv.key, e.kv.value, e.kv.modRevision]).sort();
      assert.deepEqual(second, [['put', 'w/a', '3', r2.revision], ['put', 'w/b', '2', r2.revision]]);
      const third = batches[2]!.events.map((e) => [e.type, e.kv.key, e.kv.modRevision]).sort();
      assert.deepEqual(third, [['delete', 'w/a', r3.revision], ['delete', 'w/b', r3.revision]]);
      w.close();
      assert.equal(await w.next(), undefined, 'a closed watch ends');
      w.close();
    });

    test('a watch from an earlier revision replays the history from there', async () => {
      const r1 = await store.put('h/a', '1');
      const r2 = await store.put('h/b', '2');
      const r3 = await store.delete('h/a').then(() => store.revision());
      const w = await store.watch('h/', { fromRevision: r2 });
      const seen: Array<[number, string, string]> = [];
      for await (const b of w) {
        for (const e of b.events) seen.push([b.revision, e.type, e.kv.key]);
        if (b.revision >= r3) break;
      }
      assert.deepEqual(seen, [[r2, 'put', 'h/b'], [r3, 'delete', 'h/a']]);
      assert.ok(r1 < r2);
      assert.equal(await w.next(), undefined, 'leaving a for-await loop closes the watch');
    });

    test('after a restart a watch resumes from a revision seen before it', async () => {
      const r1 = await store.put('resume/a', '1');
      const r2 = await store.put('resume/b', '2');
      store = await subject.reopen(store);
      const w = await store.watch('resume/', { fromRevision: r1 + 1 });
      const r3 = await store.put('resume/a', '3');
      const batches = await batchesUntil(w, r3);
      w.close();
      assert.deepEqual(batches.map((b) => [b.revision, b.events[0]!.kv.key]), [[r2, 'resume/b'], [r3, 'resume/a']]);
    });

    test('a watch from a compacted revision fails with COMPACTED; from the compaction point it works', async () => {
      const r1 = await store.put('c/a', '1');
      const r2 = await store.put('c/a', '2');
      await store.compact(r2);
      await assert.rejects(store.watch('c/', { fromRevision: r1 }), (e: unknown) => isElanusError(e, 'COMPACTED'));
      const w = await store.watch('c/', { fromRevision: r2 });
      const b = await nextBatch(w);
      assert.equal(b.revision, r2);
      assert.equal(b.events[0]!.kv.value, '2');
      w.close();
    });

    test('concurrent writers: a watch sees every revision exactly once, in order, matching the final state (property)', async () => {
      let round = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd'), fc.option(fc.string({ maxLength: 4 }), { nil: undefined })), { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 5 }),
          async (waves) => {
            const ns = `cw${round++}/`;
            const w = await store.watch(ns);
            let last = 0;
            for (const wave of waves) {
              // Each wave's writes are issued at once and race each other.
              const revs = await Promise.all(wave.map(([k, v]) => (v === undefined ? store.delete(ns + k).then(() => 0) : store.put(ns + k, v))));
              last = Math.max(last, ...revs);
            }
            const final = await store.revision();
            await store.put(`${ns}end`, '');
            const batches = await batchesUntil(w, final + 1);
            w.close();
            const revisions = batches.map((b) => b.revision);
            assert.deepEqual(revisions, [...revisions].sort((x, y) => x - y));
            assert.equal(new Set(revisions).size, revisions.length, 'a revision delivered twice');
            assert.ok(last <= final);
            // Replaying the events gives the store's state.
            const state = new Map<string, string>();
            for (const b of batches) for (const e of b.events) e.type === 'put' ? state.set(e.kv.key, e.kv.value) : state.delete(e.kv.key);
            const stored = new Map((await store.range(ns)).kvs.map((kv) => [kv.key, kv.value]));
            assert.deepEqual(state, stored);
          },
        ),
        { numRuns: runs },
      );
    });

    test('a watcher that waits is woken by the next write; close ends a pending read', async () => {
      const w = await store.watch('wake/');
      const pending = w.next();
      const r = await store.put('wake/x', '1');
      assert.equal((await pending)?.revision, r);
      const idle = w.next();
      w.close();
      assert.equal(await idle, undefined);
    });

    test('leases: keys put with a lease go when it is revoked, and a watch sees them go', async () => {
      const lease = await store.grantLease(60_000);
      assert.ok(Number.isSafeInteger(lease) && lease > 0);
      await store.put('l/a', '1', { lease });
      await store.txn({ success: [{ op: 'put', key: 'l/b', value: '2', lease }] });
      await store.put('l/c', '3');
      assert.equal((await store.get('l/a'))?.lease, lease);
      assert.equal((await store.txn({ compare: [{ key: 'l/b', target: 'lease', op: '=', value: lease }] })).succeeded, true);
      assert.equal(await store.keepAlive(lease), 60_000);
      const w = await store.watch('l/');
      await store.revokeLease(lease);
      const b = await nextBatch(w);
      assert.deepEqual(b.events.map((e) => [e.type, e.kv.key]).sort(), [['delete', 'l/a'], ['delete', 'l/b']]);
      w.close();
      assert.deepEqual((await store.range('l/')).kvs.map((kv) => kv.key), ['l/c']);
      await assert.rejects(store.keepAlive(lease), (e: unknown) => isElanusError(e, 'LEASE_NOT_FOUND'));
      await assert.rejects(store.revokeLease(lease), (e: unknown) => isElanusError(e, 'LEASE_NOT_FOUND'));
      await assert.rejects(store.put('l/d', '4', { lease }), (e: unknown) => isElanusError(e, 'LEASE_NOT_FOUND'));
      // A put without the lease detaches the key from it.
      const other = await store.grantLease(60_000);
      await store.put('l/e', '5', { lease: other });
      await store.put('l/e', '6');
      await store.revokeLease(other);
      assert.equal((await store.get('l/e'))?.value, '6');
    });

    test('leases: expiry deletes the keys; a keep-alive holds it off', async (t) => {
      const pass = timeMover(subject);
      if (!pass) return t.skip('the subject can neither move time nor wait');
      // With a clock the times are 3000, 2000 and 1500 ms; a longer shortest TTL scales them.
      const ttl = leaseTtl(subject, 3000);
      const short = await store.grantLease(ttl);
      const kept = await store.grantLease(ttl);
      await store.put('x/short', 's', { lease: short });
      await store.put('x/kept', 'k', { lease: kept });
      const w = await store.watch('x/');
      await pass((ttl * 2) / 3);
      await store.keepAlive(kept);
      await pass(ttl / 2);
      const b = await nextBatch(w);
      assert.deepEqual(b.events.map((e) => [e.type, e.kv.key]), [['delete', 'x/short']]);
      assert.equal((await store.get('x/kept'))?.value, 'k', 'the kept-alive lease still holds its key');
      await assert.rejects(store.keepAlive(short), (e: unknown) => isElanusError(e, 'LEASE_NOT_FOUND'));
      await pass(ttl);
      const b2 = await nextBatch(w);
      assert.deepEqual(b2.events.map((e) => [e.type, e.kv.key]), [['delete', 'x/kept']]);
      w.close();
    });

    test('leases survive a restart with their keys, and expire after it', async (t) => {
      const ttl = leaseTtl(subject, 5000);
      const lease = await store.grantLease(ttl);
      await store.put('s/a', '1', { lease });
      store = await subject.reopen(store);
      assert.equal((await store.get('s/a'))?.lease, lease);
      assert.equal(await store.keepAlive(lease), ttl);
      const pass = timeMover(subject);
      if (!pass) return t.skip('the subject can neither move time nor wait: expiry after a restart not checked');
      const w = await store.watch('s/');
      await pass(ttl);
      assert.deepEqual((await nextBatch(w)).events.map((e) => [e.type, e.kv.key]), [['delete', 's/a']]);
      w.close();
    });

    test('concurrent revokes of one lease: one succeeds, the other finds no lease', async () => {
      const lease = await store.grantLease(60_000);
      await store.put('r/a', '1', { lease });
      const results = await Promise.allSettled([store.revokeLease(lease), store.revokeLease(lease)]);
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      assert.ok(isElanusError(failed?.reason, 'LEASE_NOT_FOUND'));
      assert.equal(await store.get('r/a'), undefined);
    });

    test('after close every call fails with CLOSED and watches end; close is idempotent', async () => {
      const w = await store.watch('');
      const pending = w.next();
      await store.close();
      await store.close();
      assert.equal(await pending, undefined);
      const calls: Array<() => Promise<unknown>> = [() => store.get('a'), () => store.put('a', 'b'), () => store.range(''), () => store.txn({}), () => store.watch(''), () => store.grantLease(1000)];
      for (const call of calls) {
        await assert.rejects(Promise.resolve().then(call), (e: unknown) => isElanusError(e, 'CLOSED'));
      }
      store = await subject.reopen(store);
    });

    test('a crash mid-write loses only unacknowledged transactions, each whole or not at all', async (t) => {
      const crashAfter = subject.crashAfter?.bind(subject);
      if (!crashAfter) return t.skip('the subject cannot crash its storage');
      for (let ops = 0; ops < 12; ops++) {
        const ns = `crash${ops}/`;
        await store.put(`${ns}base`, 'b');
        crashAfter(ops);
        // Each transaction writes three keys with one marker: visible together or not at all.
        const txns = Array.from({ length: 6 }, (_, i) =>
          store.txn({ success: [0, 1, 2].map((j) => ({ op: 'put' as const, key: `${ns}${i}/${j}`, value: `t${i}` })) }).then(
            () => true,
            () => false,
          ),
        );
        const acked = await Promise.all(txns);
        store = await subject.reopen(store);
        assert.equal((await store.get(`${ns}base`))?.value, 'b', 'acknowledged before the crash');
        for (let i = 0; i < 6; i++) {
          const kvs = (await store.range(`${ns}${i}/`)).kvs;
          assert.ok(kvs.length === 0 || kvs.length === 3, `transaction ${i} half visible after a crash at ${ops}`);
          if (acked[i]) assert.equal(kvs.length, 3, `acknowledged transaction ${i} lost (crash at ${ops})`);
        }
      }
    });
  });
}
