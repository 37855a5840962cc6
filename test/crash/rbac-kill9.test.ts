// kill -9 at random moments while one role's privileges are granted and revoked (one
// change at a time, in a child process: rbac-child.ts). After every restart the role's
// grants are exactly the acknowledged ones, give or take the change in flight at the
// kill, which is wholly there or not at all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Elanus } from '../../src/index.js';
import { Random } from '../../src/testing/index.js';
import { runUntilKilled } from './kill-child.js';

const childPath = fileURLToPath(new URL('./rbac-child.js', import.meta.url));
const rounds = Number(process.env.ELANUS_RBAC_KILL_ROUNDS ?? 4);

interface Op { key: string; revoke: boolean }

function runChild(path: string, seed: number, runMs: number): Promise<{ acked: Op[]; inFlight: Op | undefined }> {
  return runUntilKilled<Op>(childPath, [path, String(seed)], runMs);
}

const apply = (set: Set<string>, op: Op) => {
  const next = new Set(set);
  if (op.revoke) next.delete(op.key);
  else next.add(op.key);
  return next;
};
const sorted = (s: Set<string>) => [...s].sort();

test('kill -9 during grants and revokes: each is wholly there or not, every acknowledged one is', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'elanus-rbac-kill9-'));
  const rng = new Random(2929);
  let model = new Set<string>();
  let opsAcked = 0;
  try {
    for (let round = 0; round < rounds; round++) {
      const { acked, inFlight } = await runChild(dir, 200 + round, 300 + Math.floor(rng.next() * 1500));
      opsAcked += acked.length;
      for (const op of acked) model = apply(model, op);
      const db = await Elanus.open({ path: dir, limits: { backgroundIntervalMs: 0 } });
      try {
        const stored = new Set(db.selectGrant({ role: 'r' }).grants.map((g) => `${g.objectName}|${g.privilege}`));
        const withFlight = inFlight ? apply(model, inFlight) : model;
        const same = (a: Set<string>) => JSON.stringify(sorted(a)) === JSON.stringify(sorted(stored));
        assert.ok(same(model) || same(withFlight), `round ${round}: stored ${sorted(stored)}, acknowledged ${sorted(model)}, in flight ${JSON.stringify(inFlight)}`);
        model = stored;
      } finally {
        await db.close();
      }
    }
    assert.ok(opsAcked > 0, 'the children acknowledged something before being killed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
