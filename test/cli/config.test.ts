// The layered configuration: defaults → file → environment → flags, each value checked
// where it enters, and an error that names the key and the place it came from.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { keySpecs, loadConfig, redacted, type LoadInput } from '../../src/config/index.js';
import { defaultLimits } from '../../src/engine/index.js';
import { isElanusError } from '../../src/errors/index.js';

const dir = mkdtempSync(join(tmpdir(), 'elanus-config-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: unknown): string {
  const p = join(dir, name);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
}

/** Loading must fail with INVALID_ARGUMENT naming this key and this source. */
function assertInvalid(input: LoadInput, key: string, source: RegExp): void {
  assert.throws(() => loadConfig(input), (e: unknown) => {
    assert.ok(isElanusError(e, 'INVALID_ARGUMENT'), `expected INVALID_ARGUMENT, got ${String(e)}`);
    assert.equal(e.details.key, key);
    assert.match(String(e.details.source), source);
    assert.ok(e.message.includes(key), `message names the key: ${e.message}`);
    return true;
  });
}

test('defaults, frozen', () => {
  const { config, origin } = loadConfig({ env: {}, flags: {} });
  assert.deepEqual(config, {
    host: '127.0.0.1',
    port: 19530,
    dataDir: './data',
    logLevel: 'info',
    logFormat: 'auto',
    messageBytesMax: 256 * 1024 * 1024,
    shutdownDeadlineMs: 10_000,
    handshakeTimeoutMs: 10_000,
    idleTimeoutMs: 300_000,
    connectionsMax: 1024,
    connectionBytesMax: 512 * 1024 * 1024,
    metrics: true,
    authEnabled: false,
    rootPassword: 'Milvus',
    shardsDefault: 1,
    nativeThreads: 0,
    nativeNice: 10,
    limits: { ...defaultLimits },
    cluster: {
      enabled: false, name: 'elanus', node: '', advertise: '', leaseTtlMs: 10_000, roles: ['gateway', 'coordinator'],
      etcd: { endpoints: '127.0.0.1:2379', username: '', password: '', caFile: '', certFile: '', keyFile: '' },
      nats: { servers: 'nats://127.0.0.1:4222', user: '', password: '', token: '', caFile: '', certFile: '', keyFile: '', replicas: 1 },
      s3: { endpoint: '', region: 'us-east-1', bucket: 'elanus', accessKeyId: '', secretAccessKey: '', forcePathStyle: true, caFile: '' },
    },
  });
  assert.ok(Object.isFrozen(config) && Object.isFrozen(config.limits) && Object.isFrozen(config.cluster) && Object.isFrozen(config.cluster.s3));
  assert.ok(Object.values(origin).every((o) => o === 'default'));
});

test('file over defaults, environment over file, flags over environment', () => {
  const path = file('layers.json', { host: '0.0.0.0', port: 1111, logLevel: 'warn', metrics: false, limits: { segmentRowsMax: 500, backgroundIntervalMs: 0 } });
  const { config, origin } = loadConfig({
    flags: { config: path, port: '3333', segmentRowsMax: '700' },
    env: { ELANUS_PORT: '2222', ELANUS_LOG_LEVEL: 'debug', ELANUS_DATA_DIR: '/srv/elanus', ELANUS_SEGMENT_ROWS_MAX: '600' },
  });
  assert.equal(config.host, '0.0.0.0'); // file only
  assert.equal(config.metrics, false); // file only
  assert.equal(config.limits.backgroundIntervalMs, 0); // file only
  assert.equal(config.logLevel, 'debug'); // env over file
  assert.equal(config.dataDir, '/srv/elanus'); // env over default
  assert.equal(config.port, 3333); // flag over env over file
  assert.equal(config.limits.segmentRowsMax, 700); // flag over env over file
  assert.equal(config.messageBytesMax, 256 * 1024 * 1024); // default
  assert.equal(origin.host, `file ${path}`);
  assert.equal(origin.logLevel, 'env ELANUS_LOG_LEVEL');
  assert.equal(origin.port, 'flag --port');
  assert.equal(origin['limits.segmentRowsMax'], 'flag --segment-rows-max');
  assert.equal(origin.messageBytesMax, 'default');
});

test('the config file comes from --config, else ELANUS_CONFIG; relative paths resolve from cwd', () => {
  file('a.json', { port: 1 });
  file('b.json', { port: 2 });
  assert.equal(loadConfig({ env: { ELANUS_CONFIG: 'b.json' }, cwd: dir }).config.port, 2);
  assert.equal(loadConfig({ flags: { config: 'a.json' }, env: { ELANUS_CONFIG: 'b.json' }, cwd: dir }).config.port, 1);
});

test('booleans: --no-metrics, and true/false/on/off/1/0 in the environment', () => {
  assert.equal(loadConfig({ flags: { metrics: false } }).config.metrics, false);
  for (const [text, want] of [['off', false], ['0', false], ['FALSE', false], ['on', true], ['1', true], ['yes', true]] as const) {
    assert.equal(loadConfig({ env: { ELANUS_METRICS: text } }).config.metrics, want, text);
  }
  assert.equal(loadConfig({ env: { ELANUS_METRICS: 'off' }, flags: { metrics: true } }).config.metrics, true);
});

test('an empty environment variable counts as unset', () => {
  assert.equal(loadConfig({ env: { ELANUS_PORT: '', ELANUS_HOST: '' } }).config.port, 19530);
});

test('port 0 (pick a free port) is allowed', () => {
  assert.equal(loadConfig({ flags: { port: '0' } }).config.port, 0);
});

test('invalid values are coded errors naming the key and where it came from', () => {
  assertInvalid({ env: { ELANUS_PORT: 'abc' } }, 'port', /^env ELANUS_PORT$/);
  assertInvalid({ env: { ELANUS_PORT: '0x10' } }, 'port', /^env ELANUS_PORT$/);
  assertInvalid({ flags: { port: '70000' } }, 'port', /^flag --port$/);
  assertInvalid({ flags: { port: '1.5' } }, 'port', /^flag --port$/);
  assertInvalid({ env: { ELANUS_LOG_LEVEL: 'loud' } }, 'logLevel', /^env ELANUS_LOG_LEVEL$/);
  assertInvalid({ env: { ELANUS_LOG_FORMAT: 'fancy' } }, 'logFormat', /^env ELANUS_LOG_FORMAT$/);
  assertInvalid({ flags: { config: file('bad-format.json', { logFormat: 'text' }) } }, 'logFormat', /^file .*bad-format\.json$/);
  assertInvalid({ env: { ELANUS_METRICS: 'maybe' } }, 'metrics', /^env ELANUS_METRICS$/);
  assertInvalid({ flags: { messageBytesMax: '10' } }, 'messageBytesMax', /^flag --message-bytes-max$/);
  assertInvalid({ env: { ELANUS_SEGMENT_ROWS_MAX: '-1' } }, 'limits.segmentRowsMax', /^env ELANUS_SEGMENT_ROWS_MAX$/);
  assertInvalid({ flags: { compactionDeletedRatioMin: '1.5' } }, 'limits.compactionDeletedRatioMin', /^flag --compaction-deleted-ratio-min$/);
  assertInvalid({ flags: { config: file('bad-port.json', { port: 'many' }) } }, 'port', /^file .*bad-port\.json$/);
  assertInvalid({ flags: { config: file('str-port.json', { port: '19530' }) } }, 'port', /^file .*str-port\.json$/);
  assertInvalid({ flags: { config: file('bad-host.json', { host: '' }) } }, 'host', /^file /);
  assertInvalid({ flags: { config: file('bad-limit.json', { limits: { segmentRowsMax: 1.5 } }) } }, 'limits.segmentRowsMax', /^file /);
  assertInvalid({ env: { ELANUS_HANDSHAKE_TIMEOUT_MS: '0' } }, 'handshakeTimeoutMs', /^env ELANUS_HANDSHAKE_TIMEOUT_MS$/);
  assertInvalid({ flags: { connectionsMax: '0' } }, 'connectionsMax', /^flag --connections-max$/);
  assertInvalid({ env: { ELANUS_NATIVE_THREADS: '257' } }, 'nativeThreads', /^env ELANUS_NATIVE_THREADS$/);
  assertInvalid({ flags: { nativeThreads: '-1' } }, 'nativeThreads', /^flag --native-threads$/);
  assertInvalid({ env: { ELANUS_NATIVE_NICE: '20' } }, 'nativeNice', /^env ELANUS_NATIVE_NICE$/);
  assertInvalid({ flags: { nativeNice: '-1' } }, 'nativeNice', /^flag --native-nice$/);
});

test('nativeNice: 10 by default, any value in [0, 19] from the environment or a flag', () => {
  assert.equal(loadConfig({ env: { ELANUS_NATIVE_NICE: '0' } }).config.nativeNice, 0);
  assert.equal(loadConfig({ env: { ELANUS_NATIVE_NICE: '0' }, flags: { nativeNice: '19' } }).config.nativeNice, 19);
});

test('nativeThreads: 0 (every core but one, at least two) by default, any count in [1, 256] from the environment or a flag', () => {
  assert.equal(loadConfig({ env: { ELANUS_NATIVE_THREADS: '3' } }).config.nativeThreads, 3);
  assert.equal(loadConfig({ env: { ELANUS_NATIVE_THREADS: '3' }, flags: { nativeThreads: '256' } }).config.nativeThreads, 256);
});

test('one connection must be able to carry the largest message: connectionBytesMax >= messageBytesMax', () => {
  assertInvalid({ flags: { connectionBytesMax: String(1 << 20), messageBytesMax: String(2 << 20) } }, 'connectionBytesMax', /^flag --connection-bytes-max$/);
  // Raising only the message size past the default connection budget names where that came from.
  assertInvalid({ env: { ELANUS_MESSAGE_BYTES_MAX: String(1024 * 1024 * 1024) } }, 'connectionBytesMax', /^env ELANUS_MESSAGE_BYTES_MAX$/);
  const { config } = loadConfig({ flags: { connectionBytesMax: String(2 << 20), messageBytesMax: String(2 << 20) } });
  assert.equal(config.connectionBytesMax, 2 << 20);
});

test('config file problems are coded errors naming the file', () => {
  assertInvalid({ flags: { config: file('typo.json', { prot: 1 }) } }, 'prot', /^file .*typo\.json$/);
  assertInvalid({ flags: { config: file('typo-limit.json', { limits: { segmentRows: 1 } }) } }, 'limits.segmentRows', /^file /);
  assertInvalid({ flags: { config: file('limits-not-object.json', { limits: 5 }) } }, 'limits', /^file /);
  assertInvalid({ flags: { config: file('broken.json', '{ "port": ') } }, 'config', /^flag --config$/);
  assertInvalid({ flags: { config: file('array.json', [1]) } }, 'config', /^flag --config$/);
  assertInvalid({ env: { ELANUS_CONFIG: join(dir, 'missing.json') } }, 'config', /^env ELANUS_CONFIG$/);
});

test('authEnabled and rootPassword: from the environment and flags; a root password outside 6..72 bytes is refused without echoing it; never in the logged form', () => {
  const { config } = loadConfig({ env: { ELANUS_AUTH_ENABLED: 'on', ELANUS_ROOT_PASSWORD: 'Sesame-1234' }, flags: {} });
  assert.equal(config.authEnabled, true);
  assert.equal(config.rootPassword, 'Sesame-1234');
  assert.equal(loadConfig({ env: { ELANUS_AUTH_ENABLED: 'on' }, flags: { authEnabled: false } }).config.authEnabled, false);
  assert.equal(loadConfig({ env: {}, flags: { rootPassword: 'from-a-flag' } }).config.rootPassword, 'from-a-flag');
  assertInvalid({ env: { ELANUS_ROOT_PASSWORD: 'short' } }, 'rootPassword', /^env ELANUS_ROOT_PASSWORD$/);
  assertInvalid({ flags: { rootPassword: 'x'.repeat(73) } }, 'rootPassword', /^flag --root-password$/);
  assert.throws(() => loadConfig({ env: { ELANUS_ROOT_PASSWORD: 'tiny' } }), (e: Error) => !e.message.includes('tiny'));
  assert.ok(!JSON.stringify(redacted(config)).includes('Sesame-1234'));
});

test('cluster settings nest in the file, come from the environment and flags, and secrets are never in the logged form', () => {
  const path = file('cluster.json', { cluster: { enabled: true, name: 'prod', etcd: { endpoints: '10.0.0.1:2379,10.0.0.2:2379', password: 'etcd-secret' }, s3: { bucket: 'vectors', forcePathStyle: false } } });
  const { config, origin } = loadConfig({
    flags: { config: path, natsReplicas: '3', nodeName: 'n1' },
    env: { ELANUS_S3_SECRET_ACCESS_KEY: 's3-secret', ELANUS_NATS_SERVERS: 'nats://a:4222,nats://b:4222' },
  });
  assert.equal(config.cluster.enabled, true);
  assert.equal(config.cluster.name, 'prod');
  assert.equal(config.cluster.node, 'n1');
  assert.equal(config.cluster.etcd.endpoints, '10.0.0.1:2379,10.0.0.2:2379');
  assert.equal(config.cluster.nats.servers, 'nats://a:4222,nats://b:4222');
  assert.equal(config.cluster.nats.replicas, 3);
  assert.deepEqual(loadConfig({ flags: { roles: 'Coordinator' }, env: {}, cwd: '/' }).config.cluster.roles, ['coordinator']);
  assert.deepEqual(loadConfig({ flags: {}, env: { ELANUS_CLUSTER_ROLES: 'coordinator, gateway' }, cwd: '/' }).config.cluster.roles, ['gateway', 'coordinator']);
  assert.deepEqual(loadConfig({ flags: { roles: 'data,gateway' }, env: {}, cwd: '/' }).config.cluster.roles, ['gateway', 'data']);
  assert.deepEqual(loadConfig({ flags: { roles: 'all' }, env: {}, cwd: '/' }).config.cluster.roles, ['gateway', 'coordinator', 'data']);
  assert.equal(config.cluster.s3.bucket, 'vectors');
  assert.equal(config.cluster.s3.forcePathStyle, false);
  assert.equal(origin['cluster.etcd.password'], `file ${path}`);
  assert.equal(origin['cluster.s3.secretAccessKey'], 'env ELANUS_S3_SECRET_ACCESS_KEY');
  const logged = JSON.stringify(redacted(config));
  assert.ok(!logged.includes('etcd-secret') && !logged.includes('s3-secret'), logged);
  assert.match(logged, /"password":"\(set, not shown\)"/);
  assert.match(logged, /"token":""/, 'an unset secret shows as unset');
  assertInvalid({ env: { ELANUS_CLUSTER_NAME: 'a.b' } }, 'cluster.name', /^env ELANUS_CLUSTER_NAME$/);
  assertInvalid({ flags: { config: file('etcd-not-object.json', { cluster: { etcd: 'x' } }) } }, 'cluster.etcd', /^file /);
  assertInvalid({ flags: { config: file('cluster-typo.json', { cluster: { etcd: { endpoint: 'x' } } }) } }, 'cluster.etcd.endpoint', /^file /);
  assertInvalid({ env: { ELANUS_CLUSTER_NAME: 'Prod' } }, 'cluster.name', /^env ELANUS_CLUSTER_NAME$/);
  assertInvalid({ flags: { natsReplicas: '2' } }, 'cluster.nats.replicas', /^flag --nats-replicas$/);
  assertInvalid({ flags: { roles: 'gateway,storage' } }, 'cluster.roles', /^flag --roles$/);
  assertInvalid({ env: { ELANUS_CLUSTER_ROLES: ' , ' } }, 'cluster.roles', /^env ELANUS_CLUSTER_ROLES$/);
  assertInvalid({ flags: { coordinatorLeaseTtlMs: '500' } }, 'cluster.leaseTtlMs', /^flag --coordinator-lease-ttl-ms$/);
});

test('logFormat: auto by default; json or pretty from the file, the environment or a flag, later layers winning', () => {
  assert.equal(loadConfig({ env: {} }).config.logFormat, 'auto');
  assert.equal(loadConfig({ flags: { config: file('fmt.json', { logFormat: 'json' }) } }).config.logFormat, 'json');
  assert.equal(loadConfig({ env: { ELANUS_LOG_FORMAT: 'pretty' } }).config.logFormat, 'pretty');
  const both = loadConfig({ env: { ELANUS_LOG_FORMAT: 'pretty' }, flags: { logFormat: 'json' } });
  assert.equal(both.config.logFormat, 'json');
  assert.equal(both.origin.logFormat, 'flag --log-format');
  assert.deepEqual(loadConfig({ env: { ELANUS_LOG_FORMAT: 'json' } }).warnings, [], 'ELANUS_LOG_FORMAT is a setting, not an unknown variable');
});

test('an ELANUS_ variable that is no setting gives a warning, not an error', () => {
  const { warnings } = loadConfig({ env: { ELANUS_PROT: '1' } });
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /ELANUS_PROT/);
});

test('every engine limit is a setting, and nothing else is under limits', () => {
  const limitKeys = keySpecs.filter((s) => s.key.startsWith('limits.')).map((s) => s.key.slice('limits.'.length));
  assert.deepEqual(limitKeys.sort(), Object.keys(defaultLimits).sort());
});

test('the README lists every setting with its environment variable and flag', () => {
  const readme = readFileSync(fileURLToPath(new URL('../../../src/config/README.md', import.meta.url)), 'utf8');
  for (const s of keySpecs) {
    assert.ok(readme.includes(`\`${s.key}\``), `README names ${s.key}`);
    assert.ok(readme.includes(`\`${s.env}\``), `README names ${s.env}`);
    assert.ok(readme.includes(`\`--${s.flag}\``), `README names --${s.flag}`);
  }
});
