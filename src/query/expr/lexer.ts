// Turns filter text into tokens, following the lexer rules of Milvus's Plan.g4:
// integers in decimal, octal (`017`), hex (`0x1F`) and binary (`0b101`); floats with a
// fraction and/or an exponent, and hexadecimal floats (`0x1.8p3`); strings in single or
// double quotes with the escapes Milvus accepts; identifiers and `$meta`. Keywords are
// recognized, as Milvus does, in all-lower or all-upper case only (`and`/`AND`, not
// `And`); booleans also as `True`/`False`.
//
// Strings: Milvus lexes them with Plan.g4's C escape rules and then unquotes them with
// Go's strconv.Unquote (planparserv2/utils.go convertEscapeSingle), so an escape is
// accepted only when both accept it: \a \b \f \n \r \t \v \\ \' \", exactly three octal
// digits (at most \377), \x with exactly two hex digits, \u with four and \U with eight
// (a valid code point, not a surrogate). Octal and \x escapes are bytes, decoded with
// the rest as UTF-8. Anything else (`\d`, `\%`, `\?`) is an error; a like pattern
// writes a literal % as `\\%`.
import { failAt } from './errors.js';

export type TokenType = 'int' | 'float' | 'string' | 'ident' | 'keyword' | 'op' | 'eof';

export interface Token {
  readonly type: TokenType;
  /** Source text; for keywords the lower-case word, for ops the symbol. */
  readonly text: string;
  readonly start: number;
  readonly end: number;
  /** The source text as written (`NOT` for the keyword `not`). */
  readonly raw: string;
  /** int: bigint, float: number, string: the unescaped value, keyword true/false: boolean. */
  readonly value?: bigint | number | string | boolean;
}

const keywords = new Set([
  'and', 'or', 'not', 'in', 'like', 'exists', 'true', 'false',
  'json_contains', 'json_contains_all', 'json_contains_any',
  'array_contains', 'array_contains_all', 'array_contains_any', 'array_length',
  'st_equals', 'st_touches', 'st_overlaps', 'st_crosses', 'st_contains', 'st_intersects', 'st_within', 'st_dwithin',
]);

// Longest first, so that `**` wins over `*` and `<=` over `<`.
const symbols = [
  '**', '==', '!=', '<=', '>=', '&&', '||', '<<', '>>',
  '+', '-', '*', '/', '%', '<', '>', '(', ')', '[', ']', '{', '}', ',', '!', '~', '&', '|', '^',
];

const int64Max = (1n << 63n) - 1n;

export function keywordOf(word: string): string | undefined {
  const lower = word.toLowerCase();
  if (!keywords.has(lower)) return undefined;
  if (word === lower || word === word.toUpperCase()) return lower;
  if ((lower === 'true' || lower === 'false') && word === lower[0]!.toUpperCase() + lower.slice(1)) return lower;
  return undefined;
}

export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') { i++; continue; }
    const start = i;
    if (isDigit(c) || (c === '.' && isDigit(text[i + 1] ?? ''))) {
      const t = number(text, i);
      out.push(t);
      i = t.end;
      continue;
    }
    if (c === '"' || c === "'") {
      const t = string(text, i);
      out.push(t);
      i = t.end;
      continue;
    }
    if (isIdentStart(c) || (c === '$' && text.startsWith('$meta', i) && !isIdentPart(text[i + 5] ?? ''))) {
      i = c === '$' ? i + 5 : i + 1;
      while (c !== '$' && i < text.length && isIdentPart(text[i]!)) i++;
      const word = text.slice(start, i);
      const kw = c === '$' ? undefined : keywordOf(word);
      if (kw === 'true' || kw === 'false') out.push({ type: 'keyword', text: kw, raw: word, start, end: i, value: kw === 'true' });
      else if (kw !== undefined) out.push({ type: 'keyword', text: kw, raw: word, start, end: i });
      else out.push({ type: 'ident', text: word, raw: word, start, end: i });
      continue;
    }
    const sym = symbols.find((s) => text.startsWith(s, i));
    if (sym === undefined) failAt('FILTER_SYNTAX', `unexpected character ${JSON.stringify(c)}`, i);
    out.push({ type: 'op', text: sym, raw: sym, start, end: i + sym.length });
    i += sym.length;
  }
  out.push({ type: 'eof', text: '', raw: '', start: text.length, end: text.length });
  return out;
}

