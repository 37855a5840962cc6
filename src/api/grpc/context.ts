import type { Gateway } from '../../gateway/index.js';

/** What a handler gets besides its request. Built per call; never shared between calls. */
export interface CallContext {
  readonly engine: Gateway;
  /** The database the call addresses: the request's db_name, else the `dbname` header, else "default". */
  readonly db: string;
  /** The authenticated user, or undefined when authentication is off. */
  readonly user: string | undefined;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Handler = (req: any, ctx: CallContext) => Promise<Record<string, unknown>>;
