// The settings of S3ObjectStore, checked once, and the SDK client they make.
// README.md ("S3 settings") shows them for AWS S3 and for MinIO.
import { Agent as HttpsAgent } from 'node:https';
import { rootCertificates } from 'node:tls';
import { S3Client } from '@aws-sdk/client-s3';
import { ElanusError } from '../errors/index.js';
import { isObjectPrefix } from '../storage/index.js';

export interface S3ObjectStoreOptions {
  /** The bucket, which must exist. */
  readonly bucket: string;
  /**
   * The server's URL, e.g. 'http://127.0.0.1:9000' for MinIO. Absent for AWS S3: the
   * SDK then uses the region's endpoint.
   */
  readonly endpoint?: string;
  /** AWS's region; S3-compatible servers mostly take any ('us-east-1' when absent). */
  readonly region?: string;
  /**
   * A namespace inside the bucket: '' or a key prefix ending in '/', put before every
   * key, so several clusters (or tests) can share one bucket.
   */
  readonly prefix?: string;
  /** URLs of the form endpoint/bucket/key instead of bucket.endpoint/key; MinIO and most stand-ins need it. */
  readonly forcePathStyle?: boolean;
  /** Static credentials; when absent, the SDK's default chain (environment, profile, instance role). */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string };
  /** PEM certificates trusted besides the system's, for an https endpoint with a private CA. */
  readonly caPem?: string;
  /** Milliseconds to wait for a connection before the attempt fails. */
  readonly connectTimeoutMs?: number;
  /** Milliseconds a request may go without a byte either way before the attempt fails. */
  readonly requestTimeoutMs?: number;
  /** Attempts of one request, the first included, before its error is reported. */
  readonly attemptsMax?: number;
  /** Bytes of one part of a multipart upload (S3 wants 5 MiB or more for all parts but the last). */
  readonly partBytes?: number;
}

export const s3Defaults = Object.freeze({
  region: 'us-east-1',
  connectTimeoutMs: 3_000,
  requestTimeoutMs: 30_000,
  attemptsMax: 3,
  partBytes: 8 * 2 ** 20,
});

export const s3Limits = Object.freeze({
  /** S3's smallest part of a multipart upload but the last. */
  partBytesMin: 5 * 2 ** 20,
  /** A part is held in memory while it is sent: a bound on that. */
  partBytesMax: 512 * 2 ** 20,
  attemptsMax: 10,
  timeoutMsMax: 10 * 60_000,
});

/** The settings with their defaults, checked; INVALID_ARGUMENT names the first wrong one. */
export interface S3Settings {
  readonly bucket: string;
  readonly endpoint: string | undefined;
  readonly region: string;
  readonly prefix: string;
  readonly forcePathStyle: boolean;
  readonly credentials: S3ObjectStoreOptions['credentials'];
  readonly caPem: string | undefined;
  readonly connectTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly attemptsMax: number;
  readonly partBytes: number;
}

// S3's rule for bucket names (3 to 63 of lower-case letters, digits, '.', '-').
const bucketPattern = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export function s3Settings(opts: S3ObjectStoreOptions): S3Settings {
  if (opts === null || typeof opts !== 'object') throw invalid('S3ObjectStore.open needs { bucket, ... }');
  const { bucket, endpoint, region = s3Defaults.region, prefix = '', credentials, caPem } = opts;
  if (typeof bucket !== 'string' || !bucketPattern.test(bucket)) throw invalid(`bucket ${JSON.stringify(bucket)} is not an S3 bucket name`);
  if (endpoint !== undefined && (typeof endpoint !== 'string' || !/^https?:\/\/[^/]+\/?$/.test(endpoint))) {
    throw invalid(`endpoint ${JSON.stringify(endpoint)} is not an http(s) URL of a host (no path)`);
  }
  if (typeof region !== 'string' || !/^[a-z0-9-]{1,40}$/.test(region)) throw invalid(`region ${JSON.stringify(region)} is not a region name`);
  if (!isObjectPrefix(prefix) || (prefix !== '' && !prefix.endsWith('/'))) {
    throw invalid(`prefix ${JSON.stringify(prefix)} must be '' or a key prefix ending in '/'`);
  }
  if (credentials !== undefined && (typeof credentials?.accessKeyId !== 'string' || typeof credentials.secretAccessKey !== 'string')) {
    throw invalid('credentials need accessKeyId and secretAccessKey');
  }
  if (caPem !== undefined && (typeof caPem !== 'string' || !caPem.includes('-----BEGIN CERTIFICATE-----'))) throw invalid('caPem must hold PEM certificates');
  return Object.freeze({
    bucket,
    endpoint: endpoint?.replace(/\/$/, ''),
    region,
    prefix,
    forcePathStyle: opts.forcePathStyle ?? false,
    credentials,
    caPem,
    connectTimeoutMs: bounded('connectTimeoutMs', opts.connectTimeoutMs ?? s3Defaults.connectTimeoutMs, 1, s3Limits.timeoutMsMax),
    requestTimeoutMs: bounded('requestTimeoutMs', opts.requestTimeoutMs ?? s3Defaults.requestTimeoutMs, 1, s3Limits.timeoutMsMax),
    attemptsMax: bounded('attemptsMax', opts.attemptsMax ?? s3Defaults.attemptsMax, 1, s3Limits.attemptsMax),
    partBytes: bounded('partBytes', opts.partBytes ?? s3Defaults.partBytes, s3Limits.partBytesMin, s3Limits.partBytesMax),
  });
}

/** The endpoint as errors name it. */
export function endpointOf(s: S3Settings): string {
  return s.endpoint ?? `https://s3.${s.region}.amazonaws.com`;
}

export function s3ClientOf(s: S3Settings): S3Client {
  return new S3Client({
    region: s.region,
    ...(s.endpoint === undefined ? {} : { endpoint: s.endpoint }),
    forcePathStyle: s.forcePathStyle,
    ...(s.credentials === undefined ? {} : { credentials: s.credentials }),
    maxAttempts: s.attemptsMax,
    // Both timeouts bound every attempt, so an endpoint that never answers fails as
    // STORE_UNAVAILABLE after attemptsMax of them instead of hanging.
    requestHandler: {
      connectionTimeout: s.connectTimeoutMs,
      requestTimeout: s.requestTimeoutMs,
      // Without it the SDK only logs a warning when requestTimeout passes, and waits on.
      throwOnRequestTimeout: true,
      ...(s.caPem === undefined ? {} : { httpsAgent: new HttpsAgent({ keepAlive: true, ca: [...rootCertificates, s.caPem] }) }),
    },
  });
}

function bounded(name: string, v: number, min: number, max: number): number {
  if (!Number.isSafeInteger(v) || v < min || v > max) throw invalid(`${name} must be an integer from ${min} to ${max}, got ${String(v)}`);
  return v;
}

function invalid(detail: string): ElanusError {
  return new ElanusError('INVALID_ARGUMENT', { detail });
}
