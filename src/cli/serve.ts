// `elanus serve`: load the configuration once, open the engine on the data folder, serve
// gRPC + HTTP on one port, and on SIGTERM/SIGINT stop in order: no new connections,
// calls in flight finish (or are cut at the deadline), every collection is flushed, the
// engine closes and releases the folder's lock. A second signal exits at once.
import { resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import { createMetrics } from '../api/metrics.js';
import { registerRestRoutes } from '../api/rest/index.js';
import { startServer, type RunningServer } from '../api/server.js';
import { loadConfig, type Config } from '../config/index.js';
import { Elanus } from '../engine/index.js';
import { isElanusError } from '../errors/index.js';

/** Exit codes: 0 stopped cleanly, 1 failed while running or stopping, 2 bad configuration. */
export async function runServe(flags: Readonly<Record<string, unknown>>): Promise<number> {
  let loaded: ReturnType<typeof loadConfig>;
  try {
    loaded = loadConfig({ flags, env: process.env });
  } catch (e) {
    if (!isElanusError(e, 'INVALID_ARGUMENT')) throw e;
    console.error(`elanus: ${e.message}`);
    return 2;
  }
  const { config } = loaded;
  // JSON lines on stdout, for whatever collects the logs; plain one-line reasons for a
  // refusal to start also go to stderr, for the person who typed the command.
  const logger = pino({ level: config.logLevel, name: 'elanus' });
  for (const w of loaded.warnings) logger.warn(w);
  logger.debug({ config, origin: loaded.origin }, 'configuration');

  const dataDir = resolve(config.dataDir);
  let engine: Elanus;
  try {
    engine = await Elanus.open({ path: dataDir, limits: config.limits, shardsDefault: config.shardsDefault });
  } catch (e) {
    if (!isElanusError(e)) throw e;
    const hint = e.code === 'DATA_DIR_LOCKED' ? ' (--data-dir or ELANUS_DATA_DIR)' : '';
    return refuse(logger, `cannot open the data folder: ${e.message}${hint}`, e.code);
  }

  let server: RunningServer;
  try {
    const metrics = config.metrics ? createMetrics(engine) : undefined;
    server = await startServer({
      engine,
      host: config.host,
      port: config.port,
      messageBytesMax: config.messageBytesMax,
      logger,
      observe: metrics?.observe,
      http: (app) => {
        logHttpRequests(app, logger);
        metrics?.register(app);
        registerRestRoutes(app, engine, logger);
      },
    });
  } catch (e) {
    await engine.close();
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      return refuse(logger, `cannot listen on ${config.host}:${config.port}: ${code} (choose another with --port or ELANUS_PORT)`, code);
    }
    throw e;
  }

  logger.info(
    { address: `${server.host}:${server.port}`, host: server.host, port: server.port, dataDir, metrics: config.metrics },
    `serving Milvus gRPC and HTTP on ${server.host}:${server.port}, data in ${dataDir}`,
  );
  return untilStopped(engine, server, config, logger);
}

function refuse(logger: Logger, message: string, code: string): number {
  logger.fatal({ code }, message);
  console.error(`elanus: ${message}`);
  return 1;
}

/** Resolves with the exit code once a signal has stopped everything. */
function untilStopped(engine: Elanus, server: RunningServer, config: Config, logger: Logger): Promise<number> {
  return new Promise((done) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        // The operator asked twice: they would rather lose the flush than wait. The log
        // still holds every acknowledged write, so the next start replays it.
        logger.warn({ signal }, 'second signal: exiting without waiting for the shutdown');
        logger.flush();
        process.exit(signal === 'SIGINT' ? 130 : 143);
      }
      stopping = true;
      logger.info({ signal, deadlineMs: config.shutdownDeadlineMs }, 'stopping: no new connections, calls in flight get until the deadline');
      shutdown(engine, server, config, logger).then(done, (e: unknown) => {
        logger.error({ err: e }, 'shutdown failed');
        done(1);
      });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

async function shutdown(engine: Elanus, server: RunningServer, config: Config, logger: Logger): Promise<number> {
  await server.close(config.shutdownDeadlineMs);
  const { flushed, failed } = await flushAll(engine, logger);
  await engine.close();
  logger.info({ flushed, failed }, failed === 0 ? 'stopped' : 'stopped, but some collections could not be flushed (the log still holds their rows)');
  return failed === 0 ? 0 : 1;
}

/**
 * Flushes every collection of every database, one at a time, so the next start has no
 * log to replay. One collection failing does not stop the others.
 */
async function flushAll(engine: Elanus, logger: Logger): Promise<{ flushed: number; failed: number }> {
  let flushed = 0;
  let failed = 0;
  for (const db of (await engine.listDatabases()).db_names) {
    for (const { name } of (await engine.showCollections({ db_name: db })).data) {
      try {
        await engine.flush({ db_name: db, collection_names: [name] });
        flushed++;
      } catch (e) {
        // Dropped by a call that finished during shutdown: nothing left to flush.
        if (isElanusError(e, 'COLLECTION_NOT_FOUND')) continue;
        failed++;
        logger.error({ err: e, db, collection: name }, 'flush failed');
      }
    }
  }
  return { flushed, failed };
}

/** One debug line per HTTP request, as server.ts writes one per gRPC call. */
function logHttpRequests(app: FastifyInstance, logger: Logger): void {
  app.addHook('onResponse', async (request, reply) => {
    logger.debug({ method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 1000) / 1000 }, 'http');
  });
}
