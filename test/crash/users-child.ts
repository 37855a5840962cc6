// The process the users kill -9 test kills: it opens the data folder and creates users
// and changes their passwords one at a time, reporting each operation on stdout before it
// is issued ("I <json>") and once acknowledged ("A"); stdout to a pipe is synchronous on
// Linux, so a reported acknowledgement was made before any kill that follows it.
//   node users-child.js <path> <round> <seed>
import { Elanus } from '../../src/index.js';
import { Random } from '../../src/testing/index.js';

const [path, roundText, seedText] = process.argv.slice(2);
const round = Number(roundText);
const rng = new Random(Number(seedText));
const db = await Elanus.open({ path: path!, limits: { backgroundIntervalMs: 0 } });
process.stdout.write('READY\n');
const created: string[] = [];
for (let i = 0; ; i++) {
  const update = created.length > 0 && rng.next() < 0.4;
  const op = update
    ? { kind: 'update' as const, user: created[Math.floor(rng.next() * created.length)]!, password: `r${round}-pw-${i}` }
    : { kind: 'create' as const, user: `r${round}_u${i}`, password: `r${round}-pw-${i}` };
  process.stdout.write(`I ${JSON.stringify(op)}\n`);
  if (op.kind === 'create') await db.createCredential({ username: op.user, password: op.password });
  else await db.updateCredential({ username: op.user, newPassword: op.password, caller: 'root' });
  process.stdout.write('A\n');
  if (op.kind === 'create') created.push(op.user);
}
