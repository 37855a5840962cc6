// A hand-written precedence-climbing parser (see README.md for why). Precedence follows
// the order of the alternatives in Milvus's Plan.g4, loosest first:
//   or | and | (bitwise, refused) | == != | < <= > >= and ranges | in, not in |
//   (shifts, refused) | + - | * / % | prefix - + not ! | ** | postfix like
// One consequence, kept for compatibility: `not` binds tighter than comparisons, so
// `not x in [1]` means `(not x) in [1]` and is refused by the type check, exactly as
// Milvus refuses it; `x not in [1]` and `not (x in [1])` are the forms that work.
import {
  node, functionNames,
  type Expr, type CompareOp, type BinaryOp, type FunctionName, type Ident, type Path, type StringLit, type Param,
} from './ast.js';
import { tokenize, type Token } from './lexer.js';
import { failAt } from './errors.js';
import { ElanusError } from '../../errors/index.js';
import { exprDepthMax, exprLengthMax } from './limits.js';

const levels: Readonly<Record<string, number>> = {
  or: 1, '||': 1,
  and: 2, '&&': 2,
  '|': 3, '^': 4, '&': 5,
  '==': 6, '!=': 6,
  '<': 7, '<=': 7, '>': 7, '>=': 7,
  in: 8, 'not in': 8,
  '<<': 9, '>>': 9,
  '+': 10, '-': 10,
  '*': 11, '/': 11, '%': 11,
};
const unaryLevel = 12;

/** Parses filter text into a frozen tree; throws FILTER_SYNTAX or LIMIT_EXCEEDED. */
export function parseFilter(text: string): Expr {
  if (text.length > exprLengthMax) {
    throw new ElanusError('LIMIT_EXCEEDED', {
      what: 'filter length',
      detail: `the filter is ${text.length} characters long; exprLengthMax is ${exprLengthMax} characters`,
    });
  }
  const p = new Parser(tokenize(text), text);
  if (p.peek().type === 'eof') failAt('FILTER_SYNTAX', 'empty filter; expected an expression', 0);
  const e = p.expr(1);
  const t = p.peek();
  if (t.type !== 'eof') failAt('FILTER_SYNTAX', `unexpected ${describe(t)}`, t.start, 'expected an operator or the end of the filter');
  return e;
}

class Parser {
  private i = 0;
  private depth = 0;
  constructor(private readonly tokens: readonly Token[], private readonly source: string) {}

  peek(k = 0): Token { return this.tokens[Math.min(this.i + k, this.tokens.length - 1)]!; }
  private next(): Token { return this.tokens[this.i++]!; }
  private isOp(t: Token, s: string): boolean { return t.type === 'op' && t.text === s; }
  private isKw(t: Token, s: string): boolean { return t.type === 'keyword' && t.text === s; }

  private expect(s: string, what = `"${s}"`): Token {
    const t = this.peek();
    if (!this.isOp(t, s)) failAt('FILTER_SYNTAX', `expected ${what}, found ${describe(t)}`, t.start);
    return this.next();
  }

  private enter(at: number): void {
    if (++this.depth > exprDepthMax) {
      throw new ElanusError('LIMIT_EXCEEDED', {
        what: 'filter nesting',
        detail: `nesting deeper than exprDepthMax (${exprDepthMax} levels) at column ${at + 1}`,
      });
    }
  }
  private leave(): void { this.depth--; }

  /** The binary operator at the cursor, as a key of `levels`, and how many tokens it spans. */
  private binaryOp(): [string, number] | undefined {
    const t = this.peek();
    if (t.type === 'op' && t.text in levels) return [t.text, 1];
    if (t.type === 'keyword') {
      if (t.text === 'and' || t.text === 'or' || t.text === 'in') return [t.text, 1];
      if (t.text === 'not' && this.isKw(this.peek(1), 'in')) return ['not in', 2];
    }
    if (this.isOp(t, '!') && this.isKw(this.peek(1), 'in')) return ['not in', 2];
    return undefined;
  }

