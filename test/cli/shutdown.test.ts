// SIGTERM under load, as the issue reported it: `elanus serve` with 12 busy clients (the
// official SDK, each inserting, searching, querying and flushing its own indexed, loaded
// collection without pause), plus a REST upload and a gRPC message that never complete,
// must exit 0 within shutdown-deadline-ms plus 3 s. Restarted on the same folder, every
// collection holds exactly its acknowledged rows, plus any batch whose reply was lost in
// the shutdown, which must be there entirely or not at all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConsistencyLevelEnum, DataType, MilvusClient } from '@zilliz/milvus2-sdk-node';
import { serve, type Serving } from './helpers.js';

const clientsN = 12;
const dim = 32;
const batchRows = 300;
/** How long the clients load the server before the signal. */
const loadMs = 8_000;
/** The bound the issue asks for: the deadline plus a small constant. */
const exitSlackMs = 3_000;

interface Ledger {
  /** Rows of insert calls that answered Success. */
  acked: number;
  /** Insert calls without an answer (cut by the shutdown): [first id, rows]. */
  unknown: Array<[number, number]>;
  calls: number;
  /** A call that failed before the signal: a valid request must not fail. */
  failedBeforeSignal?: string;
}

const collectionOf = (k: number) => `busy_${k}`;
const vectorOf = (id: number, d: number) => Array.from({ length: d }, (_, j) => Math.sin(id * 31 + j));

async function ok(p: Promise<{ error_code: string | number; reason: string }>): Promise<void> {
  const r = await p;
  assert.equal(r.error_code, 'Success', r.reason);
}

async function createIndexed(c: MilvusClient, collection_name: string, d: number, params: Record<string, number>): Promise<void> {
  await ok(c.createCollection({
    collection_name,
    fields: [{ name: 'id', data_type: DataType.Int64, is_primary_key: true }, { name: 'v', data_type: DataType.FloatVector, dim: d }],
  }));
  await ok(c.createIndex({ collection_name, field_name: 'v', index_type: 'HNSW', metric_type: 'L2', params }));
  await ok(c.loadCollection({ collection_name }));
}

/** One busy client: runs until its first failure after the signal (the server is going away). */
async function busy(address: string, k: number, signalled: () => boolean, ledger: Ledger): Promise<void> {
  const c = new MilvusClient({ address, logLevel: 'error' });
  const collection_name = collectionOf(k);
  let next = k * 100_000_000;
  try {
    for (let i = 0; ; i++) {
      const op = i % 10;
      let failure: string | undefined;
      try {
        if (op < 6) {
          const first = next;
          next += batchRows;
          const data = Array.from({ length: batchRows }, (_, j) => ({ id: first + j, v: vectorOf(first + j, dim) }));
          const r = await c.insert({ collection_name, data }).catch((e: unknown) => {
            ledger.unknown.push([first, batchRows]);
            throw e;
          });
          if (r.status.error_code === 'Success') ledger.acked += batchRows;
          else {
            ledger.unknown.push([first, batchRows]);
            failure = `insert: ${r.status.reason}`;
          }
        } else if (op < 8) {
          const r = await c.search({ collection_name, data: [vectorOf(next - 1, dim)], limit: 10 });
          if (r.status.error_code !== 'Success') failure = `search: ${r.status.reason}`;
        } else if (op === 8) {
          const r = await c.query({ collection_name, filter: `id >= ${next - batchRows}`, output_fields: ['id'], limit: 50 });
          if (r.status.error_code !== 'Success') failure = `query: ${r.status.reason}`;
        } else {
          const r = await c.flush({ collection_names: [collection_name] });
          if (r.status.error_code !== 'Success') failure = `flush: ${r.status.reason}`;
        }
      } catch (e) {
        failure = `threw: ${(e as Error).message}`;
      }
      ledger.calls++;
      if (failure === undefined) continue;
      // A failure seen before the signal was sent cannot be the shutdown's doing.
      if (!signalled()) ledger.failedBeforeSignal ??= failure;
      return;
    }
  } finally {
    await c.closeConnection().catch(() => {});
  }
}

/**
 * Calls that never end by themselves: a REST insert whose body trickles in a byte at a
 * time, and a gRPC Insert whose message never completes. The shutdown must cut them.
 */
function stalledCalls(port: number): { stop(): void } {
  const http = net.connect(port, '127.0.0.1', () => {
    http.write(`POST /v2/vectordb/entities/insert HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{"collectionName":"busy_0","data":[`);
  });
  http.on('error', () => {});
  const trickle = setInterval(() => http.write(' '), 200);
  const h2 = http2.connect(`http://127.0.0.1:${port}`);
  h2.on('error', () => {});
  const stream = h2.request({ ':method': 'POST', ':path': '/milvus.proto.milvus.MilvusService/Insert', 'content-type': 'application/grpc', te: 'trailers' });
  stream.on('error', () => {});
  const frame = Buffer.alloc(5 + 10);
  frame.writeUInt32BE(1_000_000, 1); // announces a 1 MB message, sends 10 bytes of it
  stream.write(frame);
  return {
    stop() {
      clearInterval(trickle);
      http.destroy();
      h2.destroy();
    },
  };
}

