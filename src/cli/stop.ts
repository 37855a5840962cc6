// The shutdown of `elanus serve`, bounded at any load: from the signal, calls in flight
// get shutdownDeadlineMs; then every collection is flushed and the engine closed, for at
// most flushGraceMs more. What does not finish by then is left: the write-ahead log holds
// every acknowledged write and the next start replays it, exactly as after a kill -9,
// which the engine is built (and tested) to survive. An unbounded flush is what made a
// server under load take several times its deadline to stop.
import type { Logger } from 'pino';
import type { RunningServer } from '../api/server.js';
import type { Elanus } from '../engine/index.js';
import { isElanusError } from '../errors/index.js';

/**
 * Time for flushing and closing after the call deadline. An operator is promised an exit
 * within the deadline plus 3 s; this leaves the last second for the exit itself (the
 * event loop may be busy with work of cut calls still running in the engine).
 */
export const flushGraceMs = 2_000;

/** Stops the server and the engine; resolves with the exit code. */
export async function stopWithin(engine: Elanus, server: RunningServer, deadlineMs: number, logger: Logger): Promise<number> {
  const started = performance.now();
  const stopBy = started + deadlineMs + flushGraceMs;
  await server.close(deadlineMs);
  const connectionsMs = performance.now() - started;
  logger.info({ ms: Math.round(connectionsMs), connections: server.connections() }, 'connections closed');

  const progress = { flushed: 0, failed: 0, closed: false };
  const finished = await within(stopBy - performance.now(), (async () => {
    await flushAll(engine, logger, progress);
    await engine.close();
    progress.closed = true;
  })());
  const ms = Math.round(performance.now() - started);
  if (!finished) {
    logger.warn(
      { ms, flushed: progress.flushed, failed: progress.failed, engineClosed: progress.closed },
      'stopped before the flush and the engine\'s close finished, at the deadline: the write-ahead log holds every acknowledged write and the next start replays it',
    );
    return progress.failed === 0 ? 0 : 1;
  }
  logger.info({ ms, flushed: progress.flushed, failed: progress.failed }, progress.failed === 0 ? 'stopped' : 'stopped, but some collections could not be flushed (the log still holds their rows)');
  return progress.failed === 0 ? 0 : 1;
}

/**
 * Flushes every collection of every database, one at a time, so the next start has no
 * log to replay. One collection failing does not stop the others.
 */
async function flushAll(engine: Elanus, logger: Logger, progress: { flushed: number; failed: number }): Promise<void> {
  for (const db of (await engine.listDatabases()).db_names) {
    for (const { name } of (await engine.showCollections({ db_name: db })).data) {
      try {
        await engine.flush({ db_name: db, collection_names: [name] });
        progress.flushed++;
      } catch (e) {
        // Dropped by a call that finished during shutdown: nothing left to flush.
        if (isElanusError(e, 'COLLECTION_NOT_FOUND')) continue;
        progress.failed++;
        logger.error({ err: e, db, collection: name }, 'flush failed');
      }
    }
  }
}

/** Whether `work` settled within `ms`. Its failure is rethrown; left running past `ms`, it is abandoned. */
async function within(ms: number, work: Promise<void>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, ms));
  });
  // An abandoned failure after the deadline must not become an unhandled rejection.
  work.catch(() => {});
  try {
    return await Promise.race([work.then(() => true as const), late]);
  } finally {
    clearTimeout(timer);
  }
}
