// What the S3 stand-in (npm's s3rver, run by s3-standin-main.ts) changes in s3rver so
// that it behaves as S3 does where S3ObjectStore relies on it. The store is never bent
// to the stand-in: each point below is a place where s3rver 3.7.1 differs from S3.
//
// - A PUT is atomic. s3rver writes the object's file in place (a reader or a crash sees
//   it half written, and two PUTs of one key interleave their bytes) and answers before
//   the write is done. Here the body goes to a temporary file, then, one commit at a time,
//   is renamed over the object and its metadata is replaced (written aside and renamed);
//   reads, copies and deletes take the same turn, so none sees a half-made object.
//   Temporaries that a kill left behind are removed at start (removeTemporaries). A
//   kill between the two renames would pair new bytes with old metadata: a window of
//   microseconds that the tests, which kill an idle server, never hit.
// - Listings are sorted. s3rver walks folders in the file system's order (a hash order on
//   ext4) and cuts at MaxKeys on the way, so pages came out unsorted and wrong.
// - AbortMultipartUpload and ListMultipartUploads exist (s3rver answers 405 and 501):
//   standinExtras. These two skip s3rver's signature check; the stand-in only listens
//   on loopback.
// Deviations left as they are (none matters to S3ObjectStore):
// - Nothing is fsynced: the data survives a kill of the process, not a power loss.
// - CopyObject ignores x-amz-copy-source-if-match (S3ObjectStore's stamp of a multipart
//   object's checksum then skips its guard against a concurrent put of the same key).
// - Flexible checksums (x-amz-checksum-*) are neither checked nor kept.
// - DeleteObjects parses keys with an XML parser that turns a key such as "10" into a
//   number and fails: keys under a namespace ('tests/10') are fine.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const require = createRequire(import.meta.url);

// The parts of s3rver 3.7.1 used here (it ships no types).
interface S3rverObject {
  bucket: string;
  key: string;
  content: Readable | Buffer;
  metadata: Record<string, string>;
}
interface FilesystemStoreBase {
  getBucketPath(bucket: string): string;
  getResourcePath(bucket: string, key: string | undefined, resource: string): string;
  getMetadata(bucket: string, key: string): Promise<Record<string, string>>;
  getObject(bucket: string, key: string, options: unknown): Promise<unknown>;
  copyObject(srcBucket: string, srcKey: string, destBucket: string, destKey: string, replacement: unknown): Promise<unknown>;
  deleteObject(bucket: string, key: string): Promise<void>;
}
const FilesystemStore = require('s3rver/lib/stores/filesystem.js') as new (dir: string) => FilesystemStoreBase;
const S3ObjectModel = require('s3rver/lib/models/object.js') as {
  new (bucket: string, key: string, content: null, metadata: Record<string, string>): unknown;
  ALLOWED_METADATA: string[];
};
const S3Error = require('s3rver/lib/models/error.js') as new (code: string, message: string, detail?: Record<string, string>) => Error;

/** s3rver's names: `<key>._S3rver_object` and friends; `._S3rver_*` folders are its own. */
const objectSuffix = '._S3rver_object';
const ownFolderPrefix = '._S3rver_';
const tmpFolder = '._S3rver_tmp';

export class AtomicFilesystemStore extends FilesystemStore {
  private turn: Promise<unknown> = Promise.resolve();
  private tmpNext = 0;

  /** Runs `op` when every commit, read, copy or delete before it has finished. */
  private exclusive<T>(op: () => Promise<T>): Promise<T> {
    const p = this.turn.then(op);
    this.turn = p.catch(() => undefined);
    return p;
  }

