// Evaluation goldens: each filter against a small table, checked by the ids it selects.
// Includes the examples from Milvus's "Filtering" documentation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileFilter } from '../../src/query/expr/index.js';
import { schema, reader, rows } from './schema.js';


function ids(filter: string, params?: Record<string, unknown>): number[] {
  const f = compileFilter(schema, filter, params);
  return rows.filter((r) => f.test(...reader(r))).map((r) => r.id as number);
}

const goldens: [string, number[]][] = [
  // Milvus documentation examples.
  ['color in ["red", "green", "blue"]', [1, 2]],
  ['price > 100 and stock < 50', [1, 4]],
  ['product["model"] == "JSN-087"', [1]],
  ['json_contains(product["tags"], "sale")', [1]],
  ['json_contains_all(product["tags"], ["electronics", "sale", "new"])', [1]],
  ['json_contains_any(product["tags"], ["home", "new"])', [1, 2]],
  ['array_length(tags) > 3', [4]],
  ['array_contains(tags, "a")', [1, 4]],
  ['array_contains_all(tags, ["a", "b"])', [1]],
  ['array_contains_any(tags, ["b", "c"])', [1, 2, 4]],
  ['color like "pre%"', [4]],
  ['color like "%een"', [2]],
  ['color like "%re%"', [1, 2, 4]],
  ['color like "red"', [1]],
  ['color like "r_d"', [1]],
  ['color like "prefix\\\\_\\\\%%"', [4]],
  ['color like "prefix_%"', [4]],
  // Comparisons, each operator.
  ['price == 80', [2]],
  ['price != 80', [1, 3, 4]],
  ['price < 100.5', [2]],
  ['price <= 100.5', [2, 4]],
  ['price > 120', [3]],
  ['price >= 120', [1, 3]],
  ['80 < price', [1, 3, 4]],
  ['color > "green"', [1, 4]],
  ['flag == true', [1, 4]],
  ['flag == false', [2]],
  ['not (flag == true)', [2]],
  ['stock * 12 == 120', [1]],
  // Ranges.
  ['100 < price <= 300', [1, 3, 4]],
  ['300 > price >= 100.5', [1, 4]],
  ['10 <= stock < 60', [1, 4]],
  // Arithmetic: ints stay ints (truncating division), floats stay floats.
  ['stock + 1 == 11', [1]],
  ['stock - 10 == 0', [1]],
  ['stock * 2 == 98', [4]],
  ['stock / 4 == 12', [4]],
  ['stock % 7 == 0', [4]],
  ['price == 11 ** 2 - 1', [1]],
  ['price * 2 > 240', [3]],
  ['stock > -(-50)', [2]],
  ['price / 2 == 50.25', [4]],
  ['2 ** 3 == 8', [1, 2, 3, 4]],
  ['(1 + 2) * 3 == 9', [1, 2, 3, 4]],
  // in / not in.
  ['stock in [10, 49]', [1, 4]],
  ['stock not in [10, 49]', [2]],
  ['id in [1, -1, 3]', [1, 3]],
  ['price in [80, 100.5]', [2, 4]],
  ['color not in ["red"]', [2, 4]],
  ['stock in []', []],
  // Int64 beyond 2^53: exact, whether the row holds a number or a decimal string.
  ['big == 9007199254740993', [1]],
  ['big > 9007199254740992', [1]],
  ['big == 9007199254740992', [2]],
  ['big < -9223372036854775807', [4]],
  ['big in [9007199254740993]', [1]],
  // Float fields compare in float32, as Milvus casts the constant.
  ['ratio == 0.1', [1]],
  ['ratio <= 0.5', [1, 2]],
  // Nulls: comparisons with null are unknown, and so is `not` of them.
  ['stock is null', [3]],
  ['stock IS NOT NULL', [1, 2, 4]],
  ['color is null', [3]],
  ['product is null', [3]],
  ['not (stock > 20)', [1]],
  ['not (stock > 20) or id == 3', [1, 3]],
  ['stock > 20 or id == 3', [2, 3, 4]],
  ['not (stock > 20 and id == 3)', [1, 2, 4]],
  ['not (not (stock > 20))', [2, 4]],
  ['flag != true', [2]],
  ['nums is null', [3]],
  // JSON: paths, missing keys (false, but != is true), types that do not compare.
  ['product["n"] == 5', [1]],
  ['product["n"] > 2', [1, 2]],
  ['product["n"] == "5"', [4]],
  ['product["n"] != 5', [2, 4]],
  ['product["missing"] == 1', []],
  ['product["missing"] != 1', [1, 2, 4]],
  ['not (product["missing"] == 1)', [1, 2, 4]],
  ['product["dims"][1] == 2', [1]],
  ['product["dims"][9] == 2', []],
  ['product["model"] is null', [3, 4]],
  ['product["model"] is not null', [1, 2]],
  ['product["model"] like "JSN%"', [1]],
  ['product["model"] in ["ABC-1", "JSN-087"]', [1, 2]],
  ['product["n"] + 1 == 6', [1]],
  ['product["n"] * 2 == 5', [2]],
  ['array_length(product["tags"]) == 1', [2]],
  ['json_contains(product["tags"], "home") or json_contains(product["tags"], "sale")', [1, 2]],
  ['json_contains(product["dims"], 2)', [1]],
  ['exists product["dims"]', [1]],
  // exists is false for a JSON null (product 4 holds model: null).
  ['exists product["model"]', [1, 2]],
  // Dynamic fields: bare unknown names and $meta.
  ['age > 18', [1]],
  ['age == "30"', [4]],
  ['$meta["age"] < 18', [2]],
  ['city like "Z%"', [4]],
  ['sub["x"] == 1', [1]],
  ['exists age', [1, 2, 4]],
  ['exists $meta["city"]', [1, 4]],
  ['age is null', [3]],
  ['nosuchkey == 1', []],
  // Array elements.
  ['tags[0] == "a"', [1, 4]],
  ['nums[1] > 1', [1]],
  ['nums[7] == 1', []],
  ['array_length(nums) == 0', [4]],
  ['array_contains_any(nums, [5, 4])', [1, 2]],
  // Logic, keyword forms, parentheses.
  ['id == 1 || id == 2 && price > 100', [1]],
  ['(id == 1 || id == 2) && price > 100', [1]],
  ['id == 1 OR id == 2', [1, 2]],
  ['id > 1 AND id < 4', [2, 3]],
  ['NOT (id == 1)', [2, 3, 4]],
  ['id == 0x1 or id == 0b10 or id == 03', [1, 2, 3]],
  ['1 == 1', [1, 2, 3, 4]],
  ['not (1 < 2)', []],
  ['true and not False', [1, 2, 3, 4]],
];