async function countWhere(c: MilvusClient, collection_name: string, filter: string): Promise<number> {
  const r = await c.query({ collection_name, filter, output_fields: ['count(*)'], consistency_level: ConsistencyLevelEnum.Strong });
  assert.equal(r.status.error_code, 'Success', r.status.reason);
  return Number(r.data[0]!['count(*)']);
}

interface Run {
  readonly deadlineMs: number;
  /** `elanus serve` flags beyond the data folder. */
  readonly flags: readonly string[];
}

async function shutdownUnderLoad(t: { diagnostic(m: string): void }, run: Run): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'elanus-shutdown-'));
  let s: Serving | undefined;
  let stalled: { stop(): void } | undefined;
  let signalled = false;
  const running: Array<Promise<void>> = [];
  try {
    s = await serve(['--data-dir', dir, ...run.flags]);
    const address = `127.0.0.1:${s.port}`;
    const setupClient = new MilvusClient({ address, logLevel: 'error' });
    try {
      for (let k = 0; k < clientsN; k++) await createIndexed(setupClient, collectionOf(k), dim, { M: 8, efConstruction: 64 });
      } finally {
      await setupClient.closeConnection();
    }
    const ledgers: Ledger[] = Array.from({ length: clientsN }, () => ({ acked: 0, unknown: [], calls: 0 }));
    running.push(...ledgers.map((l, k) => busy(address, k, () => signalled, l)));
    stalled = stalledCalls(s.port);
    await new Promise((r) => setTimeout(r, loadMs));

    const sentAt = performance.now();
    signalled = true;
    s.proc.kill('SIGTERM');
    const bound = run.deadlineMs + exitSlackMs;
    let timer: NodeJS.Timeout | undefined;
    const exit = await Promise.race([
      s.exited,
      // Waits well past the bound, so that a failure says how long the exit really took.
      new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`no exit within ${bound} + 60,000 ms of SIGTERM`)), bound + 60_000); }),
    ]).finally(() => clearTimeout(timer));
    const tookMs = performance.now() - sentAt;
    await Promise.all(running);
    const calls = ledgers.reduce((n, l) => n + l.calls, 0);
    t.diagnostic(`deadline ${run.deadlineMs} ms: exit ${exit.code} ${Math.round(tookMs)} ms after SIGTERM; ${calls} calls, ${ledgers.reduce((n, l) => n + l.acked, 0)} rows acknowledged`);
    for (const l of s.logs.filter((x) => /^(stopping|stopped|connections closed)/.test(String(x.msg)))) t.diagnostic(`  ${l.msg} ${JSON.stringify({ ms: l.ms, connections: l.connections, flushed: l.flushed })}`);
    assert.equal(exit.code, 0, exit.stderr);
    assert.ok(tookMs <= bound, `exit ${Math.round(tookMs)} ms after SIGTERM, more than ${run.deadlineMs} + ${exitSlackMs}`);
    for (const l of ledgers) assert.equal(l.failedBeforeSignal, undefined, 'a valid call failed before the signal');
    assert.ok(ledgers.every((l) => l.acked > 0), 'every client had inserts acknowledged');
    // The never-ending calls held the shutdown until the deadline, and were cut there.
    assert.ok(tookMs >= run.deadlineMs, `exit after ${Math.round(tookMs)} ms: the stalled calls were not given the deadline`);

    // Restarted on the same folder: exactly the acknowledged rows, plus whole lost-reply batches.
    s = await serve(['--data-dir', dir]);
    const c = new MilvusClient({ address: `127.0.0.1:${s.port}`, logLevel: 'error' });
    try {
      let lost = 0;
      for (let k = 0; k < clientsN; k++) {
        const collection_name = collectionOf(k);
        let applied = 0;
        for (const [first, n] of ledgers[k]!.unknown) {
          const present = await countWhere(c, collection_name, `id >= ${first} and id < ${first + n}`);
          assert.ok(present === 0 || present === n, `${collection_name}: ${present} of the ${n} rows of an unanswered batch`);
          applied += present;
          if (present === 0) lost++;
        }
        const count = await countWhere(c, collection_name, 'id >= 0');
        assert.equal(count, ledgers[k]!.acked + applied, `${collection_name}: count(*) after the restart`);
      }
      t.diagnostic(`unanswered inserts: ${ledgers.reduce((n, l) => n + l.unknown.length, 0)} (${lost} not applied)`);
    } finally {
      await c.closeConnection();
    }
    const again = await s.stop('SIGTERM');
    assert.equal(again.code, 0, again.stderr);
  } finally {
    signalled = true;
    stalled?.stop();
    if (s && s.proc.exitCode === null && s.proc.signalCode === null) s.proc.kill('SIGKILL');
    await Promise.allSettled(running);
    rmSync(dir, { recursive: true, force: true });
  }
}

test('SIGTERM with 12 busy clients: exit 0 within shutdown-deadline-ms 5000 + 3 s, then every acknowledged row is there exactly once', async (t) => {
  await shutdownUnderLoad(t, { deadlineMs: 5_000, flags: ['--shutdown-deadline-ms', '5000'] });
});

test('the same with the default deadline of 10 s', async (t) => {
  await shutdownUnderLoad(t, { deadlineMs: 10_000, flags: [] });
});
