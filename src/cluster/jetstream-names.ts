// How the LogStore's names become JetStream's. Several clusters (or test cases) share one
// server, each under its own namespace:
//
//   log stream "c12s0.x_y" in namespace "prod"
//     JetStream stream   prod_c12s0_dx__y        (namespace, '_', the encoded name)
//     subject            elanus.prod.log.c12s0_dx__y
//   consumer positions   not in JetStream: the MetaStore key
//                        "log/prod/consumers/c12s0.x_y/<consumer>" (log-consumer-positions.ts)
//
// Stream names follow the embedded log's rule (wal/names.ts: letters, digits, '_', '.',
// '-'), so either store takes the names the engine makes (`c<collection>s<shard>`).
// JetStream allows no '.' in a stream name and reads '.' in a subject as a token
// separator, so the encoding escapes '_' as "__" and '.' as "_d": one-to-one, and free of
// '.', '*', '>' and spaces. A namespace is lowercase letters, digits and '-', starting with
// a letter: it has no '_', so the prefix "<namespace>_" belongs to one namespace only.
import { ElanusError } from '../errors/index.js';

export const streamNameBytesMax = 128;
export const consumerNameBytesMax = 255;
/** A JetStream stream is a folder named after it on each server: the file name limit. */
const jetStreamNameBytesMax = 255;

const streamNamePattern = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const namespacePattern = /^[a-z][a-z0-9-]{0,31}$/;

export interface Names {
  readonly namespace: string;
  /** The JetStream stream of a log stream. */
  stream(name: string): string;
  subject(name: string): string;
  /** The log stream of a JetStream stream name, or undefined when it is not this namespace's. */
  decode(jetStreamName: string): string | undefined;
}

export function checkNamespace(ns: unknown): string {
  if (typeof ns !== 'string' || !namespacePattern.test(ns)) {
    throw new ElanusError('INVALID_NAME', { what: 'JetStream namespace', name: String(ns), reason: 'use 1 to 32 lowercase letters, digits or \'-\', starting with a letter' });
  }
  return ns;
}

export function names(namespace: string): Names {
  const ns = checkNamespace(namespace);
  const prefix = `${ns}_`;
  return {
    namespace: ns,
    stream: (name) => prefix + encode(name),
    subject: (name) => `elanus.${ns}.log.${encode(name)}`,
    decode: (js) => (js.startsWith(prefix) ? decode(js.slice(prefix.length)) : undefined),
  };
}

/** Throws INVALID_NAME unless `name` is a log stream name whose JetStream name fits. */
export function checkStreamName(n: Names, name: unknown): string {
  const ok = typeof name === 'string' && name.length > 0 && name.length <= streamNameBytesMax && streamNamePattern.test(name);
  if (!ok) {
    throw new ElanusError('INVALID_NAME', {
      what: 'log topic',
      name: String(name),
      reason: `use 1 to ${streamNameBytesMax} letters, digits, '_', '.' or '-', not starting with '.' or '-'`,
    });
  }
  if (n.stream(name).length > jetStreamNameBytesMax) {
    throw new ElanusError('INVALID_NAME', { what: 'log topic', name, reason: `too long once encoded for JetStream (over ${jetStreamNameBytesMax} bytes with the namespace)` });
  }
  return name;
}

export function checkConsumerName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0 || Buffer.byteLength(name) > consumerNameBytesMax || Buffer.from(name, 'utf8').toString('utf8') !== name) {
    throw new ElanusError('INVALID_NAME', { what: 'consumer group', name: String(name), reason: `use 1 to ${consumerNameBytesMax} bytes of well-formed text` });
  }
  return name;
}

function encode(name: string): string {
  return name.replace(/[_.]/g, (c) => (c === '_' ? '__' : '_d'));
}

function decode(encoded: string): string | undefined {
  let out = '';
  for (let i = 0; i < encoded.length; i++) {
    const c = encoded[i]!;
    if (c !== '_') {
      out += c;
      continue;
    }
    const next = encoded[++i];
    if (next === '_') out += '_';
    else if (next === 'd') out += '.';
    else return undefined; // not a name this encoding made
  }
  return out;
}
