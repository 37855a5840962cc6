// Story 3, first half of the runs (the other file runs the second half on the other core).
import { test } from 'node:test';
import { checkInterleavings } from './interleaving.js';

test('destroying consumer groups while notifications are delivered is safe (5,000 schedules)', async () => {
  await checkInterleavings(5_000);
});
