// The connection limits of `elanus serve`, each through the public surface (raw sockets,
// Node's HTTP/2 client, the official SDK) and each counted in /metrics by its reason:
// connections-max, the handshake timeout (first and later HTTP/1.1 heads, the HTTP/2
// preface and SETTINGS), the idle timeout (HTTP/1.1 and gRPC), malformed HTTP/2 closed at
// once even when the client never closes, and connection-bytes-max on a gRPC connection's
// unanswered calls.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import * as http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MilvusClient } from '@zilliz/milvus2-sdk-node';
import { serve, type Serving } from '../cli/helpers.js';
import { closedBy, eventually, h2Frame, http2Preface, rawConnection, sample, scrape, within } from './net-helpers.js';

async function withServer(flags: readonly string[], body: (s: Serving) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'elanus-limits-'));
  const s = await serve(['--data-dir', dir, ...flags]);
  try {
    await body(s);
  } finally {
    const exit = await s.stop('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
    assert.equal(exit.code, 0, exit.stderr);
  }
}

/** Runs `step` and returns how many connections closed for `reason` meanwhile. */
async function closesDuring(port: number, reason: string, step: () => Promise<void>): Promise<number> {
  const before = closedBy(await scrape(port), reason);
  await step();
  return closedBy(await scrape(port), reason) - before;
}

const settingsFrame = h2Frame(0x4, 0, 0);
const httpGet = 'GET /healthz HTTP/1.1\r\nHost: elanus\r\n\r\n';

test('past connections-max, a new connection is closed at once and counted; once some close, the server serves again', async (t) => {
  await withServer(['--connections-max', '20'], async (s) => {
    // Twenty kept-alive HTTP/1.1 connections, each after one answered request.
    const held = Array.from({ length: 20 }, () => rawConnection(s.port, Buffer.from(httpGet)));
    await eventually(() => held.every((c) => c.received().includes('HTTP/1.1 200')), 10_000, 'twenty answered requests');
    const refused = Array.from({ length: 10 }, () => rawConnection(s.port, Buffer.from(httpGet)));
    const refusedMs = await Promise.all(refused.map((c) => within(c.closed, 5_000)));
    t.diagnostic(`refused connections closed after ${refusedMs.map((ms) => (ms === 'timeout' ? ms : Math.round(ms))).join(', ')} ms`);
    assert.ok(refusedMs.every((ms) => ms !== 'timeout'), 'every connection past the limit was closed');
    assert.ok(refused.every((c) => c.received().length === 0), 'and got no answer');
    assert.ok(held.every((c) => !c.received().includes('HTTP/1.1 4')), 'the held connections were left alone');

    for (const c of held.slice(0, 5)) c.destroy();
    // A scrape that comes before the server has seen the five close is refused too.
    let refusedScrapes = 0;
    await eventually(async () => (await scrape(s.port).catch(() => refusedScrapes++ && '')) !== '', 10_000, 'a scrape once connections are free');
    const text = await scrape(s.port);
    assert.equal(closedBy(text, 'limit'), 10 + refusedScrapes);
    assert.ok(sample(text, 'elanus_connections_total') >= 31, `accepted: ${sample(text, 'elanus_connections_total')}`);
    // 15 held and this scrape; the previous scrape's connection may not have closed yet.
    const open = sample(text, 'elanus_connections_open');
    assert.ok(open >= 16 && open <= 17, `open: ${open}`);
    const sdk = new MilvusClient({ address: `127.0.0.1:${s.port}`, logLevel: 'error' });
    try {
      assert.match((await sdk.getVersion()).version, /^v2\./);
    } finally {
      await sdk.closeConnection();
      for (const c of held) c.destroy();
    }
  });
});