  expr(min: number): Expr {
    let left = this.unary();
    for (;;) {
      const found = this.binaryOp();
      if (!found) return left;
      const [op, width] = found;
      const level = levels[op]!;
      if (level < min) return left;
      const t = this.peek();
      if ((level >= 3 && level <= 5) || level === 9) {
        failAt('FILTER_SYNTAX', `operator "${t.text}" is not supported`, t.start, op === '&' ? 'did you mean "&&"?' : op === '|' ? 'did you mean "||"?' : undefined);
      }
      this.i += width;
      const right = this.expr(level + 1);
      if (op === 'in' || op === 'not in') {
        left = node({ kind: 'in', negated: op === 'not in', value: left, list: right, pos: left.pos });
      } else if (level === 7 && (right.kind === 'ident' || right.kind === 'path') && this.chainsWith(op)) {
        const upperOp = this.next().text as CompareOp;
        const upper = this.expr(level + 1);
        left = node({ kind: 'range', lower: left, lowerOp: op as CompareOp, target: right, upperOp, upper, pos: left.pos });
      } else {
        const norm = (op === '&&' ? 'and' : op === '||' ? 'or' : op) as BinaryOp;
        left = node({ kind: 'binary', op: norm, left, right, pos: left.pos });
      }
    }
  }

  /** `1 < x <= 5`: a second comparison pointing the same way as the first makes a range. */
  private chainsWith(op: string): boolean {
    const t = this.peek();
    if (t.type !== 'op') return false;
    const up = (s: string) => s === '<' || s === '<=';
    const down = (s: string) => s === '>' || s === '>=';
    return (up(op) && up(t.text)) || (down(op) && down(t.text));
  }

  private unary(): Expr {
    const t = this.peek();
    const op = this.isOp(t, '-') ? '-' : this.isOp(t, '+') ? '+' : this.isOp(t, '!') || this.isKw(t, 'not') ? 'not' : undefined;
    if (this.isOp(t, '~')) failAt('FILTER_SYNTAX', 'operator "~" is not supported', t.start);
    if (op === undefined) return this.power();
    this.next();
    this.enter(t.start);
    const operand = this.expr(unaryLevel + 1);
    this.leave();
    return node({ kind: 'unary', op, operand, pos: t.start });
  }

  /** `**` binds tighter than prefix minus and is left-associative, as in Plan.g4. */
  private power(): Expr {
    let left = this.postfix();
    while (this.isOp(this.peek(), '**')) {
      this.next();
      const right = this.unaryOrPostfix();
      left = node({ kind: 'binary', op: '**', left, right, pos: left.pos });
    }
    return left;
  }

  private unaryOrPostfix(): Expr {
    const t = this.peek();
    if (this.isOp(t, '-') || this.isOp(t, '+') || this.isOp(t, '!') || this.isKw(t, 'not')) return this.unary();
    return this.postfix();
  }

  private postfix(): Expr {
    let e = this.primary();
    while (this.isKw(this.peek(), 'like')) {
      this.next();
      const t = this.peek();
      let pattern: StringLit;
      // Plan.g4 (2.6) reads `expr LIKE StringLiteral`: a template parameter is not a pattern.
      if (t.type === 'string') { this.next(); pattern = node({ kind: 'string', value: t.value as string, pos: t.start }); }
      else failAt('FILTER_SYNTAX', `expected a string pattern after like, found ${describe(t)}`, t.start,
        this.isOp(t, '{') ? 'a like pattern is a string literal, not a template parameter' : undefined);
      e = node({ kind: 'like', value: e, pattern, pos: e.pos });
    }
    return e;
  }

  private primary(): Expr {
    const t = this.peek();
    switch (t.type) {
      case 'int': this.next(); return node({ kind: 'int', value: t.value as bigint, pos: t.start });
      case 'float': this.next(); return node({ kind: 'float', value: t.value as number, pos: t.start });
      case 'string': this.next(); return node({ kind: 'string', value: t.value as string, pos: t.start });
      case 'ident':
        if (this.tzWord(0, 'interval')) {
          failAt('FILTER_SYNTAX', "INTERVAL '…' may only follow a Timestamptz field compared with ISO '…', as in ts + INTERVAL 'P1D' > ISO '2025-01-01T00:00:00Z'", t.start);
        }
        return this.tzForward() ?? this.tzReverse() ?? this.name();
      case 'keyword':
        if (t.text === 'true' || t.text === 'false') { this.next(); return node({ kind: 'bool', value: t.value as boolean, pos: t.start }); }
        if (t.text === 'exists') {
          this.next();
          this.enter(t.start);
          const target = this.postfix();
          this.leave();
          return node({ kind: 'exists', target, pos: t.start });
        }
        if ((functionNames as readonly string[]).includes(t.text)) return this.call(t.text as FunctionName);
        break;
      case 'op':
        if (t.text === '(') {
          this.next();
          this.enter(t.start);
          const e = this.expr(1);
          this.leave();
          this.expect(')', '")" to close the "(" at column ' + (t.start + 1));
          return e;
        }
        if (t.text === '[') return this.array();
        if (t.text === '{') return this.param();
        break;
      case 'eof':
        failAt('FILTER_SYNTAX', 'unexpected end of filter; expected a value, a field or "("', t.start);
    }
    failAt('FILTER_SYNTAX', `unexpected ${describe(t)}; expected a value, a field or "("`, t.start);
  }

