// Runs a scenario at CI size and asserts the verdict: no violation, and the invariants
// the scenario is about actually checked (a run that checked nothing would pass for the
// wrong reason).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatOp } from '../../src/verify/report.js';
import { runVerify, type VerifyOptions } from '../../src/verify/run.js';
import type { VerifyReport } from '../../src/verify/report.js';

export async function runClean(o: VerifyOptions, mustHold: readonly string[]): Promise<VerifyReport> {
  const report = await runVerify({ progress: false, ...o });
  if (report.violationsTotal > 0) {
    // The whole report, history slices included, for whoever investigates.
    const file = join(tmpdir(), `elanus-verify-${report.scenario}-${report.seed}-${Date.now()}.json`);
    writeFileSync(file, JSON.stringify(report, null, 2));
    console.error(`the full report: ${file}`);
  }
  const shown = report.violations.slice(0, 5).map((v) => `${v.kind}: ${v.message}\n${v.history.slice(-10).map((op) => `    ${formatOp(op)}`).join('\n')}`).join('\n');
  assert.equal(report.violationsTotal, 0, `violations (replay: ${report.replay}):\n${shown}`);
  for (const name of mustHold) {
    const v = report.invariants.find((i) => i.name.startsWith(name));
    assert.ok(v, `no invariant named "${name}"`);
    assert.equal(v.verdict, 'held', `${v.name}: ${v.verdict} (${v.checks} checks)`);
  }
  return report;
}

export const dataInvariants = [
  'no acknowledged write lost', 'no deleted key resurrected', 'no key visible twice', 'count(*) exact',
  'every read sees the latest', 'search hits live', 'no crash',
] as const;

/**
 * Server flags of the lifecycle tests: segments sealed at 500 rows, the background pass
 * every 500 ms, L0 files merged past 2, interim indexes of 256 rows — so that seals,
 * flushes, compactions, L0 merges and interim index builds happen between small steps.
 */
export const lifecycleServerArgs: readonly string[] = ['--segment-rows-max', '500', '--background-interval-ms', '500', '--l0-files-max', '2', '--interim-index-rows', '256'];
