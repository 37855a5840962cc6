// Checking and planning the MetaStore's requests: every argument is checked before the
// request is queued (a coded error, at once), and a transaction is planned in the
// journal's write loop against the state it will apply to (meta-store.ts, MetaPlan), so
// nothing changes between its compares and its operations.
import { ElanusError } from '../errors/index.js';
import { type Compare, type KeyValue, type MetaOp, type MetaStore, type MetaOpResult, type MetaTxnRequest, type MetaTxnResponse, metaLimits } from './meta.js';
import type { MetaChange, MetaState } from './meta-state.js';

const invalid = (detail: string): ElanusError => new ElanusError('INVALID_ARGUMENT', { detail });

const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function utf8Bytes(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

function checkText(what: string, s: unknown, bytesMax: number, allowEmpty: boolean): string {
  if (typeof s !== 'string') throw invalid(`${what} must be a string, got ${typeof s}`);
  if (!allowEmpty && s.length === 0) throw invalid(`${what} must not be empty`);
  // A lone surrogate has no UTF-8 form: another store would change it on the way.
  if (loneSurrogate.test(s)) throw invalid(`${what} is not well-formed Unicode (a lone surrogate)`);
  const bytes = utf8Bytes(s);
  if (bytes > bytesMax) throw new ElanusError('LIMIT_EXCEEDED', { what: `metadata ${what}`, detail: `${bytes} bytes, over ${bytesMax}` });
  return s;
}

export function checkKey(key: unknown): string {
  return checkText('key', key, metaLimits.keyBytesMax, false);
}

export function checkPrefix(prefix: unknown): string {
  return checkText('prefix', prefix, metaLimits.keyBytesMax, true);
}

export function checkValue(value: unknown): string {
  return checkText('value', value, metaLimits.valueBytesMax, true);
}

/** A lease id: > 0, or 0 (none) where `noneAllowed`. */
export function checkLease(lease: unknown, noneAllowed: boolean): number {
  if (typeof lease !== 'number' || !Number.isSafeInteger(lease) || lease < (noneAllowed ? 0 : 1)) {
    throw invalid(`a lease id must be an integer >= ${noneAllowed ? 0 : 1}, got ${String(lease)}`);
  }
  return lease;
}

export function checkRevision(what: string, revision: unknown, min: number): number {
  if (typeof revision !== 'number' || !Number.isSafeInteger(revision) || revision < min) {
    throw invalid(`${what} must be an integer >= ${min}, got ${String(revision)}`);
  }
  return revision;
}

export function checkTtl(ttlMs: unknown): number {
  if (typeof ttlMs !== 'number' || !Number.isSafeInteger(ttlMs) || ttlMs < 1 || ttlMs > metaLimits.leaseTtlMsMax) {
    throw invalid(`a lease TTL must be an integer from 1 to ${metaLimits.leaseTtlMsMax} ms, got ${String(ttlMs)}`);
  }
  return ttlMs;
}

const compareOps = new Set(['=', '!=', '<', '>']);
const numberTargets = new Set(['version', 'createRevision', 'modRevision', 'lease']);

function checkCompare(c: unknown, i: number): Compare {
  if (typeof c !== 'object' || c === null) throw invalid(`compare ${i} must be an object`);
  const x = c as Record<string, unknown>;
  checkKey(x.key);
  if (x.target === 'exists') {
    if (typeof x.value !== 'boolean') throw invalid(`compare ${i} on 'exists' needs a boolean value`);
    return c as Compare;
  }
  if (!compareOps.has(x.op as string)) throw invalid(`compare ${i} has op ${String(x.op)}; use '=', '!=', '<' or '>'`);
  if (x.target === 'value') {
    checkValue(x.value);
  } else if (numberTargets.has(x.target as string)) {
    if (typeof x.value !== 'number' || !Number.isSafeInteger(x.value)) throw invalid(`compare ${i} on '${String(x.target)}' needs an integer value`);
  } else {
    throw invalid(`compare ${i} has target ${String(x.target)}; use value, version, createRevision, modRevision, lease or exists`);
  }
  return c as Compare;
}

function checkOp(o: unknown, where: string): MetaOp {
  if (typeof o !== 'object' || o === null) throw invalid(`${where} must be an object`);
  const x = o as Record<string, unknown>;
  switch (x.op) {
    case 'put':
      checkKey(x.key);
      checkValue(x.value);
      if (x.lease !== undefined) checkLease(x.lease, true);
      break;
    case 'delete':
    case 'get':
      checkKey(x.key);
      break;
    case 'deletePrefix':
      checkPrefix(x.prefix);
      break;
    default:
      throw invalid(`${where} has op ${String(x.op)}; use put, delete, deletePrefix or get`);
  }
  return o as MetaOp;
}

function checkCount(what: string, list: unknown, max: number): readonly unknown[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) throw invalid(`${what} must be an array`);
  if (list.length > max) {
    throw new ElanusError('LIMIT_EXCEEDED', { what: 'metadata transaction', detail: `${list.length} ${what}, over ${max}` });
  }
  return list;
}

