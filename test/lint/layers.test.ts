// The layering of src/ (issue 13): each top-level folder's README says, on a line
// `May import: a/, b/, ... (...)` (or `May import: nothing`), which other folders its files
// may import; this test reads every import of every file under src/ (static, re-exports,
// `import type`, `import('...')` in types and dynamic imports) from the syntax tree and
// holds each folder to its line. The declared rules must form no cycle, so neither can
// the imports. And no file in src/ is over 800 lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

const root = 'src';
const fileLinesMax = 800;

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      for (const f of sourceFiles(p)) out.push(f);
    } else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** The module specifiers a file names, with their lines. */
export function importsOf(file: string, text: string): Array<{ spec: string; line: number }> {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const out: Array<{ spec: string; line: number }> = [];
  const add = (node: ts.Node, lit: ts.Expression | undefined) => {
    if (lit && ts.isStringLiteral(lit)) out.push({ spec: lit.text, line: sf.getLineAndCharacterOfPosition(node.getStart()).line + 1 });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) add(node, node.moduleSpecifier);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node, node.argument.literal as ts.Expression);
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) add(node, node.arguments[0]);
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/** The top-level folder of src/ a path is in ('' for a file directly in src/). */
function folderOf(path: string): string {
  const parts = relative(root, path).split(sep);
  return parts.length > 1 ? (parts[0] as string) : '';
}

/** The folders a README allows (named before any parenthesis), or undefined when it has no `May import:` line. */
export function declaredImports(readme: string): Set<string> | undefined {
  const m = /^May import: (.*)$/m.exec(readme);
  if (!m) return undefined;
  const allowed = new Set<string>();
  for (const w of (m[1] as string).split('(')[0]!.matchAll(/([a-z][a-z-]*)\//g)) allowed.add(w[1] as string);
  return allowed;
}

/** A cycle in a graph given as adjacency sets, as a path of nodes, or undefined. */
export function findCycle(graph: ReadonlyMap<string, ReadonlySet<string>>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string): string[] | undefined => {
    state.set(n, 'open');
    stack.push(n);
    for (const m of graph.get(n) ?? []) {
      if (state.get(m) === 'open') return [...stack.slice(stack.indexOf(m)), m]; // spread-bounded: folders on the path
      if (!state.has(m)) {
        const c = visit(m);
        if (c) return c;
      }
    }
    stack.pop();
    state.set(n, 'done');
    return undefined;
  };
  for (const n of graph.keys()) {
    if (!state.has(n)) {
      const c = visit(n);
      if (c) return c;
    }
  }
  return undefined;
}

const folders = readdirSync(root).filter((n) => statSync(join(root, n)).isDirectory()).sort();

test('every folder of src/ has a README that says what it may import', () => {
  const missing = folders.filter((f) => !existsSync(join(root, f, 'README.md')) || declaredImports(readFileSync(join(root, f, 'README.md'), 'utf8')) === undefined);
  assert.deepEqual(missing, [], 'each README.md needs a line "May import: a/, b/" or "May import: nothing"');
});

test('the declared rules name real folders and form no cycle', () => {
  const graph = new Map<string, Set<string>>();
  for (const f of folders) {
    const allowed = declaredImports(readFileSync(join(root, f, 'README.md'), 'utf8')) ?? new Set();
    for (const a of allowed) assert.ok(folders.includes(a), `${f}/README.md allows ${a}/, which is not a folder of src/`);
    graph.set(f, allowed);
  }
  assert.equal(findCycle(graph)?.join(' -> '), undefined);
});

test('every import between folders of src/ is one its README allows', () => {
  const rules = new Map(folders.map((f) => [f, declaredImports(readFileSync(join(root, f, 'README.md'), 'utf8')) ?? new Set<string>()]));
  const broken: string[] = [];
  const used = new Map<string, Set<string>>();
  for (const file of sourceFiles(root)) {
    const from = folderOf(file);
    for (const { spec, line } of importsOf(file, readFileSync(file, 'utf8'))) {
      if (!spec.startsWith('.')) continue;
      const target = resolve(dirname(file), spec);
      if (!target.startsWith(resolve(root) + sep)) {
        broken.push(`${file}:${line} imports ${spec}, outside src/`);
        continue;
      }
      const to = folderOf(relative(process.cwd(), target));
      if (to === from || to === '') continue;
      if (!used.has(from)) used.set(from, new Set());
      used.get(from)!.add(to);
      // The package entry (src/index.ts) may import any folder; folders are held to their README.
      if (from !== '' && !rules.get(from)?.has(to)) broken.push(`${file}:${line} imports ${to}/ (${spec}); ${from}/README.md does not allow it`);
    }
  }
  assert.deepEqual(broken, []);
  assert.equal(findCycle(used)?.join(' -> '), undefined, 'the folders import one another in a cycle');
});

test(`no file in src/ is over ${fileLinesMax} lines`, () => {
  const long = sourceFiles(root)
    .map((f) => ({ f, lines: readFileSync(f, 'utf8').split('\n').length - 1 }))
    .filter((x) => x.lines > fileLinesMax)
    .map((x) => `${x.f}: ${x.lines} lines`);
  assert.deepEqual(long, []);
});

test('the checks can fail: a cycle is found, a forbidden import is seen', () => {
  assert.deepEqual(findCycle(new Map([['a', new Set(['b'])], ['b', new Set(['c'])], ['c', new Set(['a'])]])), ['a', 'b', 'c', 'a']);
  assert.equal(findCycle(new Map([['a', new Set(['b'])], ['b', new Set<string>()]])), undefined);
  const specs = importsOf('x.ts', "import type { A } from '../a/x.js';\nexport { B } from './b.js';\nlet c: import('../c/y.js').C;\nvoid import('../d/z.js');\n").map((i) => i.spec);
  assert.deepEqual(specs, ['../a/x.js', './b.js', '../c/y.js', '../d/z.js']);
  assert.deepEqual([...declaredImports('x\nMay import: catalog/, errors/ (checked)\n')!], ['catalog', 'errors']);
  assert.deepEqual([...declaredImports('May import: nothing\n')!], []);
});