test('handshake timeout, idle timeout and malformed HTTP/2: each connection closed, each counted by its reason', async () => {
  await withServer(['--handshake-timeout-ms', '1000', '--idle-timeout-ms', '2500'], async (s) => {
    // A complete HTTP/2 preface, then nothing: no SETTINGS frame within the handshake timeout.
    assert.equal(await closesDuring(s.port, 'handshake_timeout', async () => {
      const c = rawConnection(s.port, http2Preface);
      assert.notEqual(await within(c.closed, 5_000), 'timeout');
    }), 1);

    // A kept-alive HTTP/1.1 connection whose second request head never ends: cut by the
    // handshake timeout (1 s), well before the idle timeout (2.5 s) would apply.
    assert.equal(await closesDuring(s.port, 'handshake_timeout', async () => {
      const c = rawConnection(s.port, Buffer.from(httpGet));
      await eventually(() => c.received().includes('HTTP/1.1 200'), 5_000, 'the first answer');
      c.socket.write('GET /healthz HTTP/1.1\r\nHost: elanus\r\nX-Slow: ');
      assert.notEqual(await within(c.closed, 5_000), 'timeout');
    }), 1);

    // HTTP/1.1 idle after an answered request, and a gRPC connection without calls (GOAWAY).
    assert.equal(await closesDuring(s.port, 'idle', async () => {
      const c = rawConnection(s.port, Buffer.from(httpGet));
      const session = http2.connect(`http://127.0.0.1:${s.port}`);
      session.on('error', () => {});
      const goaway = new Promise<number>((resolve) => session.once('goaway', (code) => resolve(code)));
      const sessionClosed = new Promise((resolve) => session.once('close', resolve));
      assert.notEqual(await within(c.closed, 8_000), 'timeout', 'the idle HTTP/1.1 connection was closed');
      assert.equal(await within(goaway, 8_000), http2.constants.NGHTTP2_NO_ERROR, 'the idle gRPC connection was told to go');
      assert.notEqual(await within(sessionClosed, 8_000), 'timeout');
    }), 2);

    // The official client is told by a GOAWAY, and its next call simply reconnects.
    const sdk = new MilvusClient({ address: `127.0.0.1:${s.port}`, logLevel: 'error' });
    try {
      assert.match((await sdk.getVersion()).version, /^v2\./);
      await eventually(async () => closedBy(await scrape(s.port), 'idle') >= 3, 10_000, 'the SDK\'s idle connection closed');
      assert.match((await sdk.getVersion()).version, /^v2\./);
    } finally {
      await sdk.closeConnection();
    }

    // Malformed HTTP/2 from a client that never closes its side: a DATA frame on stream 0
    // after the handshake, a wrong preface, a first frame that is not SETTINGS. Each is
    // closed at once (nghttp2's GOAWAY for the first), not left half-open.
    assert.equal(await closesDuring(s.port, 'malformed', async () => {
      const cases = [
        Buffer.concat([http2Preface, settingsFrame, h2Frame(0x0, 0, 0, Buffer.from('garbage'))]),
        Buffer.from('PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n'),
        Buffer.concat([http2Preface, h2Frame(0x6, 0, 0, Buffer.alloc(8))]),
      ];
      for (const bytes of cases) {
        const c = rawConnection(s.port, bytes);
        const ms = await within(c.closed, 5_000);
        assert.ok(ms !== 'timeout' && ms < 2_000, `${bytes.subarray(0, 30).toString('latin1')}...: closed after ${ms} ms`);
      }
    }), 3);
  });
});

test('connection-bytes-max bounds the request bytes of a gRPC connection\'s unanswered calls', async () => {
  const capBytes = 1024 * 1024;
  await withServer(['--connection-bytes-max', String(capBytes), '--message-bytes-max', String(capBytes)], async (s) => {
    const session = http2.connect(`http://127.0.0.1:${s.port}`);
    session.on('error', () => {});
    const sessionClosed = new Promise((resolve) => session.once('close', resolve));
    /** A call whose 1,000,000-byte message stops after 300,000 bytes: the server holds them. */
    const partialCall = async () => {
      const stream = session.request({ ':method': 'POST', ':path': '/milvus.proto.milvus.MilvusService/Insert', 'content-type': 'application/grpc', te: 'trailers' });
      stream.on('error', () => {});
      const prefix = Buffer.alloc(5);
      prefix.writeUInt32BE(1_000_000, 1);
      await new Promise<void>((resolve) => stream.write(Buffer.concat([prefix, Buffer.alloc(300_000)]), () => resolve()));
      return stream;
    };
    const cancel = (stream: http2.ClientHttp2Stream) => stream.close(http2.constants.NGHTTP2_CANCEL);

    const first = [await partialCall(), await partialCall()];
    assert.equal(await within(sessionClosed, 1_000), 'timeout', '600 kB held is within the limit');
    // Cancelled calls hold nothing any more: two new ones fit again.
    first.forEach(cancel);
    const second = [await partialCall(), await partialCall()];
    assert.equal(await within(sessionClosed, 1_000), 'timeout', 'the cancelled calls\' bytes were released');
    assert.equal(await closesDuring(s.port, 'memory', async () => {
      second.push(await partialCall(), await partialCall());
      assert.notEqual(await within(sessionClosed, 5_000), 'timeout', '1.2 MB held: the connection is cut');
    }), 1);
    session.destroy();
  });
});
