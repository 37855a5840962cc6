// The gRPC integration harness: a real server on port 0 over a fresh engine in a temp
// folder, driven only through the official Milvus SDK (`MilvusClient`), as a user would.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { MilvusClient } from '@zilliz/milvus2-sdk-node';
import { Elanus } from '../../src/index.js';
import { startServer, type RunningServer } from '../../src/api/server.js';
import type { Clock } from '../../src/tso/index.js';

export interface Harness {
  readonly engine: Elanus;
  readonly server: RunningServer;
  readonly client: MilvusClient;
  readonly address: string;
  /** Another client on the same server (e.g. one that selects a database). */
  newClient(config?: Record<string, unknown>): Promise<MilvusClient>;
  close(): Promise<void>;
}

/** `clock`: the engine's wall clock (timestamps), for tests that move time by hand. */
export async function startHarness(o: { clock?: Clock } = {}): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'elanus-grpc-'));
  const engine = await Elanus.open({ path: dir, limits: { backgroundIntervalMs: 0 }, ...(o.clock ? { clock: o.clock } : {}) });
  const server = await startServer({ engine, host: '127.0.0.1', port: 0, messageBytesMax: 64 * 1024 * 1024, logger: pino({ level: 'silent' }) });
  const address = `127.0.0.1:${server.port}`;
  const clients: MilvusClient[] = [];
  const newClient = async (config: Record<string, unknown> = {}) => {
    const c = new MilvusClient({ address, logLevel: 'error', ...config });
    clients.push(c);
    await c.connectPromise;
    return c;
  };
  const client = await newClient();
  return {
    engine, server, client, address, newClient,
    async close() {
      for (const c of clients) await c.closeConnection().catch(() => undefined);
      await server.close(2_000);
      await engine.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface WireStatusLike {
  error_code: string | number;
  code?: number;
  reason: string;
  detail?: string;
}

/** A successful common.Status as the SDK decodes it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function assertOk(s: any, what = ''): void {
  const st: WireStatusLike = s && typeof s.status === 'object' && s.status !== null ? s.status : s;
  assert.equal(st.error_code, 'Success', `${what}: ${st.reason}`);
  assert.equal(st.code ?? 0, 0, `${what}: ${st.reason}`);
}

/** An error status: legacy error_code name, Milvus code, and the Elanus code leading the reason. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function assertErr(s: any, expected: { code: number; error_code?: string; elanus: string; reason?: RegExp }): void {
  assert.ok(s, `expected ${expected.elanus}, got nothing`);
  const st: WireStatusLike = typeof s.status === 'object' && s.status !== null ? s.status : s;
  assert.notEqual(st.error_code, 'Success', `expected ${expected.elanus}, got success`);
  assert.equal(st.code, expected.code, st.reason);
  if (expected.error_code) assert.equal(st.error_code, expected.error_code, st.reason);
  assert.ok(st.reason.startsWith(`${expected.elanus}: `), `reason ${JSON.stringify(st.reason)} should start with ${expected.elanus}`);
  assert.equal(st.detail, expected.elanus);
  if (expected.reason) assert.match(st.reason, expected.reason);
}

/** Deterministic pseudo-random numbers (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomVector(r: () => number, dim: number): number[] {
  return Array.from({ length: dim }, () => Math.round((r() * 2 - 1) * 1000) / 1000);
}

export const kv = (list: Array<{ key: string; value: string }> | undefined): Record<string, string> =>
  Object.fromEntries((list ?? []).map(({ key, value }) => [key, value]));
