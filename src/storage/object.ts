import { ElanusError } from '../errors/index.js';
// The ObjectStore interface: immutable blobs under '/'-separated keys, modelled on S3,
// which holds segment and index files in cluster mode (DESIGN.md). The embedded
// implementation is fs-object-store.ts; every implementation passes
// test/storage/conformance/object-store.ts.
//
// What it promises:
// - put (and putParts, its streamed form) is atomic: a reader (and a reader after a
//   power loss) sees the old object or the new one, never a part; it is durable when its
//   promise resolves. Concurrent puts
//   of one key leave one of them whole.
// - Keys are names, not paths: segments of [A-Za-z0-9_=-][A-Za-z0-9_.=-]* joined by '/',
//   at most objectLimits.keyBytesMax bytes. No '.' or '..' segments, no leading or
//   trailing '/', nothing that a file system could read as a path of its own.
// - head gives the size and the CRC-32 of the whole object (the same crc32 as
//   node:zlib's), so a copy can be checked without trusting the store.
// - delete is idempotent: deleting a missing key succeeds.

export interface ObjectHead {
  readonly size: number;
  /** CRC-32 (IEEE, node:zlib crc32) of the object's bytes. */
  readonly crc32: number;
}

export interface ObjectListing {
  /** Keys under the prefix, sorted, with their sizes. */
  readonly objects: ReadonlyArray<{ readonly key: string; readonly size: number }>;
  /** True when more keys follow the last one returned. */
  readonly more: boolean;
}

export interface ObjectStore {
  put(key: string, bytes: Uint8Array): Promise<void>;
  /**
   * Puts the concatenation of `parts`, read one at a time (so a large object never has to
   * be whole in memory; S3's multipart upload), atomic and durable as put. Resolves with
   * the object's size and checksum. A part source that throws puts nothing.
   */
  putParts(key: string, parts: Iterable<Uint8Array>): Promise<ObjectHead>;
  /** The whole object; OBJECT_NOT_FOUND when missing. */
  get(key: string): Promise<Uint8Array>;
  /**
   * `length` bytes from `offset` (fewer at the end of the object). An offset past the
   * end is INVALID_ARGUMENT; OBJECT_NOT_FOUND when missing.
   */
  getRange(key: string, offset: number, length: number): Promise<Uint8Array>;
  /** Size and checksum, or undefined when missing. */
  head(key: string): Promise<ObjectHead | undefined>;
  /** Keys that start with `prefix` ('' for all), sorted, at most `limit` (default listLimitMax). */
  list(prefix: string, opts?: { readonly limit?: number; readonly startAfter?: string }): Promise<ObjectListing>;
  /** Removes the object, durably; succeeds when it is missing. */
  delete(key: string): Promise<void>;
  /**
   * Removes every object named (S3's DeleteObjects), durably once it resolves; missing
   * keys are fine. Every key is checked first: one that is not a key refuses the call and
   * deletes nothing. Not atomic: a failure midway may leave some of them.
   */
  deleteMany(keys: readonly string[]): Promise<void>;
  /** Idempotent; later calls fail with CLOSED. */
  close(): Promise<void>;
}

export const objectLimits = Object.freeze({
  /** Bytes of a key; the embedded store keeps one file name per key, and names stop at 255. */
  keyBytesMax: 200,
  /** Bytes of one object (put holds it in memory). */
  objectBytesMax: 2 ** 31 - 1,
  /** Keys one list returns (S3's page size). */
  listLimitMax: 1000,
});

const segmentPattern = /^[A-Za-z0-9_=-][A-Za-z0-9_.=-]*$/;

/** Whether `key` is a valid object key (see above). */
export function isObjectKey(key: unknown): key is string {
  if (typeof key !== 'string' || key.length === 0 || key.length > objectLimits.keyBytesMax) return false;
  return key.split('/').every((s) => segmentPattern.test(s));
}

/** A valid prefix: '' or a key's beginning (a key, possibly ending in '/' or mid-segment). */
export function isObjectPrefix(prefix: unknown): prefix is string {
  if (typeof prefix !== 'string') return false;
  if (prefix === '') return true;
  if (prefix.length > objectLimits.keyBytesMax) return false;
  const body = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  // Every beginning of a valid segment is itself one, so a prefix cut mid-segment passes.
  return body.split('/').every((s) => segmentPattern.test(s));
}

/**
 * Checks a list call's arguments, as every implementation must: INVALID_ARGUMENT names
 * the first wrong one. Resolves the limit's default.
 */
export function checkListArgs(prefix: unknown, opts: unknown): { readonly limit: number; readonly startAfter: string | undefined } {
  const invalid = (detail: string) => new ElanusError('INVALID_ARGUMENT', { detail });
  if (!isObjectPrefix(prefix)) throw invalid(`"${String(prefix)}" is not an object key prefix`);
  if (typeof opts !== 'object' || opts === null) throw invalid('list options must be an object');
  const o = opts as { readonly limit?: unknown; readonly startAfter?: unknown };
  const limit = o.limit ?? objectLimits.listLimitMax;
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 1 || limit > objectLimits.listLimitMax) {
    throw invalid(`a list limit must be an integer from 1 to ${objectLimits.listLimitMax}, got ${String(limit)}`);
  }
  const after = o.startAfter;
  if (after !== undefined && typeof after !== 'string') throw invalid('startAfter must be a string');
  return { limit, startAfter: after };
}

/** Every key under `prefix`, sorted, page after page (one list returns at most listLimitMax). */
export async function* objectKeys(store: ObjectStore, prefix: string): AsyncGenerator<string> {
  let startAfter: string | undefined;
  for (;;) {
    const page = await store.list(prefix, startAfter === undefined ? {} : { startAfter });
    for (const o of page.objects) yield o.key;
    const last = page.objects.at(-1);
    if (!page.more || last === undefined) return;
    startAfter = last.key;
  }
}
