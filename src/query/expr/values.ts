// Operations on runtime values, shared by constant folding (check.ts) and evaluation
// (evaluate.ts) so that both compute exactly the same thing.
import type { CompareOp } from './ast.js';
import type { Value } from './checked.js';

/**
 * Orders two values: negative, 0 or positive; NaN when they are of comparable kinds but
 * unordered (different booleans, different arrays, a NaN float); undefined when their
 * kinds do not compare at all (a string against a number, as JSON values may be).
 * Integers (bigint) and floats (number) compare exactly, without rounding either.
 */
export function compareValues(a: unknown, b: unknown): number | undefined {
  const na = typeof a === 'bigint' || typeof a === 'number';
  const nb = typeof b === 'bigint' || typeof b === 'number';
  if (na && nb) return compareNumbers(a as bigint | number, b as bigint | number);
  if (typeof a === 'string' && typeof b === 'string') return compareStrings(a, b);
  if (typeof a === 'boolean' && typeof b === 'boolean') return a === b ? 0 : NaN;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return NaN;
    for (let i = 0; i < a.length; i++) if (compareValues(a[i], b[i]) !== 0) return NaN;
    return 0;
  }
  return undefined;
}

export function compareNumbers(a: bigint | number, b: bigint | number): number {
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : a === b ? 0 : NaN;
  if (typeof a === 'bigint') return -compareNumbers(b, a);
  // a is a float, b an integer: compare without converting b to a float (which could round).
  const f = a as number;
  const i = b as bigint;
  if (Number.isNaN(f)) return NaN;
  if (f === Infinity) return 1;
  if (f === -Infinity) return -1;
  const floor = BigInt(Math.floor(f));
  if (floor < i) return -1;
  if (floor > i) return 1;
  return Number.isInteger(f) ? 0 : 1;
}

/**
 * Milvus compares strings as UTF-8 bytes, which is code-point order. JavaScript compares
 * UTF-16 code units, which differs only when a surrogate (U+D800–DFFF, half of a
 * character above U+FFFF) meets a unit in U+E000–FFFF: the surrogate must sort higher.
 */
export function compareStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

function codePointRank(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
  if (unit >= 0xe000) return unit - 0x800;
  return unit;
}

const int64 = (v: bigint) => BigInt.asIntN(64, v);

/**
 * Arithmetic as Milvus's segcore does it: two integers give an Int64 (wrapping on
 * overflow, truncating division and remainder), anything with a float gives a double,
 * and `**` always gives a double (Milvus folds it with math.Pow). Integer division or
 * remainder by zero gives undefined: no row matches it.
 */
export function arithmetic(op: '+' | '-' | '*' | '/' | '%' | '**', a: bigint | number, b: bigint | number): bigint | number | undefined {
  if (op !== '**' && typeof a === 'bigint' && typeof b === 'bigint') {
    switch (op) {
      case '+': return int64(a + b);
      case '-': return int64(a - b);
      case '*': return int64(a * b);
      case '/': return b === 0n ? undefined : int64(a / b);
      case '%': return b === 0n ? undefined : a % b;
    }
  }
  const x = Number(a);
  const y = Number(b);
  switch (op) {
    case '+': return x + y;
    case '-': return x - y;
    case '*': return x * y;
    case '/': return x / y;
    case '%': return x % y;
    case '**': return x ** y;
  }
}

/**
 * A `like` pattern as a regular expression: `%` is any run of characters, `_` exactly
 * one character (a code point, as RE2 over UTF-8 counts it), `\%` and `\_` the literal
 * characters. The match is anchored at both ends and spans newlines.
 */
export function likeRegex(pattern: string): RegExp {
  let src = '';
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === '\\' && (chars[i + 1] === '%' || chars[i + 1] === '_' || chars[i + 1] === '\\')) {
      src += escapeRegex(chars[++i]!);
    } else if (c === '%') src += '[\\s\\S]*';
    else if (c === '_') src += '[\\s\\S]';
    else src += escapeRegex(c);
  }
  return new RegExp(`^${src}$`, 'u');
}

function escapeRegex(c: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(c) ? '\\' + c : c;
}

/** An integer read from a row: Int64 arrives as a number, or as a decimal string beyond 2^53. */
export function toInt(v: unknown): bigint | undefined {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
  return undefined;
}

/**
 * A value read out of JSON: integers become bigint (JSON has one number type, and a
 * whole number there is what Milvus reads as an int64), JSON null becomes missing.
 */
export function fromJson(v: unknown): unknown {
  if (v === null) return undefined;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
  return v;
}

/** Whether comparison `op` holds for two values whose order (compareValues) is `order`. */
export function holds(op: CompareOp, order: number): boolean {
  switch (op) {
    case '==': return order === 0;
    case '!=': return order !== 0;
    case '<': return order < 0;
    case '<=': return order <= 0;
    case '>': return order > 0;
    case '>=': return order >= 0;
  }
}
