// Cluster nodes (cli/cluster-node.ts) in one process, on shared stores: the embedded
// MetaStore, log and object store stand in for etcd, JetStream and S3 (the same
// interfaces; the real services have suites of their own). Each node serves the Milvus
// protocols and the replica wire on its own port. Shared by the node and replica tests.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { listen, type RunningServer } from '../../src/api/server.js';
import { registerRestRoutes } from '../../src/api/rest/index.js';
import { Authenticator } from '../../src/api/auth.js';
import { registerReplicaRoutes } from '../../src/api/replica-wire.js';
import { ClusterNode, type ClusterStores, type NodeRole } from '../../src/cli/cluster-node.js';
import type { EngineLimits } from '../../src/engine/index.js';
import { ElanusError } from '../../src/errors/index.js';
import { FsObjectStore, LocalMetaStore, NodeFileSystem, watchIterator, type MetaStore } from '../../src/storage/index.js';
import { WalLogStore } from '../../src/wal/index.js';

export const logger = pino({ level: process.env.TEST_LOG ?? 'silent' });
// Long enough that a busy machine (a test run beside other work) does not stall a keep-alive past it.
export const leaseTtlMs = 4_000;

/**
 * A view of the shared metadata store that a node loses, as a dead or cut-off process
 * does: calls fail with STORE_UNAVAILABLE, and so do its open watches. `heal` ends the
 * outage (an etcd that came back).
 */
export function severable(store: MetaStore): { store: MetaStore; sever(): void; heal(): void } {
  let severed = false;
  const unavailable = () => new ElanusError('STORE_UNAVAILABLE', { store: 'etcd', endpoint: 'test', detail: 'severed' });
  const watches = new Set<{ close(): void }>();
  const view = new Proxy(store, {
    get(target, name) {
      const value = (target as unknown as Record<string | symbol, unknown>)[name];
      if (typeof value !== 'function') return value;
      if (name === 'watch') {
        return async (...args: Parameters<MetaStore['watch']>) => {
          if (severed) throw unavailable();
          const w = await target.watch(...args);
          let cut = false;
          const handle = { close: () => { cut = true; w.close(); } };
          watches.add(handle);
          const next = async () => {
            const b = await w.next();
            if (b === undefined && cut) throw unavailable();
            return b;
          };
          const view = { next, close: () => { watches.delete(handle); w.close(); } };
          return { ...view, [Symbol.asyncIterator]: () => watchIterator(view) };
        };
      }
      return (...args: unknown[]) => {
        if (severed && name !== 'close') return Promise.reject(unavailable());
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return {
    store: view,
    sever: () => { severed = true; for (const w of watches) w.close(); watches.clear(); },
    heal: () => { severed = false; },
  };
}

export interface RunningNode {
  readonly node: ClusterNode;
  readonly server: RunningServer;
  readonly address: string;
  sever(): void;
  heal(): void;
}

/** `auth`: the node authenticates the calls it serves, as `elanus serve --cluster --auth-enabled` does. */
export async function startNode(name: string, shared: ClusterStores, roles?: readonly NodeRole[], limits: Partial<EngineLimits> = {}, opts: { auth?: boolean } = {}): Promise<RunningNode> {
  const listener = await listen({ host: '127.0.0.1', port: 0, logger });
  const address = `127.0.0.1:${listener.port}`;
  const meta = severable(shared.meta);
  const node = new ClusterNode({
    node: name, address, stores: { ...shared, meta: meta.store }, leaseTtlMs, logger, ...(roles ? { roles } : {}),
    engine: { limits: { backgroundIntervalMs: 0, interimIndexRows: 0, ...limits } },
  });
  const auth = opts.auth ? new Authenticator({ users: node.gateway, logger }) : undefined;
  const server = await listener.serve({
    engine: node.gateway, messageBytesMax: 64 << 20, forwardTo: () => node.forwardTo(), localCalls: (rpc) => node.localCalls(rpc),
    ...(auth ? { auth } : {}),
    http: (app, forwarding) => {
      registerRestRoutes(app, node.gateway, logger, auth, forwarding);
      registerReplicaRoutes(app, () => node.replicaReader(), () => node.ticketIssuer());
    },
  });
  return { node, server, address, sever: meta.sever, heal: meta.heal };
}

/** The stores a test's nodes share (in a temporary folder), and how to close and remove them. */
export async function sharedStores(name: string): Promise<{ shared: ClusterStores; release(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `elanus-cluster-${name}-`));
  const fs = new NodeFileSystem();
  const shared: ClusterStores = {
    meta: await LocalMetaStore.open({ fs, dir: join(dir, 'etcd'), txnOpsMax: 10_000 }),
    log: await WalLogStore.open({ fs, dir: join(dir, 'jetstream') }),
    objects: await FsObjectStore.open({ fs, dir: join(dir, 's3') }),
  };
  return {
    shared,
    release: async () => {
      await shared.objects.close();
      await shared.log.close();
      await shared.meta.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function until(what: string, check: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

