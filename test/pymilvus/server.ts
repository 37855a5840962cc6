// A real Elanus server on port 0 over a fresh engine in a temp folder, and a raw gRPC
// client built from the same milvus.proto the server serves. No SDK sits in between:
// the tests in this folder send the request messages pymilvus 2.6 builds (wire.ts) and
// read the replies the way pymilvus reads them, so what passes here is what a Python
// program sees.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { Elanus } from '../../src/index.js';
import { startServer, type RunningServer } from '../../src/api/server.js';
import { packageDefinition, serviceName } from '../../src/api/proto.js';
import { callMetadata } from './wire.js';

/** How long one unary call may take before the test fails instead of hanging, ms. */
const callDeadlineMs = 10_000;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Reply = any;

export interface WireServer {
  /**
   * One unary call, with the metadata pymilvus attaches to every MilvusClient call
   * (call_context.py: dbname, client-request-id, client-request-unixmsec). `db` is the
   * MilvusClient's db_name: "" unless the program chose a database.
   */
  call(method: string, request: Record<string, unknown>, db?: string): Promise<Reply>;
  close(): Promise<void>;
}

type UnaryMethod = (req: unknown, md: grpc.Metadata, opts: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r: unknown) => void) => void;

export async function startWireServer(): Promise<WireServer> {
  const dir = await mkdtemp(join(tmpdir(), 'elanus-pymilvus-'));
  const engine = await Elanus.open({ path: dir, limits: { backgroundIntervalMs: 0 } });
  let server: RunningServer | undefined;
  try {
    server = await startServer({ engine, host: '127.0.0.1', port: 0, messageBytesMax: 64 * 1024 * 1024, logger: pino({ level: 'silent' }) });
  } catch (e) {
    await engine.close();
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  const running = server;
  const loaded = grpc.loadPackageDefinition(packageDefinition);
  const Service = serviceName.split('.').reduce<Record<string, unknown>>((o, k) => o[k] as Record<string, unknown>, loaded as unknown as Record<string, unknown>) as unknown as grpc.ServiceClientConstructor;
  const client = new Service(`127.0.0.1:${running.port}`, grpc.credentials.createInsecure());
  return {
    call(method, request, db = '') {
      const fn = (client as unknown as Record<string, UnaryMethod>)[method];
      assert.equal(typeof fn, 'function', `no RPC named ${method} in milvus.proto`);
      const md = new grpc.Metadata();
      for (const [k, v] of callMetadata(db)) md.set(k, v);
      return new Promise((resolve, reject) => {
        fn.call(client, request, md, { deadline: Date.now() + callDeadlineMs }, (e, r) => (e ? reject(e) : resolve(r)));
      });
    },
    async close() {
      client.close();
      await running.close(2_000);
      await engine.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
