// Type-checks a parse tree against a collection schema and returns the checked tree
// (checked.ts): names resolved, template parameters bound from expr_params, constants
// folded, and every form Milvus 2.6's plan parser refuses turned into a FILTER_TYPE error
// that names the field and the column. The rules are those of Milvus's
// internal/parser/planparserv2 (parser_visitor.go, utils.go, operators.go); each check
// below names the function it follows, and test/expr/milvus-rules.test.ts holds a case
// for each.
import { DataType, type CollectionSchema } from '../../catalog/types.js';
import { parseWkt } from '../../catalog/geometry.js';
import { spatialFunctions } from './spatial.js';
import { defaultTimezone, parseInterval, parseTimestamptz } from '../../catalog/timestamptz.js';
import type { Expr, CompareOp } from './ast.js';
import { checked, type Checked, type Const, type StaticType, type Value } from './checked.js';
import { failAt } from './errors.js';
import { describe, resolveName } from './names.js';
import { arithmetic, compareValues, holds, likeRegex } from './values.js';

export type FilterParams = Readonly<Record<string, unknown>>;

/**
 * The checked condition of a filter; throws FILTER_TYPE or FILTER_PARAM. `timezone`
 * places ISO timestamp literals written without an offset (the read's timezone).
 */
export function checkFilter(schema: CollectionSchema, e: Expr, params: FilterParams = {}, timezone = defaultTimezone): Checked {
  return new Checker(schema, params, timezone).condition(e, 'the filter');
}

type Arith = '+' | '-' | '*' | '/' | '%' | '**';
type Ref = Extract<Checked, { kind: 'field' | 'elem' | 'json' }>;

const numeric = (t: StaticType) => t === 'int' || t === 'float' || t === 'json';
const isRef = (c: Checked): c is Ref => c.kind === 'field' || c.kind === 'elem' || c.kind === 'json';

class Checker {
  // Milvus folds a comparison, `not`, `and` or `or` of constants into a boolean constant
  // that may stand as a filter; a literal true/false or a template parameter may not
  // (parser_visitor.go: literals are nodeDependent; plan_parser_v2.go canBeExecuted).
  private readonly folded = new WeakSet<Checked>();
  // Constants bound from {name}: Milvus refuses them where two constants meet
  // ("placeholder was not supported between two constants", VisitEquality/VisitAddSub...).
  private readonly templates = new WeakMap<Checked, string>();

  constructor(private readonly schema: CollectionSchema, private readonly params: FilterParams, private readonly timezone: string) {}

  /** A node used where a truth is needed (plan_parser_v2.go parseExprInner, canBeExecuted). */
  condition(e: Expr, where: string): Checked {
    const c = this.value(e);
    if (this.executable(c)) return c;
    failAt('FILTER_TYPE', `${where} must be a boolean expression, but ${this.name(c)} is not one`, c.pos, this.conditionHint(c));
  }

  private executable(c: Checked): boolean {
    if (c.type !== 'bool') return false;
    if (c.kind === 'const') return this.folded.has(c);
    return !isRef(c);
  }

  private conditionHint(c: Checked): string | undefined {
    if (isRef(c)) return 'a field is not a condition by itself, as in Milvus: compare it, as in flag == true';
    if (c.kind === 'const' && this.templates.has(c)) return 'a template parameter is not a condition by itself';
    if (c.kind === 'const' && c.type === 'bool') return 'a literal true or false is not a condition by itself, as in Milvus; an empty filter matches every row';
    return undefined;
  }

  private name(c: Checked): string {
    const t = this.templates.get(c);
    return t !== undefined ? `template parameter {${t}}` : describe(c);
  }

