// Story 1 at CI size: inserts, deletes, queries, searches and partition lifecycles at
// once on a spawned server, 128-dim vectors with an HNSW index; then a clean restart and
// the full check, the catalog and the data folder's files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dataInvariants, runClean } from './helpers.js';

test('mixed: concurrent writes, reads and partition lifecycles keep every invariant', { timeout: 240_000 }, async () => {
  const r = await runClean(
    { scenario: 'mixed', spawn: true, durationMs: 20_000, concurrency: 8, rows: 2_000, seed: 101 },
    [...dataInvariants, 'catalog matches', 'no orphan segment files'],
  );
  assert.ok(Number(r.figures.partitionLifecycles) >= 5, `only ${r.figures.partitionLifecycles} partition lifecycles`);
  for (const kind of ['insert', 'upsert', 'delete', 'query-point', 'query-range', 'count', 'search', 'create-partition', 'drop-partition']) {
    assert.ok((r.operations.find((o) => o.kind === kind)?.ok ?? 0) > 0, `no successful ${kind}`);
  }
});
