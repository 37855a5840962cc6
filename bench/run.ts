// Runs every benchmark, one process each (so one's memory and page cache habits do not
// leak into the next), in a fixed order. Each prints its tables and writes
// bench/results/<name>.json.
//
//   npm run bench                         (builds, then runs all)
//   node dist/bench/run.js [--only insert-throughput,recovery,memory]
//   node dist/bench/run.js --only vector --vector-args=--quick   (extra arguments for one benchmark)
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadavg } from 'node:os';
import { fmt, now, parseArgs } from './lib.js';

const benchmarks: Array<{ name: string; nodeArgs: string[] }> = [
  { name: 'insert-throughput', nodeArgs: ['--expose-gc'] },
  { name: 'recovery', nodeArgs: [] },
  { name: 'memory', nodeArgs: ['--expose-gc'] },
  { name: 'protocol', nodeArgs: [] },
  { name: 'filter', nodeArgs: [] },
  // The longest (~30 min with its defaults on this 2-core VM; --vector-args=--quick for a ~40 s smoke run).
  { name: 'vector', nodeArgs: ['--expose-gc'] },
];

const args = parseArgs(process.argv.slice(2));
const only = args.only?.split(',');
const unknown = only?.filter((n) => !benchmarks.some((b) => b.name === n)) ?? [];
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${benchmarks.map((b) => b.name).join(', ')}`);
  process.exit(2);
}

const cpuCount = (await import('node:os')).cpus().length;
let failed = 0;
const times: string[] = [];
for (const b of benchmarks) {
  if (only && !only.includes(b.name)) continue;
  const script = fileURLToPath(new URL(`./${b.name}.js`, import.meta.url));
  console.log(`\n=== ${b.name} ===`);
  const t0 = now();
  const extra = args[`${b.name}-args`]?.split(' ').filter(Boolean) ?? [];
  const r = spawnSync(process.execPath, [...b.nodeArgs, script, ...extra], { stdio: 'inherit' });
  const s = (now() - t0) / 1000;
  times.push(`${b.name} ${r.status === 0 ? 'ok' : 'FAILED'} in ${fmt(s, 0)} s (load average after: ${loadavg().map((x) => fmt(x, 1)).join(', ')} on ${cpuCount} cores)`);
  if (r.status !== 0) failed++;
}
console.log(`\n${times.join('\n')}`);
process.exit(failed > 0 ? 1 : 0);
