// Type-checks a parse tree against a collection schema and returns the checked tree
// (checked.ts): names resolved, template parameters bound from expr_params, constant
// arithmetic folded, and every mix Milvus refuses turned into a FILTER_TYPE error that
// names the field and the column.
import { DataType, type CollectionSchema } from '../../catalog/types.js';
import { defaultTimezone, parseInterval, parseTimestamptz } from '../../catalog/timestamptz.js';
import type { Expr, CompareOp } from './ast.js';
import { checked, type Checked, type Const, type StaticType, type Value } from './checked.js';
import { failAt } from './errors.js';
import { describe, resolveName } from './names.js';
import { arithmetic, likeRegex } from './values.js';

export type FilterParams = Readonly<Record<string, unknown>>;

/**
 * The checked condition of a filter; throws FILTER_TYPE or FILTER_PARAM. `timezone`
 * places ISO timestamp literals written without an offset (the read's timezone).
 */
export function checkFilter(schema: CollectionSchema, e: Expr, params: FilterParams = {}, timezone = defaultTimezone): Checked {
  return new Checker(schema, params, timezone).condition(e, 'the filter');
}

const numeric = (t: StaticType) => t === 'int' || t === 'float' || t === 'json';

class Checker {
  constructor(private readonly schema: CollectionSchema, private readonly params: FilterParams, private readonly timezone: string) {}

  /** A node used where a truth is needed: a boolean, or a JSON value (true only when it is true). */
  condition(e: Expr, where: string): Checked {
    const c = this.value(e);
    if (c.type === 'bool') return c;
    if (c.type === 'json') return checked({ kind: 'truth', operand: c, type: 'bool', pos: c.pos });
    failAt('FILTER_TYPE', `${where} must be a boolean expression, but ${describe(c)} is not one`, c.pos);
  }

  value(e: Expr): Checked {
    switch (e.kind) {
      case 'int': return constant(e.value, e.pos);
      case 'float': return constant(e.value, e.pos);
      case 'bool': return constant(e.value, e.pos);
      case 'string': return constant(e.value, e.pos);
      case 'array': return constant(e.items.map((x) => this.constValue(x, 'an array literal')), e.pos);
      case 'ident': case 'path': return resolveName(this.schema, e);
      case 'param': return constant(this.param(e.name, e.pos), e.pos);
      case 'unary': return this.unary(e);
      case 'binary':
        if (e.op === 'and' || e.op === 'or') return this.logic(e);
        if (isCompare(e.op)) return this.compare(e.op, this.value(e.left), this.value(e.right), e.pos);
        return this.arith(e.op as Arith, this.value(e.left), this.value(e.right), e.pos);
      case 'range': {
        const target = this.value(e.target);
        const lower = this.compare(e.lowerOp, this.value(e.lower), target, e.pos);
        const upper = this.compare(e.upperOp, target, this.value(e.upper), e.target.pos);
        return checked({ kind: 'and', items: [lower, upper], type: 'bool', pos: e.pos });
      }
      case 'in': return this.inList(e.value, e.list, e.negated, e.pos);
      case 'like': {
        const v = this.value(e.value);
        if (v.type !== 'string' && v.type !== 'json') failAt('FILTER_TYPE', `like needs a string, but ${describe(v)} is not one`, v.pos);
        const p = e.pattern.kind === 'string' ? e.pattern.value : this.param(e.pattern.name, e.pattern.pos);
        if (typeof p !== 'string') failAt('FILTER_TYPE', 'the pattern of like must be a string', e.pattern.pos);
        return checked({ kind: 'like', value: v, pattern: p, regex: likeRegex(p), type: 'bool', pos: e.pos });
      }
      case 'is_null': {
        const tz = e.target.kind === 'ident' ? this.timestamptzField(e.target.name) : undefined;
        // A Timestamptz field is read as its microseconds: only its validity matters here.
        const target = tz ? checked({ kind: 'field' as const, field: tz, type: 'int' as const, pos: e.target.pos }) : resolveName(this.schema, e.target);
        return checked({ kind: 'is_null', target, negated: e.negated, type: 'bool', pos: e.pos });
      }
      case 'exists': {
        const target = this.value(e.target);
        if (target.kind !== 'json') failAt('FILTER_TYPE', `exists needs a JSON path or a dynamic field, but ${describe(target)} is not one`, target.pos);
        return checked({ kind: 'exists', target, type: 'bool', pos: e.pos });
      }
      case 'call': return this.call(e.name, e.args, e.pos);
      case 'tz_compare': return this.tzCompare(e);
    }
  }

  private timestamptzField(name: string) {
    const f = this.schema.fields.find((x) => x.name === name && !x.isDynamic);
    return f?.type === DataType.Timestamptz ? f : undefined;
  }

