// The package as a user gets it: `npm pack` (its prepack step puts the N-API prebuild in
// the tarball), then `npm install <tarball>` into a fresh project with npm's default
// (hoisted) layout and no C/C++ toolchain on PATH, then the `elanus` command through npx
// and the package imported from ESM. About a minute: one install of the whole dependency tree.
//
// The tarball is packed from this checkout by the package's own prepack step (whose
// incremental node-gyp build compiles nothing after `npm ci`), then `npm pack
// --ignore-scripts`: packing would otherwise also run `prepare` (tsc), which rewrites dist/
// while other test files run from it; `npm test` compiled dist/ just before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { name: string; version: string };

/** The environment of a user's shell: no npm_* variables of the `npm test` around us, no ELANUS_*. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(npm_|ELANUS_)/i.test(k)));
  return { ...env, ...extra };
}

function sh(cmd: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): string {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(r.error, undefined, `${cmd} ${args.join(' ')}: ${String(r.error)}`);
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** The real path of a command on this PATH (npm and npx are scripts run by `node` from PATH). */
function which(name: string): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const p = join(dir, name);
    if (dir !== '' && existsSync(p)) return realpathSync(p);
  }
  throw new Error(`${name} is not on PATH`);
}

test('the packed tarball installs with npm\'s default layout and no compiler, and runs', { timeout: 600_000 }, async () => {
  const work = mkdtempSync(join(tmpdir(), 'elanus-package-'));
  try {
    // 1. The prebuild, then the tarball.
    sh('npm', ['run', 'prepack'], repo, cleanEnv({}));
    const packed = JSON.parse(sh('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], repo, cleanEnv({}))) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const files = packed[0]!.files.map((f) => f.path).sort();
    assert.ok(files.includes('prebuilds/linux-x64/elanus.napi.node'), 'the tarball carries the prebuild');
    assert.ok(files.includes('dist/src/cli/main.js') && files.includes('dist/src/index.js') && files.includes('binding.gyp'));
    const outside = files.filter((f) => !/^(dist\/src\/.*\.(js|d\.ts)|prebuilds\/linux-x64\/elanus\.napi\.node|native\/[^/]+\.(cc|h)|binding\.gyp|package\.json|README\.md|LICENSE)$/.test(f));
    assert.deepEqual(outside, [], 'only what runs (no tests, benchmarks, maps or sources of dist)');
    const tarball = join(work, packed[0]!.filename);

    // 2. A PATH with node, npm, npx and sh (npm runs package scripts with it) only: no
    // cc, gcc, g++, c++ or make.
    const bin = join(work, 'bin');
    mkdirSync(bin);
    symlinkSync('/bin/sh', join(bin, 'sh'));
    symlinkSync(process.execPath, join(bin, 'node'));
    symlinkSync(which('npm'), join(bin, 'npm'));
    symlinkSync(which('npx'), join(bin, 'npx'));
    const env = cleanEnv({ PATH: bin });
    for (const tool of ['cc', 'gcc', 'g++', 'c++', 'make']) {
      assert.notEqual(spawnSync('/bin/sh', ['-c', `command -v ${tool}`], { env }).status, 0, `${tool} must not be on the install's PATH`);
    }

    // 3. A fresh project; npm's default layout hoists usearch beside elanus.
    const app = join(work, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true, type: 'module' }));
    // --prefer-offline: a machine's cache filled by `npm ci` holds the tarballs but not the
    // registry's metadata that an install without a lockfile resolves versions from.
    sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], app, env);
    assert.ok(existsSync(join(app, 'node_modules', 'usearch', 'package.json')), 'usearch is hoisted');
    assert.equal(existsSync(join(app, 'node_modules', 'elanus', 'node_modules', 'usearch')), false, 'usearch is not nested under elanus');
    assert.equal(existsSync(join(app, 'node_modules', 'elanus', 'build')), false, 'nothing was compiled at install');

    // 4. npx elanus --version.
    assert.equal(sh('npx', ['--no-install', 'elanus', '--version'], app, env), `elanus ${pkg.version}\n`);

    // 5. npx elanus serve on a free port answers REST.
    const data = join(work, 'data');
    // In a process group of its own: npx does not pass a SIGTERM on to the server it started.
    const server = spawn(join(bin, 'npx'), ['--no-install', 'elanus', 'serve', '--port', '0', '--data-dir', data], { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    try {
      const port = await servingPort(server);
      const res = await fetch(`http://127.0.0.1:${port}/v2/vectordb/collections/create`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ collectionName: 'packaged', dimension: 4 }),
      });
      assert.deepEqual(((await res.json()) as { code: number }).code, 0);
      const list = await fetch(`http://127.0.0.1:${port}/v2/vectordb/collections/list`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      assert.deepEqual(await list.json(), { code: 0, data: ['packaged'] });
    } finally {
      const closed = new Promise((resolve) => server.once('close', resolve));
      process.kill(-server.pid!, 'SIGTERM');
      await closed;
    }

    // 6. The package from ESM: an exact search runs in the native addon (the prebuild).
    const script = join(app, 'use.mjs');
    writeFileSync(script, [
      "import { Elanus, DataType } from 'elanus';",
      'const db = await Elanus.open({ path: process.argv[2] });',
      'try {',
      "  await db.createCollection({ collection_name: 'c', fields: [{ name: 'id', data_type: DataType.Int64, is_primary_key: true }, { name: 'v', data_type: DataType.FloatVector, dim: 2 }] });",
      "  await db.loadCollection({ collection_name: 'c' });",
      "  await db.insert({ collection_name: 'c', data: [{ id: 1, v: [0, 0] }, { id: 2, v: [5, 5] }, { id: 3, v: [9, 9] }] });",
      "  const r = await db.search({ collection_name: 'c', data: [[4, 4]], limit: 2, metric_type: 'L2', consistency_level: 'Strong' });",
      '  console.log(JSON.stringify(r.results[0].map((h) => [h.id, h.score])));',
      '} finally { await db.close(); }',
    ].join('\n'));
    // Squared L2 from (4,4): id 2 at 2, id 1 at 32.
    assert.equal(sh('node', [script, join(work, 'embedded')], app, env), '[[2,2],[1,32]]\n');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

/** The port from `serve`'s "serving" log line (JSON, since stdout is not a terminal). */
function servingPort(server: ReturnType<typeof spawn>): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`no "serving" line within 60 s: ${out}\n${err}`)), 60_000);
    server.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    server.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      for (const line of out.split('\n')) {
        try {
          const l = JSON.parse(line) as { msg?: string; port?: number };
          if (typeof l.msg === 'string' && l.msg.startsWith('serving') && typeof l.port === 'number') {
            clearTimeout(timer);
            resolve(l.port);
            return;
          }
        } catch {
          // A partial line; the rest comes with the next chunk.
        }
      }
    });
    server.once('close', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited ${code} before serving: ${err}`));
    });
  });
}
