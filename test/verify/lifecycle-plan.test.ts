// The lifecycle scenario's plan, without a server: a seed replays the same rounds and
// steps, the sweep reaches both ends of every vector kind, rows shrink with the
// dimension as the memory bound says, and every round ends with a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeStep, planRound, roundVectorBytesMax, rowsCap, sweep, vectorBytes, type RoundPlan } from '../../src/verify/scenarios/lifecycle-plan.js';

const shown = (p: RoundPlan) => `${p.shape.binary ? 'b' : ''}${p.shape.dim} ${p.rows} ${p.index.indexType} ${JSON.stringify(p.index.params ?? {})}: ${p.steps.map(describeStep).join(' | ')}`;
const plans = (seed: number, rounds: number, rowsMax = 1_000_000) =>
  Array.from({ length: rounds }, (_, r) => planRound({ seed, rowsMax, shapes: sweep }, r));

test('the same seed plans the same rounds and steps; another seed plans others', () => {
  const a = plans(12, 40).map(shown);
  assert.deepEqual(plans(12, 40).map(shown), a);
  assert.notDeepEqual(plans(13, 40).map(shown), a);
});

test('one pass over the sweep visits every shape once, 2 and 4,096 floats and 8 and 4,096 bits among them', () => {
  const seen = plans(5, sweep.length).map((p) => `${p.shape.binary ? 'b' : ''}${p.shape.dim}`);
  assert.equal(new Set(seen).size, sweep.length);
  for (const s of ['2', '4096', 'b8', 'b4096', '128', '768', '1536']) assert.ok(seen.includes(s), `${s} not in ${seen.join(' ')}`);
});

test('rows shrink with the dimension so that a round holds at most 512 MiB of vectors', () => {
  assert.equal(rowsCap({ binary: false, dim: 128 }, 1_000_000), 1_000_000);
  assert.equal(rowsCap({ binary: false, dim: 768 }, 1_000_000), 174_762);
  assert.equal(rowsCap({ binary: false, dim: 4096 }, 1_000_000), 32_768);
  assert.equal(rowsCap({ binary: true, dim: 4096 }, 1_000_000), 1_000_000);
  for (const p of plans(99, 200)) {
    assert.ok(p.rows >= 1 && p.rows <= rowsCap(p.shape, 1_000_000), shown(p));
    assert.ok(p.rows * vectorBytes(p.shape) <= roundVectorBytesMax, shown(p));
    const inserted = p.steps.reduce((n, s) => n + (s.kind === 'insert' ? s.rows : 0), 0);
    assert.ok(inserted <= p.rows, `inserts ${inserted} rows of ${p.rows}: ${shown(p)}`);
  }
});

test('every round starts with an insert and ends with a restart; over many rounds every kind of step and fault appears', () => {
  const seen = new Set<string>();
  for (const p of plans(7, 100)) {
    assert.equal(p.steps[0]!.kind, 'insert');
    assert.equal(p.steps[p.steps.length - 1]!.kind, 'restart');
    for (const s of p.steps) {
      seen.add(s.kind === 'delete' ? `delete:${s.how}` : s.kind === 'restart' ? `restart:${s.how}` : s.kind);
      if ('kill' in s && s.kill !== undefined) seen.add(`kill-during:${s.kind}`);
      if (s.kind === 'index') seen.add(`index:${s.index.indexType}`);
    }
    seen.add(`index:${p.index.indexType}`);
  }
  for (const k of ['insert', 'flush', 'upsert', 'compact', 'release-load', 'restart:clean', 'restart:kill',
    'delete:all', 'delete:half-range', 'delete:half-mod', 'delete:filter', 'delete:keys',
    'kill-during:insert', 'kill-during:delete', 'kill-during:upsert',
    'index:FLAT', 'index:HNSW', 'index:IVF_FLAT', 'index:BIN_FLAT', 'index:BIN_IVF_FLAT']) {
    assert.ok(seen.has(k), `no ${k} in 100 rounds`);
  }
});