  /** Milvus's checks, in its order: the field, then the ISO literal, then the interval. */
  private tzCompare(e: Extract<Expr, { kind: 'tz_compare' }>): Checked {
    const f = this.schema.fields.find((x) => x.name === e.target.name && !x.isDynamic);
    if (f === undefined) failAt('FILTER_TYPE', `can not translate identifier: ${e.target.name}`, e.target.pos);
    if (f.type !== DataType.Timestamptz) failAt('FILTER_TYPE', `field '${f.name}' is not a timestamptz datatype`, e.target.pos);
    const us = parseTimestamptz(e.iso, this.timezone);
    if (typeof us === 'string') failAt('FILTER_TYPE', `invalid timestamp string: '${e.iso}': ${us}`, e.isoPos);
    const field = checked({ kind: 'field' as const, field: f, type: 'int' as const, pos: e.target.pos });
    if (e.interval === undefined) {
      return checked({ kind: 'compare', op: e.op, left: field, right: constant(us, e.isoPos), type: 'bool', pos: e.pos });
    }
    const interval = parseInterval(e.interval.text);
    if (typeof interval === 'string') failAt('FILTER_TYPE', interval, e.interval.pos);
    return checked({ kind: 'tz_arith', field: f, sign: e.interval.sign, interval, op: e.op, value: us, type: 'bool', pos: e.pos });
  }

  private unary(e: Extract<Expr, { kind: 'unary' }>): Checked {
    if (e.op === 'not') {
      const operand = this.value(e.operand);
      if (operand.type !== 'bool' && operand.type !== 'json') {
        failAt('FILTER_TYPE', `not needs a boolean expression, but ${describe(operand)} is not one`, e.pos,
          'not binds tighter than comparisons and in: write not (x > 1), or x not in [...]');
      }
      const c = operand.type === 'json' ? checked({ kind: 'truth' as const, operand, type: 'bool' as const, pos: operand.pos }) : operand;
      return checked({ kind: 'not', operand: c, type: 'bool', pos: e.pos });
    }
    const operand = this.value(e.operand);
    if (!numeric(operand.type)) failAt('FILTER_TYPE', `unary ${e.op} needs a number, but ${describe(operand)} is not one`, e.pos);
    if (e.op === '+') return operand;
    if (operand.kind === 'const') {
      const v = operand.value as bigint | number;
      return constant(typeof v === 'bigint' ? BigInt.asIntN(64, -v) : -v, e.pos);
    }
    return checked({ kind: 'neg', operand, type: operand.type, pos: e.pos });
  }

  private logic(e: Extract<Expr, { kind: 'binary' }>): Checked {
    // Flatten `a or b or c` into one list without recursing down the left spine, so
    // that a long flat filter does not nest deeply here or in evaluation.
    const op = e.op as 'and' | 'or';
    const operands: Expr[] = [];
    let cur: Expr = e;
    while (cur.kind === 'binary' && cur.op === op) { operands.push(cur.right); cur = cur.left; }
    operands.push(cur);
    operands.reverse();
    const items = operands.map((x) => this.condition(x, `each side of ${op}`));
    return checked({ kind: op, items, type: 'bool', pos: e.pos });
  }

  compare(op: CompareOp, left: Checked, right: Checked, pos: number): Checked {
    const ordering = op !== '==' && op !== '!=';
    if (!comparable(left.type, right.type, ordering)) {
      failAt('FILTER_TYPE', `cannot compare ${describe(left)} with ${describe(right)} using ${op}`, pos);
    }
    return checked({ kind: 'compare', op, left: roundForFloat(left, right), right: roundForFloat(right, left), type: 'bool', pos });
  }

  private arith(op: Arith, left: Checked, right: Checked, pos: number): Checked {
    for (const side of [left, right]) {
      if (!numeric(side.type)) failAt('FILTER_TYPE', `arithmetic (${op}) needs numbers, but ${describe(side)} is not one`, side.pos);
    }
    if (left.kind === 'const' && right.kind === 'const') {
      const v = arithmetic(op, left.value as bigint | number, right.value as bigint | number);
      if (v === undefined) failAt('FILTER_TYPE', 'division by zero', right.pos);
      return constant(v, pos);
    }
    const type: StaticType = left.type === 'int' && right.type === 'int' && op !== '**' ? 'int' : 'float';
    return checked({ kind: 'arith', op, left, right, type, pos });
  }

