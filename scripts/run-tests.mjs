// Runs every compiled test file with node's test runner. Each file runs in its own
// process with the guard from test/setup.ts preloaded, so an unhandled rejection or an
// uncaught exception anywhere fails the run.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function find(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...find(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const filter = process.argv[2];
const files = find('dist/test').filter((f) => !filter || f.includes(filter)).sort();
// With no files, node's runner would look for tests on its own (and run helper scripts).
if (files.length === 0) {
  console.error(`no compiled test file matches ${JSON.stringify(filter)} (under dist/test; build first with npx tsc -p .)`);
  process.exit(2);
}
const r = spawnSync(process.execPath, [
  '--import', './dist/test/setup.js',
  '--test', '--test-concurrency=2', '--test-reporter=spec',
  ...files,
], { stdio: 'inherit' });
process.exit(r.status ?? 1);
