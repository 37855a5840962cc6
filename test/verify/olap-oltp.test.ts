// Story 5 at CI size: query iterators and large queries beside point reads, searches and
// writes; iterators in key order, each key once, nothing skipped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dataInvariants, runClean } from './helpers.js';

test('olap-oltp: iterators and large queries beside OLTP traffic return exact results', { timeout: 240_000 }, async () => {
  const r = await runClean(
    { scenario: 'olap-oltp', spawn: true, durationMs: 15_000, concurrency: 8, rows: 3_000, dim: 32, seed: 505 },
    [...dataInvariants, 'iterators return keys in order', 'no orphan segment files'],
  );
  assert.ok((r.operations.find((o) => o.kind === 'iterator')?.ok ?? 0) >= 4, 'too few iterators completed');
});
