// The ObjectStore (storage/object.ts) on S3 or an S3-compatible server, through
// @aws-sdk/client-s3. Key k is stored as the S3 key `prefix + k` in one bucket.
//
// The checksum head() answers (CRC-32 of the whole object) is kept in the object's user
// metadata, `x-amz-meta-elanus-crc32`, 8 hex digits:
// - put sends it with the PUT, so the bytes and their checksum become visible together.
// - putParts of one part or less is a plain PUT too. A larger one is a multipart upload,
//   whose metadata is fixed at CreateMultipartUpload, before the bytes (and so the
//   checksum) are known; the checksum is computed while the parts stream, and once the
//   upload is complete a server-side CopyObject of the object onto itself, metadata
//   REPLACE'd and conditional on the ETag the upload produced, adds it (s3-multipart.ts).
//   Cost: one more request and a copy inside S3 (no bytes pass through us, but its time
//   grows with the size; CopyObject takes up to 5 GiB, above objectBytesMax), only for
//   objects over partBytes. Not atomic: between the two, head finds no checksum and
//   falls back (below), slower but never wrong; if a concurrent put replaced the object
//   meanwhile, the condition fails and that object's metadata is left alone. (S3's own
//   full-object CRC32 of a multipart upload would be atomic and free, but S3-compatible
//   servers differ in whether and how they keep it; the metadata works on all of them.)
// - An object without it (written by someone else, or between the two steps above):
//   S3's own full-object CRC32 when the server keeps one (AWS does, for objects sent with
//   a CRC32 checksum), else the object is read once and its checksum computed.
// get checks the bytes against the metadata when it is there (CORRUPT_DATA if not).
import { crc32 } from 'node:zlib';
import {
  DeleteObjectCommand, DeleteObjectsCommand, GetObjectCommand, HeadObjectCommand,
  ListObjectsV2Command, PutObjectCommand, type S3Client,
} from '@aws-sdk/client-s3';
import { ElanusError } from '../errors/index.js';
import { type ObjectHead, type ObjectListing, type ObjectStore, checkListArgs, isObjectKey, isObjectPrefix, objectLimits } from '../storage/index.js';
import { fromS3Error, isNoSuchKey } from './s3-errors.js';
import { type S3ObjectStoreOptions, type S3Settings, endpointOf, s3ClientOf, s3Settings } from './s3-client.js';
import { crcMetaKey, crcMetadata, crcOfHead, multipartPut } from './s3-multipart.js';

/** Keys one DeleteObjects request may name (S3's limit). */
const deleteBatchKeysMax = 1000;

export class S3ObjectStore implements ObjectStore {
  private closed = false;
  private closing: Promise<void> | undefined;
  private readonly inFlight = new Set<Promise<unknown>>();

  private constructor(
    private readonly s: S3Settings,
    private readonly client: S3Client,
  ) {}

  /**
   * Checks the settings, and that the bucket can be listed: STORE_UNAVAILABLE when the
   * server cannot be reached, STORAGE_IO with S3's code (NoSuchBucket, AccessDenied,
   * InvalidAccessKeyId, ...) when it refuses. A one-key listing rather than HeadBucket,
   * whose bodiless answer would not say why.
   */
  static async open(opts: S3ObjectStoreOptions): Promise<S3ObjectStore> {
    const s = s3Settings(opts);
    const client = s3ClientOf(s);
    try {
      await client.send(new ListObjectsV2Command({ Bucket: s.bucket, MaxKeys: 1, ...(s.prefix === '' ? {} : { Prefix: s.prefix }) }));
    } catch (e) {
      client.destroy();
      throw fromS3Error(e, { endpoint: endpointOf(s), bucket: s.bucket });
    }
    return new S3ObjectStore(s, client);
  }

  put(key: string, bytes: Uint8Array): Promise<void> {
    return this.onKey(key, async (s3Key) => {
      if (!(bytes instanceof Uint8Array)) throw invalid('an object must be a Uint8Array');
      if (bytes.length > objectLimits.objectBytesMax) throw tooLarge();
      await this.putWhole(s3Key, bytes, crc32(bytes));
    });
  }