  /** `iso`/`ISO` or `interval`/`INTERVAL` (all-lower or all-upper, as Plan.g4's keywords) followed by a string. */
  private tzWord(k: number, word: 'iso' | 'interval'): boolean {
    const t = this.peek(k);
    return t.type === 'ident' && (t.text === word || t.text === word.toUpperCase()) && this.peek(k + 1).type === 'string';
  }

  private compareOpAt(k: number): CompareOp | undefined {
    const t = this.peek(k);
    return t.type === 'op' && ['==', '!=', '<', '<=', '>', '>='].includes(t.text) ? (t.text as CompareOp) : undefined;
  }

  /** The interval after a field, `+ INTERVAL 'P1D'` at offset k, or undefined (width 0). */
  private intervalAt(k: number): { sign: 1 | -1; text: string; pos: number; width: number } | undefined {
    const t = this.peek(k);
    if (!(this.isOp(t, '+') || this.isOp(t, '-')) || !this.tzWord(k + 1, 'interval')) return undefined;
    const s = this.peek(k + 2);
    return { sign: t.text === '+' ? 1 : -1, text: s.value as string, pos: s.start, width: 3 };
  }

  /** `ts [± INTERVAL '…'] op ISO '…'`, taken whole as Plan.g4's TimestamptzCompareForward is. */
  private tzForward(): Expr | undefined {
    const name = this.peek();
    const iv = this.intervalAt(1);
    const at = 1 + (iv?.width ?? 0);
    const op = this.compareOpAt(at);
    if (op === undefined || !this.tzWord(at + 1, 'iso')) return undefined;
    const iso = this.peek(at + 2);
    this.i += at + 3;
    const target = node({ kind: 'ident', name: name.text, pos: name.start });
    const interval = iv ? Object.freeze({ sign: iv.sign, text: iv.text, pos: iv.pos }) : undefined;
    return node({ kind: 'tz_compare', target, op, interval, iso: iso.value as string, isoPos: iso.start, pos: name.start });
  }

  /** `ISO '…' op ts [± INTERVAL '…']` (TimestamptzCompareReverse): the field goes left, the operator turns round. */
  private tzReverse(): Expr | undefined {
    if (!this.tzWord(0, 'iso')) return undefined;
    const start = this.peek();
    const iso = this.peek(1);
    const op = this.compareOpAt(2);
    const name = this.peek(3);
    if (op === undefined || name.type !== 'ident' || this.tzWord(3, 'iso')) failAt('FILTER_SYNTAX', 'ISO \'…\' must be compared with a Timestamptz field, as in ISO \'2025-01-01T00:00:00Z\' < ts', start.start);
    const iv = this.intervalAt(4);
    this.i += 4 + (iv?.width ?? 0);
    const target = node({ kind: 'ident', name: name.text, pos: name.start });
    const interval = iv ? Object.freeze({ sign: iv.sign, text: iv.text, pos: iv.pos }) : undefined;
    return node({ kind: 'tz_compare', target, op: flip(op), interval, iso: iso.value as string, isoPos: iso.start, pos: start.start });
  }

  /**
   * A name, then index segments written straight after it (`info["a"][0]`), then `is [not] null`.
   * Plan.g4 lexes `name["key"]` as one JSONIdentifier token, so no space may stand
   * anywhere inside it; an empty key is refused as Milvus's getColumnInfoFromJSONIdentifier
   * refuses it ("invalid identifier").
   */
  private name(): Expr {
    const t = this.next();
    const path: (string | number)[] = [];
    let end = t.end;
    while (this.isOp(this.peek(), '[') && this.peek().start === end) {
      const open = this.next();
      const k = this.next();
      if (k.start !== open.end) failAt('FILTER_SYNTAX', 'a space inside [] of a JSON path or array index', open.end, `write ${t.text}[${k.text}] without spaces`);
      if (k.type === 'string' && k.value === '') failAt('FILTER_SYNTAX', 'empty key [""] in a JSON path', k.start);
      if (k.type === 'string') path.push(k.value as string);
      else if (k.type === 'int' && /^(0|[1-9]\d*)$/.test(k.text)) path.push(Number(k.value as bigint));
      else failAt('FILTER_SYNTAX', `expected a quoted key or a decimal index inside [], found ${describe(k)}`, k.start);
      const close = this.expect(']');
      if (close.start !== k.end) failAt('FILTER_SYNTAX', 'a space inside [] of a JSON path or array index', k.end, `write ${t.text}[${k.text}] without spaces`);
      end = close.end;
    }
    const target: Ident | Path = path.length === 0
      ? node({ kind: 'ident', name: t.text, pos: t.start })
      : node({ kind: 'path', name: t.text, path: Object.freeze(path), pos: t.start });
    return this.isNull(target);
  }