  value(e: Expr): Checked {
    switch (e.kind) {
      case 'int': return constant(e.value, e.pos);
      case 'float': return constant(e.value, e.pos);
      case 'bool': return constant(e.value, e.pos);
      case 'string': return constant(e.value, e.pos);
      case 'array': return constant(e.items.map((x) => this.constValue(x, 'an array literal')), e.pos);
      case 'ident': case 'path': return resolveName(this.schema, e);
      case 'param': {
        const c = constant(this.param(e.name, e.pos), e.pos);
        this.templates.set(c, e.name);
        return c;
      }
      case 'unary': return this.unary(e);
      case 'binary':
        if (e.op === 'and' || e.op === 'or') return this.logic(e);
        if (isCompare(e.op)) return this.compare(e.op, this.value(e.left), this.value(e.right), e.pos);
        return this.arith(e.op as Arith, this.value(e.left), this.value(e.right), e.pos);
      case 'range': return this.range(e);
      case 'in': return this.inList(e.value, e.list, e.negated, e.pos);
      case 'like': {
        // parser_visitor.go VisitLike: a string field, a JSON path, or a string array element.
        const v = this.value(e.value);
        if (!isRef(v) || (v.type !== 'string' && v.type !== 'json')) {
          failAt('FILTER_TYPE', `like needs a string field or a JSON path, but ${this.name(v)} is not one`, v.pos);
        }
        const p = e.pattern.value;
        return checked({ kind: 'like', value: v, pattern: p, regex: likeRegex(p), type: 'bool', pos: e.pos });
      }
      case 'is_null': {
        const tz = e.target.kind === 'ident' ? this.timestamptzField(e.target.name) : undefined;
        // A Timestamptz field is read as its microseconds: only its validity matters here.
        const target = tz ? checked({ kind: 'field' as const, field: tz, type: 'int' as const, pos: e.target.pos }) : resolveName(this.schema, e.target);
        return checked({ kind: 'is_null', target, negated: e.negated, type: 'bool', pos: e.pos });
      }
      case 'exists': {
        // parser_visitor.go VisitExists: a single JSON field with a key path ("exists
        // operations are only supportted on json key"); a bare dynamic key has one.
        const target = this.value(e.target);
        if (target.kind !== 'json') failAt('FILTER_TYPE', `exists needs a JSON path or a dynamic field, but ${this.name(target)} is not one`, target.pos);
        if (target.path.length === 0) failAt('FILTER_TYPE', `exists needs a key inside ${this.name(target)}, as in exists field["key"]`, target.pos);
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

  /** parser_visitor.go VisitUnary: constants fold; `not` needs a condition; `-` applies to constants only. */
  private unary(e: Extract<Expr, { kind: 'unary' }>): Checked {
    const operand = this.value(e.operand);
    if (e.op === 'not') {
      if (operand.kind === 'const') {
        if (typeof operand.value !== 'boolean') failAt('FILTER_TYPE', `not needs a boolean, but ${this.name(operand)} is not one`, e.pos);
        this.noTemplate(operand, 'not', e.pos);
        return this.fold(!operand.value, e.pos);
      }
      if (!this.executable(operand)) {
        failAt('FILTER_TYPE', `not needs a boolean expression, but ${this.name(operand)} is not one`, e.pos,
          isRef(operand) && operand.type === 'bool' ? 'write flag == false, as Milvus does not take a bare field as a condition'
            : 'not binds tighter than comparisons and in: write not (x > 1), or x not in [...]');
      }
      return checked({ kind: 'not', operand, type: 'bool', pos: e.pos });
    }
    if (!numeric(operand.type)) failAt('FILTER_TYPE', `unary ${e.op} needs a number, but ${this.name(operand)} is not one`, e.pos);
    if (e.op === '+') return operand;
    if (operand.kind !== 'const') {
      failAt('FILTER_TYPE', `unary - applies only to constants, not to ${this.name(operand)}`, e.pos, 'write the comparison the other way round, as in x > 5 for -x < -5');
    }
    const v = operand.value as bigint | number;
    return constant(typeof v === 'bigint' ? BigInt.asIntN(64, -v) : -v, e.pos);
  }

  /** parser_visitor.go VisitLogicalAnd/Or: conditions with conditions, or constants with constants (folded). */
  private logic(e: Extract<Expr, { kind: 'binary' }>): Checked {
    // Flatten `a or b or c` into one list without recursing down the left spine, so
    // that a long flat filter does not nest deeply here or in evaluation.
    const op = e.op as 'and' | 'or';
    const operands: Expr[] = [];
    let cur: Expr = e;
    while (cur.kind === 'binary' && cur.op === op) { operands.push(cur.right); cur = cur.left; }
    operands.push(cur);
    operands.reverse();
    const items = operands.map((x) => this.value(x));
    const consts = items.filter((x) => x.kind === 'const');
    if (consts.length === items.length) {
      const bools = items.map((x) => {
        if (typeof (x as Const).value !== 'boolean') failAt('FILTER_TYPE', `${op} needs booleans, but ${this.name(x)} is not one`, x.pos);
        this.noTemplate(x as Const, op, x.pos);
        return (x as Const).value as boolean;
      });
      return this.fold(op === 'and' ? bools.every(Boolean) : bools.some(Boolean), e.pos);
    }
    for (const x of items) {
      if (x.kind === 'const') {
        failAt('FILTER_TYPE', `${op} joins conditions, but ${this.name(x)} is a constant`, x.pos,
          'Milvus does not mix constants and conditions in and/or; drop the constant');
      }
      if (!this.executable(x)) {
        failAt('FILTER_TYPE', `each side of ${op} must be a boolean expression, but ${this.name(x)} is not one`, x.pos, this.conditionHint(x));
      }
    }
    return checked({ kind: op, items, type: 'bool', pos: e.pos });
  }

  /** utils.go HandleCompare, handleCompareRightValue, handleCompare and castValue. */
  compare(op: CompareOp, left: Checked, right: Checked, pos: number): Checked {
    const ordering = op !== '==' && op !== '!=';
    if (left.kind === 'const' && right.kind === 'const') {
      this.noTemplate(left, op, pos);
      this.noTemplate(right, op, pos);
      if (!comparable(left.type, right.type, ordering) || left.type === 'array') {
        failAt('FILTER_TYPE', `cannot compare ${describe(left)} with ${describe(right)} using ${op}`, pos);
      }
      const order = compareValues(left.value, right.value)!;
      return this.fold(holds(op, order), pos);
    }
    if (left.kind !== 'const' && right.kind !== 'const') return this.compareFields(op, left, right, pos);
    const [x, k] = left.kind === 'const' ? [right, left] : [left, right as Const];
    if (x.kind === 'arith' || x.kind === 'length') {
      // utils.go handleBinaryArithExpr: `field op c` compared with a constant of the arithmetic's type.
      if (!comparable(x.type, k.type, ordering)) failAt('FILTER_TYPE', `cannot compare ${describe(x)} with ${this.name(k)} using ${op}`, pos);
      if (x.type === 'int' && k.type === 'float') {
        failAt('FILTER_TYPE', `cannot compare ${describe(x)} with ${this.name(k)}: Milvus casts the constant to Int64`, k.pos, 'compare it with an integer');
      }
    } else if (isRef(x)) {
      this.compareRef(op, x, k, pos);
    } else {
      // A condition compared with a constant, as in (a > 1) == true: utils.go
      // handleCompareRightValue finds no column ("not supported to combine multiple fields").
      failAt('FILTER_TYPE', `cannot compare ${describe(x)} with ${this.name(k)} using ${op}`, pos,
        'only a field, a JSON path, field op constant or array_length(...) is compared with a constant');
    }
    return checked({ kind: 'compare', op, left: roundForFloat(left, right), right: roundForFloat(right, left), type: 'bool', pos });
  }

  /** A field, element or JSON path against a constant: utils.go canBeCompared and castValue. */
  private compareRef(op: CompareOp, x: Ref, k: Const, pos: number): void {
    const ordering = op !== '==' && op !== '!=';
    if (x.type === 'array') {
      // VisitRelational: "can not comparisons array fields directly"; == and != compare
      // whole arrays, whose literal must be non-empty and of one element type
      // (canBeCompared reads the literal's element type, None when mixed or empty).
      const elem = x.kind === 'field' ? x.elem : undefined;
      const items = Array.isArray(k.value) ? k.value as readonly Value[] : undefined;
      const one = items !== undefined && items.length > 0 && items.every((v) => typeOf(v) === typeOf(items[0]!));
      if (ordering || items === undefined || !one || elem === undefined || !comparable(elem, typeOf(items[0]!), false)) {
        failAt('FILTER_TYPE', `cannot compare ${describe(x)} with ${this.name(k)} using ${op}`, pos,
          ordering ? 'Array fields are compared only with == or != against a list' : `compare it with a non-empty list of ${elem ?? 'like'} values`);
      }
      return;
    }
    if (x.type === 'json') {
      // A JSON path takes any constant; a list is compared element by element
      // (segcore CompareTwoJsonArray), whose items must be scalars.
      if (Array.isArray(k.value) && (k.value as readonly Value[]).some((v) => Array.isArray(v))) {
        failAt('FILTER_TYPE', `cannot compare ${describe(x)} with a list of lists`, k.pos);
      }
      return;
    }
    if (!comparable(x.type, k.type, ordering)) failAt('FILTER_TYPE', `cannot compare ${describe(x)} with ${this.name(k)} using ${op}`, pos);
    if (x.type === 'int' && k.type === 'float') {
      failAt('FILTER_TYPE', `cannot compare ${describe(x)} with ${this.name(k)}: Milvus casts the constant to the field's integer type`, k.pos,
        'compare it with an integer');
    }
  }

  /** utils.go handleCompare: two plain fields, neither JSON nor a whole Array. */
  private compareFields(op: CompareOp, left: Checked, right: Checked, pos: number): Checked {
    for (const side of [left, right]) {
      if (!isRef(side)) {
        failAt('FILTER_TYPE', `cannot compare ${describe(left)} with ${describe(right)}: only two fields compare with each other`, side.pos,
          'arithmetic and array_length are compared with a constant only');
      }
      if (side.kind === 'json') failAt('FILTER_TYPE', `cannot compare ${describe(side)} with another field: comparing two fields with a JSON value is not supported`, side.pos);
      if (side.type === 'array') failAt('FILTER_TYPE', `cannot compare ${describe(side)} with another field: Array fields are not compared directly`, side.pos);
    }
    const ordering = op !== '==' && op !== '!=';
    if (!comparable(left.type, right.type, ordering)) failAt('FILTER_TYPE', `cannot compare ${describe(left)} with ${describe(right)} using ${op}`, pos);
    return checked({ kind: 'compare', op, left, right, type: 'bool', pos });
  }

  /**
   * parser_visitor.go VisitAddSub, VisitMulDivMod and VisitPower, utils.go
   * canArithmetic, checkValidModArith, handleBinaryArithExpr and combineBinaryArithExpr,
   * operators.go Divide and Modulo: constants fold; otherwise one field (or JSON path, or
   * array element) with one constant, the field first except for + and *.
   */
  private arith(op: Arith, left: Checked, right: Checked, pos: number): Checked {
    for (const side of [left, right]) {
      if (!numeric(side.type)) failAt('FILTER_TYPE', `arithmetic (${op}) needs numbers, but ${this.name(side)} is not one`, side.pos);
    }
    if (left.kind === 'const' && right.kind === 'const') {
      this.noTemplate(left, op, pos);
      this.noTemplate(right, op, pos);
      const a = left.value as bigint | number;
      const b = right.value as bigint | number;
      if (op === '%' && (typeof a !== 'bigint' || typeof b !== 'bigint')) failAt('FILTER_TYPE', 'modulo (%) applies only to integers', pos);
      if ((op === '/' || op === '%') && Number(b) === 0) failAt('FILTER_TYPE', op === '/' ? 'division by zero' : 'modulo by zero', right.pos);
      return constant(arithmetic(op, a, b)!, pos);
    }
    if (op === '**') failAt('FILTER_TYPE', 'power (**) applies only to constants', pos);
    if (left.kind !== 'const' && right.kind !== 'const') {
      failAt('FILTER_TYPE', isRef(left) && isRef(right) ? `arithmetic between two fields (${op}) is not supported`
        : `arithmetic (${op}) on an expression is not supported: only one field with one constant, as in price * 2 > 10`, pos);
    }
    const [f, k] = left.kind === 'const' ? [right, left] : [left, right as Const];
    if (!isRef(f)) {
      failAt('FILTER_TYPE', `arithmetic (${op}) on ${describe(f)} is not supported: only one field with one constant, as in price * 2 > 10`, pos);
    }
    if (left.kind === 'const' && op !== '+' && op !== '*') {
      failAt('FILTER_TYPE', `constant ${op} field is not supported: only field ${op} constant`, pos);
    }
    if (f.type === 'int' && k.type === 'float') failAt('FILTER_TYPE', `arithmetic (${op}) between ${describe(f)} and ${this.name(k)} is not supported: an integer field takes integer constants`, k.pos);
    if (op === '%' && (f.type === 'float' || k.type === 'float')) failAt('FILTER_TYPE', `modulo (%) applies only to integers, not to ${f.type === 'float' ? describe(f) : this.name(k)}`, pos);
    if ((op === '/' || op === '%') && Number(k.value) === 0) failAt('FILTER_TYPE', op === '/' ? 'division by zero' : 'modulo by zero', k.pos);
    const type: StaticType = (f.type === 'int' || f.type === 'json') && k.type === 'int' ? 'int' : 'float';
    return checked({ kind: 'arith', op, left, right, type, pos });
  }

  /** parser_visitor.go VisitRange/VisitReverseRange and utils.go castRangeValue: constant bounds, not empty. */
  private range(e: Extract<Expr, { kind: 'range' }>): Checked {
    const target = this.value(e.target);
    const lower = this.value(e.lower);
    const upper = this.value(e.upper);
    for (const [b, which] of [[lower, 'lower'], [upper, 'upper']] as const) {
      if (b.kind !== 'const') failAt('FILTER_TYPE', `the ${which} bound of a range must be a constant, but ${describe(b)} is not one`, b.pos);
    }
    const lo = this.compare(e.lowerOp, lower, target, e.pos);
    const hi = this.compare(e.upperOp, target, upper, e.target.pos);
    const up = e.lowerOp === '<' || e.lowerOp === '<=';
    const [small, large] = (up ? [lower, upper] : [upper, lower]) as [Const, Const];
    const inclusive = up ? e.lowerOp === '<=' && e.upperOp === '<=' : e.lowerOp === '>=' && e.upperOp === '>=';
    // A bound from a template parameter is not checked, as Milvus fills it later.
    if (!this.templates.has(small) && !this.templates.has(large)) {
      const order = compareValues(small.value, large.value);
      if (order !== undefined && (inclusive ? order > 0 : order >= 0)) {
        failAt('FILTER_TYPE', `invalid range: no value lies between ${show(small.value)} and ${show(large.value)}`, e.pos,
          'the lower bound must be below the upper bound (or equal to it when both ends are inclusive)');
      }
    }
    return checked({ kind: 'and', items: [lo, hi], type: 'bool', pos: e.pos });
  }

  /** parser_visitor.go VisitTerm: one field (or path) on the left, a list cast to its type on the right. */
  private inList(valueExpr: Expr, list: Expr, negated: boolean, pos: number): Checked {
    const value = this.value(valueExpr);
    if (value.kind === 'const') failAt('FILTER_TYPE', `in needs a field on its left, but ${this.name(value)} is a constant`, value.pos);
    if (!isRef(value)) failAt('FILTER_TYPE', `in needs a single field or JSON path on its left, but ${describe(value)} is not one`, value.pos);
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

  /** parser_visitor.go VisitJSONContains*, VisitArrayLength and utils.go checkContainsElement. */
  private call(name: string, args: readonly Expr[], pos: number): Checked {
    if (Object.prototype.hasOwnProperty.call(spatialFunctions, name)) return this.spatial(name, args, pos);
    const target = this.value(args[0]!);
    if ((target.kind !== 'field' && target.kind !== 'json') || (target.type !== 'array' && target.type !== 'json')) {
      failAt('FILTER_TYPE', `${name} needs an Array field or a JSON value, but ${this.name(target)} is not one`, target.pos);
    }
    if (name === 'array_length') return checked({ kind: 'length', target, type: 'int', pos });
    const mode = name.endsWith('_all') ? 'all' : name.endsWith('_any') ? 'any' : 'one';
    const values = mode === 'one' ? [this.constValue(args[1]!, `the second argument of ${name}`)] : this.constList(args[1]!, name);
    if (target.kind === 'field' && target.elem !== undefined) {
      for (const v of values) {
        if (!comparable(target.elem, typeOf(v), false)) {
          failAt('FILTER_TYPE', `${describe(target)} holds ${target.elem} elements, which cannot equal ${describe(constant(v, 0))}`, args[1]!.pos);
        }
        // array_contains casts its one value to the element type (castValue); _all and _any only compare types.
        if (mode === 'one' && target.elem === 'int' && typeof v === 'number') {
          failAt('FILTER_TYPE', `${describe(target)} holds int elements, and ${String(v)} cannot be cast to one`, args[1]!.pos);
        }
      }
    }
    return checked({ kind: 'contains', mode, target, values, type: 'bool', pos });
  }

  /**
   * As Milvus's parser takes them: the first argument names a Geometry field, the second
   * is a WKT string (a literal or a template parameter) that must parse; ST_DWITHIN's
   * second is a POINT and its third a constant number of meters, not negative.
   */
  private spatial(name: string, args: readonly Expr[], pos: number): Checked {
    const op = spatialFunctions[name]!;
    const first = args[0]!;
    if (first.kind !== 'ident') failAt('FILTER_TYPE', `the first argument of ${name} must be a Geometry field name`, first.pos);
    const target = resolveName(this.schema, first);
    if (target.kind !== 'field' || target.type !== 'geometry') {
      failAt('FILTER_TYPE', `${name} is only supported on Geometry fields, but ${describe(target)} is not one`, first.pos);
    }
    const second = args[1]!;
    const text = second.kind === 'string' ? second.value : second.kind === 'param' ? this.param(second.name, second.pos) : undefined;
    if (typeof text !== 'string') failAt('FILTER_TYPE', `the second argument of ${name} must be a WKT string`, second.pos);
    const parsed = parseWkt(text);
    if ('problem' in parsed) failAt('FILTER_TYPE', `the second argument of ${name}: ${JSON.stringify(text.length > 60 ? text.slice(0, 60) + '…' : text)} ${parsed.problem}`, second.pos);
    let distance = 0;
    if (op === 'dwithin') {
      if (parsed.geometry.getGeometryType() !== 'Point' || parsed.geometry.isEmpty()) {
        failAt('FILTER_TYPE', `the second argument of ${name} must be a POINT, got ${parsed.wkt.split(' ')[0]}`, second.pos);
      }
      const d = this.value(args[2]!);
      if (d.kind !== 'const' || (typeof d.value !== 'number' && typeof d.value !== 'bigint')) {
        failAt('FILTER_TYPE', `the distance of ${name} must be a constant number of meters`, args[2]!.pos);
      }
      distance = Number(d.value);
      if (!(distance >= 0)) failAt('FILTER_TYPE', `the distance of ${name} must not be negative, got ${distance}`, args[2]!.pos);
    }
    return checked({ kind: 'spatial', op, target, wkt: parsed.wkt, query: parsed.geometry, distance, type: 'bool', pos });
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

  private fold(v: boolean, pos: number): Const {
    const c = constant(v, pos);
    this.folded.add(c);
    return c;
  }

  private noTemplate(c: Const, op: string, pos: number): void {
    const name = this.templates.get(c);
    if (name !== undefined) {
      failAt('FILTER_TYPE', `template parameter {${name}} cannot meet another constant with ${op}`, pos, 'compare a field with a template parameter');
    }
  }

  private param(name: string, pos: number): Value {
    if (!Object.prototype.hasOwnProperty.call(this.params, name)) {
      failAt('FILTER_PARAM', `template parameter {${name}} has no value in expr_params`, pos);
    }
    return paramValue(this.params[name], name, pos);
  }
}

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

function show(v: Value): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
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
