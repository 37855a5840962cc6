// `elanus serve`: load the configuration once, bind the port, open the engine on the data
// folder, serve gRPC + HTTP on that port, and on SIGTERM/SIGINT stop in order within the
// deadline: no new connections, calls in flight finish (or are cut at the deadline),
// every collection is flushed, the engine closes and releases the folder's lock. A second
// signal exits at once.
//
// The port comes first: a server that cannot listen must leave no trace, and opening the
// engine creates the data folder. Connections that arrive while the engine opens wait
// unread (api/server.ts) instead of being refused, so clients started with the server
// need no retry.
import { resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createMetrics } from '../api/metrics.js';
import { Authenticator, isLoopbackHost } from '../api/auth.js';
import { registerRestRoutes } from '../api/rest/index.js';
import { registerBackupRoutes } from './backup-server.js';
import { listen, type Listener } from '../api/server.js';
import { loadConfig, redacted } from '../config/index.js';
import { Elanus, type EngineEvents } from '../engine/index.js';
import { isElanusError } from '../errors/index.js';
import { createLogger } from './logger.js';
import { stopWithin } from './stop.js';
import { serveCluster } from './serve-cluster.js';

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
  // JSON lines on stdout, for whatever collects the logs (readable lines instead when
  // stdout is a terminal, or with --log-format pretty); plain one-line reasons for a
  // refusal to start also go to stderr, for the person who typed the command.
  const logger = createLogger({ level: config.logLevel, format: config.logFormat });
  for (const w of loaded.warnings) logger.warn(w);
  logger.debug({ config: redacted(config), origin: loaded.origin }, 'configuration');

  let listener: Listener;
  try {
    const { handshakeTimeoutMs, idleTimeoutMs, connectionsMax, connectionBytesMax } = config;
    listener = await listen({ host: config.host, port: config.port, logger, connections: { handshakeTimeoutMs, idleTimeoutMs, connectionsMax, connectionBytesMax } });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      return refuse(logger, `cannot listen on ${config.host}:${config.port}: ${code} (choose another with --port or ELANUS_PORT)`, code);
    }
    throw e;
  }

  if (!config.authEnabled && !isLoopbackHost(config.host)) {
    logger.warn({ host: config.host }, `authentication is off and the server listens on ${config.host}: anyone who reaches the port may read, change and drop everything (turn it on with --auth-enabled; docs/SECURITY.md)`);
  }

  // From here a signal stops the server, even while the engine is still opening.
  const stop = stopRequests(logger);
  if (config.cluster.enabled) {
    return serveCluster({ config, listener, logger, events: engineEvents(logger), stopRequested: stop.requested });
  }
  const dataDir = resolve(config.dataDir);
  const opening = Elanus.open({
    path: dataDir, limits: config.limits, shardsDefault: config.shardsDefault, nativeThreads: config.nativeThreads, nativeNice: config.nativeNice,
    events: engineEvents(logger), rootPassword: config.rootPassword,
  });
  let engine: Elanus | undefined;
  try {
    engine = await Promise.race([opening, stop.requested.then(() => undefined)]);
  } catch (e) {
    await listener.close();
    if (!isElanusError(e)) throw e;
    const hint = e.code === 'DATA_DIR_LOCKED' ? ' (--data-dir or ELANUS_DATA_DIR)' : '';
    return refuse(logger, `cannot open the data folder: ${e.message}${hint}`, e.code);
  }
  if (!engine) {
    // Opening replays the log and may take long; it is left unfinished, as a kill -9
    // would leave it, and the next start does it again. Nothing acknowledged is lost.
    opening.then((e) => e.close(), () => {}).catch(() => {});
    await listener.close();
    logger.info('stopped before the data folder was open');
    return 0;
  }

  const auth = config.authEnabled ? new Authenticator({ users: engine, logger }) : undefined;
  const metrics = config.metrics ? createMetrics(engine, () => listener.connections(), auth && (() => auth.failures())) : undefined;
  const ready = engine;
  let releaseBackups: (() => Promise<void>) | undefined;
  const server = await listener.serve({
    engine,
    messageBytesMax: config.messageBytesMax,
    observe: metrics?.observe,
    ...(auth ? { auth } : {}),
    http: (app) => {
      logHttpRequests(app, logger);
      metrics?.register(app);
      registerRestRoutes(app, ready, logger, auth);
      releaseBackups = registerBackupRoutes(app, ready, dataDir, logger, auth);
    },
  });

  logger.info(
    { address: `${server.host}:${server.port}`, host: server.host, port: server.port, dataDir, metrics: config.metrics, authEnabled: config.authEnabled },
    `serving Milvus gRPC and HTTP on ${server.host}:${server.port}, data in ${dataDir}`,
  );
  const signal = await stop.requested;
  logger.info({ signal, deadlineMs: config.shutdownDeadlineMs }, 'stopping: no new connections, calls in flight get until the deadline');
  try {
    await releaseBackups?.();
    return await stopWithin(engine, server, config.shutdownDeadlineMs, logger);
  } catch (e) {
    logger.error({ err: e }, 'shutdown failed');
    return 1;
  }
}

function refuse(logger: Logger, message: string, code: string): number {
  logger.fatal({ code }, message);
  console.error(`elanus: ${message}`);
  return 1;
}

/**
 * SIGTERM and SIGINT: the first asks for a stop (`requested` resolves with it); a second
 * exits at once.
 */
function stopRequests(logger: Logger): { readonly requested: Promise<NodeJS.Signals> } {
  let stopping = false;
  const requested = new Promise<NodeJS.Signals>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        // The operator asked twice: they would rather lose the flush than wait. The log
        // still holds every acknowledged write, so the next start replays it.
        logger.warn({ signal }, 'second signal: exiting without waiting for the shutdown');
        logger.flush();
        process.exit(signal === 'SIGINT' ? 130 : 143);
      }
      stopping = true;
      resolve(signal);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  return { requested };
}

/** One debug line per HTTP request, as server.ts writes one per gRPC call. */
function logHttpRequests(app: FastifyInstance, logger: Logger): void {
  app.addHook('onResponse', async (request, reply) => {
    logger.debug({ method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 1000) / 1000 }, 'http');
  });
}

/**
 * The engine's own repairs are logged at warn, one line each (nothing is repaired in
 * silence), and changes of health at warn (a component starts failing) and info (it
 * recovered).
 */
function engineEvents(logger: Logger): EngineEvents {
  return {
    repaired: (kind, detail) => logger.warn({ repair: kind, ...detail }, `self-repair: ${kind}`),
    health: (component, subject, reason) => {
      if (reason) logger.warn({ component, subject, code: reason.code, err: reason.message }, `writes refused: ${component} (${subject}): ${reason.message}`);
      else logger.info({ component, subject }, `writes taken again: ${component} (${subject})`);
    },
  };
}
