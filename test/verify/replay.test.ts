// A seed replays: consumer-groups runs in one process under a seeded scheduler, so the
// same seed gives the same interleavings, operation for operation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runVerify } from '../../src/verify/run.js';

test('the same seed replays the same interleavings; another seed explores others', { timeout: 120_000 }, async () => {
  const run = (seed: number) => runVerify({ scenario: 'consumer-groups', durationMs: 600_000, concurrency: 1, rows: 1, interleavings: 300, seed, progress: false });
  const [a, b, c] = [await run(77), await run(77), await run(78)];
  const shape = (r: typeof a) => ({ figures: r.figures, ops: r.operations.map((o) => [o.kind, o.count, o.ok, o.failed]) });
  assert.deepEqual(shape(a), shape(b));
  assert.notDeepEqual(shape(a), shape(c));
  assert.equal(a.violationsTotal, 0);
});
