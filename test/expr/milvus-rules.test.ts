// The filter corpus held to Milvus 2.6's plan parser: for each category of the typing
// rules, forms Milvus accepts (with the rows they select over schema.ts's four rows) and
// forms it refuses (with Elanus's code). Each group names the rule it follows: a file of
// milvus-io/milvus internal/parser/planparserv2 (or segcore for semantics) and the function.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileFilter } from '../../src/query/expr/index.js';
import { ElanusError } from '../../src/errors/index.js';
import { schema, reader, rows } from './schema.js';

type Want = readonly number[] | 'FILTER_TYPE' | 'FILTER_SYNTAX';
type Case = readonly [filter: string, want: Want, params?: Record<string, unknown>];

function ids(filter: string, params?: Record<string, unknown>): number[] {
  const f = compileFilter(schema, filter, params);
  return rows.filter((r) => f.test(...reader(r))).map((r) => r.id as number);
}

const groups: Record<string, readonly Case[]> = {
  // utils.go handleBinaryArithExpr (field op constant, the constant first only for + and *;
  // not two fields, not nested) and parser_visitor.go VisitUnary (no unary minus on a field).
  'arithmetic: one field with one constant, compared with a constant': [
    ['stock + 1 == 11', [1]],
    ['2 * stock == 20', [1]],
    ['stock - 10 == 0', [1]],
    ['11 == stock + 1', [1]],
    ['price / 2 == 50.25', [4]],
    ['age + 1 == 31', [1]],
    ['nums[0] * 2 == 10', [2]],
    ['stock + stock == 20', 'FILTER_TYPE'],
    ['(stock + 1) * 2 == 22', 'FILTER_TYPE'],
    ['10 - stock == 0', 'FILTER_TYPE'],
    ['100 / stock == 10', 'FILTER_TYPE'],
    ['stock + 1 == price', 'FILTER_TYPE'],
    ['-stock < -50', 'FILTER_TYPE'],
    ['stock + 1 > 1.5', 'FILTER_TYPE'],
  ],
  // utils.go handleCompareRightValue → castValue: the constant is cast to the field's type,
  // and a float does not cast to an integer; castRangeValue and VisitTerm likewise.
  'integer fields against float constants': [
    ['stock > 2.5', 'FILTER_TYPE'],
    ['stock == 10.0', 'FILTER_TYPE'],
    ['2.5 < stock', 'FILTER_TYPE'],
    ['nums[0] > 1.5', 'FILTER_TYPE'],
    ['big in [1.0]', 'FILTER_TYPE'],
    ['1.5 < stock < 9', 'FILTER_TYPE'],
    ['stock + 1.5 == 3', 'FILTER_TYPE'],
    ['price > 100', [1, 3, 4]],
    ['ratio == 1', [3]],
    ['age > 17.5', [1]],
  ],
  // utils.go handleCompare: two plain columns, no JSON, no arithmetic; VisitRelational
  // checkDirectComparisonBinaryField: no whole Array field.
  'field-to-field comparison': [
    ['stock < price', [1, 2, 4]],
    ['id == stock', []],
    ['stock < age', 'FILTER_TYPE'],
    ['product["n"] == stock', 'FILTER_TYPE'],
    ['tags == tags', 'FILTER_TYPE'],
    ['color < stock', 'FILTER_TYPE'],
    ['array_length(tags) == stock', 'FILTER_TYPE'],
  ],
  // plan_parser_v2.go parseExprInner → canBeExecuted (a column or a literal is
  // nodeDependent, not a condition); parser_visitor.go VisitUnary (not), VisitLogicalAnd/Or
  // (constants fold with constants only).
  'bare boolean fields, not, and literal booleans': [
    ['flag', 'FILTER_TYPE'],
    ['not flag', 'FILTER_TYPE'],
    ['!flag', 'FILTER_TYPE'],
    ['flag and id > 0', 'FILTER_TYPE'],
    ['product["model"]', 'FILTER_TYPE'],
    ['not age', 'FILTER_TYPE'],
    ['true', 'FILTER_TYPE'],
    ['true and id > 1', 'FILTER_TYPE'],
    ['id > 1 or 1 == 1', 'FILTER_TYPE'],
    ['flag == true', [1, 4]],
    ['not (flag == true)', [2]],
    ['true and false', []],
    ['not false', [1, 2, 3, 4]],
    ['1 < 2', [1, 2, 3, 4]],
  ],
  // parser_visitor.go VisitPower ("power can only apply on constants"); utils.go
  // checkValidModArith and operators.go Modulo (% on integers only; JSON counts as one).
  '** and % operand types': [
    ['price == 11 ** 2 - 1', [1]],
    ['2 ** -1 == 0.5', [1, 2, 3, 4]],
    ['stock % 7 == 0', [4]],
    ['age % 2 == 1', [2]],
    ['stock ** 2 == 100', 'FILTER_TYPE'],
    ['price % 2 == 0', 'FILTER_TYPE'],
    ['stock % 2.5 == 0', 'FILTER_TYPE'],
    ['5.5 % 2 == 1.5', 'FILTER_TYPE'],
  ],
  // operators.go Divide/Modulo ("cannot divide by zero", also by 0.0) and utils.go
  // combineBinaryArithExpr ("division or modulus by zero").
  'division or modulo by a zero constant': [
    ['stock / 0 == 1', 'FILTER_TYPE'],
    ['stock % 0 == 1', 'FILTER_TYPE'],
    ['price / 0.0 == 1', 'FILTER_TYPE'],
    ['age / 0 == 1', 'FILTER_TYPE'],
    ['1 / 0 == 1', 'FILTER_TYPE'],
    ['1.0 / 0.0 > 1', 'FILTER_TYPE'],
    ['7 % 0 == 1', 'FILTER_TYPE'],
    ['price / 0.5 == 240', [1]],
  ],
  // parser_visitor.go VisitRange/VisitReverseRange: constant bounds (castRangeValue), and
  // "invalid range: lowerbound is greater than upperbound" (equal bounds need both ends
  // inclusive); bounds from template parameters are not checked.
  'reversed or empty ranges': [
    ['10 <= stock <= 10', [1]],
    ['49 >= stock >= 49', [4]],
    ['1 < age < 31', [1, 2]],
    ['5 < stock < 5', 'FILTER_TYPE'],
    ['5 < stock <= 5', 'FILTER_TYPE'],
    ['5 >= stock > 5', 'FILTER_TYPE'],
    ['10 < stock < 1', 'FILTER_TYPE'],
    ['60 > stock > 70', 'FILTER_TYPE'],
    ['"a" < stock < "z"', 'FILTER_TYPE'],
    ['stock < price < 100', 'FILTER_TYPE'],
    ['{hi} < stock < {lo}', [], { lo: 10, hi: 60 }],
  ],
  // parser_visitor.go VisitTerm: "'term' can only be used on non-const expression" and
  // "... on single field".
  'in with constant or arithmetic left sides': [
    ['stock in [10, 49]', [1, 4]],
    ['age in [30, "30"]', [1, 4]],
    ['1 in [1, 2]', 'FILTER_TYPE'],
    ['(stock + 1) in [11]', 'FILTER_TYPE'],
    ['array_length(tags) in [1]', 'FILTER_TYPE'],
    ['{a} in [1]', 'FILTER_TYPE', { a: 1 }],
  ],
  // utils.go handleBinaryArithExpr: array_length is compared with an Int64 constant as
  // it is; arithmetic on it is "complicated arithmetic".
  'array_length in arithmetic': [
    ['array_length(tags) == 2', [1]],
    ['array_length(tags) >= 4', [4]],
    ['array_length(tags) + 1 == 3', 'FILTER_TYPE'],
    ['array_length(tags) * 2 > 2', 'FILTER_TYPE'],
    ['array_length(tags) > 1.5', 'FILTER_TYPE'],
    ['array_length(tags[0]) > 1', 'FILTER_TYPE'],
  ],
  // parser_visitor.go VisitEquality/VisitAddSub ("placeholder was not supported between
  // two constants"), VisitTemplateVariable + canBeExecuted (a lone parameter is no
  // condition); Plan.g4 `expr LIKE StringLiteral` (no parameter as a pattern).
  'template parameters': [
    ['stock == {a}', [1], { a: 10 }],
    ['{lo} < stock < {hi}', [4], { lo: 10, hi: 60 }],
    ['{a} == {b}', 'FILTER_TYPE', { a: 1, b: 1 }],
    ['{a} < {b}', 'FILTER_TYPE', { a: 1, b: 2 }],
    ['{a} + 1 == stock', 'FILTER_TYPE', { a: 9 }],
    ['{a}', 'FILTER_TYPE', { a: true }],
    ['{a} and id > 1', 'FILTER_TYPE', { a: true }],
    ['color like {p}', 'FILTER_SYNTAX', { p: 'r%' }],
  ],
  // Plan.g4 JSONIdentifier is one token, name and brackets without spaces; parser_visitor.go
  // getColumnInfoFromJSONIdentifier refuses an empty key ("invalid identifier").
  'JSON path syntax': [
    ['product[\'n\'] == 5', [1]],
    ['$meta["age"] == 30', [1]],
    ['product[""] == 1', 'FILTER_SYNTAX'],
    ['product[ "n"] == 5', 'FILTER_SYNTAX'],
    ['product["n" ] == 5', 'FILTER_SYNTAX'],
    ['product ["n"] == 5', 'FILTER_SYNTAX'],
    ['product[] == 1', 'FILTER_SYNTAX'],
    ['nums[ 0] == 1', 'FILTER_SYNTAX'],
  ],
  // parser_visitor.go VisitExists: a JSON column with a key path ("exists operations are
  // only supportted on json key"); segcore ExistsExpr: a JSON null does not exist.
  'exists forms': [
    ['exists age', [1, 2, 4]],
    ['exists (product["dims"])', [1]],
    ['exists product["model"]', [1, 2]],
    ['exists product', 'FILTER_TYPE'],
    ['exists $meta', 'FILTER_TYPE'],
    ['exists price', 'FILTER_TYPE'],
    ['exists tags[0]', 'FILTER_TYPE'],
  ],
  // Plan.g4 ISNULL: 'is null' | 'IS NULL', ISNOTNULL likewise: one space, one case.
  'spacing inside is null': [
    ['stock is null', [3]],
    ['stock IS NOT NULL', [1, 2, 4]],
    ['product["model"] is null', [3, 4]],
    ['stock is  null', 'FILTER_SYNTAX'],
    ['stock is\tnull', 'FILTER_SYNTAX'],
    ['stock is not  null', 'FILTER_SYNTAX'],
    ['stock IS null', 'FILTER_SYNTAX'],
    ['stock Is Null', 'FILTER_SYNTAX'],
  ],
  // Plan.g4 EscapeSequence, then utils.go convertEscapeSingle → Go strconv.Unquote: an
  // escape must satisfy both (three octal digits, two hex digits, no \? or \%).
  'string escapes': [
    ['color == "r\\x65d"', [1]],
    ['color == "\\162ed"', [1]],
    ['color == "gr\\u0065en"', [2]],
    ['color == \'it\\\'s\'', []],
    ['color like "prefix\\\\_%"', [4]],
    ['color like "%\\\\%x"', [4]],
    ['color == "\\d"', 'FILTER_SYNTAX'],
    ['color like "a\\%"', 'FILTER_SYNTAX'],
    ['color == "\\?"', 'FILTER_SYNTAX'],
    ['color == "\\1"', 'FILTER_SYNTAX'],
    ['color == "\\x4"', 'FILTER_SYNTAX'],
    ['color == "\\400"', 'FILTER_SYNTAX'],
    ['color == "\\ud800"', 'FILTER_SYNTAX'],
  ],
  // Plan.g4 HexadecimalFloatingConstant, read by Go's strconv.ParseFloat (VisitFloating),
  // which also refuses a literal beyond the double range.
  'hexadecimal float literals': [
    ['price == 0x1ep2', [1]],
    ['price > 0x1.4p6', [1, 3, 4]],
    ['ratio == 0x1p-1', [2]],
    ['price < 0x.8p1', []],
    ['price > 1e400', 'FILTER_SYNTAX'],
    ['price == 0x1.8', 'FILTER_SYNTAX'],
  ],
  // segcore: an Array index past the end is false before the operator applies
  // (also !=); json_contains_all of [] holds and _any of [] does not, for every row;
  // CompareTwoJsonArray: == / != on JSON arrays element by element, false where the value
  // is not an array, orderings false.
  'semantics': [
    ['nums[7] != 1', []],
    ['tags[3] != "x"', [4]],
    ['not (nums[7] == 1)', [1, 2, 4]],
    ['json_contains_all(product["tags"], [])', [1, 2, 3, 4]],
    ['json_contains_any(product["tags"], [])', []],
    ['array_contains_all(tags, [])', [1, 2, 3, 4]],
    ['product["dims"] == [1, 2, 3]', [1]],
    ['product["dims"] == [1.0, 2, 3]', [1]],
    ['product["dims"] != [1, 2, 3]', []],
    ['product["dims"] != [1, 2]', [1]],
    ['product["dims"] <= [1, 2, 3]', []],
    ['product["tags"] != ["home"]', [1]],
    ['product["tags"] == [["home"]]', 'FILTER_TYPE'],
  ],
};

