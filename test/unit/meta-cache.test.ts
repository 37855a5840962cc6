// The engine's copy of the MetaStore (catalog/meta-cache.ts): loaded page by page, it must
// be the store's state at one revision, or a reader beside a writer (a cluster's read
// replica) could hold half of a transaction.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetaCache, type EngineMetaStore } from '../../src/catalog/index.js';
import type { KeyValue, RangeOptions, RangeResponse } from '../../src/storage/index.js';

const kv = (key: string, value: string, rev: number): KeyValue => ({ key, value, createRevision: rev, modRevision: rev, version: 1, lease: 0 });

test('a load whose pages were read at different revisions reads again, and keeps the state of one revision', async () => {
  // Two pages of one key each. On the first pass a writer moves "b" between the two
  // page reads (revision 7 → 8, and "a" changes with it in the same transaction).
  let pass = 0;
  let ranges = 0;
  const store = {
    async range(_prefix: string, opts?: RangeOptions): Promise<RangeResponse> {
      ranges++;
      const second = opts?.startAfter !== undefined;
      if (!second) pass++;
      if (pass === 1) return second ? { kvs: [kv('b', '"new"', 8)], more: false, revision: 8 } : { kvs: [kv('a', '"old"', 7)], more: true, revision: 7 };
      return second ? { kvs: [kv('b', '"new"', 8)], more: false, revision: 8 } : { kvs: [kv('a', '"new"', 8)], more: true, revision: 8 };
    },
  } as unknown as EngineMetaStore;
  const cache = await MetaCache.load(store);
  assert.equal(pass, 2, 'the mixed first pass was read again');
  assert.equal(ranges, 4);
  assert.equal(cache.revision, 8);
  assert.equal(cache.get('a'), 'new');
  assert.equal(cache.get('b'), 'new');
});
