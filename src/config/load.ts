// The layered loader: defaults → config file → environment → flags, later layers winning.
// Each value is checked where it enters, so an error names the key and the place it came
// from ("port from env ELANUS_PORT must be ..."), and the result is frozen: the server
// reads its configuration once and passes it down, nobody re-reads the environment.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ElanusError, assert } from '../errors/index.js';
import { credentialLimits } from '../engine/index.js';
import { choicesOf, clusterRoles, configFileEnv, configFileFlag, keySpecs, nestedGroups, type ClusterConfig, type ClusterRole, type Config, type KeySpec } from './schema.js';

export interface LoadInput {
  /** Values from the command line, keyed as commander names them (camelCase of the flag). */
  readonly flags?: Readonly<Record<string, unknown>>;
  /** The environment (process.env in production, a plain object in tests). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Base for a relative config file path. */
  readonly cwd?: string;
}

export interface LoadedConfig {
  readonly config: Config;
  /** Where each key's value came from: `default`, `file <path>`, `env <NAME>`, `flag --<name>`. */
  readonly origin: Readonly<Record<string, string>>;
  /** Things worth a warning that are not errors (an ELANUS_ variable nobody reads). */
  readonly warnings: readonly string[];
}

type Value = string | number | boolean;

export function loadConfig(input: LoadInput = {}): LoadedConfig {
  const flags = input.flags ?? {};
  const env = input.env ?? {};
  const values = new Map<string, Value>();
  const origin: Record<string, string> = {};
  for (const s of keySpecs) {
    values.set(s.key, s.default);
    origin[s.key] = 'default';
  }

  const file = configFilePath(flags, env, input.cwd ?? process.cwd());
  if (file) {
    for (const [key, raw] of Object.entries(readConfigFile(file.path, file.from))) {
      const spec = specOf(key);
      const where = `file ${file.path}`;
      values.set(key, typeof raw === 'string' && spec.type !== 'string' && !choicesOf[spec.type] ? invalid(spec, where, raw, 'a JSON ' + spec.type) : check(spec, where, raw));
      origin[key] = where;
    }
  }

  for (const s of keySpecs) {
    const raw = env[s.env];
    if (raw === undefined || raw === '') continue; // an empty variable counts as unset
    const where = `env ${s.env}`;
    values.set(s.key, check(s, where, parseText(s, where, raw)));
    origin[s.key] = where;
  }

  for (const s of keySpecs) {
    const raw = flags[attrOf(s.flag)];
    if (raw === undefined) continue;
    const where = `flag --${s.flag}`;
    values.set(s.key, check(s, where, typeof raw === 'string' ? parseText(s, where, raw) : raw));
    origin[s.key] = where;
  }

  const known = new Set([...keySpecs.map((s) => s.env), configFileEnv]);
  const warnings = Object.keys(env)
    .filter((name) => name.startsWith('ELANUS_') && !known.has(name))
    .map((name) => `environment variable ${name} is not a setting of elanus serve and is ignored`);

  const config = build(values);
  // The name is a prefix of etcd keys, of JetStream stream names (which keep '_' for
  // their own encoding) and of object keys.
  if (!/^[a-z][a-z0-9-]{0,31}$/.test(config.cluster.name)) {
    throw configError('cluster.name', origin['cluster.name']!, `must be a lowercase letter then up to 31 lowercase letters, digits or '-', got ${JSON.stringify(config.cluster.name)}`);
  }
  if (config.cluster.roles.length === 0) {
    throw configError('cluster.roles', origin['cluster.roles']!, `must be all, or a comma-separated list of ${clusterRoles.join(', ')}`);
  }
  if (config.cluster.nats.replicas !== 1 && config.cluster.nats.replicas !== 3) {
    throw configError('cluster.nats.replicas', origin['cluster.nats.replicas']!, `must be 1 or 3, got ${config.cluster.nats.replicas}`);
  }
  // One connection must be able to send the largest message the server accepts.
  if (config.connectionBytesMax < config.messageBytesMax) {
    const source = origin.connectionBytesMax === 'default' ? origin.messageBytesMax! : origin.connectionBytesMax!;
    throw configError('connectionBytesMax', source, `must be at least messageBytesMax (${config.messageBytesMax}), got ${config.connectionBytesMax}`);
  }
  // Root's password is held to the rule every password is (a shorter one could never be set again).
  const rootBytes = Buffer.byteLength(config.rootPassword);
  if (rootBytes < credentialLimits.passwordBytesMin || rootBytes > credentialLimits.passwordBytesMax) {
    // The value itself is a secret: only its length is named.
    throw configError('rootPassword', origin.rootPassword!, `must be ${credentialLimits.passwordBytesMin} to ${credentialLimits.passwordBytesMax} bytes long, got ${rootBytes}`);
  }
  return Object.freeze({ config, origin: Object.freeze(origin), warnings: Object.freeze(warnings) });
}

