import { errorRegistry, type ErrorCode, type ErrorSpec } from './registry.js';

export type ErrorDetails = Readonly<Record<string, string | number | bigint | boolean>>;

/** The one error class for everything a user or the disk can cause. */
export class ElanusError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails;
  readonly spec: ErrorSpec;

  constructor(code: ErrorCode, details: ErrorDetails = {}, options?: { cause?: unknown }) {
    const spec = errorRegistry[code];
    super(render(spec.message, details), options);
    this.name = 'ElanusError';
    this.code = code;
    this.details = details;
    this.spec = spec;
  }

  get retryable(): boolean {
    return this.spec.retryable;
  }
}

function render(template: string, details: ErrorDetails): string {
  return template.replace(/\{(\w+)\}/g, (_, key: string) => (key in details ? String(details[key]) : `{${key}}`));
}

/** Shorthand for throwing a coded error. */
export function fail(code: ErrorCode, details: ErrorDetails = {}): never {
  throw new ElanusError(code, details);
}

export function isElanusError(e: unknown, code?: ErrorCode): e is ElanusError {
  return e instanceof ElanusError && (code === undefined || e.code === code);
}

/**
 * Programmer errors stop the process (TigerBeetle's habit): they mean the code's own
 * beliefs are wrong, and going on could store wrong data.
 */
export function assert(condition: unknown, message = 'assertion failed'): asserts condition {
  if (!condition) throw new AssertionFailure(message);
}

export class AssertionFailure extends Error {
  override name = 'AssertionFailure';
}
