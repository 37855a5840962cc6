// The embedded ObjectStore (object.ts) on a folder, through `FileSystem`:
//
//   <dir>/LOCK                 the folder lock: one store per folder
//   <dir>/objects/<name>       one file per object; <name> is the key with '/' as '~'
//   <dir>/objects/.tmp-<n>-<name>  a put being written (keys never start with '.'; the
//                              name is there so a fault injected by path reaches it)
//
// A file is a 16-byte header and the object's bytes:
//   u32 magic 'EOB1' | u32 crc32 of the bytes | u64 byte count (little-endian)
// so head() reads 16 bytes, and get() checks the whole object against its checksum.
//
// put writes a temporary file, fsyncs it, renames it over the name and fsyncs the
// folder: after a power loss the key holds the old object or the new one, whole, and an
// acknowledged put is there. Temporary files left by a crash are removed at open.
//
// One flat folder: a key and the keys under it ('a' and 'a/b') coexist as S3 allows, and
// listing is one readdir. Names are case-sensitive, as keys are: on a case-insensitive
// file system (macOS's default) keys differing only in case would collide; Elanus's own
// keys are lower-case.
import { crc32 } from 'node:zlib';
import { ElanusError } from '../errors/index.js';
import { type FileLock, type FileSystem, joinPath, mkdirDurable } from './fs.js';
import { type ObjectHead, type ObjectListing, type ObjectStore, checkListArgs, isObjectKey, isObjectPrefix, objectLimits } from './object.js';

export interface FsObjectStoreOptions {
  fs: FileSystem;
  /** The store's own folder; created if missing, locked while open. */
  dir: string;
}

const headerBytes = 16;
const magic = 0x3142_4f45; // 'EOB1' little-endian
const tmpPrefix = '.tmp-';

export class FsObjectStore implements ObjectStore {
  private closed = false;
  private closing: Promise<void> | undefined;
  private readonly inFlight = new Set<Promise<unknown>>();
  private tmpNext = 0;

  private constructor(
    private readonly fs: FileSystem,
    private readonly objects: string,
    private readonly lock: FileLock,
  ) {}

  static async open(opts: FsObjectStoreOptions): Promise<FsObjectStore> {
    if (opts === null || typeof opts !== 'object' || typeof opts.fs !== 'object' || typeof opts.dir !== 'string' || opts.dir === '') {
      throw new ElanusError('INVALID_ARGUMENT', { detail: 'FsObjectStore.open needs { fs, dir }' });
    }
    const { fs, dir } = opts;
    const objects = joinPath(dir, objectFilesFolder);
    await mkdirDurable(fs, objects);
    const lock = await fs.lock(dir);
    try {
      // Puts that a crash interrupted: never renamed, so never acknowledged.
      const leftovers = (await fs.readdir(objects)).filter((n) => n.startsWith(tmpPrefix));
      for (const n of leftovers) await fs.unlink(joinPath(objects, n));
      if (leftovers.length > 0) await fs.syncDir(objects);
    } catch (e) {
      await lock.release().catch(() => undefined);
      throw e;
    }
    return new FsObjectStore(fs, objects, lock);
  }

  put(key: string, bytes: Uint8Array): Promise<void> {
    if (!(bytes instanceof Uint8Array)) return this.run(async () => { throw invalid('an object must be a Uint8Array'); });
    return this.putParts(key, [bytes]).then(() => undefined);
  }

  putParts(key: string, parts: Iterable<Uint8Array>): Promise<ObjectHead> {
    return this.run(async () => {
      const path = this.pathOf(key);
      if (parts === null || typeof parts !== 'object' || typeof (parts as Iterable<Uint8Array>)[Symbol.iterator] !== 'function') throw invalid('parts must be an iterable of Uint8Array');
      const tmp = joinPath(this.objects, `${tmpPrefix}${this.tmpNext++}-${fileNameOf(key)}`);
      let size = 0;
      let sum = 0;
      try {
        const h = await this.fs.open(tmp, 'create');
        try {
          // The body first, part by part; the header (size, checksum) once they are known.
          for (const part of parts) {
            if (!(part instanceof Uint8Array)) throw invalid('an object part must be a Uint8Array');
            if (size + part.length > objectLimits.objectBytesMax) {
              throw new ElanusError('LIMIT_EXCEEDED', { what: 'object size', detail: `over ${objectLimits.objectBytesMax} bytes` });
            }
            if (part.length > 0) await h.write(part, headerBytes + size);
            sum = crc32(part, sum);
            size += part.length;
          }
          await h.write(header(size, sum), 0);
          await h.sync();
        } finally {
          await h.close();
        }
        await this.fs.rename(tmp, path);
      } catch (e) {
        await this.fs.unlink(tmp).catch(() => undefined);
        throw e;
      }
      await this.fs.syncDir(this.objects);
      return { size, crc32: sum };
    });
  }