for (const [filter, expected] of goldens) {
  test(`${filter} selects ${JSON.stringify(expected)}`, () => {
    assert.deepEqual(ids(filter), expected);
  });
}

test('template parameters are bound from expr_params', () => {
  assert.deepEqual(ids('price > {lo} and color in {colors}', { lo: 90, colors: ['red', 'green'] }), [1]);
  assert.deepEqual(ids('big == {b}', { b: 9007199254740993n }), [1]);
  assert.deepEqual(ids('price < {x}', { x: 100.75 }), [2, 4]);
});

test('string comparison is code-point (UTF-8 byte) order, not UTF-16 order', () => {
  // U+FF5E (one UTF-16 unit, 0xFF5E) sorts before U+1F600 (surrogates 0xD83D...) in UTF-8.
  const f = compileFilter(schema, 'color < "\u{1F600}"');
  assert.equal(f.test(...reader({ color: '\uFF5E' })), true);
  assert.equal(f.test(...reader({ color: '\u{1F601}' })), false);
});

test('the checked tree is frozen', () => {
  const f = compileFilter(schema, 'price > 1 and color == "x"');
  assert.ok(Object.isFrozen(f.checked));
  assert.equal(f.checked.kind, 'and');
});

test('a long flat chain of or does not nest', () => {
  const filter = Array.from({ length: 4000 }, (_, i) => `id == ${i + 10}`).join(' or ') + ' or id == 2';
  assert.deepEqual(ids(filter), [2]);
});
