// Error goldens: the exact message (with column and hint) and code of each mistake.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileFilter, exprDepthMax, exprLengthMax } from '../../src/query/expr/index.js';
import { ElanusError } from '../../src/errors/index.js';
import { schema, staticSchema } from './schema.js';

const goldens: [string, string, string][] = [
  // Syntax.
  ['price >', 'FILTER_SYNTAX', 'filter: unexpected end of filter; expected a value, a field or "(" at column 8'],
  ['', 'FILTER_SYNTAX', 'filter: empty filter; expected an expression at column 1'],
  ['(price > 1', 'FILTER_SYNTAX', 'filter: expected ")" to close the "(" at column 1, found the end of the filter at column 11'],
  ['price > 1 2', 'FILTER_SYNTAX', 'filter: unexpected number 2 at column 11; expected an operator or the end of the filter'],
  ['price # 1', 'FILTER_SYNTAX', 'filter: unexpected character "#" at column 7'],
  ['color == "abc', 'FILTER_SYNTAX', 'filter: unterminated string; expected a closing " at column 10'],
  ['id == 0o17', 'FILTER_SYNTAX', 'filter: invalid number "0o17" at column 7; octal integers are written with a leading zero, as in 017'],
  ['id == 019', 'FILTER_SYNTAX', 'filter: invalid octal integer 019 at column 7; a leading zero makes an integer octal (digits 0-7)'],
  ['id == 12abc', 'FILTER_SYNTAX', 'filter: invalid number "2a" at column 8'],
  ['id == 9223372036854775808', 'FILTER_SYNTAX', 'filter: integer 9223372036854775808 is out of the Int64 range at column 7'],
  ['id & 1', 'FILTER_SYNTAX', 'filter: operator "&" is not supported at column 4; did you mean "&&"?'],
  ['id << 1 == 2', 'FILTER_SYNTAX', 'filter: operator "<<" is not supported at column 4'],
  ['array_length(tags, 1) > 0', 'FILTER_SYNTAX', 'filter: array_length takes 1 argument, got 2 at column 1'],
  ['color like 5', 'FILTER_SYNTAX', 'filter: expected a string pattern after like, found number 5 at column 12'],
  ['product[x] == 1', 'FILTER_SYNTAX', 'filter: expected a quoted key or a decimal index inside [], found name "x" at column 9'],
  ['stock is nul', 'FILTER_SYNTAX', 'filter: expected "is null" or "is not null", found name "nul" at column 10'],
  ['id in [1, 2', 'FILTER_SYNTAX', 'filter: expected "," or "]" in the array that starts at column 7, found the end of the filter at column 12'],
  // Types.
  ['color > 5', 'FILTER_TYPE', 'filter: cannot compare VarChar field "color" with an integer using > at column 1'],
  ['price == "cheap"', 'FILTER_TYPE', 'filter: cannot compare Double field "price" with a string using == at column 1'],
  ['flag < true', 'FILTER_TYPE', 'filter: cannot compare Bool field "flag" with a boolean using < at column 1'],
  ['id == 1 and color + 1 == 2', 'FILTER_TYPE', 'filter: arithmetic (+) needs numbers, but VarChar field "color" is not one at column 13'],
  ['price like "1%"', 'FILTER_TYPE', 'filter: like needs a string field or a JSON path, but Double field "price" is not one at column 1'],
  ['array_contains(color, "a")', 'FILTER_TYPE', 'filter: array_contains needs an Array field or a JSON value, but VarChar field "color" is not one at column 16'],
  ['array_length(price) > 1', 'FILTER_TYPE', 'filter: array_length needs an Array field or a JSON value, but Double field "price" is not one at column 14'],
  ['array_contains(tags, 1)', 'FILTER_TYPE', 'filter: Array field "tags" holds string elements, which cannot equal an integer at column 22'],
  ['color in [1, 2]', 'FILTER_TYPE', 'filter: cannot compare VarChar field "color" with an integer in the in list at column 10'],
  ['id in [price]', 'FILTER_TYPE', 'filter: an array literal may hold only constants, but Double field "price" is not one at column 8'],
  ['vec == 1', 'FILTER_TYPE', 'filter: vector field "vec" cannot be used in a filter at column 1'],
  ['price', 'FILTER_TYPE', 'filter: the filter must be a boolean expression, but Double field "price" is not one at column 1; a field is not a condition by itself, as in Milvus: compare it, as in flag == true'],
  ['not id in [1]', 'FILTER_TYPE', 'filter: not needs a boolean expression, but Int64 field "id" is not one at column 1; not binds tighter than comparisons and in: write not (x > 1), or x not in [...]'],
  ['id == 1 and price', 'FILTER_TYPE', 'filter: each side of and must be a boolean expression, but Double field "price" is not one at column 13; a field is not a condition by itself, as in Milvus: compare it, as in flag == true'],
  ['id / 0 == 1 or 1 / 0 == 1', 'FILTER_TYPE', 'filter: division by zero at column 6'],
  ['price["a"] == 1', 'FILTER_TYPE', 'filter: Double field "price" cannot be indexed with ["a"] at column 1; only JSON and Array fields take [...]'],
  ['tags["a"] == 1', 'FILTER_TYPE', 'filter: Array field "tags" cannot be indexed with ["a"] at column 1; an Array field takes one integer index, as in arr[0]'],
  ['exists price', 'FILTER_TYPE', 'filter: exists needs a JSON path or a dynamic field, but Double field "price" is not one at column 8'],
  // Template parameters.
  ['price > {lo}', 'FILTER_PARAM', 'filter: template parameter {lo} has no value in expr_params at column 9'],
];