  putParts(key: string, parts: Iterable<Uint8Array>): Promise<ObjectHead> {
    return this.onKey(key, async (s3Key) => {
      if (parts === null || typeof parts !== 'object' || typeof (parts as Iterable<Uint8Array>)[Symbol.iterator] !== 'function') {
        throw invalid('parts must be an iterable of Uint8Array');
      }
      return multipartPut({
        client: this.client, bucket: this.s.bucket, s3Key, partBytes: this.s.partBytes, parts,
        checkPart: (part, size) => {
          if (!(part instanceof Uint8Array)) throw invalid('an object part must be a Uint8Array');
          if (size + part.length > objectLimits.objectBytesMax) throw tooLarge();
        },
        putWhole: (bytes, sum) => this.putWhole(s3Key, bytes, sum),
      });
    });
  }

  get(key: string): Promise<Uint8Array> {
    return this.onKey(key, async (s3Key) => {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.s.bucket, Key: s3Key }));
      const bytes = await bodyBytes(r.Body);
      const want = r.Metadata?.[crcMetaKey];
      if (want !== undefined && /^[0-9a-f]{8}$/.test(want) && parseInt(want, 16) !== crc32(bytes)) {
        throw new ElanusError('CORRUPT_DATA', { path: this.pathOf(s3Key), offset: 0, detail: 'the object does not match its crc32 metadata' });
      }
      return bytes;
    });
  }

  getRange(key: string, offset: number, length: number): Promise<Uint8Array> {
    return this.onKey(key, async (s3Key) => {
      if (!Number.isSafeInteger(offset) || offset < 0) throw invalid(`a range offset must be an integer >= 0, got ${String(offset)}`);
      if (!Number.isSafeInteger(length) || length < 0 || length > objectLimits.objectBytesMax) {
        throw invalid(`a range length must be an integer from 0 to ${objectLimits.objectBytesMax}, got ${String(length)}`);
      }
      if (length > 0) {
        try {
          const r = await this.client.send(new GetObjectCommand({ Bucket: this.s.bucket, Key: s3Key, Range: `bytes=${offset}-${offset + length - 1}` }));
          const bytes = await bodyBytes(r.Body);
          // A server that ignores Range answers the whole object (200, no Content-Range).
          return r.ContentRange === undefined ? bytes.slice(offset, offset + length) : bytes;
        } catch (e) {
          // 416: the range starts at or past the end; which of the two, HEAD tells below.
          if ((e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== 416) throw e;
        }
      }
      // S3 cannot name an empty range: its answer depends on the size alone.
      const r = await this.client.send(new HeadObjectCommand({ Bucket: this.s.bucket, Key: s3Key }));
      const size = r.ContentLength ?? 0;
      if (offset > size) throw invalid(`range offset ${offset} is past the end of object "${key}" (${size} bytes)`);
      return new Uint8Array(0);
    });
  }

  head(key: string): Promise<ObjectHead | undefined> {
    return this.onKey(key, async (s3Key) => {
      try {
        const r = await this.client.send(new HeadObjectCommand({ Bucket: this.s.bucket, Key: s3Key, ChecksumMode: 'ENABLED' }));
        return await crcOfHead(this.client, this.s.bucket, s3Key, r);
      } catch (e) {
        if (isNoSuchKey(e)) return undefined;
        throw e;
      }
    });
  }

  list(prefix: string, opts: { readonly limit?: number; readonly startAfter?: string } = {}): Promise<ObjectListing> {
    return this.run(async () => {
      const { limit, startAfter: after } = checkListArgs(prefix, opts);
      const ns = this.s.prefix;
      const r = await this.client.send(new ListObjectsV2Command({
        Bucket: this.s.bucket,
        MaxKeys: limit,
        ...(ns + prefix === '' ? {} : { Prefix: ns + prefix }),
        ...(after === undefined || after === '' ? {} : { StartAfter: ns + after }),
      }));
      const objects: Array<{ key: string; size: number }> = [];
      for (const o of r.Contents ?? []) {
        const key = o.Key?.slice(ns.length);
        // Keys that another writer put in the namespace and that are not ours are not listed.
        if (o.Key?.startsWith(ns) && isObjectKey(key)) objects.push({ key, size: o.Size ?? 0 });
      }
      return { objects, more: r.IsTruncated === true };
    });
  }

  delete(key: string): Promise<void> {
    return this.onKey(key, async (s3Key) => {
      // S3 answers 204 for a missing key too: idempotent as the interface wants.
      await this.client.send(new DeleteObjectCommand({ Bucket: this.s.bucket, Key: s3Key }));
    });
  }

  deleteMany(keys: readonly string[]): Promise<void> {
    return this.run(async () => {
      if (!Array.isArray(keys)) throw invalid('deleteMany takes an array of keys');
      // Every key is checked before the first request: a bad one deletes nothing.
      const s3Keys = keys.map((k) => this.s3KeyOf(k));
      for (let i = 0; i < s3Keys.length; i += deleteBatchKeysMax) {
        const batch = s3Keys.slice(i, i + deleteBatchKeysMax);
        const r = await this.client.send(new DeleteObjectsCommand({
          Bucket: this.s.bucket,
          Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
        }));
        const failed = r.Errors?.[0];
        if (failed !== undefined) {
          throw new ElanusError('STORAGE_IO', { path: this.pathOf(failed.Key ?? ''), detail: `S3 ${failed.Code ?? 'Error'} on delete: ${failed.Message ?? ''} (${r.Errors?.length} keys failed)` });
        }
      }
    });
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      await Promise.allSettled([...this.inFlight]);
      this.client.destroy();
    })();
    return this.closing;
  }

  // ---- helpers ---------------------------------------------------------------------

  /** One PutObject with the checksum in the metadata. */
  private async putWhole(s3Key: string, bytes: Uint8Array, sum: number): Promise<void> {
    await this.client.send(new PutObjectCommand({
      Bucket: this.s.bucket, Key: s3Key, Body: bytes, ContentLength: bytes.length, Metadata: crcMetadata(sum),
    }));
  }

  /**
   * Runs an operation on one key unless closed, with its S3 key (INVALID_ARGUMENT when
   * `key` is not a key), mapping SDK errors to coded ones.
   */
  private onKey<T>(key: string, op: (s3Key: string) => Promise<T>): Promise<T> {
    return this.run(async () => {
      const s3Key = this.s3KeyOf(key);
      try {
        return await op(s3Key);
      } catch (e) {
        throw fromS3Error(e, { endpoint: endpointOf(this.s), bucket: this.s.bucket, s3Key, key });
      }
    });
  }

  /** Runs an operation unless closed; close() waits for the ones running. */
  private run<T>(op: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new ElanusError('CLOSED'));
    const p = op().catch((e: unknown) => {
      throw fromS3Error(e, { endpoint: endpointOf(this.s), bucket: this.s.bucket });
    });
    this.inFlight.add(p);
    const done = () => this.inFlight.delete(p);
    p.then(done, done);
    return p;
  }

  private s3KeyOf(key: string): string {
    if (!isObjectKey(key)) {
      throw invalid(`"${String(key)}" is not an object key: use segments of letters, digits, '_', '=', '-' and '.' (not first) joined by '/', at most ${objectLimits.keyBytesMax} bytes`);
    }
    return this.s.prefix + key;
  }

  private pathOf(s3Key: string): string {
    return `s3://${this.s.bucket}/${s3Key}`;
  }
}

/** The bytes of a GetObject answer's body. */
export async function bodyBytes(body: unknown): Promise<Uint8Array> {
  if (body === undefined) return new Uint8Array(0);
  return (body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray();
}

function tooLarge(): ElanusError {
  return new ElanusError('LIMIT_EXCEEDED', { what: 'object size', detail: `over ${objectLimits.objectBytesMax} bytes` });
}

function invalid(detail: string): ElanusError {
  return new ElanusError('INVALID_ARGUMENT', { detail });
}
