// The checker can fail: the mixed (or olap-oltp) scenario against deliberately broken
// targets, each of which breaks one promise, must report exactly that violation kind and nothing else;
// and a server that dies by itself under --spawn is reported as a crash.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runVerify, type VerifyOptions } from '../../src/verify/run.js';
import { ServerProcess } from '../../src/verify/spawn.js';
import type { Target } from '../../src/verify/target.js';
import type { ViolationKind } from '../../src/verify/violations.js';
import { DuplicatesAKey, LosesAWrite, MiscountsByOne, SearchOutOfOrder, SearchReturnsADeadKey, ServesStaleReads } from './broken.js';

let server: ServerProcess;
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'elanus-verify-self-'));
  server = await ServerProcess.start({ dataDir: dir });
});

after(async () => {
  await server.stop();
  await rm(dir, { recursive: true, force: true });
});

const base = (seed: number): VerifyOptions => ({
  scenario: 'mixed', durationMs: 4_000, concurrency: 6, seed, rows: 600, dim: 16, progress: false,
});

async function kindsAgainst(wrap: (t: Target) => Target, seed: number, scenario = 'mixed') {
  const report = await runVerify({ ...base(seed), scenario, target: server.address, wrapTarget: wrap });
  return { report, kinds: Object.keys(report.violationTotals).sort() as ViolationKind[] };
}

// The lost write runs under olap-oltp: its large queries and iterators read every key
// again and again, so the loss is seen before a later write of the same key could hide it.
const cases: Array<[string, ViolationKind, (t: Target) => Target, string?]> = [
  ['drops an acknowledged write', 'lost-write', (t) => new LosesAWrite(t), 'olap-oltp'],
  ['returns a key twice', 'duplicate-key', (t) => new DuplicatesAKey(t)],
  ['serves a stale read after an acknowledged upsert', 'stale-read', (t) => new ServesStaleReads(t)],
  ['counts one row too many', 'count-mismatch', (t) => new MiscountsByOne(t)],
  ['returns a key that was never written from a search', 'search-non-live', (t) => new SearchReturnsADeadKey(t)],
  ['returns search hits out of order', 'search-order', (t) => new SearchOutOfOrder(t)],
];

for (const [what, kind, wrap, scenario] of cases) {
  test(`a target that ${what} is reported as ${kind}, and only that`, { timeout: 120_000 }, async () => {
    const { report, kinds } = await kindsAgainst(wrap, 11, scenario);
    assert.deepEqual(kinds, [kind], JSON.stringify(report.violations.map((v) => `${v.kind}: ${v.message}`).slice(0, 5)));
    const v = report.violations[0]!;
    assert.equal(v.kind, kind);
    assert.ok(v.history.length > 0, 'the violation carries the history that shows it');
    assert.match(report.replay, /--seed 11/);
  });
}

test('the same scenarios against the unbroken target report nothing', { timeout: 120_000 }, async () => {
  for (const scenario of ['mixed', 'olap-oltp']) {
    const { report, kinds } = await kindsAgainst((t) => t, 11, scenario);
    assert.deepEqual(kinds, [], `${scenario}: ${JSON.stringify(report.violations.slice(0, 3))}`);
  }
});

test('a spawned server that dies by itself is reported as a crash, and only that', { timeout: 120_000 }, async () => {
  let killed = false;
  const report = await runVerify({
    ...base(12), durationMs: 60_000, spawn: true,
    // Kill the first server from outside after a moment: the verifier did not do it.
    onServerStart: (pid) => {
      if (killed) return;
      killed = true;
      setTimeout(() => process.kill(pid, 'SIGKILL'), 3_000);
    },
  });
  // A run with violations keeps its data folder for whoever investigates; this one is expected.
  if (typeof report.figures.dataDirKept === 'string') await rm(report.figures.dataDirKept, { recursive: true, force: true });
  assert.deepEqual(Object.keys(report.violationTotals), ['crash']);
  assert.match(report.stoppedBecause, /crashed/);
  assert.match(report.violations[0]!.message, /exited by itself/);
});
