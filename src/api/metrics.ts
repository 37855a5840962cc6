// Prometheus metrics for one server: request counts and latencies per RPC and outcome,
// what the engine holds (rows and segments per collection, rows not yet flushed) and the
// process's own figures. Each server gets a fresh Registry, so two servers in one process
// (tests) never add to each other's counters, and nothing lands in prom-client's global one.
//
// Engine figures are read when Prometheus scrapes, not kept up to date on every write: a
// scrape walks the catalog once (listDatabases → showCollections → segmentInfo), which
// costs nothing between scrapes and cannot drift from the engine's own state.
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Gateway, HealthComponent } from '../gateway/index.js';
import { isElanusError } from '../errors/index.js';
import type { CallObserver } from './grpc/service.js';
import { closeReasons, type ConnectionStats } from './connections.js';
import { authFailureReasons, type AuthFailureReason } from './auth.js';

export interface Metrics {
  readonly registry: Registry;
  /** The gRPC call observer to hand to startServer. */
  readonly observe: CallObserver;
  /** Serves GET /metrics and counts every HTTP request (a fastify onResponse hook). */
  register(app: FastifyInstance): void;
}

const healthComponents: readonly HealthComponent[] = ['log', 'metadata', 'segments', 'indexes'];

/** Latency buckets, seconds: 0.5 ms to 10 s (a point lookup to a large flush). */
const latencyBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface CollectionFigures {
  readonly db: string;
  readonly collection: string;
  readonly rowsStored: number;
  readonly rowsUnflushed: number;
  /** Log records past the flush checkpoint, summed over shards. */
  readonly logRecords: number;
  readonly segmentsByState: ReadonlyMap<string, number>;
}

/**
 * `connections` gives the server's connection figures (RunningServer.connections); the
 * server counts them itself from the moment it binds, and a scrape reads them.
 */
export function createMetrics(engine: Gateway, connections?: () => ConnectionStats, authFailures?: () => ReadonlyMap<AuthFailureReason, number>): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  if (connections) registerConnectionMetrics(registry, connections);
  if (authFailures) {
    new Counter({
      name: 'elanus_auth_failures_total',
      help: 'Calls and requests refused by authentication, by reason: missing (no credentials), malformed (not user:password), wrong (no such user, or a wrong password), rate_limited (past the failed attempts one address may make per minute); each also logged at warn, without the password',
      labelNames: ['reason'] as const,
      registers: [registry],
      collect() {
        this.reset();
        const counts = authFailures();
        for (const reason of authFailureReasons) this.inc({ reason }, counts.get(reason) ?? 0);
      },
    });
  }

  const requests = new Counter({
    name: 'elanus_requests_total',
    help: 'Requests answered, by protocol, RPC (gRPC method or HTTP route) and outcome (error code, or HTTP status)',
    labelNames: ['protocol', 'rpc', 'code'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'elanus_request_duration_seconds',
    help: 'Time from a request\'s arrival to its reply, by protocol, RPC and outcome',
    labelNames: ['protocol', 'rpc', 'code'] as const,
    buckets: latencyBuckets,
    registers: [registry],
  });

  // Prometheus asks every metric for its value at once, so the gauges share one walk of
  // the catalog per scrape instead of making three.
  let pending: Promise<CollectionFigures[]> | undefined;
  const figures = (): Promise<CollectionFigures[]> => {
    pending ??= engineFigures(engine).finally(() => setImmediate(() => (pending = undefined)));
    return pending;
  };

  new Gauge({
    name: 'elanus_collection_rows',
    help: 'Rows held in a collection\'s segments (deleted rows included until compaction rewrites their segment)',
    labelNames: ['db', 'collection'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const f of await figures()) this.set({ db: f.db, collection: f.collection }, f.rowsStored);
    },
  });
  new Gauge({
    name: 'elanus_segments',
    help: 'Segments of a collection by state (growing, sealed, flushed)',
    labelNames: ['db', 'collection', 'state'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const f of await figures()) {
        for (const [state, n] of f.segmentsByState) this.set({ db: f.db, collection: f.collection, state }, n);
      }
    },
  });
  new Gauge({
    name: 'elanus_log_lag_rows',
    help: 'Rows in the log past the flush checkpoint: rows of growing and sealed segments not yet flushed (deletes not counted); a restart replays them',
    labelNames: ['db', 'collection'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const f of await figures()) this.set({ db: f.db, collection: f.collection }, f.rowsUnflushed);
    },
  });
  new Gauge({
    name: 'elanus_log_lag_records',
    help: 'Log records past the flush checkpoint, exactly: what a restart would replay',
    labelNames: ['db', 'collection'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const f of await figures()) this.set({ db: f.db, collection: f.collection }, f.logRecords);
    },
  });
  new Gauge({
    name: 'elanus_vector_index_bytes',
    help: 'Memory held by the vector indexes of flushed segments (all collections)',
    registers: [registry],
    collect() {
      this.set(engine.vectorIndexStats().memoryBytes);
    },
  });
  new Gauge({
    name: 'elanus_vector_interim_index_bytes',
    help: 'Memory held by the interim HNSW chunks of growing segments (all collections)',
    registers: [registry],
    collect() {
      this.set(engine.vectorIndexStats().interim.memoryBytes);
    },
  });
  new Counter({
    name: 'elanus_vector_segment_searches_total',
    help: 'Segments searched, by access path: through their index, through the interim chunks of a segment not yet indexed, or by exact scan (not yet indexed, FLAT, or a filter that leaves few rows)',
    labelNames: ['access'] as const,
    registers: [registry],
    collect() {
      this.reset();
      const counts = engine.searchCounters();
      for (const access of ['index', 'interim', 'exact'] as const) this.inc({ access }, counts[access]);
    },
  });
  new Gauge({
    name: 'elanus_health_degraded',
    help: 'Storage faults the engine is living with, by component (log, metadata, segments, indexes): 1 while writes of that kind are refused (a full volume, a failing disk), 0 once they succeed again',
    labelNames: ['component'] as const,
    registers: [registry],
    collect() {
      const failing = new Set(engine.health().reasons.map((r) => r.component));
      for (const component of healthComponents) this.set({ component }, failing.has(component) ? 1 : 0);
    },
  });
  new Counter({
    name: 'elanus_self_repairs_total',
    help: 'Repairs the engine made on its own, by kind (each also logged at warn): index-rebuilt, log-tail-truncated, journal-tail-truncated, orphan-files-removed',
    labelNames: ['kind'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [kind, n] of engine.repairCounts()) this.inc({ kind }, n);
    },
  });
  new Gauge({
    name: 'elanus_background_errors',
    help: 'Background flush or compaction failures the engine is holding (the last 100)',
    registers: [registry],
    collect() {
      this.set(engine.backgroundErrors.length);
    },
  });

  const count = (protocol: string, rpc: string, code: string, seconds: number) => {
    requests.inc({ protocol, rpc, code });
    latency.observe({ protocol, rpc, code }, seconds);
  };

  return {
    registry,
    observe: (rpc, ms, code) => count('grpc', rpc, code, ms / 1000),
    register(app) {
      app.addHook('onResponse', async (request, reply) => {
        // The route pattern, not the URL: one series per route, whatever ids URLs carry.
        count('http', request.routeOptions.url ?? 'unmatched', String(reply.statusCode), reply.elapsedTime / 1000);
      });
      app.get('/metrics', async (_request, reply) => {
        reply.type(registry.contentType);
        return registry.metrics();
      });
    },
  };
}

