// Issue 12 at CI size: six rounds, one per shape — 2 and 4,096 floats, 8 and 4,096 bits,
// 768 and 128 floats — of up to 3,000 rows, each a seeded sequence of inserts, flushes,
// mass deletes, upserts over deleted keys, compactions, index rebuilds, release/load and
// restarts (SIGTERM and SIGKILL, some in the middle of a write), checked against the
// model after every step. Segments are sealed at 500 rows and the background pass runs
// every 500 ms, so seals, flushes, compactions and L0 merges happen between the steps.
// lifecycle-self-test.test.ts runs it against deliberately broken servers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dataInvariants, lifecycleServerArgs as serverArgs, runClean } from './helpers.js';

const shapes = [{ binary: false, dim: 2 }, { binary: false, dim: 4096 }, { binary: true, dim: 8 }, { binary: true, dim: 4096 }, { binary: false, dim: 768 }, { binary: false, dim: 128 }];

test('lifecycle: six rounds over the extreme shapes, exact after every step and every restart (seed 1202)', { timeout: 900_000 }, async (t) => {
  const r = await runClean(
    { scenario: 'lifecycle', spawn: true, durationMs: 3_600_000, rounds: 6, rows: 3_000, concurrency: 4, seed: 1202, shapes, serverArgs },
    [...dataInvariants, 'catalog matches', 'no orphan segment files'],
  );
  t.diagnostic(`${r.operationsTotal} operations in ${r.durationMs} ms; figures ${JSON.stringify(r.figures)}`);
  assert.equal(r.figures.rounds, 6);
  assert.equal(new Set(String(r.figures.shapes).split(' ')).size, 6, `shapes ${r.figures.shapes}`);
  for (const step of ['insert', 'flush', 'delete', 'upsert', 'compact', 'index', 'release-load', 'restart']) {
    assert.ok(Number(r.figures[`step:${step}`] ?? 0) > 0, `no ${step} step ran`);
  }
  assert.ok(Number(r.figures['restarts:clean']) > 0 && Number(r.figures['restarts:kill']) > 0, 'both kinds of restart');
  assert.ok(Number(r.figures.searchesComparedExactly) > 0, 'no search was compared with the exact answer');
  const writes = r.operations.filter((o) => ['insert', 'upsert', 'delete'].includes(o.kind));
  assert.ok(writes.some((o) => o.unknown > 0), 'no write was cut off by a kill');
  for (const kind of ['get', 'count', 'query-range', 'search', 'compaction-state', 'index-progress']) {
    assert.ok((r.operations.find((o) => o.kind === kind)?.ok ?? 0) > 0, `no successful ${kind}`);
  }
});