  get(key: string): Promise<Uint8Array> {
    return this.run(async () => {
      const path = this.pathOf(key);
      // Through a handle, not readFile: the largest object (objectBytesMax) and its header
      // are more than one readFile returns.
      const h = await this.ifExists(key, () => this.fs.open(path, 'read'));
      try {
        const head = parseHeader(path, await h.read(headerBytes, 0), await h.size());
        const body = head.size === 0 ? new Uint8Array(0) : await h.read(head.size, headerBytes);
        return objectBody(path, head, body);
      } finally {
        await h.close().catch(() => undefined);
      }
    });
  }

  getRange(key: string, offset: number, length: number): Promise<Uint8Array> {
    return this.run(async () => {
      const path = this.pathOf(key);
      if (!Number.isSafeInteger(offset) || offset < 0) throw invalid(`a range offset must be an integer >= 0, got ${String(offset)}`);
      if (!Number.isSafeInteger(length) || length < 0 || length > objectLimits.objectBytesMax) {
        throw invalid(`a range length must be an integer from 0 to ${objectLimits.objectBytesMax}, got ${String(length)}`);
      }
      const h = await this.ifExists(key, () => this.fs.open(path, 'read'));
      try {
        const { size } = parseHeader(path, await h.read(headerBytes, 0), await h.size());
        if (offset > size) throw invalid(`range offset ${offset} is past the end of object "${key}" (${size} bytes)`);
        const n = Math.min(length, size - offset);
        return n === 0 ? new Uint8Array(0) : await h.read(n, headerBytes + offset);
      } finally {
        await h.close().catch(() => undefined);
      }
    });
  }

  head(key: string): Promise<ObjectHead | undefined> {
    return this.run(() => this.headOf(key));
  }

  list(prefix: string, opts: { readonly limit?: number; readonly startAfter?: string } = {}): Promise<ObjectListing> {
    return this.run(async () => {
      const { limit, startAfter: after } = checkListArgs(prefix, opts);
      const keys = (await this.fs.readdir(this.objects))
        .map(keyOfFileName)
        .filter((k): k is string => k !== undefined && k.startsWith(prefix) && (after === undefined || k > after))
        .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      const objects: Array<{ key: string; size: number }> = [];
      let i = 0;
      for (; i < keys.length && objects.length < limit; i++) {
        const key = keys[i] as string;
        const size = await this.sizeOf(key);
        // Deleted since the readdir: not listed.
        if (size !== undefined) objects.push({ key, size });
      }
      return { objects, more: i < keys.length };
    });
  }

  delete(key: string): Promise<void> {
    return this.deleteMany([key]);
  }

  deleteMany(keys: readonly string[]): Promise<void> {
    return this.run(async () => {
      if (!Array.isArray(keys)) throw invalid('deleteMany takes an array of keys');
      const paths = keys.map((k) => this.pathOf(k));
      if (paths.length === 0) return;
      for (const p of paths) await this.fs.unlink(p);
      // One sync of the folder makes every removal durable.
      await this.fs.syncDir(this.objects);
    });
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      await Promise.allSettled([...this.inFlight]);
      await this.lock.release();
    })();
    return this.closing;
  }

  // ---- helpers ---------------------------------------------------------------------

  /** Runs an operation unless closed; close() waits for the ones running. */
  private run<T>(op: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new ElanusError('CLOSED'));
    const p = op();
    this.inFlight.add(p);
    const done = () => this.inFlight.delete(p);
    p.then(done, done);
    return p;
  }

  private async headOf(key: string): Promise<ObjectHead | undefined> {
    const path = this.pathOf(key);
    let h;
    try {
      h = await this.ifExists(key, () => this.fs.open(path, 'read'));
    } catch (e) {
      if (e instanceof ElanusError && e.code === 'OBJECT_NOT_FOUND') return undefined;
      throw e;
    }
    try {
      return parseHeader(path, await h.read(headerBytes, 0), await h.size());
    } finally {
      await h.close().catch(() => undefined);
    }
  }

  /**
   * The object's size from its file's size. A listing does not check headers: one damaged
   * file must not hide the others (its get and head say CORRUPT_DATA).
   */
  private async sizeOf(key: string): Promise<number | undefined> {
    let h;
    try {
      h = await this.ifExists(key, () => this.fs.open(this.pathOf(key), 'read'));
    } catch (e) {
      if (e instanceof ElanusError && e.code === 'OBJECT_NOT_FOUND') return undefined;
      throw e;
    }
    try {
      return Math.max(0, (await h.size()) - headerBytes);
    } finally {
      await h.close().catch(() => undefined);
    }
  }

  /** Runs a read of the object's file; a missing file is OBJECT_NOT_FOUND. */
  private async ifExists<T>(key: string, read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (e) {
      if (e instanceof ElanusError && e.code === 'STORAGE_IO' && /ENOENT/.test(e.message)) throw new ElanusError('OBJECT_NOT_FOUND', { key });
      throw e;
    }
  }

  private pathOf(key: string): string {
    if (!isObjectKey(key)) {
      throw invalid(`"${String(key)}" is not an object key: use segments of letters, digits, '_', '=', '-' and '.' (not first) joined by '/', at most ${objectLimits.keyBytesMax} bytes`);
    }
    return joinPath(this.objects, fileNameOf(key));
  }
}

