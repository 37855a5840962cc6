// kill -9 at random moments while users are created and their passwords changed (one
// change at a time, in a child process: users-child.ts). After every restart each user
// change is wholly there or not at all: every acknowledged change is there, the one in
// flight at the kill either took effect with its password or left no trace, and every
// other user still has the password last given to it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Elanus } from '../../src/index.js';
import { Random } from '../../src/testing/index.js';
import { runUntilKilled } from './kill-child.js';

const childPath = fileURLToPath(new URL('./users-child.js', import.meta.url));
const rounds = Number(process.env.ELANUS_USER_KILL_ROUNDS ?? 4);

interface Op { kind: 'create' | 'update'; user: string; password: string }

/** Runs the child until it has run `runMs` past READY, then SIGKILL; returns the acknowledged ops and the one in flight. */
function runChild(path: string, round: number, seed: number, runMs: number): Promise<{ acked: Op[]; inFlight: Op | undefined }> {
  return runUntilKilled<Op>(childPath, [path, String(round), String(seed)], runMs);
}

test('kill -9 during user creations and password changes: each change is wholly there or not, every acknowledged one is', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'elanus-users-kill9-'));
  const rng = new Random(1717);
  /** What each user's password must be after the restarts so far. */
  const passwords = new Map<string, string>();
  let opsAcked = 0;
  try {
    for (let round = 0; round < rounds; round++) {
      const { acked, inFlight } = await runChild(dir, round, 100 + round, 300 + Math.floor(rng.next() * 1500));
      opsAcked += acked.length;
      for (const op of acked) passwords.set(op.user, op.password);
      const db = await Elanus.open({ path: dir, limits: { backgroundIntervalMs: 0 } });
      try {
        if (inFlight) {
          // The change in flight: either its password works, or the user is as before.
          const took = await db.verifyCredential(inFlight.user, inFlight.password);
          if (took) passwords.set(inFlight.user, inFlight.password);
          else if (inFlight.kind === 'create') assert.equal(db.credentialStamp(inFlight.user), undefined, `round ${round}: ${inFlight.user} half created`);
        }
        const users = (await db.listCredUsers()).usernames;
        assert.deepEqual(users.filter((u) => u !== 'root').sort(), [...passwords.keys()].sort(), `round ${round}: the users`);
        for (const [user, password] of passwords) {
          assert.ok(await db.verifyCredential(user, password), `round ${round}: ${user} does not have its last password`);
        }
      } finally {
        await db.close();
      }
    }
    assert.ok(opsAcked > 0, 'the children acknowledged something before being killed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
