// Every setting of `elanus serve`, declared once: its key, type, default, bounds, and the
// names it goes by in the environment and on the command line. The loader, the CLI's
// option list and the README's table all come from this one list, so a setting cannot
// exist in one place and be missing from another.
import { defaultConnectionLimits } from '../api/connections.js';
import { defaultLimits, type EngineLimits } from '../engine/index.js';
import { nativeNiceDefault, nativeNiceMax, nativeThreadsMax } from '../index/native.js';

export const logLevels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];

/** The server's configuration, frozen once loaded. */
export interface Config {
  /** Interface to listen on. */
  readonly host: string;
  /** TCP port for gRPC and HTTP together; 0 picks a free one. */
  readonly port: number;
  /** The data folder (relative paths are relative to the working directory). */
  readonly dataDir: string;
  readonly logLevel: LogLevel;
  /** Largest gRPC message and REST body accepted, bytes. */
  readonly messageBytesMax: number;
  /** How long calls in flight may run on after SIGTERM before they are cut. */
  readonly shutdownDeadlineMs: number;
  /** A connection must complete its first HTTP/1.1 request head or HTTP/2 preface + SETTINGS within this. */
  readonly handshakeTimeoutMs: number;
  /** A connection with no call in flight for this long is closed. */
  readonly idleTimeoutMs: number;
  /** Connections held at once; more are closed as they arrive. */
  readonly connectionsMax: number;
  /** Request bytes one connection may have the server hold (received, not yet answered); at least messageBytesMax. */
  readonly connectionBytesMax: number;
  /** Serve Prometheus metrics at GET /metrics. */
  readonly metrics: boolean;
  /** Shards of new collections unless the request says otherwise. */
  readonly shardsDefault: number;
  /** Threads of the native pool for vector index builds and searches; 0 = every core but one, at least two. */
  readonly nativeThreads: number;
  /** Nice value (0-19, Linux) of the native pool's threads; default 10, below the event loop. */
  readonly nativeNice: number;
  /** Passed to the engine unchanged (see src/engine/options.ts). */
  readonly limits: EngineLimits;
}

export type KeyType = 'string' | 'integer' | 'number' | 'boolean' | 'logLevel';

export interface KeySpec {
  /** Path in Config and in the config file: `port`, `limits.segmentRowsMax`. */
  readonly key: string;
  readonly type: KeyType;
  readonly default: string | number | boolean;
  /** Inclusive bounds for numbers. */
  readonly min?: number;
  readonly max?: number;
  readonly env: string;
  /** Long option without the dashes; commander turns it into the camelCase attribute. */
  readonly flag: string;
  readonly help: string;
}

const MiB = 1024 * 1024;
/** gRPC message lengths are signed 32-bit integers. */
const int32Max = 2 ** 31 - 1;

