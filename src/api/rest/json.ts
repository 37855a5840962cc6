// JSON for the REST API, with one difference from JSON.parse/JSON.stringify: integers
// beyond 2^53 keep every digit. Milvus's REST API reads and writes Int64 values as JSON
// numbers, and JSON.parse would round 9007199254740993 to ...992, silently naming a
// different row. So integer literals outside the safe range parse to bigint, and bigint
// values serialize as bare digits.
//
// The common body (no such literal, no "__proto__" key) goes through JSON.parse; only a
// body that may hold one takes the slower hand-written parser below.

/** A parsed body, and whether any bigint is inside (callers convert them only then). */
export interface ParsedJson {
  readonly value: unknown;
  readonly hasBigInt: boolean;
}

/** Deepest nesting of objects and arrays the hand-written parser follows. */
export const jsonDepthMax = 256;

// An integer literal of 16+ digits right after `[`, `:` or `,` and right before `,`, `]`
// or `}`: the only place one can stand outside a string. A match inside a string only
// sends the body down the slow path, which is still exact.
const bigIntegerLike = /[[:,]\s*-?\d{16,}\s*[,\]}]/;
// "__proto__" as a key would set an object's prototype when copied with assignment;
// bodies that might carry it (also spelled with any \u escape) are parsed by hand, which
// refuses the key.
const protoLike = /__proto__|\\u/;

export class ProtoKeyError extends SyntaxError {
  constructor() {
    super('the key "__proto__" is not allowed');
  }
}

/** Parses a request body. Throws SyntaxError (or ProtoKeyError) on invalid input. */
export function parseJson(text: string): ParsedJson {
  if (!bigIntegerLike.test(text) && !protoLike.test(text)) return { value: JSON.parse(text), hasBigInt: false };
  const p = new Parser(text);
  const value = p.document();
  return { value, hasBigInt: p.hasBigInt };
}

/** Serializes a reply; bigint values become bare digits. */
export function stringifyJson(v: unknown): string {
  try {
    return JSON.stringify(v);
  } catch (e) {
    // JSON.stringify refuses bigint with a TypeError; everything else is a bug.
    if (!(e instanceof TypeError)) throw e;
    return write(v, 0);
  }
}

function write(v: unknown, depth: number): string {
  if (depth > jsonDepthMax) throw new RangeError('reply nested too deeply to serialize');
  if (typeof v === 'bigint') return v.toString();
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map((x) => write(x, depth + 1)).join(',')}]`;
  const parts: string[] = [];
  for (const [k, x] of Object.entries(v)) {
    if (x === undefined || typeof x === 'function') continue;
    parts.push(`${JSON.stringify(k)}:${write(x, depth + 1)}`);
  }
  return `{${parts.join(',')}}`;
}

const numberToken = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;

class Parser {
  private i = 0;
  hasBigInt = false;

  constructor(private readonly s: string) {}

  document(): unknown {
    const v = this.value(0);
    this.ws();
    if (this.i < this.s.length) this.fail('unexpected characters after the JSON value');
    return v;
  }

  private fail(what: string): never {
    throw new SyntaxError(`${what} at position ${this.i}`);
  }

  private ws(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) this.i++;
      else break;
    }
  }

  private value(depth: number): unknown {
    this.ws();
    switch (this.s[this.i]) {
      case '{': return this.object(depth + 1);
      case '[': return this.array(depth + 1);
      case '"': return this.string();
      case 't': return this.literal('true', true);
      case 'f': return this.literal('false', false);
      case 'n': return this.literal('null', null);
      case undefined: return this.fail('unexpected end of JSON input');
      default: return this.number();
    }
  }

  private object(depth: number): Record<string, unknown> {
    if (depth > jsonDepthMax) this.fail(`objects and arrays nested deeper than ${jsonDepthMax}`);
    this.i++;
    const out: Record<string, unknown> = {};
    this.ws();
    if (this.s[this.i] === '}') {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"') this.fail('expected a string key');
      const key = this.string();
      if (key === '__proto__') throw new ProtoKeyError();
      this.ws();
      if (this.s[this.i] !== ':') this.fail("expected ':'");
      this.i++;
      out[key] = this.value(depth);
      this.ws();
      const c = this.s[this.i++];
      if (c === '}') return out;
      if (c !== ',') this.fail("expected ',' or '}'");
    }
  }

  private array(depth: number): unknown[] {
    if (depth > jsonDepthMax) this.fail(`objects and arrays nested deeper than ${jsonDepthMax}`);
    this.i++;
    const out: unknown[] = [];
    this.ws();
    if (this.s[this.i] === ']') {
      this.i++;
      return out;
    }
    for (;;) {
      out.push(this.value(depth));
      this.ws();
      const c = this.s[this.i++];
      if (c === ']') return out;
      if (c !== ',') this.fail("expected ',' or ']'");
    }
  }

  private string(): string {
    const s = this.s;
    const start = this.i;
    let j = start + 1;
    while (j < s.length) {
      const c = s.charCodeAt(j);
      if (c === 0x22) break;
      j += c === 0x5c ? 2 : 1;
    }
    if (j >= s.length) this.fail('unterminated string');
    this.i = j + 1;
    // JSON.parse decodes the escapes and refuses raw control characters, as the spec says.
    return JSON.parse(s.slice(start, j + 1)) as string;
  }

  private number(): number | bigint {
    numberToken.lastIndex = this.i;
    const m = numberToken.exec(this.s);
    if (!m) this.fail('unexpected character');
    this.i += m[0].length;
    const n = Number(m[0]);
    if (m[1] === undefined && m[2] === undefined && !Number.isSafeInteger(n)) {
      this.hasBigInt = true;
      return BigInt(m[0]);
    }
    return n;
  }

  private literal<T>(word: string, v: T): T {
    if (!this.s.startsWith(word, this.i)) this.fail('unexpected token');
    this.i += word.length;
    return v;
  }
}
