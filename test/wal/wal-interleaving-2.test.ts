// Story 3, second half of the runs (see interleaving.ts for what each run checks).
import { test } from 'node:test';
import { checkInterleavings } from './interleaving.js';

test('destroying consumer groups while notifications are delivered is safe (5,000 more schedules)', async () => {
  await checkInterleavings(5_000);
});