for (const [group, cases] of Object.entries(groups)) {
  for (const [filter, want, params] of cases) {
    test(`${group}: ${filter}${params ? ` ${JSON.stringify(params)}` : ''}`, () => {
      if (typeof want !== 'string') {
        assert.deepEqual(ids(filter, params), want);
        return;
      }
      assert.throws(() => compileFilter(schema, filter, params), (e: unknown) => {
        assert.ok(e instanceof ElanusError, String(e));
        assert.equal(e.code, want, e.message);
        assert.equal(e.spec.milvusCode, 1100);
        return true;
      });
    });
  }
}

test('refusals say what Milvus says, in Elanus words', () => {
  const message = (filter: string, params?: Record<string, unknown>) => {
    try { compileFilter(schema, filter, params); } catch (e) { return (e as Error).message; }
    return 'accepted';
  };
  assert.equal(message('stock > 2.5'), 'filter: cannot compare Int32 field "stock" with a float: Milvus casts the constant to the field\'s integer type at column 9; compare it with an integer');
  assert.equal(message('5 < stock < 5'), 'filter: invalid range: no value lies between 5 and 5 at column 1; the lower bound must be below the upper bound (or equal to it when both ends are inclusive)');
  assert.equal(message('stock ** 2 == 100'), 'filter: power (**) applies only to constants at column 1');
  assert.equal(message('price % 2 == 0'), 'filter: modulo (%) applies only to integers, not to Double field "price" at column 1');
  assert.equal(message('stock / 0 == 1'), 'filter: division by zero at column 9');
  assert.equal(message('{a} == {b}', { a: 1, b: 1 }), 'filter: template parameter {a} cannot meet another constant with == at column 1; compare a field with a template parameter');
  assert.equal(message('1 in [1, 2]'), 'filter: in needs a field on its left, but an integer is a constant at column 1');
  assert.equal(message('exists product'), 'filter: exists needs a key inside JSON value product, as in exists field["key"] at column 8');
  assert.equal(message('color == "\\d"'), 'filter: invalid escape "\\\\d" in a string at column 11; a backslash itself is written \\\\, so a literal % in a like pattern is \\\\%');
  assert.equal(message('flag'), 'filter: the filter must be a boolean expression, but Bool field "flag" is not one at column 1; a field is not a condition by itself, as in Milvus: compare it, as in flag == true');
});
