// `elanus serve --cluster`: one node of a cluster on etcd, NATS JetStream and S3
// (docs/CLUSTER.md). The port first (a node that cannot listen leaves no trace), then
// the three stores, then the node (cli/cluster-node.ts): it campaigns for the
// coordinator lease and serves the engine if it wins, and forwards calls to the
// coordinator while it stands by.
//
// Exit codes as `elanus serve`: 0 stopped by a signal, 1 failed (a store unreachable
// at start, or this node lost the coordinator lease: it exits so that whatever
// supervises it starts it again, as a standby), 2 bad configuration.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { createMetrics } from '../api/metrics.js';
import { Authenticator } from '../api/auth.js';
import { registerRestRoutes } from '../api/rest/index.js';
import { registerReplicaRoutes } from '../api/replica-wire.js';
import type { Listener } from '../api/server.js';
import { EtcdMetaStore, JetStreamLogStore, S3ObjectStore } from '../cluster/index.js';
import type { Config } from '../config/index.js';
import type { EngineEvents } from '../engine/index.js';
import { isElanusError } from '../errors/index.js';
import type { LogStore, MetaStore, ObjectStore } from '../storage/index.js';
import { ClusterNode, type ClusterStores } from './cluster-node.js';
import { registerClusterMetrics } from './cluster-metrics.js';

const list = (text: string): string[] => text.split(',').map((s) => s.trim()).filter((s) => s !== '');
const pem = (path: string): string | undefined => (path === '' ? undefined : readFileSync(path, 'utf8'));

