// The process the RBAC kill -9 test kills: it opens the data folder and grants and
// revokes privileges of one role, one at a time, reporting each change on stdout before
// it is issued ("I <json>") and once acknowledged ("A"), each line written before going
// on (writeSync), so a reported acknowledgement was made before any kill that follows it.
//   node rbac-child.js <path> <seed>
import { writeSync } from 'node:fs';
import { Elanus } from '../../src/index.js';
import { Random } from '../../src/testing/index.js';

const pause = new Int32Array(new SharedArrayBuffer(4));

/** Writes a whole line to the pipe before going on, waiting while the pipe is full (EAGAIN). */
function say(line: string): void {
  const bytes = Buffer.from(`${line}\n`);
  let done = 0;
  while (done < bytes.length) {
    try {
      done += writeSync(1, bytes, done);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      Atomics.wait(pause, 0, 0, 1);
    }
  }
}

const [path, seedText] = process.argv.slice(2);
const rng = new Random(Number(seedText));
const db = await Elanus.open({ path: path!, limits: { backgroundIntervalMs: 0 } });
if (!db.selectRole({ roleName: 'r' }).results.length) await db.createRole({ roleName: 'r' });
const granted = new Set(db.selectGrant({ role: 'r' }).grants.map((g) => `${g.objectName}|${g.privilege}`));
const privileges = ['Query', 'Search', 'Insert', 'CollectionReadOnly', 'CollectionAdmin'];
say('READY');
for (;;) {
  const key = `c${Math.floor(rng.next() * 4)}|${privileges[Math.floor(rng.next() * privileges.length)]!}`;
  const [collection, privilege] = key.split('|') as [string, string];
  const revoke = granted.has(key);
  say(`I ${JSON.stringify({ key, revoke })}`);
  await db.operatePrivilegeV2({ role: 'r', privilege, dbName: 'default', collectionName: collection, revoke });
  say('A');
  if (revoke) granted.delete(key);
  else granted.add(key);
}