  private inList(valueExpr: Expr, list: Expr, negated: boolean, pos: number): Checked {
    const value = this.value(valueExpr);
    if (value.type === 'array') failAt('FILTER_TYPE', `in cannot test ${describe(value)}`, value.pos, 'use array_contains_any(field, [...])');
    const values = this.constList(list, 'in');
    for (const v of values) {
      if (!comparable(value.type, typeOf(v), false)) {
        failAt('FILTER_TYPE', `cannot compare ${describe(value)} with ${describe(constant(v, list.pos))} in the in list`, list.pos);
      }
      // As Milvus casts each listed value to the field's type: a float (1.5, and 1.0 too) is
      // not an integer, so it cannot be listed against an integer field.
      if (value.type === 'int' && typeof v === 'number') {
        failAt('FILTER_TYPE', `value ${String(v)} in the in list cannot be cast to ${describe(value)}`, list.pos, 'list integers');
      }
    }
    const floats = value.kind === 'field' && value.field.type === DataType.Float;
    const node = checked({ kind: 'in' as const, value, values: floats ? values.map(fround) : values, type: 'bool' as const, pos });
    return negated ? checked({ kind: 'not', operand: node, type: 'bool', pos }) : node;
  }

  private call(name: string, args: readonly Expr[], pos: number): Checked {
    const target = this.value(args[0]!);
    if (target.type !== 'array' && target.type !== 'json') {
      failAt('FILTER_TYPE', `${name} needs an Array field or a JSON value, but ${describe(target)} is not one`, target.pos);
    }
    if (name === 'array_length') return checked({ kind: 'length', target, type: 'int', pos });
    const mode = name.endsWith('_all') ? 'all' : name.endsWith('_any') ? 'any' : 'one';
    const values = mode === 'one' ? [this.constValue(args[1]!, `the second argument of ${name}`)] : this.constList(args[1]!, name);
    if (target.kind === 'field' && target.elem !== undefined) {
      for (const v of values) {
        if (!comparable(target.elem, typeOf(v), false)) {
          failAt('FILTER_TYPE', `${describe(target)} holds ${target.elem} elements, which cannot equal ${describe(constant(v, 0))}`, args[1]!.pos);
        }
      }
    }
    return checked({ kind: 'contains', mode, target, values, type: 'bool', pos });
  }

  private constList(e: Expr, where: string): readonly Value[] {
    const v = this.constValue(e, where);
    if (!Array.isArray(v)) failAt('FILTER_TYPE', `${where} needs a list such as [1, 2], found ${describe(constant(v, e.pos))}`, e.pos);
    return v as readonly Value[];
  }

  private constValue(e: Expr, where: string): Value {
    const c = this.value(e);
    if (c.kind !== 'const') failAt('FILTER_TYPE', `${where} may hold only constants, but ${describe(c)} is not one`, c.pos);
    return c.value;
  }

  private param(name: string, pos: number): Value {
    if (!Object.prototype.hasOwnProperty.call(this.params, name)) {
      failAt('FILTER_PARAM', `template parameter {${name}} has no value in expr_params`, pos);
    }
    return paramValue(this.params[name], name, pos);
  }
}

type Arith = '+' | '-' | '*' | '/' | '%' | '**';

function isCompare(op: string): op is CompareOp {
  return op === '==' || op === '!=' || op === '<' || op === '<=' || op === '>' || op === '>=';
}

function comparable(a: StaticType, b: StaticType, ordering: boolean): boolean {
  if (a === 'json' || b === 'json') return true;
  if ((a === 'int' || a === 'float') && (b === 'int' || b === 'float')) return true;
  if (a === 'string' && b === 'string') return true;
  if ((a === 'bool' && b === 'bool') || (a === 'array' && b === 'array')) return !ordering;
  return false;
}

export function typeOf(v: Value): StaticType {
  switch (typeof v) {
    case 'bigint': return 'int';
    case 'number': return 'float';
    case 'string': return 'string';
    case 'boolean': return 'bool';
    default: return 'array';
  }
}

function constant(value: Value, pos: number): Const {
  return checked({ kind: 'const', value: Array.isArray(value) ? Object.freeze([...value]) : value, type: typeOf(value), pos });
}

/**
 * A Float field holds float32 values, and Milvus casts the constant it is compared with
 * to float32 too: `f == 0.1` matches the rows that stored 0.1.
 */
function roundForFloat(side: Checked, other: Checked): Checked {
  if (side.kind !== 'const' || other.kind !== 'field' || other.field.type !== DataType.Float) return side;
  if (typeof side.value !== 'number' && typeof side.value !== 'bigint') return side;
  return constant(fround(side.value), side.pos);
}

function fround(v: Value): Value {
  return typeof v === 'number' || typeof v === 'bigint' ? Math.fround(Number(v)) : v;
}

/** An expr_params value: integers (whole numbers, bigint) become Int64, other numbers doubles. */
function paramValue(v: unknown, name: string, pos: number): Value {
  if (typeof v === 'bigint' || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) failAt('FILTER_PARAM', `template parameter {${name}} is not a finite number`, pos);
    return Number.isInteger(v) ? BigInt(v) : v;
  }
  if (Array.isArray(v)) return Object.freeze(v.map((x) => paramValue(x, name, pos)));
  failAt('FILTER_PARAM', `template parameter {${name}} has a value of unsupported type ${v === null ? 'null' : typeof v}`, pos);
}