/** Where other nodes reach this one: the setting, else host:port (the host name for a wildcard host). */
export function advertisedAddress(config: Config, port: number): string {
  if (config.cluster.advertise !== '') return config.cluster.advertise;
  const host = config.host === '0.0.0.0' || config.host === '::' ? hostname() : config.host;
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** Connects to etcd, JetStream and S3 with the cluster's settings; closes what it opened when one fails. */
export async function openClusterStores(config: Config): Promise<ClusterStores & { close(): Promise<void> }> {
  const c = config.cluster;
  const opened: Array<{ close(): Promise<void> }> = [];
  try {
    const ca = pem(c.etcd.caFile);
    const meta: MetaStore = await EtcdMetaStore.open({
      endpoints: list(c.etcd.endpoints),
      namespace: `elanus/${c.name}/`,
      ...(ca !== undefined ? { tls: { ca, ...(c.etcd.certFile ? { cert: pem(c.etcd.certFile)! } : {}), ...(c.etcd.keyFile ? { key: pem(c.etcd.keyFile)! } : {}) } } : {}),
      ...(c.etcd.username !== '' ? { auth: { username: c.etcd.username, password: c.etcd.password } } : {}),
    });
    opened.push(meta);
    const natsTls = c.nats.caFile !== '' || c.nats.certFile !== '' ? {
      tls: { ...(c.nats.caFile ? { caFile: c.nats.caFile } : {}), ...(c.nats.certFile ? { certFile: c.nats.certFile } : {}), ...(c.nats.keyFile ? { keyFile: c.nats.keyFile } : {}) },
    } : {};
    const log: LogStore = await JetStreamLogStore.open({
      servers: list(c.nats.servers),
      namespace: c.name,
      positions: meta,
      replicas: c.nats.replicas === 3 ? 3 : 1,
      ...natsTls,
      ...(c.nats.user !== '' ? { user: c.nats.user, password: c.nats.password } : {}),
      ...(c.nats.token !== '' ? { token: c.nats.token } : {}),
    });
    opened.push(log);
    const s3Ca = pem(c.s3.caFile);
    const objects: ObjectStore = await S3ObjectStore.open({
      bucket: c.s3.bucket,
      ...(c.s3.endpoint !== '' ? { endpoint: c.s3.endpoint } : {}),
      region: c.s3.region,
      prefix: `${c.name}/`,
      forcePathStyle: c.s3.forcePathStyle,
      ...(c.s3.accessKeyId !== '' ? { credentials: { accessKeyId: c.s3.accessKeyId, secretAccessKey: c.s3.secretAccessKey } } : {}),
      ...(s3Ca !== undefined ? { caPem: s3Ca } : {}),
    });
    opened.push(objects);
    return {
      meta, objects, log,
      close: async () => {
        for (const s of opened.reverse()) await s.close().catch(() => undefined);
      },
    };
  } catch (e) {
    for (const s of opened.reverse()) await s.close().catch(() => undefined);
    throw e;
  }
}

export interface ClusterServeInput {
  readonly config: Config;
  readonly listener: Listener;
  readonly logger: Logger;
  readonly events: EngineEvents;
  /** Resolves with the signal that asks the node to stop. */
  readonly stopRequested: Promise<NodeJS.Signals>;
}

/** Runs a cluster node on a bound listener until a signal or the loss of the coordinator lease. */
export async function serveCluster(input: ClusterServeInput): Promise<number> {
  const { config, listener, logger } = input;
  const address = advertisedAddress(config, listener.port);
  const node = config.cluster.node !== '' ? config.cluster.node : address;
  let stores: Awaited<ReturnType<typeof openClusterStores>>;
  try {
    stores = await openClusterStores(config);
  } catch (e) {
    await listener.close();
    if (!isElanusError(e)) throw e;
    logger.fatal({ code: e.code }, `cannot reach the cluster's stores: ${e.message}`);
    console.error(`elanus: cannot reach the cluster's stores: ${e.message}`);
    return 1;
  }
  const cluster = new ClusterNode({
    node, address, stores, leaseTtlMs: config.cluster.leaseTtlMs, logger, roles: config.cluster.roles,
    engine: { limits: config.limits, shardsDefault: config.shardsDefault, nativeThreads: config.nativeThreads, nativeNice: config.nativeNice, events: input.events, rootPassword: config.rootPassword },
  });
  // Calls are authenticated where they are served: a gateway forwards them, credentials
  // and all, and the coordinator checks them against the users in etcd.
  const auth = config.authEnabled ? new Authenticator({ users: cluster.gateway, logger }) : undefined;
  const metrics = config.metrics ? createMetrics(cluster.gateway, () => listener.connections(), auth && (() => auth.failures())) : undefined;
  if (metrics) registerClusterMetrics(metrics.registry, cluster);
  const server = await listener.serve({
    engine: cluster.gateway,
    messageBytesMax: config.messageBytesMax,
    forwardTo: () => cluster.forwardTo(),
    localCalls: (rpc) => cluster.localCalls(rpc),
    ...(metrics ? { observe: metrics.observe } : {}),
    ...(auth ? { auth } : {}),
    http: (app, forwarding) => {
      metrics?.register(app);
      registerRestRoutes(app, cluster.gateway, logger, auth, forwarding);
      registerReplicaRoutes(app, () => cluster.replicaReader(), () => cluster.ticketIssuer());
    },
  });
  const roles = config.cluster.roles;
  logger.info({ node, address, host: server.host, port: server.port, cluster: config.cluster.name, roles },
    `cluster node ${node} (${roles.join(', ')}) serving Milvus gRPC and HTTP on ${server.host}:${server.port}${roles.includes('coordinator') ? '; campaigning for the coordinator lease' : ''}`);
  const ended = await Promise.race([
    input.stopRequested.then((signal) => ({ signal, lost: undefined })),
    cluster.lost.then((lost) => ({ signal: undefined, lost })),
  ]);
  if (ended.signal) logger.info({ signal: ended.signal, deadlineMs: config.shutdownDeadlineMs }, 'stopping: no new connections, calls in flight get until the deadline');
  await server.close(ended.lost !== undefined ? 0 : config.shutdownDeadlineMs);
  // A coordinator that stops gives its lease up at once, so a standby takes over without
  // waiting for it to expire; the log holds every acknowledged write for the next one.
  await cluster.close();
  await stores.close();
  if (ended.lost !== undefined) {
    logger.error({ node, reason: ended.lost }, 'this node is no longer coordinator: exiting, to start again as a standby');
    return 1;
  }
  logger.info({ node }, 'stopped');
  return 0;
}
