// The model and the judgments on hand-written histories: which states a read may see
// given the writes around it, and how count(*) is bounded while writes are in flight.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeCount, judgeKey, judgeOrder, orphans } from '../../src/verify/checker.js';
import { ManualClock } from '../../src/verify/clock.js';
import { History, type Op } from '../../src/verify/history.js';
import { KeyModel } from '../../src/verify/model.js';
import { filters } from '../../src/verify/values.js';

function setup() {
  const clock = new ManualClock();
  const history = new History(clock);
  const model = new KeyModel(filters, clock);
  /** A write of `value` to `keys`, invoked now; returns a function that completes it. */
  const write = (keys: number[], value: number | null) => {
    const op = history.invoke(1, value === null ? 'delete' : 'upsert', { keys });
    model.begin(op, keys.map((k) => [k, value] as const));
    return (outcome: 'ok' | 'fail' | 'unknown') => {
      history.complete(op, outcome);
      model.end(op);
      return op;
    };
  };
  const judge = (key: number, start: number, end: number, observed: number | null, durable = false) =>
    judgeKey(key, model.candidates(key, start, end), observed, () => true, durable)?.kind;
  return { clock, history, model, write, judge };
}

test('a read that starts after an acknowledged write must see it (or a later write)', () => {
  const { clock, write, judge } = setup();
  clock.advance(1);
  write([1], 100)('ok'); // [1, 1]
  clock.advance(1);
  const done = write([1], 200); // invoked at 2
  clock.advance(1);
  done('ok'); // acknowledged at 3
  assert.equal(judge(1, 4, 5, 200), undefined);
  assert.equal(judge(1, 4, 5, 100), 'stale-read');
  assert.equal(judge(1, 4, 5, 100, true), 'lost-write', 'after a restart an older value means the newer write is gone');
  assert.equal(judge(1, 4, 5, null), 'lost-write');
  // A read that overlapped the second write may see either value.
  assert.equal(judge(1, 2.5, 5, 100), undefined);
  assert.equal(judge(1, 2.5, 5, 200), undefined);
  // A read that ended before the second write began cannot see it.
  assert.equal(judge(1, 1.2, 1.5, 200), 'stale-read');
});

test('a deleted key that comes back is resurrected; a key never written is a phantom', () => {
  const { clock, write, judge } = setup();
  write([7], 100)('ok');
  clock.advance(1);
  write([7], null)('ok');
  clock.advance(1);
  assert.equal(judge(7, 2, 3, null), undefined);
  assert.equal(judge(7, 2, 3, 100), 'resurrected');
  assert.equal(judge(8, 2, 3, 5), 'phantom');
  assert.equal(judge(8, 2, 3, null), undefined);
});

test('a failed write took no effect; an unknown one may have, until a later write supersedes it', () => {
  const { clock, model, write, judge } = setup();
  write([1], 100)('ok');
  clock.advance(1);
  write([1], 200)('fail');
  clock.advance(1);
  assert.equal(judge(1, 3, 4, 200), 'stale-read', 'a failed write must not be visible');
  const unknown = write([1], 300)('unknown');
  clock.advance(1);
  assert.equal(judge(1, 5, 6, 300), undefined);
  assert.equal(judge(1, 5, 6, 100), undefined);
  // While its server lives, an unknown write may still take effect, so it is never superseded.
  clock.advance(1);
  write([1], 400)('ok');
  clock.advance(1);
  assert.equal(judge(1, 9, 10, 300), undefined);
  // Once its incarnation is known to have ended at 3.5, the write invoked at 4 supersedes it.
  model.endIncarnation(unknown.incarnation, 3.5);
  assert.equal(judge(1, 9, 10, 300), 'stale-read');
  assert.equal(judge(1, 9, 10, 400), undefined);
});

test('count(*) bounds: writes in flight widen them, quiet keys count exactly', () => {
  const { clock, model, write } = setup();
  for (let k = 0; k < 10; k++) write([k], 2)('ok'); // filter 'float' (index 2): 2 % 1000 < 500, matches
  clock.advance(1);
  assert.deepEqual(model.countBounds(0, 2, 3), { min: 10, max: 10 });
  const del = write([0, 1], null);
  const ins = write([20], 5);
  clock.advance(1);
  assert.deepEqual(model.countBounds(0, 2.5, 3.5), { min: 8, max: 11 }, 'two deletes and one insert in flight');
  del('ok');
  ins('unknown');
  clock.advance(1);
  assert.deepEqual(model.countBounds(0, 5, 6), { min: 8, max: 9 }, 'the deletes are done; the insert may or may not be there');
  // A count that began before the deletes were acknowledged may still see the keys.
  assert.deepEqual(model.countBounds(0, 1.5, 6), { min: 8, max: 11 });
  assert.deepEqual(model.countBounds(0, 2.5, 6), { min: 8, max: 9 }, "acknowledged before the count began: gone");
  assert.equal(judgeCount('count', 12, 8, 11)?.kind, 'count-mismatch');
  assert.equal(judgeCount('count', 9, 8, 9), undefined);
});

test('pinning a state seen by a quiescent check, and pruning superseded writes, keep the answers', () => {
  const { clock, model, history, write, judge } = setup();
  write([1], 100)('ok');
  clock.advance(1);
  const u = write([1], 200)('unknown');
  model.endIncarnation(u.incarnation, clock.advance(1));
  clock.advance(1);
  assert.equal(judge(1, 4, 5, 100), undefined);
  assert.equal(judge(1, 4, 5, 200), undefined);
  assert.ok(model.pin(1, 200, clock.advance(1)));
  clock.advance(1);
  assert.equal(judge(1, 6, 7, 100, true), 'lost-write', 'after the check saw 200, 100 may not come back');
  for (let i = 0; i < 5; i++) {
    clock.advance(1);
    write([1], 300 + i)('ok');
  }
  clock.advance(1);
  model.prune(history.lowWaterMs());
  assert.equal(judge(1, clock.now(), clock.now() + 1, 304), undefined);
  assert.equal(judge(1, clock.now(), clock.now() + 1, 303), 'stale-read');
});

test('search order, orphans', () => {
  assert.equal(judgeOrder([0.1, 0.2, 0.2, 0.5], false), undefined);
  assert.equal(judgeOrder([0.2, 0.1], false)?.kind, 'search-order');
  assert.equal(judgeOrder([3, 2, 1], true), undefined);
  assert.equal(judgeOrder([1, Number.NaN], false)?.kind, 'search-order');
  assert.deepEqual(orphans(['a.seg', 'b.seg', 'c.tmp'], new Set(['a.seg', 'b.seg'])), ['c.tmp']);
});

test('the history slice of a key holds the operations that touched it, oldest first', () => {
  const { history } = setup();
  const ops: Op[] = [];
  for (let i = 0; i < 10; i++) {
    const op = history.invoke(i, 'upsert', { keys: [i % 3] });
    history.complete(op, 'ok');
    ops.push(op);
  }
  assert.deepEqual(history.slice([1]).map((o) => o.id), ops.filter((_, i) => i % 3 === 1).map((o) => o.id));
});
