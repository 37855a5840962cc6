// putParts on S3 (a multipart upload) and the checksum of an object's head; the design
// of the checksum is told at the top of s3-object-store.ts.
//
// Parts are gathered until they reach partBytes (S3 refuses parts under 5 MiB but the
// last), then sent one at a time: memory holds about one part. A source that ends before
// the first part is full becomes one plain PUT. When the source throws, or a request
// fails, the upload is aborted: S3 shows nothing of it, and the key keeps its old object.
// An abort that itself fails leaves parts that no listing shows but that S3 bills for; a
// bucket lifecycle rule (AbortIncompleteMultipartUpload) removes those (README.md).
import { crc32 } from 'node:zlib';
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CopyObjectCommand, CreateMultipartUploadCommand,
  GetObjectCommand, type HeadObjectCommandOutput, type S3Client, UploadPartCommand,
} from '@aws-sdk/client-s3';
import { assert } from '../errors/index.js';
import type { ObjectHead } from '../storage/index.js';

/** The user-metadata name of the checksum (sent as x-amz-meta-elanus-crc32). */
export const crcMetaKey = 'elanus-crc32';

export function crcMetadata(sum: number): Record<string, string> {
  return { [crcMetaKey]: sum.toString(16).padStart(8, '0') };
}

export interface MultipartPut {
  readonly client: S3Client;
  readonly bucket: string;
  readonly s3Key: string;
  readonly partBytes: number;
  readonly parts: Iterable<Uint8Array>;
  /** Throws when `part`, arriving after `size` bytes, may not be stored. */
  readonly checkPart: (part: unknown, size: number) => void;
  /** One plain PUT of the whole object with its checksum. */
  readonly putWhole: (bytes: Uint8Array, sum: number) => Promise<void>;
}

export async function multipartPut(m: MultipartPut): Promise<ObjectHead> {
  const { client, bucket, s3Key: Key } = m;
  let size = 0;
  let sum = 0;
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let uploadId: string | undefined;
  const sent: Array<{ PartNumber: number; ETag: string }> = [];
  const send = async () => {
    uploadId ??= (await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key }))).UploadId;
    assert(uploadId !== undefined, 'CreateMultipartUpload answered no UploadId');
    const PartNumber = sent.length + 1;
    const r = await client.send(new UploadPartCommand({ Bucket: bucket, Key, UploadId: uploadId, PartNumber, Body: joined(pending, pendingBytes) }));
    sent.push({ PartNumber, ETag: r.ETag ?? '' });
    pending = [];
    pendingBytes = 0;
  };
  try {
    for (const part of m.parts) {
      m.checkPart(part, size);
      sum = crc32(part, sum);
      size += part.length;
      if (part.length === 0) continue;
      // A copy: the source may reuse its buffer for the next part once we ask for it.
      pending.push(part.slice());
      pendingBytes += part.length;
      if (pendingBytes >= m.partBytes) await send();
    }
    if (uploadId === undefined) {
      await m.putWhole(joined(pending, pendingBytes), sum);
      return { size, crc32: sum };
    }
    if (pendingBytes > 0) await send();
    const done = await client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key, UploadId: uploadId, MultipartUpload: { Parts: sent } }));
    uploadId = undefined;
    await stampCrc(client, bucket, Key, done.ETag, sum);
    return { size, crc32: sum };
  } catch (e) {
    if (uploadId !== undefined) {
      const UploadId = uploadId;
      await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key, UploadId })).catch(() => undefined);
    }
    throw e;
  }
}

/**
 * Adds the checksum to a completed multipart object: a copy onto itself with the
 * metadata replaced, only while it is still the object the upload made (its ETag). A
 * concurrent put that replaced it since wins, whole, and keeps its own metadata.
 */
async function stampCrc(client: S3Client, bucket: string, Key: string, etag: string | undefined, sum: number): Promise<void> {
  try {
    await client.send(new CopyObjectCommand({
      Bucket: bucket, Key,
      // Keys hold only [A-Za-z0-9_.=/-], which need no escaping in a URL path.
      CopySource: `${bucket}/${Key}`,
      ...(etag === undefined ? {} : { CopySourceIfMatch: etag }),
      MetadataDirective: 'REPLACE',
      Metadata: crcMetadata(sum),
    }));
  } catch (e) {
    const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    // 412: replaced meanwhile; 404: deleted meanwhile. Either way not ours to stamp.
    if (status !== 412 && status !== 404) throw e;
  }
}

/**
 * Size and checksum of an object from its HEAD answer: the checksum from our metadata,
 * else from S3's full-object CRC32, else by reading the object (its size then from the
 * same read, should the object have been replaced since the HEAD).
 */
export async function crcOfHead(client: S3Client, bucket: string, Key: string, r: HeadObjectCommandOutput): Promise<ObjectHead> {
  const size = r.ContentLength ?? 0;
  const ours = r.Metadata?.[crcMetaKey];
  if (ours !== undefined && /^[0-9a-f]{8}$/.test(ours)) return { size, crc32: parseInt(ours, 16) };
  // A composite checksum (of part checksums) is no CRC of the bytes: only FULL_OBJECT counts.
  if (r.ChecksumType === 'FULL_OBJECT' && r.ChecksumCRC32 !== undefined) {
    const raw = Buffer.from(r.ChecksumCRC32, 'base64');
    if (raw.length === 4) return { size, crc32: raw.readUInt32BE(0) };
  }
  const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key }));
  let read = 0;
  let sum = 0;
  for await (const chunk of got.Body as AsyncIterable<Uint8Array>) {
    sum = crc32(chunk, sum);
    read += chunk.length;
  }
  return { size: read, crc32: sum };
}

function joined(chunks: readonly Uint8Array[], bytes: number): Uint8Array {
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const out = new Uint8Array(bytes);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