function registerConnectionMetrics(registry: Registry, connections: () => ConnectionStats): void {
  new Gauge({
    name: 'elanus_connections_open',
    help: 'TCP connections open now (gRPC, HTTP and those not yet routed)',
    registers: [registry],
    collect() {
      this.set(connections().open);
    },
  });
  new Counter({
    name: 'elanus_connections_total',
    help: 'TCP connections accepted, including those closed at once past connections-max',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(connections().accepted);
    },
  });
  new Counter({
    name: 'elanus_connections_closed_total',
    help: 'TCP connections closed, by reason: handshake_timeout (no complete HTTP/1.1 request head or HTTP/2 preface + SETTINGS in time), idle, malformed (broke the protocol), limit (past connections-max), memory (held more than connection-bytes-max), shutdown, peer (closed by the client, or ended normally)',
    labelNames: ['reason'] as const,
    registers: [registry],
    collect() {
      this.reset();
      const { closed } = connections();
      for (const reason of closeReasons) this.inc({ reason }, closed[reason]);
    },
  });
}

/** One walk of the catalog. A collection dropped during the walk, or an engine closing, is skipped. */
async function engineFigures(engine: Gateway): Promise<CollectionFigures[]> {
  const out: CollectionFigures[] = [];
  let dbs: string[];
  try {
    dbs = (await engine.listDatabases()).db_names;
  } catch (e) {
    if (isElanusError(e)) return out; // CLOSED while shutting down: no engine figures
    throw e;
  }
  for (const db of dbs) {
    let names: string[];
    try {
      names = (await engine.showCollections({ db_name: db })).data.map((c) => c.name);
    } catch (e) {
      if (isElanusError(e)) continue;
      throw e;
    }
    for (const collection of names) {
      let segments: ReturnType<Gateway['segmentInfo']>;
      try {
        segments = engine.segmentInfo({ db_name: db, collection_name: collection });
      } catch (e) {
        if (isElanusError(e)) continue;
        throw e;
      }
      let rowsStored = 0;
      let rowsUnflushed = 0;
      const segmentsByState = new Map<string, number>();
      for (const s of segments) {
        if (s.state === 'dropped') continue;
        rowsStored += s.rows;
        if (s.state !== 'flushed') rowsUnflushed += s.rows;
        segmentsByState.set(s.state, (segmentsByState.get(s.state) ?? 0) + 1);
      }
      let logRecords = 0;
      try {
        for (const l of engine.logLag({ db_name: db, collection_name: collection })) logRecords += l.records;
      } catch (e) {
        if (!isElanusError(e)) throw e;
      }
      out.push({ db, collection, rowsStored, rowsUnflushed, logRecords, segmentsByState });
    }
  }
  return out;
}
