// The server's log format: JSON lines when stdout is not a terminal (every test that
// reads the server's logs relies on it), readable lines on a terminal or when asked for.
import { spawn, spawnSync } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveLogFormat } from '../../src/cli/logger.js';
import { cliPath, run, serve } from './helpers.js';

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'elanus-logs-'));
  test.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('auto is pretty on a terminal and JSON anywhere else; json and pretty are what they say', () => {
  assert.equal(resolveLogFormat('auto', true), 'pretty');
  assert.equal(resolveLogFormat('auto', false), 'json');
  assert.equal(resolveLogFormat('json', true), 'json');
  assert.equal(resolveLogFormat('pretty', false), 'pretty');
});

test('a server whose stdout is a pipe logs JSON lines by default and with --log-format json', async () => {
  for (const args of [[], ['--log-format', 'json']]) {
    const s = await serve(['--data-dir', tempDir(), ...args]);
    const exit = await s.stop();
    assert.equal(exit.code, 0, exit.stderr);
    const lines = exit.stdout.trim().split('\n');
    assert.ok(lines.length >= 2, exit.stdout);
    for (const line of lines) assert.doesNotThrow(() => JSON.parse(line), `not a JSON line: ${line}`);
    assert.ok(s.logs.some((l) => l.msg === 'stopped' || /stop/.test(String(l.msg))), 'the shutdown is logged');
  }
});

test('--log-format pretty (or ELANUS_LOG_FORMAT=pretty) logs readable lines, uncoloured when stdout is no terminal', async () => {
  for (const [args, env] of [[['--log-format', 'pretty'], {}], [[], { ELANUS_LOG_FORMAT: 'pretty' }]] as const) {
    const child = run(['serve', '--port', '0', '--data-dir', tempDir(), ...args], env);
    // run() reads JSON lines only; the pretty ones are watched for here.
    await new Promise<void>((resolve, reject) => {
      let seen = '';
      const timer = setTimeout(() => reject(new Error(`no "serving" line within 10 s: ${seen}`)), 10_000);
      child.proc.stdout.on('data', (chunk: string) => {
        seen += chunk;
        if (!seen.includes('serving Milvus gRPC')) return;
        clearTimeout(timer);
        resolve();
      });
    });
    child.proc.kill('SIGTERM');
    const exit = await child.exited;
    assert.equal(exit.code, 0, exit.stderr);
    assert.equal(child.logs.length, 0, 'no JSON line');
    const serving = exit.stdout.split('\n').find((l) => l.includes('serving Milvus gRPC'));
    assert.match(serving ?? '', /^\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}\] INFO: serving Milvus gRPC and HTTP on 127\.0\.0\.1:\d+/, exit.stdout);
    assert.match(exit.stdout, /^\s+port: \d+$/m, 'the fields follow, one a line');
    assert.doesNotMatch(exit.stdout, /\x1b\[/, 'no colour codes in a pipe');
  }
});

// A terminal for the child: util-linux's `script` runs it on a pseudo-terminal. The
// server is made to log and exit at once (its port is taken), so no signal is needed.
const hasScript = spawnSync('script', ['--version']).status === 0;
test('auto on a terminal: readable, coloured lines', { skip: hasScript ? false : 'needs util-linux script for a pseudo-terminal' }, async () => {
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  try {
    const port = (taken.address() as AddressInfo).port;
    const command = [process.execPath, cliPath, 'serve', '--port', String(port), '--data-dir', join(tempDir(), 'd')].map((a) => `'${a}'`).join(' ');
    const out = await new Promise<string>((resolve) => {
      const p = spawn('script', ['-qec', command, '/dev/null'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      p.stdout.setEncoding('utf8').on('data', (c: string) => (text += c));
      p.once('close', () => resolve(text));
    });
    const line = out.split(/\r?\n/).find((l) => l.includes('cannot listen'));
    assert.ok(line, out);
    assert.ok(!line.trimStart().startsWith('{'), 'not JSON');
    assert.match(line, /^\[\d{4}-\d{2}-\d{2} [\d:.]+\] \x1b\[\d+mFATAL\x1b\[\d+m: /, 'a coloured level on a terminal');
  } finally {
    await new Promise((resolve) => taken.close(resolve));
  }
});

test('a bad log format exits 2 naming the setting and its source', async () => {
  const x = await run(['serve', '--port', '0', '--data-dir', tempDir(), '--log-format', 'fancy']).exited;
  assert.equal(x.code, 2);
  assert.match(x.stderr, /setting logFormat from flag --log-format must be one of auto, json, pretty/);
});
