// `elanus --version` (and -v, and `elanus version`) prints package.json's version, read
// at run time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { run } from './helpers.js';

const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('../../../package.json', import.meta.url)), 'utf8')) as { version: string };

test('--version, -v and `version` print "elanus <package.json version>" and exit 0', async () => {
  assert.match(pkg.version, /^\d+\.\d+\.\d+/);
  for (const args of [['--version'], ['-v'], ['version']]) {
    const x = await run(args).exited;
    assert.equal(x.code, 0, `${args.join(' ')}: ${x.stderr}`);
    assert.equal(x.stdout, `elanus ${pkg.version}\n`, args.join(' '));
    assert.equal(x.stderr, '');
  }
});

test('installed under node_modules, the version is that package\'s, not the project\'s around it', async () => {
  const root = mkdtempSync(join(tmpdir(), 'elanus-installed-'));
  try {
    writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'my-app', version: '1.2.3' }));
    const pkgDir = join(root, 'node_modules', 'elanus');
    mkdirSync(join(pkgDir, 'dist', 'src', 'cli'), { recursive: true });
    writeFileSync(join(pkgDir, 'package.json'), JSON.stringify({ name: 'elanus', version: '9.8.7', type: 'module' }));
    copyFileSync(fileURLToPath(new URL('../../src/cli/version.js', import.meta.url)), join(pkgDir, 'dist', 'src', 'cli', 'version.js'));
    const mod = (await import(pathToFileURL(join(pkgDir, 'dist', 'src', 'cli', 'version.js')).href)) as { elanusVersion(): string };
    assert.equal(mod.elanusVersion(), '9.8.7');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
