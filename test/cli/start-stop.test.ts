// Starting and stopping `elanus serve` as an operator does: on a port that is taken it
// refuses before it touches the disk, and `npm start` (the README's command) stops the
// server itself on SIGTERM instead of leaving node running without its parent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from './helpers.js';
import { processAlive } from '../../src/testing/index.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'elanus-startstop-'));
  test.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}


test('on a port already in use, serve exits 1 with one clear line and creates no data folder', async () => {
  const taken = net.createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  const { port } = taken.address() as net.AddressInfo;
  const dataDir = join(tempDir(), 'not-yet', 'data');
  try {
    const x = await run(['serve', '--port', String(port), '--data-dir', dataDir]).exited;
    assert.equal(x.code, 1, x.stderr);
    const lines = x.stderr.trim().split('\n');
    assert.equal(lines.length, 1, x.stderr);
    assert.match(lines[0]!, new RegExp(`^elanus: cannot listen on 127\\.0\\.0\\.1:${port}: EADDRINUSE`));
    assert.equal(existsSync(join(dataDir, '..')), false, 'nothing was created on disk');
  } finally {
    await new Promise((resolve) => taken.close(resolve));
  }
});

test('npm start: SIGTERM to npm stops the server cleanly and leaves no node process behind', async (t) => {
  const dir = tempDir();
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ELANUS_') && !k.startsWith('npm_')));
  const npm = spawn('npm', ['start'], { cwd: repoRoot, env: { ...clean, ELANUS_PORT: '0', ELANUS_DATA_DIR: dir }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Array<Record<string, unknown>> = [];
  let stdout = '';
  let stderr = '';
  npm.stdout.setEncoding('utf8');
  npm.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => npm.once('close', (code, signal) => resolve({ code, signal })));
  const serving = new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "serving" line within 30 s: ${stdout} ${stderr}`)), 30_000);
    let partial = '';
    npm.stdout.on('data', (d: string) => {
      stdout += d;
      partial += d;
      const complete = partial.split('\n');
      partial = complete.pop()!;
      for (const line of complete) {
        if (!line.startsWith('{')) continue; // npm's own "> elanus@... start" lines
        const l = JSON.parse(line) as Record<string, unknown>;
        lines.push(l);
        if (String(l.msg).startsWith('serving')) {
          clearTimeout(timer);
          resolve(l);
        }
      }
    });
    void exited.then(() => reject(new Error(`npm start exited before serving: ${stderr}`)));
  });
  let serverPid: number | undefined;
  try {
    const line = await serving;
    serverPid = line.pid as number;
    assert.notEqual(serverPid, npm.pid, 'the server is npm\'s child');
    assert.equal((await fetch(`http://127.0.0.1:${line.port as number}/healthz`)).status, 200);

    npm.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const x = await Promise.race([exited, new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), 15_000); })]);
    clearTimeout(timer);
    assert.notEqual(x, 'timeout', 'npm did not exit within 15 s of SIGTERM');
    t.diagnostic(`npm exited with ${JSON.stringify(x)}`);
    assert.equal(processAlive(serverPid), false, `the server (pid ${serverPid}) is still running without npm`);
    assert.ok(lines.some((l) => l.msg === 'stopped'), `the server stopped cleanly: ${stdout}`);
  } finally {
    if (npm.exitCode === null && npm.signalCode === null) npm.kill('SIGKILL');
    if (serverPid !== undefined && processAlive(serverPid)) process.kill(serverPid, 'SIGKILL');
  }
});
