// Every setting of `elanus serve`, declared once: its key, type, default, bounds, and the
// names it goes by in the environment and on the command line. The loader, the CLI's
// option list and the README's table all come from this one list, so a setting cannot
// exist in one place and be missing from another.
import { defaultConnectionLimits } from '../api/connections.js';
import { defaultLimits, rootPasswordDefault, type EngineLimits } from '../engine/index.js';
import { nativeNiceDefault, nativeNiceMax, nativeThreadsMax } from '../index/native.js';

export const logLevels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];
/** `auto`: readable lines when stdout is a terminal, JSON lines otherwise (a pipe, a file, a collector). */
export const logFormats = ['auto', 'json', 'pretty'] as const;
export type LogFormat = (typeof logFormats)[number];

/** The server's configuration, frozen once loaded. */
export interface Config {
  /** Interface to listen on. */
  readonly host: string;
  /** TCP port for gRPC and HTTP together; 0 picks a free one. */
  readonly port: number;
  /** The data folder (relative paths are relative to the working directory). */
  readonly dataDir: string;
  readonly logLevel: LogLevel;
  /** JSON lines, readable lines, or `auto` (readable when stdout is a terminal). */
  readonly logFormat: LogFormat;
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
  /** Authenticate every gRPC call and REST request (docs/SECURITY.md). */
  readonly authEnabled: boolean;
  /** Root's password until root changes it (then the stored one wins). Never logged. */
  readonly rootPassword: string;
  /** Shards of new collections unless the request says otherwise. */
  readonly shardsDefault: number;
  /** Threads of the native pool for vector index builds and searches; 0 = every core but one, at least two. */
  readonly nativeThreads: number;
  /** Nice value (0-19, Linux) of the native pool's threads; default 10, below the event loop. */
  readonly nativeNice: number;
  /** Passed to the engine unchanged (see src/engine/options.ts). */
  readonly limits: EngineLimits;
  /** Cluster mode (issue 14): where etcd, NATS JetStream and S3 are, and who this node is. */
  readonly cluster: ClusterConfig;
}

/** A cluster node's roles (docs/CLUSTER.md). */
export const clusterRoles = ['gateway', 'coordinator', 'data'] as const;
export type ClusterRole = (typeof clusterRoles)[number];

export interface ClusterConfig {
  /** Run as a node of a cluster on etcd, JetStream and S3 instead of on the data folder. */
  readonly enabled: boolean;
  /** The cluster's namespace in etcd, JetStream and the bucket: several clusters may share them. */
  readonly name: string;
  /** This node's name; '' = advertised address. */
  readonly node: string;
  /** host:port other nodes forward calls to; '' = host:port (the host name when host is 0.0.0.0). */
  readonly advertise: string;
  /** The coordinator lease's time to live: a dead coordinator is replaced this long after its last keep-alive. */
  readonly leaseTtlMs: number;
  /**
   * What this node does: 'gateway' (answer clients, forward to the coordinator),
   * 'coordinator' (campaign for the lease and run the engine) and 'data' (while standing
   * by, keep a read replica and serve the coordinator's reads; opt-in); 'all' is every
   * one. Default gateway and coordinator.
   */
  readonly roles: readonly ClusterRole[];
  readonly etcd: {
    /** Comma-separated host:port (or URLs) of etcd's client endpoints. */
    readonly endpoints: string;
    readonly username: string;
    readonly password: string;
    /** PEM files for TLS: the CA to trust, and this client's certificate and key. */
    readonly caFile: string;
    readonly certFile: string;
    readonly keyFile: string;
  };
  readonly nats: {
    /** Comma-separated NATS URLs. */
    readonly servers: string;
    readonly user: string;
    readonly password: string;
    readonly token: string;
    readonly caFile: string;
    readonly certFile: string;
    readonly keyFile: string;
    /** Copies of each shard's stream (JetStream replicas: 1, or 3 on a 3-server cluster). */
    readonly replicas: number;
  };
  readonly s3: {
    /** The S3 endpoint URL ('' = AWS's, from region). */
    readonly endpoint: string;
    readonly region: string;
    readonly bucket: string;
    /** '' = the SDK's default credential chain (environment, profile, instance role). */
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    /** Path-style addressing (bucket in the path): MinIO and most S3-compatible servers need it. */
    readonly forcePathStyle: boolean;
    readonly caFile: string;
  };
}

