// Story 3 at CI size, part 1 of 2 (the two files run on both cores): 5,000 seeded
// interleavings of consumer-group create/destroy, appends and notifications.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runClean } from './helpers.js';

test('consumer-groups: 5,000 interleavings (seed 1), no delivery after destroy, nothing lost', { timeout: 300_000 }, async () => {
  const r = await runClean(
    { scenario: 'consumer-groups', durationMs: 3_600_000, concurrency: 1, rows: 1, interleavings: 5_000, seed: 1 },
    ['no notification after close/destroy', 'log positions never go back', 'catalog matches', 'no crash'],
  );
  assert.equal(r.figures.interleavings, 5_000);
  // A run that never reached the race would pass for the wrong reason.
  assert.ok(Number(r.figures.destroyDuringDelivery) > 250, `destroy during delivery in only ${r.figures.destroyDuringDelivery} runs`);
  assert.ok(Number(r.figures.commitsFailedByDestroy) > 100, `a destroy failed a commit in only ${r.figures.commitsFailedByDestroy} runs`);
});
