// The port is bound before the engine opens (so a server that cannot listen leaves nothing
// on disk): clients that connect in between wait, unread, and are answered once the
// engine is there — the official SDK and GET /healthz alike. Their handshake deadline
// starts only then, so a slow start does not cut them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MilvusClient } from '@zilliz/milvus2-sdk-node';
import { pino } from 'pino';
import { listen } from '../../src/api/server.js';
import { Elanus } from '../../src/engine/index.js';
import { within } from './net-helpers.js';

test('connections made before the engine is open wait and are then served; the handshake deadline starts at serve()', async () => {
  const root = mkdtempSync(join(tmpdir(), 'elanus-listen-'));
  const dataDir = join(root, 'data');
  const listener = await listen({ host: '127.0.0.1', port: 0, logger: pino({ level: 'silent' }), connections: { handshakeTimeoutMs: 1_000 } });
  const sdk = new MilvusClient({ address: `127.0.0.1:${listener.port}`, logLevel: 'error' });
  let engine: Elanus | undefined;
  try {
    assert.equal(existsSync(dataDir), false, 'binding touched no disk');
    const version = sdk.getVersion();
    const health = fetch(`http://127.0.0.1:${listener.port}/healthz`);
    // Longer than the handshake timeout: the waiting connections must not be cut for it.
    assert.equal(await within(Promise.race([version, health]), 1_500), 'timeout', 'nothing is answered before serve()');
    assert.equal(listener.connections().open, 2);

    engine = await Elanus.open({ path: dataDir });
    const server = await listener.serve({ engine, messageBytesMax: 1 << 20 });
    assert.match((await version).version, /^v2\./);
    assert.equal((await health).status, 200);
    assert.equal(listener.connections().closed.handshake_timeout, 0);
    await sdk.closeConnection();
    await server.close(1_000);
  } finally {
    await sdk.closeConnection();
    await engine?.close();
    rmSync(root, { recursive: true, force: true });
  }
});