/** Writes of one branch may not touch a key twice (etcd's "duplicate key given in txn request"). */
function checkNoOverlap(ops: readonly MetaOp[], branch: string): void {
  const keys = new Set<string>();
  const prefixes: string[] = [];
  for (const o of ops) {
    if (o.op === 'get') continue;
    if (o.op === 'deletePrefix') {
      if (prefixes.some((p) => p.startsWith(o.prefix) || o.prefix.startsWith(p))) throw invalid(`${branch}: two deletePrefix operations overlap ("${o.prefix}")`);
      prefixes.push(o.prefix);
      continue;
    }
    if (keys.has(o.key)) throw invalid(`${branch}: key "${o.key}" is written twice`);
    keys.add(o.key);
  }
  for (const k of keys) {
    const p = prefixes.find((q) => k.startsWith(q));
    if (p !== undefined) throw invalid(`${branch}: key "${k}" is also under deleted prefix "${p}"`);
  }
}

/** `opsMax`: compares, and operations per branch (metaLimits.txnOpsMax unless the store was opened with more). */
export function checkTxn(req: unknown, opsMax: number = metaLimits.txnOpsMax): MetaTxnRequest {
  if (typeof req !== 'object' || req === null) throw invalid('a transaction must be an object');
  const r = req as Record<string, unknown>;
  const compare = checkCount('compares', r.compare, opsMax).map(checkCompare);
  const success = checkCount('success operations', r.success, opsMax).map((o, i) => checkOp(o, `success operation ${i}`));
  const failure = checkCount('failure operations', r.failure, opsMax).map((o, i) => checkOp(o, `failure operation ${i}`));
  checkNoOverlap(success, 'success');
  checkNoOverlap(failure, 'failure');
  return { compare, success, failure };
}

function holds(c: Compare, kv: KeyValue | undefined): boolean {
  if (c.target === 'exists') return (kv !== undefined) === c.value;
  if (c.target === 'value') {
    // etcd: a comparison of a missing key's value is false.
    if (kv === undefined) return false;
    return compare(kv.value, c.op, c.value);
  }
  return compare(kv?.[c.target] ?? 0, c.op, c.value);
}

function compare<T extends string | number>(a: T, op: string, b: T): boolean {
  return op === '=' ? a === b : op === '!=' ? a !== b : op === '<' ? a < b : a > b;
}

/**
 * Plans a checked transaction against `view`. `leaseUsable` says whether a lease may
 * take keys (it exists and is not expiring); a put with another is LEASE_NOT_FOUND.
 */
export function planTxn(view: MetaState, req: MetaTxnRequest, leaseUsable: (lease: number) => boolean): { change: MetaChange; answer: (revision: number) => MetaTxnResponse } {
  const succeeded = (req.compare ?? []).every((c) => holds(c, view.get(c.key)));
  const ops = (succeeded ? req.success : req.failure) ?? [];
  // Without a prototype, so that a key named "__proto__" or "constructor" is a key.
  const put = Object.create(null) as Record<string, string>;
  const lease = Object.create(null) as Record<string, number>;
  const del: string[] = [];
  const deleted = new Set<string>();
  // What the branch's reads answer: the state with the branch's earlier writes, as in
  // etcd; a put's revisions are filled in with the transaction's revision at the end.
  const results: Array<MetaOpResult | { op: 'getPut'; key: string; old: KeyValue | undefined }> = [];
  for (const o of ops) {
    if (o.op === 'put') {
      const l = o.lease ?? 0;
      if (l !== 0 && !leaseUsable(l)) throw new ElanusError('LEASE_NOT_FOUND', { lease: l });
      put[o.key] = o.value;
      if (l !== 0) lease[o.key] = l;
      results.push({ op: 'put' });
    } else if (o.op === 'delete') {
      const exists = view.entries.has(o.key);
      if (exists) {
        del.push(o.key);
        deleted.add(o.key);
      }
      results.push({ op: 'delete', deleted: exists ? 1 : 0 });
    } else if (o.op === 'deletePrefix') {
      const keys = view.keysWithPrefix(o.prefix);
      for (const k of keys) deleted.add(k);
      for (const k of keys) del.push(k);
      results.push({ op: 'deletePrefix', deleted: keys.length });
    } else if (Object.hasOwn(put, o.key)) {
      results.push({ op: 'getPut', key: o.key, old: view.get(o.key) });
    } else {
      results.push({ op: 'get', kv: deleted.has(o.key) ? undefined : view.get(o.key) });
    }
  }
  const change: MetaChange = Object.keys(lease).length > 0 ? { put, del, lease } : { put, del };
  return {
    change,
    answer: (revision) => ({
      succeeded,
      revision,
      results: results.map((r) => {
        if (r.op !== 'getPut') return r;
        const kv: KeyValue = Object.freeze({
          key: r.key, value: put[r.key] as string, createRevision: r.old?.createRevision ?? revision, modRevision: revision,
          version: (r.old?.version ?? 0) + 1, lease: lease[r.key] ?? 0,
        });
        return { op: 'get' as const, kv };
      }),
    }),
  };
}

/**
 * put and delete as every MetaStore defines them: one-operation transactions (etcd's
 * Put and DeleteRange are the same), so an implementation writes only `txn`.
 */
export async function putByTxn(store: Pick<MetaStore, 'txn'>, key: string, value: string, opts: { readonly lease?: number }): Promise<number> {
  if (typeof opts !== 'object' || opts === null) throw new ElanusError('INVALID_ARGUMENT', { detail: 'put options must be an object' });
  const r = await store.txn({ success: [{ op: 'put', key, value, ...(opts.lease ? { lease: opts.lease } : {}) }] });
  return r.revision;
}

export async function deleteByTxn(store: Pick<MetaStore, 'txn'>, key: string): Promise<boolean> {
  const r = await store.txn({ success: [{ op: 'delete', key }] });
  return (r.results[0] as { deleted: number }).deleted > 0;
}