function configFilePath(flags: Readonly<Record<string, unknown>>, env: Readonly<Record<string, string | undefined>>, cwd: string): { path: string; from: string } | undefined {
  const flag = flags[configFileFlag];
  if (flag !== undefined) {
    if (typeof flag !== 'string' || flag === '') throw configError(configFileFlag, `flag --${configFileFlag}`, 'must name a file');
    return { path: resolve(cwd, flag), from: `flag --${configFileFlag}` };
  }
  const fromEnv = env[configFileEnv];
  if (fromEnv) return { path: resolve(cwd, fromEnv), from: `env ${configFileEnv}` };
  return undefined;
}

/** Reads a JSON config file into flat `key → raw value` pairs (`limits` is one level deeper). */
function readConfigFile(path: string, from: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw configError('config', from, `cannot read config file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw configError('config', from, `config file ${path} is not valid JSON: ${(e as Error).message}`);
  }
  if (!isPlainObject(doc)) throw configError('config', from, `config file ${path} must hold a JSON object`);
  const flat: Record<string, unknown> = {};
  // Groups nest (`limits`, `cluster`, `cluster.etcd`...): their keys join with dots.
  const walk = (obj: Record<string, unknown>, prefix: string): void => {
    for (const [k, v] of Object.entries(obj)) {
      const key = prefix + k;
      if (nestedGroups.includes(key)) {
        if (!isPlainObject(v)) throw configError(key, `file ${path}`, key === 'limits' ? 'must be an object of engine limits' : 'must be an object of settings');
        walk(v, `${key}.`);
      } else {
        flat[key] = v;
      }
    }
  };
  walk(doc, '');
  for (const key of Object.keys(flat)) {
    if (!keySpecs.some((s) => s.key === key)) {
      throw configError(key, `file ${path}`, `is not a known setting (known: ${keySpecs.map((s) => s.key).join(', ')})`);
    }
  }
  return flat;
}

/** Text from the environment or a flag, turned into the key's type. */
function parseText(s: KeySpec, where: string, text: string): Value {
  const t = text.trim();
  switch (s.type) {
    case 'string':
    case 'logLevel':
    case 'logFormat':
      return t;
    case 'boolean':
      if (/^(true|1|yes|on)$/i.test(t)) return true;
      if (/^(false|0|no|off)$/i.test(t)) return false;
      return invalid(s, where, text, 'true or false');
    case 'integer':
    case 'number':
      // Number('') is 0 and Number('0x10') is 16: accept plain decimal notation only.
      if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t)) return invalid(s, where, text, s.type === 'integer' ? 'an integer' : 'a number');
      return Number(t);
  }
}

/** Checks a typed value against the key's type and bounds. */
function check(s: KeySpec, where: string, v: unknown): Value {
  switch (s.type) {
    case 'string':
      if (typeof v !== 'string') return invalid(s, where, v, 'a string');
      if (v.trim() === '' && !s.optional) return invalid(s, where, v, 'a non-empty string');
      return v.trim() === '' ? '' : v;
    case 'logLevel':
    case 'logFormat': {
      const choices = choicesOf[s.type] ?? [];
      if (typeof v !== 'string' || !choices.includes(v)) return invalid(s, where, v, `one of ${choices.join(', ')}`);
      return v;
    }
    case 'boolean':
      if (typeof v !== 'boolean') return invalid(s, where, v, 'true or false');
      return v;
    case 'integer':
    case 'number': {
      const min = s.min ?? -Infinity;
      const max = s.max ?? Infinity;
      const ok = typeof v === 'number' && (s.type === 'integer' ? Number.isSafeInteger(v) : Number.isFinite(v)) && v >= min && v <= max;
      if (!ok) return invalid(s, where, v, `${s.type === 'integer' ? 'an integer' : 'a number'} in [${min}, ${max}]`);
      return v as number;
    }
  }
}

function invalid(s: KeySpec, where: string, got: unknown, expected: string): never {
  throw configError(s.key, where, `must be ${expected}, got ${JSON.stringify(got) ?? String(got)}`);
}

function configError(key: string, where: string, problem: string): ElanusError {
  return new ElanusError('INVALID_ARGUMENT', { detail: `setting ${key} from ${where} ${problem}`, key, source: where });
}

function build(values: ReadonlyMap<string, Value>): Config {
  const get = <T extends Value>(key: string) => values.get(key) as T;
  const limits: Record<string, number> = {};
  for (const s of keySpecs) if (s.key.startsWith('limits.')) limits[s.key.slice('limits.'.length)] = get<number>(s.key);
  return Object.freeze({
    host: get<string>('host'),
    port: get<number>('port'),
    dataDir: get<string>('dataDir'),
    logLevel: get<Config['logLevel']>('logLevel'),
    logFormat: get<Config['logFormat']>('logFormat'),
    messageBytesMax: get<number>('messageBytesMax'),
    shutdownDeadlineMs: get<number>('shutdownDeadlineMs'),
    handshakeTimeoutMs: get<number>('handshakeTimeoutMs'),
    idleTimeoutMs: get<number>('idleTimeoutMs'),
    connectionsMax: get<number>('connectionsMax'),
    connectionBytesMax: get<number>('connectionBytesMax'),
    metrics: get<boolean>('metrics'),
    authEnabled: get<boolean>('authEnabled'),
    rootPassword: get<string>('rootPassword'),
    shardsDefault: get<number>('shardsDefault'),
    nativeThreads: get<number>('nativeThreads'),
    nativeNice: get<number>('nativeNice'),
    limits: Object.freeze(limits) as unknown as Config['limits'],
    cluster: buildCluster(get),
  });
}

/** 'all' or a list of roles; an unknown name (or none) gives [] (refused by the caller, with its origin). */
function parseRoles(text: string): readonly ClusterRole[] {
  const names = text.split(',').map((x) => x.trim().toLowerCase()).filter(Boolean);
  if (names.length === 1 && names[0] === 'all') return Object.freeze([...clusterRoles]);
  if (names.length === 0 || names.some((n) => !(clusterRoles as readonly string[]).includes(n))) return Object.freeze([]);
  return Object.freeze(clusterRoles.filter((r) => names.includes(r)));
}

function buildCluster(get: <T extends Value>(key: string) => T): ClusterConfig {
  const s = (key: string) => get<string>(`cluster.${key}`);
  return Object.freeze({
    enabled: get<boolean>('cluster.enabled'),
    name: s('name'),
    node: s('node'),
    advertise: s('advertise'),
    leaseTtlMs: get<number>('cluster.leaseTtlMs'),
    roles: parseRoles(s('roles')),
    etcd: Object.freeze({
      endpoints: s('etcd.endpoints'), username: s('etcd.username'), password: s('etcd.password'),
      caFile: s('etcd.caFile'), certFile: s('etcd.certFile'), keyFile: s('etcd.keyFile'),
    }),
    nats: Object.freeze({
      servers: s('nats.servers'), user: s('nats.user'), password: s('nats.password'), token: s('nats.token'),
      caFile: s('nats.caFile'), certFile: s('nats.certFile'), keyFile: s('nats.keyFile'), replicas: get<number>('cluster.nats.replicas'),
    }),
    s3: Object.freeze({
      endpoint: s('s3.endpoint'), region: s('s3.region'), bucket: s('s3.bucket'),
      accessKeyId: s('s3.accessKeyId'), secretAccessKey: s('s3.secretAccessKey'),
      forcePathStyle: get<boolean>('cluster.s3.forcePathStyle'), caFile: s('s3.caFile'),
    }),
  });
}

function specOf(key: string): KeySpec {
  const s = keySpecs.find((x) => x.key === key);
  assert(s, `no spec for config key ${key}`); // readConfigFile rejected unknown keys already
  return s;
}

/** The attribute commander stores a long option under: `data-dir` → `dataDir`. */
export function attrOf(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
