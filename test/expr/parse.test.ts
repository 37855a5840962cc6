// Parser goldens: each filter and its fully parenthesized form, which shows precedence,
// literal values and how Milvus's quirks (not binding tightly, ranges) are read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseFilter, printFilter, type Expr } from '../../src/query/expr/index.js';

const goldens: [string, string][] = [
  // Literals: decimal, octal, hex, binary, floats, booleans, strings with escapes.
  ['a == 42', '(a == 42)'],
  ['a == 017', '(a == 15)'],
  ['a == 0x1F', '(a == 31)'],
  ['a == 0X1f', '(a == 31)'],
  ['a == 0b101', '(a == 5)'],
  ['a == 0', '(a == 0)'],
  ['a == 1.5e3', '(a == 1500.0)'],
  ['a == .5', '(a == 0.5)'],
  ['a == 2.', '(a == 2.0)'],
  ['a == 1E-2', '(a == 0.01)'],
  ['a == 9223372036854775807', '(a == 9223372036854775807)'],
  ['a == true', '(a == true)'],
  ['a == True', '(a == true)'],
  ['a == FALSE', '(a == false)'],
  [`s == 'it\\'s'`, `(s == "it's")`],
  [`s == "tab\\tnew\\nq\\"x\\x41\\101\\u00e9"`, `(s == "tab\\tnew\\nq\\"xAAé")`],
  [`s == ""`, '(s == "")'],
  ['a in [1, 2, 3,]', '(a in [1, 2, 3])'],
  ['a in []', '(a in [])'],
  // Names, $meta, JSON paths, array elements, template parameters.
  ['$meta["k"] == 1', '($meta["k"] == 1)'],
  [`info["a"][0]["b"] == 'x'`, '(info["a"][0]["b"] == "x")'],
  ['arr[2] > 1', '(arr[2] > 1)'],
  ['a > {lo}', '(a > {lo})'],
  // Precedence, loosest to tightest.
  ['a or b and c', '(a or (b and c))'],
  ['a || b && c', '(a or (b and c))'],
  ['a and b or c', '((a and b) or c)'],
  ['a == 1 and b != 2', '((a == 1) and (b != 2))'],
  ['a + b * c == d', '((a + (b * c)) == d)'],
  ['a - b - c > 0', '(((a - b) - c) > 0)'],
  ['a * b % c / d', '(((a * b) % c) / d)'],
  ['-a ** 2', '(-(a ** 2))'],
  ['2 ** -1', '(2 ** (-1))'],
  ['a ** b ** c', '((a ** b) ** c)'],
  ['a + 1 in [2]', '((a + 1) in [2])'],
  ['a not in [1, 2]', '(a not in [1, 2])'],
  ['a NOT IN [1]', '(a not in [1])'],
  ['not a', '(not a)'],
  ['!a', '(not a)'],
  ['NOT a AND b', '((not a) and b)'],
  // Milvus's Plan.g4 makes `not` bind tighter than comparisons (the checker refuses it).
  ['not a == 1', '((not a) == 1)'],
  ['not (a == 1)', '(not (a == 1))'],
  ['a like "pre%"', '(a like "pre%")'],
  ['a LIKE "%fix"', '(a like "%fix")'],
  // Ranges: two comparisons pointing the same way around a name.
  ['1 < x <= 5', '(1 < x <= 5)'],
  ['5 >= x > 1', '(5 >= x > 1)'],
  ['1 < j["a"] < 5', '(1 < j["a"] < 5)'],
  ['1 < x > 0', '((1 < x) > 0)'],
  ['a is null', '(a is null)'],
  ['a IS NOT NULL', '(a is not null)'],
  ['j["x"] is not null and b', '((j["x"] is not null) and b)'],
  ['exists j["a"]', '(exists j["a"])'],
  ['EXISTS $meta["a"] or b', '((exists $meta["a"]) or b)'],
  ['json_contains(tags, "sale")', 'json_contains(tags, "sale")'],
  ['JSON_CONTAINS_ALL(t, [1, 2])', 'json_contains_all(t, [1, 2])'],
  ['json_contains_any(t, [1])', 'json_contains_any(t, [1])'],
  ['array_contains(a, 1) and array_contains_all(a, [1]) or array_contains_any(a, [2])',
    '((array_contains(a, 1) and array_contains_all(a, [1])) or array_contains_any(a, [2]))'],
  ['array_length(arr) > 3', '(array_length(arr) > 3)'],
  ['((a))', 'a'],
  ['  a\n==\t1  ', '(a == 1)'],
];

for (const [input, printed] of goldens) {
  test(`parses ${input}`, () => {
    assert.equal(printFilter(parseFilter(input)), printed);
  });
}

