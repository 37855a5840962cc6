import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { errorRegistry, ElanusError } from '../src/errors/index.js';

test('every registered code is documented in docs/ERRORS.md and nothing else is', () => {
  const doc = readFileSync('docs/ERRORS.md', 'utf8');
  const documented = new Set([...doc.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]));
  const registered = new Set(Object.keys(errorRegistry));
  assert.deepEqual([...registered].filter((c) => !documented.has(c)), [], 'codes missing from docs/ERRORS.md');
  assert.deepEqual([...documented].filter((c) => !registered.has(c)), [], 'documented codes that do not exist');
});

test('docs/ERRORS.md gives each code its Milvus code, legacy code, HTTP status and retry as the registry declares them', () => {
  const doc = readFileSync('docs/ERRORS.md', 'utf8');
  const rows = new Map([...doc.matchAll(/^\| `([A-Z_]+)` \|.*\| (\d+) \| (\d+) \| (\d+) \| (yes|no) \|$/gm)].map((m) => [m[1], m.slice(2)]));
  for (const [code, s] of Object.entries(errorRegistry)) {
    assert.deepEqual(rows.get(code), [String(s.milvusCode), String(s.legacyCode), String(s.httpStatus), s.retryable ? 'yes' : 'no'], code);
  }
});

test('messages render their details', () => {
  const e = new ElanusError('COLLECTION_NOT_FOUND', { name: 'books', db: 'default' });
  assert.equal(e.message, 'collection not found[database=default][collection=books]');
  assert.equal(e.code, 'COLLECTION_NOT_FOUND');
  assert.equal(e.spec.milvusCode, 100);
});

test('every message template names only details it is given somewhere', () => {
  for (const [code, s] of Object.entries(errorRegistry)) {
    assert.ok(s.message.length > 10, code);
    assert.ok(s.httpStatus >= 400 && s.httpStatus < 600, code);
  }
});
