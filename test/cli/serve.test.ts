// `elanus serve` as an operator runs it: a child process on port 0, the official Milvus
// client, /healthz and /metrics on the same port, SIGTERM that flushes and exits 0, and
// a second server on the same folder that refuses to start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataType, MilvusClient } from '@zilliz/milvus2-sdk-node';
import { Elanus } from '../../src/index.js';
import { run, serve } from './helpers.js';

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'elanus-serve-'));
  test.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const rowsInserted = 100;

test('serve: /healthz, /metrics after an SDK call, SIGTERM flushes and exits 0, data is there after a restart', async () => {
  const dir = tempDir();
  const s = await serve(['--data-dir', dir, '--log-level', 'debug']);
  const base = `http://127.0.0.1:${s.port}`;
  const started = s.logs.find((l) => l.msg !== undefined && String(l.msg).startsWith('serving'))!;
  assert.equal(started.level, 30, 'the startup line is at info');
  assert.equal(started.dataDir, dir);
  assert.equal(started.address, `127.0.0.1:${s.port}`);

  const health = await fetch(`${base}/healthz`);
  assert.equal(health.status, 200);
  assert.deepEqual(await health.json(), { status: 'ok' });

  const client = new MilvusClient({ address: `127.0.0.1:${s.port}`, logLevel: 'error' });
  try {
    await client.connectPromise;
    const version = await client.getVersion();
    assert.match(version.version, /^v2\./);
    const created = await client.createCollection({
      collection_name: 'books',
      fields: [
        { name: 'id', data_type: DataType.Int64, is_primary_key: true },
        { name: 'vec', data_type: DataType.FloatVector, dim: 4 },
      ],
    });
    assert.equal(created.error_code, 'Success', created.reason);
    const rows = Array.from({ length: rowsInserted }, (_, i) => ({ id: i, vec: [i, 1, 2, 3] }));
    const inserted = await client.insert({ collection_name: 'books', data: rows });
    assert.equal(inserted.status.error_code, 'Success', inserted.status.reason);

    const res = await fetch(`${base}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await res.text();
    assert.match(text, /^elanus_requests_total\{protocol="grpc",rpc="GetVersion",code="OK"\} 1$/m);
    assert.match(text, /^elanus_requests_total\{protocol="grpc",rpc="Insert",code="OK"\} 1$/m);
    assert.match(text, /^elanus_requests_total\{protocol="http",rpc="\/healthz",code="200"\} 1$/m);
    assert.match(text, /^elanus_request_duration_seconds_count\{protocol="grpc",rpc="GetVersion",code="OK"\} 1$/m);
    assert.match(text, new RegExp(`^elanus_collection_rows\\{db="default",collection="books"\\} ${rowsInserted}$`, 'm'));
    assert.match(text, new RegExp(`^elanus_log_lag_rows\\{db="default",collection="books"\\} ${rowsInserted}$`, 'm'));
    // Each insert call is one log record, and nothing is flushed yet.
    assert.match(text, /^elanus_log_lag_records\{db="default",collection="books"\} [1-9]\d*$/m);
    assert.match(text, /^elanus_segments\{db="default",collection="books",state="growing"\} 1$/m);
    assert.match(text, /^elanus_vector_index_bytes 0$/m, 'nothing indexed yet');
    assert.match(text, /^elanus_vector_interim_index_bytes 0$/m, 'no growing segment has a whole chunk');
    assert.match(text, /^elanus_vector_segment_searches_total\{access="exact"\} 0$/m);
    assert.match(text, /^elanus_vector_segment_searches_total\{access="interim"\} 0$/m);
    assert.match(text, /^process_cpu_user_seconds_total /m, 'process metrics');
    assert.match(text, /^nodejs_eventloop_lag_seconds /m, 'process metrics');

    // One debug line per request, for both protocols.
    assert.ok(s.logs.some((l) => l.msg === 'grpc' && l.rpc === 'GetVersion' && l.code === 'OK' && l.level === 20));
    assert.ok(s.logs.some((l) => l.msg === 'http' && l.url === '/healthz' && l.status === 200 && l.level === 20));

    // SIGTERM while the client is still connected: shutdown must not wait on its idle connection.
    const exit = await s.stop('SIGTERM');
    assert.equal(exit.code, 0, exit.stderr);
    const stopped = s.logs.find((l) => l.msg === 'stopped');
    assert.ok(stopped, `a "stopped" line: ${exit.stdout}`);
    assert.equal(stopped.flushed, 1);
  } finally {
    await client.closeConnection();
  }

  // Flushed on shutdown: every row is in a flushed segment, none waits in the log.
  const engine = await Elanus.open({ path: dir, limits: { backgroundIntervalMs: 0 } });
  try {
    const segments = engine.segmentInfo({ collection_name: 'books' });
    assert.ok(segments.length > 0);
    assert.deepEqual(segments.filter((x) => x.rows > 0).map((x) => x.state).filter((st) => st !== 'flushed'), []);
    assert.equal(segments.reduce((n, x) => n + x.rows, 0), rowsInserted);
    await engine.loadCollection({ collection_name: 'books' });
    const count = await engine.count({ collection_name: 'books', consistency_level: 'Strong' });
    assert.equal(count.data, rowsInserted);
  } finally {
    await engine.close();
  }
});

test('a second server on the same data folder refuses with one clear line and exits non-zero', async () => {
  const dir = tempDir();
  const first = await serve(['--data-dir', dir]);
  try {
    const second = await run(['serve', '--port', '0', '--data-dir', dir]).exited;
    assert.equal(second.code, 1);
    const lines = second.stderr.trim().split('\n');
    assert.equal(lines.length, 1, second.stderr);
    assert.match(lines[0]!, new RegExp(`^elanus: .*${dir}.* in use by process ${first.proc.pid}.*--data-dir`));
  } finally {
    const exit = await first.stop('SIGINT');
    assert.equal(exit.code, 0, exit.stderr);
  }
});

test('a bad setting exits 2 with a message naming the key and its source', async () => {
  const x = await run(['serve', '--data-dir', tempDir()], { ELANUS_PORT: 'many' }).exited;
  assert.equal(x.code, 2);
  assert.match(x.stderr, /INVALID_ARGUMENT|invalid argument/);
  assert.match(x.stderr, /setting port from env ELANUS_PORT must be an integer/);
});

test('--no-metrics turns /metrics off; the environment names the data folder', async () => {
  const dir = tempDir();
  const s = await serve(['--no-metrics'], { ELANUS_DATA_DIR: dir });
  try {
    assert.equal(s.logs.find((l) => l.msg !== undefined && String(l.msg).startsWith('serving'))?.dataDir, dir);
    assert.equal((await fetch(`http://127.0.0.1:${s.port}/metrics`)).status, 404);
    assert.equal((await fetch(`http://127.0.0.1:${s.port}/healthz`)).status, 200);
  } finally {
    assert.equal((await s.stop()).code, 0);
  }
});

test('help lists the commands; an unknown command exits 2 with a message', async () => {
  const help = await run(['help']).exited;
  assert.equal(help.code, 0);
  assert.match(help.stdout, /serve/);
  assert.match(help.stdout, /demo/);
  const unknown = await run(['serf']).exited;
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown command 'serf'/);
  assert.match(unknown.stderr, /serve/, 'suggests the command meant');
});
