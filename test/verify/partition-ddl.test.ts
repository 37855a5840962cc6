// Story 2 at CI size: many partition lifecycles with BITMAP indexes racing a dropper;
// every race ends in a coded error, a released partition refuses searches, the catalog
// matches the model before and after a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dataInvariants, runClean } from './helpers.js';

test('partition-ddl: concurrent lifecycles racing drops never corrupt the catalog', { timeout: 240_000 }, async () => {
  const r = await runClean(
    { scenario: 'partition-ddl', spawn: true, durationMs: 15_000, concurrency: 8, rows: 1_000, dim: 16, seed: 202 },
    [...dataInvariants, 'catalog matches', 'no orphan segment files'],
  );
  assert.ok(Number(r.figures.partitionLifecycles) >= 20, `only ${r.figures.partitionLifecycles} lifecycles`);
  const op = (kind: string) => r.operations.find((o) => o.kind === kind);
  // The searches after a release all failed, and cleanly (a violation otherwise).
  for (const kind of ['search-released', 'hybrid-search-released']) {
    assert.ok((op(kind)?.count ?? 0) > 0, `no ${kind}`);
    assert.equal(op(kind)?.ok, 0);
  }
  assert.ok((op('hybrid-search')?.ok ?? 0) > 0, 'no successful hybrid search');
  // The dropper raced the lifecycles: some of their operations failed, each explained.
  assert.ok((op('drop-partition')?.failed ?? 0) > 0, 'no drop raced another');
});
