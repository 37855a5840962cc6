// The lifecycle scenario can fail: against a server whose searches leave out their
// nearest hit it must report search-inexact (only its exact comparison can tell), and
// against one whose deletes by filter spare key 0 it must report that key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { runVerify, type VerifyOptions } from '../../src/verify/run.js';
import type { Result, SearchSpec, Hit } from '../../src/verify/target.js';
import { Passthrough } from './broken.js';
import { lifecycleServerArgs as serverArgs } from './helpers.js';

/** A server whose searches leave out their nearest hit: only an exact comparison can tell. */
class DropsTheNearestHit extends Passthrough {
  override async search(c: string, s: SearchSpec): Promise<Result<Hit[]>> {
    const r = await this.inner.search(c, s);
    return r.outcome === 'ok' && r.value.length > 1 ? { outcome: 'ok', value: r.value.slice(1) } : r;
  }
}

/** A server whose deletes by filter spare key 0. */
class SparesKeyZero extends Passthrough {
  override delete(c: string, filter: string, p?: string) {
    return this.inner.delete(c, filter.startsWith('id in [') ? filter : `(${filter}) and id != 0`, p);
  }
}

// Seed 7 starts both rounds (16 floats, 64 bits) under an exact index (FLAT, BIN_FLAT).
const small = { scenario: 'lifecycle', spawn: true, durationMs: 600_000, rounds: 2, rows: 500, concurrency: 4, seed: 7, shapes: [{ binary: false, dim: 16 }, { binary: true, dim: 64 }], serverArgs, progress: false as const };

/** Runs `small` against a broken server; the data folder a violation keeps is removed (the report has what the test needs). */
async function against(wrap: NonNullable<VerifyOptions['wrapTarget']>) {
  const r = await runVerify({ ...small, wrapTarget: wrap });
  if (typeof r.figures.dataDirKept === 'string') await rm(r.figures.dataDirKept, { recursive: true, force: true });
  return r;
}

test('lifecycle catches a search that misses its nearest row, and a delete by filter that spares a row', { timeout: 600_000 }, async () => {
  const missed = await against((t) => new DropsTheNearestHit(t));
  assert.deepEqual(Object.keys(missed.violationTotals), ['search-inexact'], JSON.stringify(missed.violationTotals));
  // Key 0 stays behind: reads see it resurrected, and what follows (searches that return
  // it, an upsert over it the model thought deleted) shows the same key in other ways.
  const spared = await against((t) => new SparesKeyZero(t));
  assert.ok((spared.violationTotals.resurrected ?? 0) > 0, `a delete that spared key 0 went unnoticed: ${JSON.stringify(spared.violationTotals)}`);
  for (const v of spared.violations) assert.deepEqual(v.keys, [0], `${v.kind}: ${v.message}`);
});
