// The report at full size: 200 bad connections at once against `elanus serve`
// with its default settings — raw garbage, HTTP/2 prefaces that stop part way, complete
// prefaces never followed by SETTINGS, and slowloris HTTP/1.1 heads that grow by a byte a
// second and never end. Every one must be closed by the server within 20 s (the default
// handshake timeout is 10 s), for the reason it deserves, while the official SDK and a
// plain GET /healthz keep being answered throughout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataType, MilvusClient } from '@zilliz/milvus2-sdk-node';
import fc from 'fast-check';
import { serve } from '../cli/helpers.js';
import { closedBy, http2Preface, rawConnection, sample, scrape, within, type RawConnection } from './net-helpers.js';

const perKind = 50;
const closeWithinMs = 20_000;
/** The longest a good call may take while the bad connections are held. */
const goodCallMs = 5_000;

type Kind = 'garbage' | 'partial preface' | 'preface, no SETTINGS' | 'slowloris';

/**
 * Bytes no HTTP/1.1 request starts with: a control byte or one past ASCII first (CR and LF
 * excluded: an empty line may precede a request, so a lone CR is not yet an error).
 */
const firstByte = fc.oneof(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 14, max: 31 }), fc.constantFrom(11, 12), fc.integer({ min: 128, max: 255 }));
const garbage = fc.tuple(firstByte, fc.uint8Array({ minLength: 0, maxLength: 300 }))
  .map(([b, rest]) => Buffer.concat([Buffer.from([b]), rest]));

function badConnection(port: number, kind: Kind, i: number): { conn: RawConnection; stop(): void } {
  switch (kind) {
    case 'garbage':
      return { conn: rawConnection(port, fc.sample(garbage, { seed: 1200 + i, numRuns: 1 })[0]!), stop() {} };
    case 'partial preface':
      // 1 to 23 of its 24 bytes: short ones stop before the router can tell the protocol,
      // longer ones after it handed the connection to gRPC.
      return { conn: rawConnection(port, http2Preface.subarray(0, 1 + (i % 23))), stop() {} };
    case 'preface, no SETTINGS':
      return { conn: rawConnection(port, http2Preface), stop() {} };
    case 'slowloris': {
      const conn = rawConnection(port, Buffer.from('GET /healthz HTTP/1.1\r\nHost: elanus\r\nX-Slow: '));
      const timer = setInterval(() => conn.socket.write('a'), 1000);
      void conn.closed.then(() => clearInterval(timer));
      return { conn, stop: () => clearInterval(timer) };
    }
  }
}

test('200 bad connections at once are all closed by the server within 20 s, and good clients are served meanwhile', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'elanus-badconn-'));
  const s = await serve(['--data-dir', dir]);
  const address = `127.0.0.1:${s.port}`;
  const sdk = new MilvusClient({ address, logLevel: 'error' });
  const bad: Array<{ kind: Kind; conn: RawConnection; stop(): void }> = [];
  try {
    const created = await sdk.createCollection({
      collection_name: 'good',
      fields: [{ name: 'id', data_type: DataType.Int64, is_primary_key: true }, { name: 'v', data_type: DataType.FloatVector, dim: 4 }],
    });
    assert.equal(created.error_code, 'Success', created.reason);
    const inserted = await sdk.insert({ collection_name: 'good', data: Array.from({ length: 20 }, (_, i) => ({ id: i, v: [i, 1, 2, 3] })) });
    assert.equal(inserted.status.error_code, 'Success', inserted.status.reason);
    assert.equal((await sdk.createIndex({ collection_name: 'good', field_name: 'v', index_type: 'FLAT', metric_type: 'L2' })).error_code, 'Success');
    assert.equal((await sdk.loadCollection({ collection_name: 'good' })).error_code, 'Success');
    const before = await scrape(s.port);

    // The good clients: a search through the SDK and GET /healthz, back to back, until told to stop.
    let stopGood = false;
    const good = { calls: 0, slowestMs: 0, failures: [] as string[] };
    const goodLoop = async (name: string, call: () => Promise<void>) => {
      while (!stopGood) {
        const started = performance.now();
        const out = await within(call().then(() => 'ok', (e: unknown) => `${name}: ${(e as Error).message}`), goodCallMs);
        const ms = performance.now() - started;
        good.slowestMs = Math.max(good.slowestMs, ms);
        good.calls++;
        if (out !== 'ok') good.failures.push(out === 'timeout' ? `${name}: no answer within ${goodCallMs} ms` : out);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const goodDone = Promise.all([
      goodLoop('sdk search', async () => {
        const r = await sdk.search({ collection_name: 'good', data: [[3, 1, 2, 3]], limit: 1 });
        assert.equal(r.status.error_code, 'Success', r.status.reason);
        assert.equal(String(r.results[0]!.id), '3');
      }),
      goodLoop('GET /healthz', async () => {
        const res = await fetch(`http://${address}/healthz`, { signal: AbortSignal.timeout(goodCallMs) });
        assert.equal(res.status, 200);
        assert.deepEqual(await res.json(), { status: 'ok' });
      }),
    ]);

    const kinds: Kind[] = ['garbage', 'partial preface', 'preface, no SETTINGS', 'slowloris'];
    for (let i = 0; i < perKind; i++) for (const kind of kinds) bad.push({ kind, ...badConnection(s.port, kind, i) });
    const outcomes = await Promise.all(bad.map(async (b) => ({ kind: b.kind, ms: await within(b.conn.closed, closeWithinMs), byUs: b.conn.closedByUs() })));
    stopGood = true;
    await goodDone;

    for (const kind of kinds) {
      const ms = outcomes.filter((o) => o.kind === kind).map((o) => o.ms);
      const closed = ms.filter((x): x is number => x !== 'timeout');
      t.diagnostic(`${kind}: ${closed.length}/${ms.length} closed, after ${Math.round(Math.min(...closed))}-${Math.round(Math.max(...closed))} ms`);
    }
    t.diagnostic(`good calls: ${good.calls}, slowest ${Math.round(good.slowestMs)} ms`);
    const open = outcomes.filter((o) => o.ms === 'timeout');
    assert.deepEqual(open.map((o) => o.kind), [], `still open after ${closeWithinMs} ms`);
    assert.ok(outcomes.every((o) => !o.byUs), 'every close came from the server');
    assert.deepEqual(good.failures, []);
    assert.ok(good.calls >= 2 * 10, `good clients were served throughout: ${good.calls} calls`);

    // Counted by reason: garbage is refused as malformed at once, the rest at the handshake deadline.
    const after = await scrape(s.port);
    assert.equal(closedBy(after, 'malformed') - closedBy(before, 'malformed'), perKind, 'malformed closes');
    assert.equal(closedBy(after, 'handshake_timeout') - closedBy(before, 'handshake_timeout'), 3 * perKind, 'handshake_timeout closes');
    assert.ok(sample(after, 'elanus_connections_total') - sample(before, 'elanus_connections_total') >= 4 * perKind);
    assert.ok(sample(after, 'elanus_connections_open') <= 3, `open connections left: ${sample(after, 'elanus_connections_open')}`);
  } finally {
    for (const b of bad) {
      b.stop();
      b.conn.destroy();
    }
    await sdk.closeConnection();
    const exit = await s.stop('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
    assert.equal(exit.code, 0, exit.stderr);
  }
});
