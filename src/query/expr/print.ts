// Prints a parse tree back to filter text, fully parenthesized so that precedence never
// matters: parseFilter(printFilter(e)) gives back e (up to positions). Used by tests and
// by error messages and plans that quote an expression.
import type { Expr } from './ast.js';

export function printFilter(e: Expr): string {
  switch (e.kind) {
    case 'int': return e.value.toString();
    case 'float': return printFloat(e.value);
    case 'bool': return String(e.value);
    case 'string': return printString(e.value);
    case 'array': return `[${e.items.map(printFilter).join(', ')}]`;
    case 'ident': return e.name;
    case 'path': return e.name + e.path.map((k) => `[${typeof k === 'number' ? k : printString(k)}]`).join('');
    case 'param': return `{${e.name}}`;
    case 'unary': return e.op === 'not' ? `(not ${printFilter(e.operand)})` : `(${e.op}${printFilter(e.operand)})`;
    case 'binary': return `(${printFilter(e.left)} ${e.op} ${printFilter(e.right)})`;
    case 'range': return `(${printFilter(e.lower)} ${e.lowerOp} ${printFilter(e.target)} ${e.upperOp} ${printFilter(e.upper)})`;
    case 'in': return `(${printFilter(e.value)} ${e.negated ? 'not in' : 'in'} ${printFilter(e.list)})`;
    case 'like': return `(${printFilter(e.value)} like ${printFilter(e.pattern)})`;
    case 'is_null': return `(${printFilter(e.target)} ${e.negated ? 'is not null' : 'is null'})`;
    case 'exists': return `(exists ${printFilter(e.target)})`;
    case 'call': return `${e.name}(${e.args.map(printFilter).join(', ')})`;
    case 'tz_compare': {
      const iv = e.interval ? ` ${e.interval.sign > 0 ? '+' : '-'} INTERVAL ${printString(e.interval.text)}` : '';
      return `(${e.target.name}${iv} ${e.op} ISO ${printString(e.iso)})`;
    }
  }
}

/** Always with a `.` or an exponent, so that it lexes as a float again. */
function printFloat(v: number): string {
  const s = String(v);
  return /[.e]/.test(s) ? s : s + '.0';
}

/** JSON's escapes are a subset of the C escapes the lexer reads; backslashes are kept as written. */
function printString(v: string): string {
  return JSON.stringify(v);
}
