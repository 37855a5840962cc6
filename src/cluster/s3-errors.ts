// What an S3 failure means to Elanus: each error the SDK throws becomes one coded error.
//
//   no such key (GET's NoSuchKey, HEAD's bare 404)     OBJECT_NOT_FOUND
//   no answer: refused, reset, unresolvable, timed out  STORE_UNAVAILABLE (retry can help)
//   any other answer of the server                      STORAGE_IO, with S3's error code
//
// The SDK has already retried (attemptsMax) when one of these reaches us.
import { ElanusError } from '../errors/index.js';

/** Where the failure happened, for the error's details. */
export interface S3Place {
  readonly endpoint: string;
  readonly bucket: string;
  /** The full S3 key (namespace included), when the call had one. */
  readonly s3Key?: string;
  /** The object key as the caller named it, for OBJECT_NOT_FOUND. */
  readonly key?: string;
}

// Errors of the socket or of name resolution: the server was never heard from.
const unreachableCodes = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ESOCKETTIMEDOUT',
  'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN', 'EPIPE', 'EADDRNOTAVAIL', 'UND_ERR_SOCKET',
]);
// The SDK's names for a request that got no answer in time (connection or socket timeout).
const timeoutNames = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);

interface SdkError {
  name?: string;
  code?: string;
  message?: string;
  errno?: number;
  $metadata?: { httpStatusCode?: number };
  Code?: string;
}

/** Whether the SDK error is S3's "this key does not exist". */
export function isNoSuchKey(e: unknown): boolean {
  const err = e as SdkError;
  if (err === null || typeof err !== 'object') return false;
  if (err.name === 'NoSuchKey' || err.Code === 'NoSuchKey') return true;
  // HEAD answers carry no body, so a missing key is a bare 404 named NotFound.
  return err.name === 'NotFound' && err.$metadata?.httpStatusCode === 404;
}

/** Whether the failure is one of reaching the server (no HTTP answer at all). */
export function isUnreachable(e: unknown): boolean {
  const err = e as SdkError;
  if (err === null || typeof err !== 'object') return false;
  if (typeof err.code === 'string' && unreachableCodes.has(err.code)) return true;
  if (typeof err.name === 'string' && timeoutNames.has(err.name)) return true;
  // An AggregateError (happy eyeballs tried several addresses) carries the codes inside.
  const inner = (err as { errors?: unknown[] }).errors;
  if (Array.isArray(inner) && inner.some(isUnreachable)) return true;
  const cause = (err as { cause?: unknown }).cause;
  return cause !== undefined && cause !== e && isUnreachable(cause);
}

/** S3's error code of an answer ('InternalError', 'AccessDenied', ...), or the SDK's name. */
export function s3Code(e: unknown): string {
  const err = e as SdkError;
  if (err === null || typeof err !== 'object') return String(e);
  return err.Code ?? err.name ?? err.code ?? 'Error';
}

/** The coded error for an SDK failure; ElanusErrors (ours) pass through unchanged. */
export function fromS3Error(e: unknown, place: S3Place): ElanusError {
  if (e instanceof ElanusError) return e;
  if (isNoSuchKey(e) && place.key !== undefined) return new ElanusError('OBJECT_NOT_FOUND', { key: place.key }, { cause: e });
  const message = e instanceof Error ? e.message : String(e);
  if (isUnreachable(e)) {
    return new ElanusError('STORE_UNAVAILABLE', { store: 'S3 object store', endpoint: place.endpoint, detail: `${s3Code(e)}: ${message}` }, { cause: e });
  }
  const status = (e as SdkError)?.$metadata?.httpStatusCode;
  const path = `s3://${place.bucket}/${place.s3Key ?? ''}`;
  return new ElanusError('STORAGE_IO', { path, detail: `S3 ${s3Code(e)}${status === undefined ? '' : ` (HTTP ${status})`}: ${message}` }, { cause: e });
}
