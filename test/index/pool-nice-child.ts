// A child process for native-pool.test.ts: starts the native pool at the nice value
// argv[2] names and prints the nice value of each of its threads (Linux) and the pool's
// own report, as JSON. Its two threads each hold a task while it looks: a thread takes
// tasks only after it has set its name and nice value, so none is read half-started.
import { readFileSync, readdirSync } from 'node:fs';
import { configureNativePool, holdNativeThreadForTest, nativePoolStats } from '../../src/index/native.js';

configureNativePool(2, Number(process.argv[2]));
const word = new Int32Array(new SharedArrayBuffer(4));
const holds = [holdNativeThreadForTest(word), holdNativeThreadForTest(word)];
while (nativePoolStats().running < 2) await new Promise((r) => setTimeout(r, 2));
const stats = nativePoolStats();
// Field 19 of stat is the nice value; the fields after the command name, which is in parentheses.
const niceOf = (stat: string) => Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
const threads = readdirSync('/proc/self/task')
  .filter((tid) => readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim() === 'elanus-native')
  .map((tid) => niceOf(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')));
const loop = niceOf(readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8'));
Atomics.store(word, 0, 1);
await Promise.all(holds);
console.log(JSON.stringify({ reported: stats.nice, threads, loop }));
