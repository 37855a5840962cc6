// The REST v2 test harness the per-feature REST test files share: an engine on a fresh
// folder, the server with only the REST routes on a free loopback port, `post` to call an
// endpoint and read its envelope, and the teardown (registered as the file's before/after
// hooks).
import { after, before } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Elanus } from '../../src/engine/index.js';
import { type RunningServer, startServer } from '../../src/api/server.js';
import { registerRestRoutes } from '../../src/api/rest/index.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
export interface Envelope { code: number; message?: string; data?: Json }

export interface RestHarness {
  /** POST /v2/vectordb<path> with a JSON body; the envelope the server answers. */
  post(path: string, body: unknown): Promise<Envelope>;
}

/** Registers the hooks that start and stop the server; `prefix` names the temporary folder. */
export function restHarness(prefix: string): RestHarness {
  let dir: string | undefined;
  let engine: Elanus | undefined;
  let server: RunningServer | undefined;
  let base = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix));
    engine = await Elanus.open({ path: dir, limits: { backgroundIntervalMs: 0 } });
    const db = engine;
    const logger = pino({ level: 'silent' });
    server = await startServer({ engine: db, host: '127.0.0.1', port: 0, messageBytesMax: 1024 * 1024, logger, http: (app) => registerRestRoutes(app, db, logger) });
    base = `http://127.0.0.1:${server.port}`;
  });
  after(async () => {
    await server?.close();
    await engine?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  return {
    async post(path, body) {
      const r = await fetch(`${base}/v2/vectordb${path}`, { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });
      return await r.json() as Envelope;
    },
  };
}