  async putObject(object: S3rverObject): Promise<{ size: number; md5: string }> {
    const dir = join(this.getBucketPath(object.bucket), tmpFolder);
    await mkdir(dir, { recursive: true });
    const tmp = join(dir, `${process.pid}-${this.tmpNext++}`);
    const md5 = createHash('md5');
    let size = 0;
    const count = new Transform({
      transform(chunk: Buffer, _enc, done) {
        md5.update(chunk);
        size += chunk.length;
        done(null, chunk);
      },
    });
    try {
      const source = Buffer.isBuffer(object.content) ? Readable.from([object.content]) : object.content;
      await pipeline(source, count, createWriteStream(tmp));
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
    const digest = md5.digest('hex');
    await this.exclusive(async () => {
      const path = this.getResourcePath(object.bucket, object.key, 'object');
      await mkdir(dirname(path), { recursive: true });
      await rename(tmp, path);
      await this.putMetadata(object.bucket, object.key, object.metadata, digest);
    });
    return { size, md5: digest };
  }

  /** As s3rver's, but each file written aside and renamed into place. */
  async putMetadata(bucket: string, key: string, metadata: Record<string, string>, md5?: string): Promise<void> {
    const kept: Record<string, string> = {};
    for (const [k, v] of Object.entries(metadata)) {
      if (S3ObjectModel.ALLOWED_METADATA.includes(k) || k.startsWith('x-amz-meta-')) kept[k] = v;
    }
    if (md5 !== undefined) await this.replaceFile(bucket, this.getResourcePath(bucket, key, 'object.md5'), md5);
    await this.replaceFile(bucket, this.getResourcePath(bucket, key, 'metadata.json'), JSON.stringify(kept, null, 2));
  }

  override getObject(bucket: string, key: string, options: unknown): Promise<unknown> {
    // The file is opened inside the turn; a later rename does not change an open file.
    return this.exclusive(() => super.getObject(bucket, key, options));
  }

  override copyObject(srcBucket: string, srcKey: string, destBucket: string, destKey: string, replacement: unknown): Promise<unknown> {
    return this.exclusive(() => super.copyObject(srcBucket, srcKey, destBucket, destKey, replacement));
  }

  override deleteObject(bucket: string, key: string): Promise<void> {
    return this.exclusive(async () => {
      try {
        await super.deleteObject(bucket, key);
      } catch (e) {
        // Two deletes of one key: the second finds the folders already removed.
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    });
  }

  async listObjects(bucket: string, options: { delimiter?: string; startAfter?: string; prefix?: string; maxKeys?: number }) {
    const { delimiter = '', startAfter = '', prefix = '', maxKeys = Infinity } = options;
    const keys: string[] = [];
    await walkKeys(this.getBucketPath(bucket), '', prefix, keys);
    // S3 orders keys by their UTF-8 bytes.
    const sorted = keys.filter((k) => k.startsWith(prefix) && k > startAfter).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const objects: unknown[] = [];
    const commonPrefixes = new Set<string>();
    let isTruncated = false;
    for (const key of sorted) {
      const cut = delimiter === '' ? -1 : key.indexOf(delimiter, prefix.length);
      const common = cut === -1 ? undefined : key.slice(0, cut + delimiter.length);
      if (common !== undefined && commonPrefixes.has(common)) continue;
      if (objects.length + commonPrefixes.size >= maxKeys) {
        isTruncated = true;
        break;
      }
      if (common !== undefined) {
        commonPrefixes.add(common);
        continue;
      }
      const metadata = await this.getMetadata(bucket, key).catch((e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT') return undefined; // deleted since the walk
        throw e;
      });
      if (metadata !== undefined) objects.push(new S3ObjectModel(bucket, key, null, metadata));
    }
    return { objects, commonPrefixes: [...commonPrefixes].sort(), isTruncated };
  }

  private async replaceFile(bucket: string, path: string, text: string): Promise<void> {
    const tmp = join(this.getBucketPath(bucket), tmpFolder, `${process.pid}-${this.tmpNext++}`);
    await mkdir(dirname(tmp), { recursive: true });
    await writeFile(tmp, text);
    await rename(tmp, path);
  }
}

/** Adds to `out` the keys under folder `rel` of a bucket that can start with `prefix`. */
async function walkKeys(bucketPath: string, rel: string, prefix: string, out: string[]): Promise<void> {
  let entries;
  try {
    entries = await readdir(join(bucketPath, rel), { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return; // removed by a delete meanwhile
    throw e;
  }
  for (const entry of entries) {
    if (entry.isDirectory()) {
      const sub = `${rel}${entry.name}/`;
      if (entry.name.startsWith(ownFolderPrefix)) continue;
      if (sub.startsWith(prefix) || prefix.startsWith(sub)) await walkKeys(bucketPath, sub, prefix, out);
    } else if (entry.name.endsWith(objectSuffix)) {
      out.push(rel + entry.name.slice(0, -objectSuffix.length));
    }
  }
}

/** Removes the temporaries of writes that a kill interrupted (never acknowledged). */
export async function removeTemporaries(dir: string, bucket: string): Promise<void> {
  await rm(join(dir, bucket, tmpFolder), { recursive: true, force: true });
}

interface KoaContext {
  method: string;
  path: string;
  query: Record<string, string | string[] | undefined>;
  status: number;
  body: unknown;
}

/**
 * Koa middleware, put before s3rver's router: AbortMultipartUpload
 * (DELETE /bucket/key?uploadId=) and ListMultipartUploads (GET /bucket?uploads).
 */
export function standinExtras(store: AtomicFilesystemStore) {
  return async (ctx: KoaContext, next: () => Promise<void>): Promise<void> => {
    // Path-style: /bucket, /bucket/ or /bucket/key.
    const m = /^\/([^/]+)(?:\/(.*))?$/.exec(ctx.path);
    const bucket = m?.[1];
    const key = m?.[2] === '' ? undefined : m?.[2];
    if (bucket === undefined) return next();
    const uploads = store.getResourcePath(bucket, undefined, 'uploads');
    const uploadId = ctx.query['uploadId'];
    if (ctx.method === 'DELETE' && key !== undefined && typeof uploadId === 'string') {
      // s3rver's upload ids are 32 hex digits; anything else could name another folder.
      if (!/^[0-9a-f]{32}$/.test(uploadId) || !(await exists(join(uploads, uploadId)))) {
        throw new S3Error('NoSuchUpload', 'The specified upload does not exist.', { UploadId: uploadId });
      }
      await rm(join(uploads, uploadId), { recursive: true, force: true });
      ctx.status = 204;
      return;
    }
    if (ctx.method === 'GET' && key === undefined && 'uploads' in ctx.query) {
      if (!(await exists(store.getBucketPath(bucket)))) throw new S3Error('NoSuchBucket', 'The specified bucket does not exist', { BucketName: bucket });
      const prefix = typeof ctx.query['prefix'] === 'string' ? ctx.query['prefix'] : '';
      const found: Array<{ Key: string; UploadId: string; Initiated: string; StorageClass: string }> = [];
      for (const id of (await exists(uploads)) ? await readdir(uploads) : []) {
        const uploadKey = await readFile(join(uploads, id, 'key'), 'utf8').catch(() => undefined);
        if (uploadKey === undefined || !uploadKey.startsWith(prefix)) continue;
        const initiated = (await stat(join(uploads, id))).mtime.toISOString();
        found.push({ Key: uploadKey, UploadId: id, Initiated: initiated, StorageClass: 'STANDARD' });
      }
      found.sort((a, b) => (a.Key < b.Key ? -1 : a.Key > b.Key ? 1 : 0));
      ctx.body = {
        ListMultipartUploadsResult: {
          '@': { xmlns: 'http://s3.amazonaws.com/doc/2006-03-01/' },
          Bucket: bucket, KeyMarker: '', UploadIdMarker: '', Prefix: prefix, MaxUploads: 1000, IsTruncated: false,
          Upload: found,
        },
      };
      return;
    }
    return next();
  };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}
