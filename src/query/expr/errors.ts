// Filter errors carry the 1-based column of the offending token and, where we can
// guess, a hint such as `did you mean "price"?`.
import { ElanusError, type ErrorCode } from '../../errors/index.js';

export type FilterErrorCode = Extract<ErrorCode, 'FILTER_SYNTAX' | 'FILTER_TYPE' | 'FILTER_PARAM'>;

export function filterError(code: FilterErrorCode, detail: string, pos: number, hint?: string): ElanusError {
  return new ElanusError(code, { detail, column: pos + 1, hint: hint ? `; ${hint}` : '' });
}

export function failAt(code: FilterErrorCode, detail: string, pos: number, hint?: string): never {
  throw filterError(code, detail, pos, hint);
}