// The file layout, for tools and tests that look at a store's folder from outside
// (testing/object-files.ts): the folder of the files, a key's file name and back, and
// a file's bytes.

/** The folder, inside a store's folder, that holds one file per object. */
export const objectFilesFolder = 'objects';

/** The file name of a key (valid keys only). */
export function fileNameOf(key: string): string {
  return key.replaceAll('/', '~');
}

/** The key of a file name; undefined for names that are not objects (temporaries). */
export function keyOfFileName(name: string): string | undefined {
  return name.startsWith('.') ? undefined : name.replaceAll('~', '/');
}

/** What an object's file holds: the header and the bytes. */
export function objectFileBytes(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(headerBytes + bytes.length);
  out.set(header(bytes.length, crc32(bytes)), 0);
  out.set(bytes, headerBytes);
  return out;
}

/** The object's bytes in a file's bytes, checked against the header (CORRUPT_DATA if not whole). */
export function objectBytesOfFile(path: string, file: Uint8Array): Uint8Array {
  return objectBody(path, parseHeader(path, file, file.length), file.subarray(headerBytes));
}

/** Bytes read at a time when an object file is checked in place. */
const checkChunkBytes = 8 * 1024 * 1024;

/**
 * Checks an object's file in place (`elanus inspect`): its header, its length and the
 * checksum of its bytes, read a chunk at a time through a read-only handle, so a large
 * object is never whole in memory and nothing is written. CORRUPT_DATA if not whole.
 */
export async function checkObjectFile(fs: FileSystem, path: string): Promise<ObjectHead> {
  const h = await fs.open(path, 'read');
  try {
    const head = parseHeader(path, await h.read(headerBytes, 0), await h.size());
    let sum = 0;
    for (let at = 0; at < head.size; at += checkChunkBytes) {
      const chunk = await h.read(Math.min(checkChunkBytes, head.size - at), headerBytes + at);
      if (chunk.length === 0) break;
      sum = crc32(chunk, sum);
    }
    if (sum !== head.crc32) throw new ElanusError('CORRUPT_DATA', { path, offset: headerBytes, detail: 'object checksum mismatch' });
    return head;
  } finally {
    await h.close().catch(() => undefined);
  }
}

function objectBody(path: string, head: ObjectHead, body: Uint8Array): Uint8Array {
  if (body.length !== head.size) throw new ElanusError('CORRUPT_DATA', { path, offset: headerBytes, detail: `the file ends after ${body.length} of ${head.size} bytes` });
  if (crc32(body) !== head.crc32) throw new ElanusError('CORRUPT_DATA', { path, offset: headerBytes, detail: 'object checksum mismatch' });
  return body;
}

function header(size: number, sum: number): Uint8Array {
  const out = new Uint8Array(headerBytes);
  const v = new DataView(out.buffer);
  v.setUint32(0, magic, true);
  v.setUint32(4, sum, true);
  v.setUint32(8, size % 2 ** 32, true);
  v.setUint32(12, Math.floor(size / 2 ** 32), true);
  return out;
}

/** The header of a file of `fileBytes` bytes; anything inconsistent is CORRUPT_DATA. */
function parseHeader(path: string, buf: Uint8Array, fileBytes: number): ObjectHead {
  if (buf.length < headerBytes) throw new ElanusError('CORRUPT_DATA', { path, offset: 0, detail: 'object file shorter than its header' });
  const v = new DataView(buf.buffer, buf.byteOffset, headerBytes);
  if (v.getUint32(0, true) !== magic) throw new ElanusError('CORRUPT_DATA', { path, offset: 0, detail: 'not an object file (bad magic)' });
  const size = v.getUint32(8, true) + v.getUint32(12, true) * 2 ** 32;
  if (size !== fileBytes - headerBytes) {
    throw new ElanusError('CORRUPT_DATA', { path, offset: 8, detail: `header says ${size} bytes, the file holds ${fileBytes - headerBytes}` });
  }
  return { size, crc32: v.getUint32(4, true) };
}

function invalid(detail: string): ElanusError {
  return new ElanusError('INVALID_ARGUMENT', { detail });
}