  private isNull(target: Ident | Path): Expr {
    const a = this.peek();
    if (a.type !== 'ident' || (a.text !== 'is' && a.text !== 'IS')) return target;
    const upper = a.text === 'IS';
    const word = (t: Token, w: string) => (t.type === 'ident' || t.type === 'keyword') && t.raw === (upper ? w.toUpperCase() : w);
    const negated = word(this.peek(1), 'not');
    const n = this.peek(negated ? 2 : 1);
    const expected = upper ? '"IS NULL" or "IS NOT NULL"' : '"is null" or "is not null"';
    if (!word(n, 'null')) failAt('FILTER_SYNTAX', `expected ${expected}, found ${describe(n)}`, n.start);
    // Plan.g4's ISNULL and ISNOTNULL tokens hold exactly one space between the words.
    const words = this.tokens.slice(this.i, this.i + (negated ? 3 : 2));
    for (let w = 1; w < words.length; w++) {
      const gap = words[w]!.start - words[w - 1]!.end;
      if (gap !== 1 || this.source[words[w - 1]!.end] !== ' ') {
        failAt('FILTER_SYNTAX', `expected ${expected} with one space between the words`, words[w - 1]!.end);
      }
    }
    this.i += negated ? 3 : 2;
    return node({ kind: 'is_null', negated, target, pos: target.pos });
  }

  private array(): Expr {
    const open = this.next();
    this.enter(open.start);
    const items: Expr[] = [];
    while (!this.isOp(this.peek(), ']')) {
      items.push(this.expr(1));
      if (!this.isOp(this.peek(), ',')) break;
      this.next();
    }
    this.expect(']', '"," or "]" in the array that starts at column ' + (open.start + 1));
    this.leave();
    return node({ kind: 'array', items: Object.freeze(items), pos: open.start });
  }

  private param(): Param {
    const open = this.next();
    const name = this.next();
    if (name.type !== 'ident') failAt('FILTER_SYNTAX', `expected a template parameter name after "{", found ${describe(name)}`, name.start);
    this.expect('}');
    return node({ kind: 'param', name: name.text, pos: open.start });
  }

  private call(name: FunctionName): Expr {
    const t = this.next();
    this.expect('(', `"(" after ${name}`);
    this.enter(t.start);
    const args: Expr[] = [];
    while (!this.isOp(this.peek(), ')')) {
      args.push(this.expr(1));
      if (!this.isOp(this.peek(), ',')) break;
      this.next();
    }
    this.expect(')', `"," or ")" in the call of ${name}`);
    this.leave();
    const want = name === 'array_length' ? 1 : name === 'st_dwithin' ? 3 : 2;
    if (args.length !== want) failAt('FILTER_SYNTAX', `${name} takes ${want} argument${want > 1 ? 's' : ''}, got ${args.length}`, t.start);
    // Plan.g4: `ArrayLength '(' (Identifier | JSONIdentifier) ')'`, a name and nothing else.
    if (name === 'array_length' && args[0]!.kind !== 'ident' && args[0]!.kind !== 'path') {
      failAt('FILTER_SYNTAX', 'array_length takes a field name or a JSON path', args[0]!.pos);
    }
    return node({ kind: 'call', name, args: Object.freeze(args), pos: t.start });
  }
}

function flip(op: CompareOp): CompareOp {
  return op === '<' ? '>' : op === '<=' ? '>=' : op === '>' ? '<' : op === '>=' ? '<=' : op;
}

function describe(t: Token): string {
  switch (t.type) {
    case 'eof': return 'the end of the filter';
    case 'string': return `string ${t.text}`;
    case 'int': case 'float': return `number ${t.text}`;
    case 'keyword': return `"${t.text}"`;
    case 'ident': return `name "${t.text}"`;
    default: return `"${t.text}"`;
  }
}
