// How a cluster fault is judged (src/verify/context.ts, cluster-control.ts): during a
// fault, "retry later" failures and lost connections are unknown outcomes, explained by
// the kill, and a write that failed so may still show up; once the fault is over, the
// same failure is a violation again. Workers talk to gateway c mod N. And how a thrown
// value from the client becomes an outcome.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/verify/clock.js';
import { ScenarioContext } from '../../src/verify/context.js';
import { classify } from '../../src/verify/milvus-target.js';
import type { Result, Target } from '../../src/verify/target.js';
import { filters } from '../../src/verify/values.js';

const options = { seed: 1, durationMs: 60_000, concurrency: 4, rows: 10, dim: 4, killEveryMs: 1_000, callTimeoutMs: 1_000 };

function gateway(address: string, answer: () => Result<void>): Target {
  return { address, close: async () => undefined, flush: async () => answer() } as unknown as Target;
}

test('a retryable failure during a fault is an unknown outcome; after it, a violation', async () => {
  const clock = new ManualClock();
  let answer: Result<void> = { outcome: 'fail', code: 'NOT_COORDINATOR', message: 'no coordinator is elected yet' };
  const ctx = new ScenarioContext(options, clock, gateway('g0', () => answer), undefined);
  // The fault: incarnations 0 (calls sent before the kill) and 1 (until recovery) are killed.
  ctx.killedIncarnations.add(0).add(1);
  ctx.history.incarnation = 1;
  const during = await ctx.call(1, 'flush', (t) => t.flush('c'));
  assert.equal(during.op.outcome, 'unknown');
  ctx.settleUnknowns();
  assert.equal(ctx.violations.count(), 0, 'explained by the kill');

  // A write that failed during the fault may have reached the log: the model keeps it possible.
  const model = ctx.keyModel(filters);
  const write = await ctx.call(1, 'upsert', async () => answer, { writes: { model, entries: [[7, 3]] }, keys: [7] });
  assert.equal(write.op.outcome, 'unknown');
  assert.ok(model.openWrites() > 0, 'the write stays a candidate until its incarnation ends');
  ctx.endIncarnation(1, clock.now());
  assert.equal(model.openWrites(), 0);

  // Recovered: the same answer is now a violation, and so is a non-retryable one during a fault.
  ctx.history.incarnation = 2;
  await ctx.call(1, 'flush', (t) => t.flush('c'));
  assert.equal(ctx.violations.count(), 1);
  ctx.history.incarnation = 1;
  answer = { outcome: 'fail', code: 'COLLECTION_NOT_FOUND', message: 'gone' };
  await ctx.call(1, 'flush', (t) => t.flush('c'));
  assert.equal(ctx.violations.count(), 2, 'a fault explains only "retry later"');
});

test('worker c talks to gateway c mod N, and a restarted gateway gets a new client', async () => {
  const seen: string[] = [];
  const ok = (a: string) => gateway(a, () => (seen.push(a), { outcome: 'ok', value: undefined }));
  const ctx = new ScenarioContext(options, new ManualClock(), ok('g0'), undefined);
  ctx.gateways = [ok('g0'), ok('g1'), ok('g2')];
  for (const c of [0, 1, 2, 3, 4]) await ctx.call(c, 'flush', (t) => t.flush('c'));
  assert.deepEqual(seen, ['g0', 'g1', 'g2', 'g0', 'g1']);
  const old = ctx.gateways[1];
  await ctx.replaceGateways(new Set(['g1']), async (a) => ok(a));
  assert.notEqual(ctx.gateways[1], old);
  assert.equal(ctx.gateways[1]!.address, 'g1');
  assert.equal(ctx.target.address, 'g0');
});

test('what the client throws: a gRPC status by its code, anything else an unknown outcome that reads well', () => {
  assert.deepEqual(classify({ code: 14, details: 'connection refused' }), { outcome: 'unknown', message: 'UNAVAILABLE: connection refused' });
  assert.equal(classify({ code: 3, details: 'bad' }).outcome, 'fail');
  assert.deepEqual(classify({ reason: 'odd', status: 7 }), { outcome: 'unknown', message: 'CLIENT_ERROR: {"reason":"odd","status":7}' });
  assert.deepEqual(classify(new Error('parse')), { outcome: 'unknown', message: 'CLIENT_ERROR: parse' });
  assert.deepEqual(classify('text'), { outcome: 'unknown', message: 'CLIENT_ERROR: text' });
});
