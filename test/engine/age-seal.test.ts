// Growing segments are sealed and flushed by age by the background pass, without any
// call from the user.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Elanus, DataType } from '../../src/index.js';
import { FaultFileSystem } from '../../src/testing/index.js';

test('a growing segment older than segmentAgeMaxMs is flushed in the background', async () => {
  let now = 1_800_000_000_000;
  const clock = { now: () => now };
  const db = await Elanus.open({ path: '/d', fs: new FaultFileSystem(), clock, limits: { backgroundIntervalMs: 10, segmentAgeMaxMs: 60_000 } });
  try {
    await db.createCollection({ collection_name: 'aging', fields: [
      { name: 'id', data_type: DataType.Int64, is_primary_key: true },
      { name: 'vec', data_type: DataType.FloatVector, dim: 2 },
    ] });
    await db.insert({ collection_name: 'aging', data: [{ id: 1, vec: [1, 2] }] });
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(db.segmentInfo({ collection_name: 'aging' }).map((s) => s.state), ['growing'], 'young segments stay growing');
    now += 61_000;
    for (let i = 0; i < 100 && db.segmentInfo({ collection_name: 'aging' })[0]!.state !== 'flushed'; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(db.segmentInfo({ collection_name: 'aging' }).map((s) => s.state), ['flushed']);
  } finally {
    await db.close();
  }
});