test('nodes are frozen and carry kind and position', () => {
  const e = parseFilter('x > 1 and y == "a"');
  assert.ok(Object.isFrozen(e));
  assert.equal(e.kind, 'binary');
  if (e.kind !== 'binary') return;
  assert.equal(e.right.kind, 'binary');
  assert.equal(e.right.pos, 10);
  assert.ok(Object.isFrozen(e.right));
});

test('integers keep every digit of an Int64', () => {
  const e = parseFilter('id == 9007199254740993');
  assert.ok(e.kind === 'binary' && e.right.kind === 'int' && e.right.value === 9007199254740993n);
});

test('keywords in mixed case are names, as in Milvus', () => {
  assert.equal(printFilter(parseFilter('And == 1')), '(And == 1)');
  assert.equal(printFilter(parseFilter('Like == 1')), '(Like == 1)');
});

// Round trip: printing any tree and parsing it again gives the same tree.
const name = fc.constantFrom('a', 'price', 'x_1', 'Info', '$meta');
const leaf: fc.Arbitrary<Expr> = fc.oneof(
  fc.bigInt({ min: 0n, max: (1n << 63n) - 1n }).map((value) => ({ kind: 'int', value, pos: 0 }) as Expr),
  fc.double({ min: 0, max: 1e300, noNaN: true }).map((value) => ({ kind: 'float', value, pos: 0 }) as Expr),
  fc.boolean().map((value) => ({ kind: 'bool', value, pos: 0 }) as Expr),
  fc.string().map((value) => ({ kind: 'string', value: value.replace(/\\/g, ''), pos: 0 }) as Expr),
  name.map((n) => ({ kind: 'ident', name: n, pos: 0 }) as Expr),
  // JSON keys are never empty: Milvus refuses [""] (getColumnInfoFromJSONIdentifier).
  fc.tuple(name, fc.array(fc.oneof(fc.string({ minLength: 1 }).map((s) => s.replace(/\\/g, '') || 'k'), fc.nat(99)), { minLength: 1, maxLength: 3 }))
    .map(([n, path]) => ({ kind: 'path', name: n, path, pos: 0 }) as Expr),
  fc.constantFrom('p', 'q').map((n) => ({ kind: 'param', name: n, pos: 0 }) as Expr),
);
const { tree } = fc.letrec<{ tree: Expr }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.tuple(fc.constantFrom('-', '+', 'not'), tie('tree')).map(([op, operand]) => ({ kind: 'unary', op, operand, pos: 0 }) as Expr),
    fc.tuple(fc.constantFrom('+', '-', '*', '/', '%', '**', '==', '!=', '<', '<=', '>', '>=', 'and', 'or'), tie('tree'), tie('tree'))
      .map(([op, left, right]) => ({ kind: 'binary', op, left, right, pos: 0 }) as Expr),
    fc.tuple(fc.boolean(), tie('tree'), fc.array(tie('tree'), { maxLength: 3 }))
      .map(([negated, value, items]) => ({ kind: 'in', negated, value, list: { kind: 'array', items, pos: 0 }, pos: 0 }) as Expr),
    fc.tuple(tie('tree'), fc.string()).map(([value, p]) => ({ kind: 'like', value, pattern: { kind: 'string', value: p.replace(/\\/g, ''), pos: 0 }, pos: 0 }) as Expr),
    fc.tuple(fc.boolean(), name).map(([negated, n]) => ({ kind: 'is_null', negated, target: { kind: 'ident', name: n, pos: 0 }, pos: 0 }) as Expr),
    tie('tree').map((target) => ({ kind: 'exists', target, pos: 0 }) as Expr),
    fc.tuple(fc.constantFrom('json_contains', 'array_contains_any'), tie('tree'), tie('tree'))
      .map(([n, a, b]) => ({ kind: 'call', name: n, args: [a, b], pos: 0 }) as Expr),
    fc.tuple(tie('tree'), fc.constantFrom<['<' | '<=', '<' | '<=']>(['<', '<='], ['<=', '<']), name, tie('tree'))
      .map(([lower, [lowerOp, upperOp], n, upper]) => ({ kind: 'range', lower, lowerOp, target: { kind: 'ident', name: n, pos: 0 }, upperOp, upper, pos: 0 }) as Expr),
  ),
}));

function strip(e: unknown): unknown {
  if (Array.isArray(e)) return e.map(strip);
  if (e !== null && typeof e === 'object') {
    return Object.fromEntries(Object.entries(e).filter(([k]) => k !== 'pos').map(([k, v]) => [k, strip(v)]));
  }
  return e;
}

test('round trip: parse(print(tree)) is the same tree', () => {
  fc.assert(fc.property(tree, (e) => {
    assert.deepEqual(strip(parseFilter(printFilter(e))), strip(e));
  }), { numRuns: 2000 });
});
