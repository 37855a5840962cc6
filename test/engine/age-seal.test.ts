// Growing segments are sealed and flushed by age by the background pass, without any
// call from the user. The clock and the timers are a SimulatedClock: the pass runs exactly
// when the test advances time, and nothing here sleeps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Elanus, DataType } from '../../src/index.js';
import { FaultFileSystem, SimulatedClock } from '../../src/testing/index.js';

test('a growing segment older than segmentAgeMaxMs is flushed in the background', async () => {
  const clock = new SimulatedClock(1_800_000_000_000);
  const db = await Elanus.open({ path: '/d', fs: new FaultFileSystem(), clock, timers: clock, limits: { backgroundIntervalMs: 10, segmentAgeMaxMs: 60_000 } });
  try {
    assert.equal(clock.pending, 1, 'the background pass is the engine\'s one timer');
    await db.createCollection({ collection_name: 'aging', fields: [
      { name: 'id', data_type: DataType.Int64, is_primary_key: true },
      { name: 'vec', data_type: DataType.FloatVector, dim: 2 },
    ] });
    await db.insert({ collection_name: 'aging', data: [{ id: 1, vec: [1, 2] }] });
    const states = () => db.segmentInfo({ collection_name: 'aging' }).map((s) => s.state);
    // A flush the pass starts runs on the event loop after it (its file system is in memory):
    // let the loop turn a bounded number of times, never wait on the wall clock.
    const settle = async () => {
      for (let i = 0; i < 1000 && states()[0] !== 'flushed'; i++) await new Promise((r) => setImmediate(r));
    };
    clock.advance(59_000);
    await settle();
    assert.deepEqual(states(), ['growing'], 'young segments stay growing');
    clock.advance(2_000);
    await settle();
    assert.deepEqual(states(), ['flushed'], 'the pass flushed the segment once it was 60 s old');
  } finally {
    await db.close();
  }
  assert.equal(clock.pending, 0, 'close cancels the timer');
});