const top: KeySpec[] = [
  { key: 'host', type: 'string', default: '127.0.0.1', env: 'ELANUS_HOST', flag: 'host', help: 'interface to listen on (0.0.0.0 for every interface)' },
  { key: 'port', type: 'integer', default: 19530, min: 0, max: 65535, env: 'ELANUS_PORT', flag: 'port', help: 'port for gRPC and HTTP; 0 picks a free port' },
  { key: 'dataDir', type: 'string', default: './data', env: 'ELANUS_DATA_DIR', flag: 'data-dir', help: 'data folder' },
  { key: 'logLevel', type: 'logLevel', default: 'info', env: 'ELANUS_LOG_LEVEL', flag: 'log-level', help: `one of ${logLevels.join(', ')}; debug logs one line per request` },
  { key: 'messageBytesMax', type: 'integer', default: 256 * MiB, min: 1024, max: int32Max, env: 'ELANUS_MESSAGE_BYTES_MAX', flag: 'message-bytes-max', help: 'largest gRPC message or REST body, bytes' },
  { key: 'shutdownDeadlineMs', type: 'integer', default: 10_000, min: 0, max: 3_600_000, env: 'ELANUS_SHUTDOWN_DEADLINE_MS', flag: 'shutdown-deadline-ms', help: 'time calls in flight get to finish on SIGTERM/SIGINT' },
  { key: 'handshakeTimeoutMs', type: 'integer', default: defaultConnectionLimits.handshakeTimeoutMs, min: 100, max: 3_600_000, env: 'ELANUS_HANDSHAKE_TIMEOUT_MS', flag: 'handshake-timeout-ms', help: 'a connection that has not completed an HTTP/1.1 request head or the HTTP/2 preface and SETTINGS within this is closed' },
  { key: 'idleTimeoutMs', type: 'integer', default: defaultConnectionLimits.idleTimeoutMs, min: 100, max: 86_400_000, env: 'ELANUS_IDLE_TIMEOUT_MS', flag: 'idle-timeout-ms', help: 'a connection with no call or request in flight for this long is closed (gRPC clients get a GOAWAY)' },
  { key: 'connectionsMax', type: 'integer', default: defaultConnectionLimits.connectionsMax, min: 1, max: 1_000_000, env: 'ELANUS_CONNECTIONS_MAX', flag: 'connections-max', help: 'connections held at once; more are closed as they arrive' },
  { key: 'connectionBytesMax', type: 'integer', default: defaultConnectionLimits.connectionBytesMax, min: 1024, max: Number.MAX_SAFE_INTEGER, env: 'ELANUS_CONNECTION_BYTES_MAX', flag: 'connection-bytes-max', help: 'request bytes one connection may have the server hold (received, not yet answered) before it is cut; at least message-bytes-max' },
  { key: 'metrics', type: 'boolean', default: true, env: 'ELANUS_METRICS', flag: 'metrics', help: 'serve Prometheus metrics at GET /metrics' },
  { key: 'shardsDefault', type: 'integer', default: 1, min: 1, max: 64, env: 'ELANUS_SHARDS_DEFAULT', flag: 'shards-default', help: 'shards of a new collection when the request names none' },
  { key: 'nativeThreads', type: 'integer', default: 0, min: 0, max: nativeThreadsMax, env: 'ELANUS_NATIVE_THREADS', flag: 'native-threads', help: 'threads of the native pool that runs vector index builds and searches (apart from libuv\'s, which file I/O uses); 0 = every core but one, at least two; fixed for the process once the engine opens' },
  { key: 'nativeNice', type: 'integer', default: nativeNiceDefault, min: 0, max: nativeNiceMax, env: 'ELANUS_NATIVE_NICE', flag: 'native-nice', help: 'nice value (Linux) of the native pool\'s threads: 10 keeps them below the event loop, which answers requests and syncs the log; lower it where other busy processes share the cores and take the searches\' CPU; fixed for the process once the engine opens' },
];

/** Engine limits, with the help text the engine's own doc comments give. */
const limitHelp: Readonly<Record<keyof EngineLimits, { type: KeyType; max?: number; help: string }>> = {
  segmentRowsMax: { type: 'integer', help: 'seal a growing segment past this many rows' },
  segmentBytesMax: { type: 'integer', help: 'seal a growing segment past this many bytes in memory' },
  segmentAgeMaxMs: { type: 'integer', help: 'flush a shard whose oldest unflushed row is this old' },
  compactionSmallRowsMax: { type: 'integer', help: 'merge flushed segments smaller than this' },
  compactionDeletedRatioMin: { type: 'number', max: 1, help: 'rewrite a flushed segment with this share of deleted rows' },
  backgroundIntervalMs: { type: 'integer', help: 'period of the background flush/compaction pass; 0 turns it off' },
  boundedStalenessMs: { type: 'integer', help: 'Bounded consistency waits only for writes older than this' },
  resultRowsMax: { type: 'integer', help: 'largest offset + limit of a query or search' },
  l0FilesMax: { type: 'integer', help: 'merge a shard\'s L0 delete files past this many' },
  l0FileKeysMax: { type: 'integer', help: 'keys in one L0 delete file; more are written to several files' },
  resultBytesMax: { type: 'integer', help: 'bytes of rows one query or search may return; a larger result is refused with RESULT_TOO_LARGE' },
  indexBuildThreads: { type: 'integer', max: 256, help: 'threads one background vector index build may use' },
  interimIndexRows: { type: 'integer', max: 16_777_216, help: 'rows per interim HNSW chunk of a growing segment, searched until the segment has its own index; 0 = scan growing segments exactly' },
};

const limits: KeySpec[] = (Object.keys(limitHelp) as Array<keyof EngineLimits>).map((name) => {
  const h = limitHelp[name];
  return {
    key: `limits.${name}`,
    type: h.type,
    default: defaultLimits[name],
    min: 0,
    max: h.max ?? Number.MAX_SAFE_INTEGER,
    env: `ELANUS_${screamingSnake(name)}`,
    flag: kebab(name),
    help: h.help,
  };
});

export const keySpecs: readonly KeySpec[] = Object.freeze([...top, ...limits].map((s) => Object.freeze(s)));

/** The environment variable and flag that name a config file. */
export const configFileEnv = 'ELANUS_CONFIG';
export const configFileFlag = 'config';

function screamingSnake(camel: string): string {
  return camel.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

function kebab(camel: string): string {
  return camel.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}
