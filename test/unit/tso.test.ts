import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tso, composeTs, physicalOf, type Clock } from '../../src/tso/index.js';
import { EmbeddedMetaStore } from '../../src/storage/index.js';
import { FaultFileSystem } from '../../src/testing/index.js';

class ManualClock implements Clock {
  constructor(public ms: number) {}
  now(): number {
    return this.ms;
  }
}

async function openTso(meta: EmbeddedMetaStore, clock: Clock): Promise<Tso> {
  return Tso.open({
    clock,
    loadHighWater: () => (meta.get('tso') as number | undefined) ?? 0,
    storeHighWater: (hw) => meta.commit({ put: { tso: hw } }),
  });
}

test('timestamps are (physical << 18) | logical and strictly increasing within a millisecond', async () => {
  const fs = new FaultFileSystem();
  const meta = await EmbeddedMetaStore.open({ fs, dir: '/m' });
  const clock = new ManualClock(1_700_000_000_000);
  const tso = await openTso(meta, clock);
  const a = tso.next();
  const b = tso.next();
  assert.ok(b > a);
  assert.equal(physicalOf(a), clock.ms);
  assert.equal(b - a, 1n);
  assert.equal(composeTs(5, 3), (5n << 18n) | 3n);
});

test('a clock that goes backwards does not make timestamps go backwards, also across restarts and power loss', async () => {
  const fs = new FaultFileSystem({ seed: 3 });
  let meta = await EmbeddedMetaStore.open({ fs, dir: '/m' });
  const clock = new ManualClock(1_700_000_000_000);
  let tso = await openTso(meta, clock);
  let last = 0n;
  for (let i = 0; i < 5000; i++) {
    if (i % 1000 === 0) clock.ms += 10;
    const t = tso.next();
    assert.ok(t > last);
    last = t;
  }
  await tso.settle();
  fs.powerLoss();
  clock.ms -= 60_000; // the machine comes back with its clock a minute behind
  meta = await EmbeddedMetaStore.open({ fs, dir: '/m' });
  tso = await openTso(meta, clock);
  const first = tso.next();
  assert.ok(first > last, `after restart ${first} must exceed ${last}`);
});

test('allocation past the stored high-water mark is refused with a retryable code until the mark is stored', async () => {
  const fs = new FaultFileSystem();
  const meta = await EmbeddedMetaStore.open({ fs, dir: '/m' });
  const clock = new ManualClock(1_000_000);
  const tso = await Tso.open({
    clock,
    windowMs: 2,
    loadHighWater: () => 0,
    // The store never completes: the window can never move.
    storeHighWater: (hw) => (hw > 1_000_003 ? new Promise(() => {}) : meta.commit({ put: { tso: hw } })),
  });
  clock.ms += 100;
  assert.throws(() => { for (let i = 0; i < 3 * 262_144; i++) tso.next(); }, { code: 'TIMEOUT' });
});

test('a clock that jumps forward moves the stored mark with it', async () => {
  const fs = new FaultFileSystem();
  const meta = await EmbeddedMetaStore.open({ fs, dir: '/m' });
  const clock = new ManualClock(1_000_000);
  const tso = await openTso(meta, clock);
  tso.next();
  clock.ms += 60_000;
  tso.next();
  await tso.settle();
  tso.next();
  assert.equal(physicalOf(tso.next()), clock.ms, 'timestamps follow the clock again once the mark is stored');
  assert.ok((meta.get('tso') as number) > clock.ms);
});
