// Errors ⇄ Milvus's common.Status, in one place. Every error travels inside an OK reply
// (as Milvus does), with the registry's Milvus code and legacy error code; anything that
// is not an ElanusError is an internal error, reported without crashing anything.
import { ElanusError, errorRegistry } from '../errors/index.js';

export interface WireStatus {
  error_code: number;
  code: number;
  reason: string;
  retriable: boolean;
  detail: string;
}

export const okStatus: WireStatus = Object.freeze({ error_code: 0, code: 0, reason: '', retriable: false, detail: '' });

export function toElanusError(e: unknown): ElanusError {
  if (e instanceof ElanusError) return e;
  const detail = e instanceof Error ? e.message : String(e);
  return new ElanusError('INTERNAL', { detail });
}

export function statusOf(e: unknown): WireStatus {
  const err = toElanusError(e);
  const spec = errorRegistry[err.code];
  return { error_code: spec.legacyCode, code: spec.milvusCode, reason: `${err.code}: ${err.message}`, retriable: spec.retryable, detail: err.code };
}