export type KeyType = 'string' | 'integer' | 'number' | 'boolean' | 'logLevel' | 'logFormat';

/** The values a key of a choice type takes. */
export const choicesOf: Readonly<Partial<Record<KeyType, readonly string[]>>> = Object.freeze({ logLevel: logLevels, logFormat: logFormats });

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
  /** A string that may be empty ('' = not set). */
  readonly optional?: boolean;
  /** Never logged (passwords, secret keys). */
  readonly secret?: boolean;
}

const MiB = 1024 * 1024;
/** gRPC message lengths are signed 32-bit integers. */
const int32Max = 2 ** 31 - 1;

const top: KeySpec[] = [
  { key: 'host', type: 'string', default: '127.0.0.1', env: 'ELANUS_HOST', flag: 'host', help: 'interface to listen on (0.0.0.0 for every interface)' },
  { key: 'port', type: 'integer', default: 19530, min: 0, max: 65535, env: 'ELANUS_PORT', flag: 'port', help: 'port for gRPC and HTTP; 0 picks a free port' },
  { key: 'dataDir', type: 'string', default: './data', env: 'ELANUS_DATA_DIR', flag: 'data-dir', help: 'data folder' },
  { key: 'logLevel', type: 'logLevel', default: 'info', env: 'ELANUS_LOG_LEVEL', flag: 'log-level', help: `one of ${logLevels.join(', ')}; debug logs one line per request` },
  { key: 'logFormat', type: 'logFormat', default: 'auto', env: 'ELANUS_LOG_FORMAT', flag: 'log-format', help: 'json (one JSON object a line), pretty (readable lines) or auto: pretty when stdout is a terminal, json otherwise' },
  { key: 'messageBytesMax', type: 'integer', default: 256 * MiB, min: 1024, max: int32Max, env: 'ELANUS_MESSAGE_BYTES_MAX', flag: 'message-bytes-max', help: 'largest gRPC message or REST body, bytes' },
  { key: 'shutdownDeadlineMs', type: 'integer', default: 10_000, min: 0, max: 3_600_000, env: 'ELANUS_SHUTDOWN_DEADLINE_MS', flag: 'shutdown-deadline-ms', help: 'time calls in flight get to finish on SIGTERM/SIGINT' },
  { key: 'handshakeTimeoutMs', type: 'integer', default: defaultConnectionLimits.handshakeTimeoutMs, min: 100, max: 3_600_000, env: 'ELANUS_HANDSHAKE_TIMEOUT_MS', flag: 'handshake-timeout-ms', help: 'a connection that has not completed an HTTP/1.1 request head or the HTTP/2 preface and SETTINGS within this is closed' },
  { key: 'idleTimeoutMs', type: 'integer', default: defaultConnectionLimits.idleTimeoutMs, min: 100, max: 86_400_000, env: 'ELANUS_IDLE_TIMEOUT_MS', flag: 'idle-timeout-ms', help: 'a connection with no call or request in flight for this long is closed (gRPC clients get a GOAWAY)' },
  { key: 'connectionsMax', type: 'integer', default: defaultConnectionLimits.connectionsMax, min: 1, max: 1_000_000, env: 'ELANUS_CONNECTIONS_MAX', flag: 'connections-max', help: 'connections held at once; more are closed as they arrive' },
  { key: 'connectionBytesMax', type: 'integer', default: defaultConnectionLimits.connectionBytesMax, min: 1024, max: Number.MAX_SAFE_INTEGER, env: 'ELANUS_CONNECTION_BYTES_MAX', flag: 'connection-bytes-max', help: 'request bytes one connection may have the server hold (received, not yet answered) before it is cut; at least message-bytes-max' },
  { key: 'metrics', type: 'boolean', default: true, env: 'ELANUS_METRICS', flag: 'metrics', help: 'serve Prometheus metrics at GET /metrics' },
  { key: 'authEnabled', type: 'boolean', default: false, env: 'ELANUS_AUTH_ENABLED', flag: 'auth-enabled', help: 'authenticate every gRPC call and REST request with a user and password (docs/SECURITY.md); off, anyone who reaches the port may do anything, and a warning is logged at start unless host is a loopback address' },
  { key: 'rootPassword', type: 'string', default: rootPasswordDefault, env: 'ELANUS_ROOT_PASSWORD', flag: 'root-password', help: 'root\'s password until root changes it (UpdateCredential; from then on the stored one wins), 6 to 72 bytes; prefer the environment or the config file to a flag', secret: true },
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

const str = (key: string, env: string, flag: string, help: string, extra: Partial<KeySpec> = {}): KeySpec =>
  ({ key, type: 'string', default: '', env, flag, help, optional: true, ...extra });

const cluster: KeySpec[] = [
  { key: 'cluster.enabled', type: 'boolean', default: false, env: 'ELANUS_CLUSTER', flag: 'cluster', help: 'run as a node of a cluster on etcd, NATS JetStream and S3 (docs/CLUSTER.md) instead of on the data folder' },
  { key: 'cluster.name', type: 'string', default: 'elanus', env: 'ELANUS_CLUSTER_NAME', flag: 'cluster-name', help: 'the cluster\'s namespace in etcd, JetStream and the bucket (several clusters may share them): a lowercase letter, then up to 31 lowercase letters, digits or -' },
  str('cluster.node', 'ELANUS_NODE_NAME', 'node-name', 'this node\'s name, unique in the cluster; empty = its advertised address'),
  str('cluster.advertise', 'ELANUS_ADVERTISE_ADDRESS', 'advertise-address', 'host:port other nodes forward calls to; empty = host:port (the machine\'s host name when host is 0.0.0.0)'),
  { key: 'cluster.leaseTtlMs', type: 'integer', default: 10_000, min: 2_000, max: 600_000, env: 'ELANUS_COORDINATOR_LEASE_TTL_MS', flag: 'coordinator-lease-ttl-ms', help: 'the coordinator lease\'s time to live: a dead coordinator is replaced this long after its last keep-alive' },
  { key: 'cluster.roles', type: 'string', default: 'gateway,coordinator', env: 'ELANUS_CLUSTER_ROLES', flag: 'roles', help: 'what this node does, a comma-separated list: gateway (answers clients, forwards to the coordinator), coordinator (stands for the coordinator lease and runs the engine), data (while standing by, keeps a read replica the coordinator sends reads to; opt-in, docs/CLUSTER.md), or all (the three)' },
  { key: 'cluster.etcd.endpoints', type: 'string', default: '127.0.0.1:2379', env: 'ELANUS_ETCD_ENDPOINTS', flag: 'etcd-endpoints', help: 'comma-separated etcd client endpoints (host:port or URLs)' },
  str('cluster.etcd.username', 'ELANUS_ETCD_USERNAME', 'etcd-username', 'etcd user (with etcd authentication on)'),
  str('cluster.etcd.password', 'ELANUS_ETCD_PASSWORD', 'etcd-password', 'etcd password (prefer the environment or the config file to a flag)', { secret: true }),
  str('cluster.etcd.caFile', 'ELANUS_ETCD_CA_FILE', 'etcd-ca-file', 'PEM file of the CA that signed etcd\'s certificate (turns TLS on)'),
  str('cluster.etcd.certFile', 'ELANUS_ETCD_CERT_FILE', 'etcd-cert-file', 'PEM file of this client\'s certificate, for etcd\'s client-certificate authentication'),
  str('cluster.etcd.keyFile', 'ELANUS_ETCD_KEY_FILE', 'etcd-key-file', 'PEM file of that certificate\'s private key'),
  { key: 'cluster.nats.servers', type: 'string', default: 'nats://127.0.0.1:4222', env: 'ELANUS_NATS_SERVERS', flag: 'nats-servers', help: 'comma-separated NATS server URLs' },
  str('cluster.nats.user', 'ELANUS_NATS_USER', 'nats-user', 'NATS user'),
  str('cluster.nats.password', 'ELANUS_NATS_PASSWORD', 'nats-password', 'NATS password (prefer the environment or the config file to a flag)', { secret: true }),
  str('cluster.nats.token', 'ELANUS_NATS_TOKEN', 'nats-token', 'NATS token, instead of a user and password', { secret: true }),
  str('cluster.nats.caFile', 'ELANUS_NATS_CA_FILE', 'nats-ca-file', 'PEM file of the CA that signed the NATS servers\' certificates (turns TLS on)'),
  str('cluster.nats.certFile', 'ELANUS_NATS_CERT_FILE', 'nats-cert-file', 'PEM file of this client\'s certificate'),
  str('cluster.nats.keyFile', 'ELANUS_NATS_KEY_FILE', 'nats-key-file', 'PEM file of that certificate\'s private key'),
  { key: 'cluster.nats.replicas', type: 'integer', default: 1, min: 1, max: 3, env: 'ELANUS_NATS_REPLICAS', flag: 'nats-replicas', help: 'copies of each shard\'s stream: 1, or 3 (JetStream replicas, on a cluster of 3 or more servers)' },
  str('cluster.s3.endpoint', 'ELANUS_S3_ENDPOINT', 's3-endpoint', 'S3 endpoint URL (MinIO: http://host:9000); empty = AWS S3 in s3-region'),
  { key: 'cluster.s3.region', type: 'string', default: 'us-east-1', env: 'ELANUS_S3_REGION', flag: 's3-region', help: 'S3 region' },
  { key: 'cluster.s3.bucket', type: 'string', default: 'elanus', env: 'ELANUS_S3_BUCKET', flag: 's3-bucket', help: 'the bucket that holds segment, delete and index files (under the cluster name)' },
  str('cluster.s3.accessKeyId', 'ELANUS_S3_ACCESS_KEY_ID', 's3-access-key-id', 'S3 access key; empty = the AWS SDK\'s default credential chain'),
  str('cluster.s3.secretAccessKey', 'ELANUS_S3_SECRET_ACCESS_KEY', 's3-secret-access-key', 'S3 secret key (prefer the environment or the config file to a flag)', { secret: true }),
  { key: 'cluster.s3.forcePathStyle', type: 'boolean', default: true, env: 'ELANUS_S3_FORCE_PATH_STYLE', flag: 's3-force-path-style', help: 'bucket in the path, not the host name (MinIO and most S3-compatible servers need it; AWS takes both)' },
  str('cluster.s3.caFile', 'ELANUS_S3_CA_FILE', 's3-ca-file', 'PEM file of a CA to trust for a private S3 endpoint'),
];

export const keySpecs: readonly KeySpec[] = Object.freeze([...top, ...limits, ...cluster].map((s) => Object.freeze(s)));

/** Groups of settings that a config file nests in objects: `{ "limits": {...}, "cluster": { "etcd": {...} } }`. */
export const nestedGroups: readonly string[] = Object.freeze(['limits', 'cluster', 'cluster.etcd', 'cluster.nats', 'cluster.s3']);

/** The configuration with every secret replaced, for logs. */
export function redacted(config: Config): unknown {
  const copy = JSON.parse(JSON.stringify(config)) as Record<string, unknown>;
  for (const s of keySpecs) {
    if (!s.secret) continue;
    const path = s.key.split('.');
    let at: Record<string, unknown> | undefined = copy;
    for (const p of path.slice(0, -1)) at = at?.[p] as Record<string, unknown> | undefined;
    const last = path.at(-1)!;
    if (at && at[last] !== '') at[last] = '(set, not shown)';
  }
  return copy;
}

/** The environment variable and flag that name a config file. */
export const configFileEnv = 'ELANUS_CONFIG';
export const configFileFlag = 'config';

function screamingSnake(camel: string): string {
  return camel.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

function kebab(camel: string): string {
  return camel.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}