for (const [filter, code, message] of goldens) {
  test(`error: ${filter}`, () => {
    assert.throws(() => compileFilter(schema, filter), (e: unknown) => {
      assert.ok(e instanceof ElanusError, String(e));
      assert.equal(e.message, message);
      assert.equal(e.code, code);
      assert.equal(e.spec.milvusCode, 1100);
      return true;
    });
  });
}

test('unknown fields get a suggestion when the collection has no dynamic field', () => {
  assert.throws(() => compileFilter(staticSchema, 'prce > 1'), {
    code: 'FILTER_TYPE', message: 'filter: unknown field "prce" at column 1; did you mean "price"?',
  });
  assert.throws(() => compileFilter(staticSchema, 'id > 1 and colour == "red"'), {
    code: 'FILTER_TYPE', message: 'filter: unknown field "colour" at column 12; did you mean "color"?',
  });
  assert.throws(() => compileFilter(staticSchema, 'zzzzzz == 1'), {
    code: 'FILTER_TYPE', message: 'filter: unknown field "zzzzzz" at column 1; fields: id, price, stock, big, ratio, color, flag, product, tags, nums, vec',
  });
  assert.throws(() => compileFilter(staticSchema, '$meta["a"] == 1'), {
    code: 'FILTER_TYPE', message: 'filter: the collection has no dynamic field, so "$meta" cannot be used at column 1',
  });
});

test('template parameters of unsupported types are refused', () => {
  assert.throws(() => compileFilter(schema, 'price > {x}', { x: { a: 1 } }), {
    code: 'FILTER_PARAM', message: 'filter: template parameter {x} has a value of unsupported type object at column 9',
  });
  assert.throws(() => compileFilter(schema, 'price > {x}', { x: NaN }), { code: 'FILTER_PARAM' });
});

test('limits: length in characters and nesting in levels', () => {
  const long = 'id == 1 or '.repeat(Math.ceil(exprLengthMax / 11)) + 'id == 2';
  assert.throws(() => compileFilter(schema, long), {
    code: 'LIMIT_EXCEEDED',
    message: `filter length limit exceeded: the filter is ${long.length} characters long; exprLengthMax is ${exprLengthMax} characters`,
  });
  const deep = '('.repeat(exprDepthMax + 1) + 'id == 1' + ')'.repeat(exprDepthMax + 1);
  assert.throws(() => compileFilter(schema, deep), {
    code: 'LIMIT_EXCEEDED',
    message: `filter nesting limit exceeded: nesting deeper than exprDepthMax (${exprDepthMax} levels) at column ${exprDepthMax + 1}`,
  });
  const ok = '('.repeat(exprDepthMax) + 'id == 1' + ')'.repeat(exprDepthMax);
  assert.equal(compileFilter(schema, ok).test(() => 1, () => null), true);
  assert.throws(() => compileFilter(schema, 'not '.repeat(exprDepthMax + 1) + 'flag'), { code: 'LIMIT_EXCEEDED' });
});