function number(text: string, start: number): Token {
  const rest = text.slice(start);
  let m = /^0[xX](?:[0-9a-fA-F]*\.[0-9a-fA-F]+|[0-9a-fA-F]+\.?)[pP][+-]?\d+/.exec(rest);
  if (m) {
    end(text, start + m[0].length);
    return floatToken(text, start, m[0], hexFloat(m[0]));
  }
  m = /^0[xX][0-9a-fA-F]+/.exec(rest) ?? /^0[bB][01]+/.exec(rest);
  if (m) return intToken(text, start, m[0], BigInt(m[0]));
  m = /^(?:\d+\.\d*|\.\d+)(?:[eE][+-]?\d+)?|^\d+[eE][+-]?\d+/.exec(rest);
  if (m) {
    end(text, start + m[0].length);
    return floatToken(text, start, m[0], Number(m[0]));
  }
  m = /^\d+/.exec(rest)!;
  const digits = m[0];
  if (/^0[oO][0-7]/.test(rest)) {
    failAt('FILTER_SYNTAX', `invalid number ${JSON.stringify(/^0[oO]\w*/.exec(rest)![0])}`, start, 'octal integers are written with a leading zero, as in 017');
  }
  if (digits.length > 1 && digits[0] === '0') {
    // C's rule, kept by Milvus: a leading zero means octal.
    if (!/^[0-7]+$/.test(digits)) failAt('FILTER_SYNTAX', `invalid octal integer ${digits}`, start, 'a leading zero makes an integer octal (digits 0-7)');
    return intToken(text, start, digits, BigInt('0o' + digits.slice(1)));
  }
  return intToken(text, start, digits, BigInt(digits));
}

/** Go's ParseFloat, which Milvus uses, refuses a literal beyond the double range. */
function floatToken(text: string, start: number, src: string, value: number): Token {
  if (!Number.isFinite(value)) failAt('FILTER_SYNTAX', `float ${src} is out of the double range`, start);
  return { type: 'float', text: src, raw: src, start, end: start + src.length, value };
}

/** `0x1.8p3` = 0x18 * 2^(3 - 4): the hex digits as an integer, scaled by a power of two. */
function hexFloat(src: string): number {
  const [mant, exp] = src.slice(2).split(/[pP]/) as [string, string];
  const dot = mant.indexOf('.');
  const digits = mant.replace('.', '');
  const shift = Number(exp) - (dot < 0 ? 0 : 4 * (mant.length - dot - 1));
  // Number(bigint) rounds to nearest; the scaling by 2^shift is exact unless the result
  // is subnormal or overflows, which floatToken then refuses.
  return Number(BigInt('0x' + digits)) * 2 ** shift;
}

function intToken(text: string, start: number, src: string, value: bigint): Token {
  end(text, start + src.length);
  if (value > int64Max) failAt('FILTER_SYNTAX', `integer ${src} is out of the Int64 range`, start);
  return { type: 'int', text: src, raw: src, start, end: start + src.length, value };
}

/** A number must not run straight into a letter: `12abc` and `0x1G` are typos, not two tokens. */
function end(text: string, at: number): void {
  const c = text[at] ?? '';
  if (isIdentPart(c) || c === '.') failAt('FILTER_SYNTAX', `invalid number ${JSON.stringify(text.slice(at - 1, at + 1))}`, at - 1);
}

const simpleEscapes: Record<string, string> = {
  "'": "'", '"': '"', '\\': '\\', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v',
};
const utf8 = new TextDecoder();

function string(text: string, start: number): Token {
  const quote = text[start]!;
  let i = start + 1;
  let value = '';
  // Octal and \x escapes are bytes: they gather here and decode as UTF-8 together.
  let bytes: number[] = [];
  const flush = () => { if (bytes.length > 0) { value += utf8.decode(Uint8Array.from(bytes)); bytes = []; } };
  for (;;) {
    if (i >= text.length || text[i] === '\n' || text[i] === '\r') {
      failAt('FILTER_SYNTAX', `unterminated string; expected a closing ${quote}`, start);
    }
    const c = text[i]!;
    if (c === quote) break;
    if (c !== '\\') { flush(); value += c; i++; continue; }
    const e = text[i + 1] ?? '';
    let m: RegExpExecArray | null;
    if (e in simpleEscapes) { flush(); value += simpleEscapes[e]; i += 2; continue; }
    if ((m = /^[0-7]{3}/.exec(text.slice(i + 1, i + 4))) && parseInt(m[0], 8) <= 0o377) {
      bytes.push(parseInt(m[0], 8)); i += 4; continue;
    }
    if (e === 'x' && (m = /^[0-9a-fA-F]{2}/.exec(text.slice(i + 2, i + 4)))) {
      bytes.push(parseInt(m[0], 16)); i += 4; continue;
    }
    if ((e === 'u' && (m = /^[0-9a-fA-F]{4}/.exec(text.slice(i + 2, i + 6)))) ||
        (e === 'U' && (m = /^[0-9a-fA-F]{8}/.exec(text.slice(i + 2, i + 10))))) {
      const cp = parseInt(m[0], 16);
      if (cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff)) { flush(); value += String.fromCodePoint(cp); i += 2 + m[0].length; continue; }
    }
    if (e === '' || e === '\n' || e === '\r') failAt('FILTER_SYNTAX', `unterminated string; expected a closing ${quote}`, start);
    failAt('FILTER_SYNTAX', `invalid escape ${JSON.stringify(text.slice(i, i + 2))} in a string`, i,
      'a backslash itself is written \\\\, so a literal % in a like pattern is \\\\%');
  }
  flush();
  return { type: 'string', text: text.slice(start, i + 1), raw: text.slice(start, i + 1), start, end: i + 1, value };
}

function isDigit(c: string): boolean { return c >= '0' && c <= '9'; }
function isIdentStart(c: string): boolean { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_'; }
function isIdentPart(c: string): boolean { return isIdentStart(c) || isDigit(c); }
