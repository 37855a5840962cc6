// What every REST handler receives and how its outcome is wrapped. Milvus's REST v2
// answers HTTP 200 for everything it understood, with `{ code, data }` on success
// (code 0) and `{ code, message }` on failure, the code being the Milvus error code.
// Here that code comes from the error registry, through status.ts, like the gRPC side.
import type { Gateway } from '../../gateway/index.js';
import { statusOf } from '../status.js';
import type { Body } from './body.js';

/** One request, as a handler sees it. Built per request; never shared. */
export interface RestCall {
  readonly engine: Gateway;
  readonly body: Body;
  /** The database addressed: the body's dbName, else the DB-Name header, else "default". */
  readonly db: string;
  /** Int64 values go out as JSON numbers (true) or as strings (false); see int64.ts. */
  readonly int64AsNumbers: boolean;
  /** The body held integer literals past 2^53, parsed as bigint (see json.ts). */
  readonly hasBigInt: boolean;
  /** The authenticated user, or undefined when authentication is off. */
  readonly user: string | undefined;
}

export type RestHandler = (call: RestCall) => Promise<unknown>;

/** A success with fields beside `data` (search adds `topks`). */
export class Reply {
  constructor(readonly data: unknown, readonly extra: Readonly<Record<string, unknown>>) {}
}

export function okEnvelope(result: unknown): Record<string, unknown> {
  if (result instanceof Reply) return { code: 0, data: result.data, ...result.extra };
  return { code: 0, data: result === undefined ? {} : result };
}

export function errorEnvelope(e: unknown): { code: number; message: string } {
  const s = statusOf(e);
  return { code: s.code, message: s.reason };
}
