// A skipped suite must be counted: node's runner leaves a `describe(name, { skip })` out
// of its summary ("skipped 0"), so a fresh clone without ../shared/datasets ran without its
// recall suites and looked complete (issue 18). Suites that need something absent use
// test/suites.ts describeNeeding, which reports one skipped test with the reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

function testFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) for (const f of testFiles(p)) out.push(f);
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

test('no test file skips a whole describe() (its skip would not be counted)', () => {
  const found: string[] = [];
  for (const f of testFiles('test')) {
    if (f === join('test', 'lint', 'skipped-suites.test.ts') || f === join('test', 'suites.ts')) continue;
    readFileSync(f, 'utf8').split('\n').forEach((line, i) => {
      if (/\bdescribe\s*\([^)]*\{\s*skip\s*:/.test(line)) found.push(`${f}:${i + 1}: ${line.trim()}`);
    });
  }
  assert.deepEqual(found, [], 'use describeNeeding (test/suites.ts) instead');
});

test('describeNeeding: a suite whose data is missing is one skipped test in the summary, with its reason', () => {
  const dir = mkdtempSync(join(tmpdir(), 'elanus-suites-'));
  try {
    const suites = pathToFileURL(join(process.cwd(), 'dist', 'test', 'suites.js')).href;
    const file = join(dir, 'probe.test.mjs');
    writeFileSync(file, [
      `import { test } from 'node:test';`,
      `import { describeNeeding } from ${JSON.stringify(suites)};`,
      `describeNeeding('the data sets are not here', 'recall suite', () => { test('a', () => {}); test('b', () => {}); });`,
      `describeNeeding(false, 'present suite', () => { test('c', () => {}); });`,
    ].join('\n'));
    // Without the parent's test context, so the child reports to its own stdout.
    const env = { ...process.env };
    delete env['NODE_TEST_CONTEXT'];
    const r = spawnSync(process.execPath, ['--test', '--test-reporter=spec', file], { encoding: 'utf8', env });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /skipped 1\b/);
    assert.match(r.stdout, /pass 1\b/);
    assert.match(r.stdout, /recall suite.*# the data sets are not here/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
