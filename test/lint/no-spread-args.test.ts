// No spread into call arguments over data-sized arrays: `push(...xs)`, `Math.max(...xs)`,
// `f(...xs)` put every element on the stack, and past ~120,000 elements V8 throws
// "Maximum call stack size exceeded". That is how a restart after a mass delete failed
// (issue 12: `deletes.push(...await this.readL0(l))` over a 200,000-key delete file).
//
// The rule is checked on the syntax tree of every file under src/ and bench/ (the tests
// spread short fixture lists into fast-check's variadic helpers, and are not shipped):
// a spread in the arguments of a call or `new` is refused unless what is spread is an
// array literal written out in the code, or the line (or the one above) carries a
// `spread-bounded:` comment that says why its length is small.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

const roots = ['src', 'bench'];
const allowMark = 'spread-bounded:';

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p)); // spread-bounded: one folder's entries
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

interface Finding {
  readonly file: string;
  readonly line: number;
  readonly text: string;
}

/** Spreads in call or `new` arguments that are neither literal arrays nor marked bounded. */
export function unboundedSpreads(file: string, text: string): Finding[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const lines = text.split('\n');
  const found: Finding[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isCallExpression(node) || ts.isNewExpression(node)) && node.arguments) {
      for (const arg of node.arguments) {
        if (!ts.isSpreadElement(arg) || ts.isArrayLiteralExpression(arg.expression)) continue;
        const line = sf.getLineAndCharacterOfPosition(arg.getStart(sf)).line;
        const marked = [lines[line], lines[line - 1]].some((l) => l?.includes(allowMark));
        if (!marked) found.push({ file, line: line + 1, text: (lines[line] ?? '').trim() });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

test('no spread of a data-sized array into call arguments anywhere in the code', () => {
  const findings: Finding[] = [];
  for (const root of roots) {
    for (const f of sourceFiles(root)) findings.push(...unboundedSpreads(relative('.', f), readFileSync(f, 'utf8'))); // spread-bounded: findings of one file
  }
  assert.deepEqual(
    findings.map((f) => `${f.file}:${f.line}: ${f.text}`),
    [],
    `write a loop instead, or mark a spread whose length is small with a "${allowMark} why" comment`,
  );
});

test('the rule finds the spreads it is meant to find, and lets the allowed ones pass', () => {
  const src = [
    'xs.push(...ys);',
    'Math.max(...ys.map((y) => y.n));',
    'new Set(...zs);',
    'f(1, ...[2, 3]);',
    '// spread-bounded: two shards at most',
    'g(...shards);',
    'h(...small); // spread-bounded: three fields',
    'const a = [...ys];',
  ].join('\n');
  const got = unboundedSpreads('x.ts', src).map((f) => f.line);
  assert.deepEqual(got, [1, 2, 3]);
});
