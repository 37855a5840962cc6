// Assertions on a decoded common.Status, in Milvus's terms: the merr code (`code`), the
// legacy common.ErrorCode (`error_code`) where pymilvus branches on it, and a pattern on
// the reason. Patterns are unanchored: Elanus may put its own code in front of Milvus's
// text (as it does today, "COLLECTION_NOT_FOUND: ..."), but Milvus's text must be there,
// because programs and Milvus's own test suites match on it.
import assert from 'node:assert/strict';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Status = any;

export function assertSuccess(s: Status, what: string): void {
  assert.ok(s, `${what}: no status in the reply`);
  assert.equal(Number(s.code), 0, `${what}: code ${s.code}, reason ${JSON.stringify(s.reason)}`);
  assert.equal(Number(s.error_code), 0, `${what}: error_code ${s.error_code}, reason ${JSON.stringify(s.reason)}`);
}

export interface ExpectedError {
  /** Milvus merr code, e.g. 100 collection not found, 1100 invalid parameter. */
  readonly code: number;
  /** Legacy common.ErrorCode, when pymilvus or Milvus makes it matter. */
  readonly errorCode?: number;
  readonly reason: RegExp;
}

export function assertError(s: Status, e: ExpectedError, what: string): void {
  assert.ok(s, `${what}: no status in the reply`);
  const got = `code ${s.code}, error_code ${s.error_code}, reason ${JSON.stringify(s.reason)}`;
  assert.equal(Number(s.code), e.code, `${what}: expected code ${e.code}; got ${got}`);
  if (e.errorCode !== undefined) assert.equal(Number(s.error_code), e.errorCode, `${what}: expected error_code ${e.errorCode}; got ${got}`);
  assert.match(String(s.reason), e.reason, `${what}: ${got}`);
}

/** Regex-escapes a literal (collection names with $ or brackets in messages). */
export const lit = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
