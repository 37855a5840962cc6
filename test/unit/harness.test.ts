// The test harness itself: a test file whose code leaves an unhandled rejection or an
// uncaught exception behind must fail the run, even when its test passed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const setup = fileURLToPath(new URL('../setup.js', import.meta.url));

for (const [what, body] of [
  ['unhandled rejection', "Promise.reject(new Error('forgotten'));"],
  ['uncaught exception', "setTimeout(() => { throw new Error('thrown later'); }, 0);"],
] as const) {
  test(`a passing test that leaves an ${what} fails the run`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'elanus-harness-'));
    try {
      const file = join(dir, 'bad.test.mjs');
      writeFileSync(file, `import { test } from 'node:test';\ntest('passes', async () => { ${body} await new Promise((r) => setTimeout(r, 20)); });\n`);
      // NODE_TEST_CONTEXT would make the inner runner report to us instead of exiting with its status.
      const env = { ...process.env };
      delete env.NODE_TEST_CONTEXT;
      const r = spawnSync(process.execPath, ['--import', setup, '--test', file], { encoding: 'utf8', env });
      assert.notEqual(r.status, 0, `exit status was 0:\n${r.stdout}\n${r.stderr}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
