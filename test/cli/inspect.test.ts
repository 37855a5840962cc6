// `elanus inspect DIR`: what a data folder holds, read without changing a byte of it or
// taking its lock. A folder written by the embedded engine (flushed rows, deletes in an
// L0 file, rows only in the log), the same folder while a server holds it, a damaged
// one, and folders that are not data folders.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Elanus } from '../../src/engine/index.js';
import type { InspectReport } from '../../src/cli/inspect.js';
import { EmbeddedMetaStore, NodeFileSystem, ReadOnlyFileSystem, objectFileBytes } from '../../src/storage/index.js';
import { basicRows, countOf, createBasic } from '../engine/helpers.js';
import { run, serve } from './helpers.js';

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'elanus-inspect-'));
  test.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Every file and folder under `dir`: its name, and for a file its size, mtime and content hash. */
function fingerprint(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) {
        out.push(`${p}/ ${st.mtimeMs}`);
        walk(p);
      } else {
        out.push(`${p} ${st.size} ${st.mtimeMs} ${createHash('sha256').update(readFileSync(p)).digest('hex')}`);
      }
    }
  };
  walk(dir);
  return out;
}

async function inspect(dir: string, json: boolean) {
  const x = await run(['inspect', dir, ...(json ? ['--json'] : [])]).exited;
  return { ...x, report: json && x.code !== 2 ? (JSON.parse(x.stdout) as InspectReport) : undefined };
}

/**
 * Collection `books`: 100 rows flushed, 3 of them deleted and flushed again (an L0 file),
 * then 10 rows only in the log. Collection `notes`, in database `other` with 2 shards:
 * 6 rows, never flushed.
 */
async function writeFolder(dir: string): Promise<void> {
  const db = await Elanus.open({ path: dir, limits: { backgroundIntervalMs: 0 } });
  try {
    await createBasic(db, 'books');
    await db.insert({ collection_name: 'books', data: basicRows(0, 100) });
    await db.flush({ collection_names: ['books'] });
    await db.delete({ collection_name: 'books', ids: [0, 1, 2] });
    await db.flush({ collection_names: ['books'] });
    await db.insert({ collection_name: 'books', data: basicRows(100, 110) });
    await db.createDatabase({ db_name: 'other' });
    await db.createCollection({ db_name: 'other', collection_name: 'notes', fields: [
      { name: 'id', data_type: 'Int64', is_primary_key: true },
      { name: 'vector', data_type: 'FloatVector', dim: 4 },
      { name: 'text', data_type: 'VarChar', max_length: 64 },
    ], shards_num: 2 });
    await db.insert({ db_name: 'other', collection_name: 'notes', data: basicRows(0, 6, 4, (i) => ({ text: `n${i}` })) });
  } finally {
    await db.close();
  }
}

test('inspect reports collections, segments, L0 files and log positions, in text and JSON, and changes nothing', async () => {
  const dir = tempDir();
  await writeFolder(dir);
  const before = fingerprint(dir);

  const json = await inspect(dir, true);
  assert.equal(json.code, 0, json.stderr);
  const r = json.report!;
  assert.deepEqual(r.damage, []);
  assert.equal(r.inUseBy, null);
  assert.deepEqual(r.databases, ['default', 'other']);
  assert.ok(r.bytes.meta > 0 && r.bytes.wal > 0 && r.bytes.objects > 0, JSON.stringify(r.bytes));
  assert.deepEqual(r.collections.map((c) => `${c.database}.${c.name}`), ['default.books', 'other.notes']);

  const books = r.collections[0]!;
  assert.equal(books.fields, 2);
  assert.equal(books.shards, 1);
  assert.equal(books.loaded, true);
  assert.deepEqual(books.partitions, ['_default']);
  assert.equal(books.segments.count, 1);
  assert.equal(books.segments.rows, 100);
  assert.ok(books.segments.bytes > 0);
  assert.equal(books.l0.count, 1);
  assert.equal(books.l0.deletes, 3);
  const [shard] = books.log;
  // Three records were flushed (insert, delete: the checkpoint is the delete's offset);
  // the 10 rows inserted after are one record past it.
  assert.equal(shard!.topic, `c${books.id}s0`);
  assert.equal(shard!.first, 0);
  assert.equal(shard!.checkpoint, 1);
  assert.equal(shard!.end, 3);
  assert.equal(shard!.pastCheckpoint, 1);

  const notes = r.collections[1]!;
  assert.equal(notes.fields, 3);
  assert.equal(notes.shards, 2);
  assert.equal(notes.loaded, false);
  assert.equal(notes.segments.count, 0);
  assert.equal(notes.l0.count, 0);
  assert.equal(notes.log.length, 2);
  for (const s of notes.log) {
    assert.equal(s.checkpoint, -1);
    assert.equal(s.pastCheckpoint, s.end - s.first);
  }
  assert.equal(notes.log.reduce((n, s) => n + s.pastCheckpoint, 0), 2, 'one insert record per shard (6 rows hashed onto both)');

  const text = await inspect(dir, false);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, new RegExp(`^data folder ${dir}$`, 'm'));
  assert.match(text.stdout, /^ {2}default\.books \(id \d+\): 2 fields, 1 shard, loaded$/m);
  assert.match(text.stdout, /flushed segments: 1, 100 rows, .*; L0 delete files: 1, 3 deletes/);
  assert.match(text.stdout, /shard 0 log c\d+s0: checkpoint 1, offsets 0\.\.3 \(end exclusive\), 1 records past the checkpoint/);
  assert.match(text.stdout, /^ {2}other\.notes \(id \d+\): 3 fields, 2 shards, not loaded$/m);
  assert.match(text.stdout, /^damage: none$/m);

  assert.deepEqual(fingerprint(dir), before, 'inspect changed nothing in the folder');
  // And the engine opens it as before: every row is there.
  const db = await Elanus.open({ path: dir, limits: { backgroundIntervalMs: 0 } });
  try {
    assert.equal(await countOf(db, 'books'), 107);
    assert.equal(await countOf(db, 'notes', { db_name: 'other' }).catch((e: { code?: string }) => e.code), 'COLLECTION_NOT_LOADED');
  } finally {
    await db.close();
  }
});

test('inspect beside a running server: reads the folder it holds, takes no lock, changes nothing', async () => {
  const dir = tempDir();
  const s = await serve(['--data-dir', dir, '--background-interval-ms', '0']);
  try {
    const post = (path: string, body: unknown) => fetch(`http://127.0.0.1:${s.port}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.json() as Promise<{ code: number }>);
    assert.equal((await post('/v2/vectordb/collections/create', { collectionName: 'live', dimension: 4 })).code, 0);
    assert.equal((await post('/v2/vectordb/entities/insert', { collectionName: 'live', data: basicRows(0, 20) })).code, 0);
    const before = fingerprint(dir);
    const x = await inspect(dir, true);
    assert.equal(x.code, 0, x.stderr);
    assert.equal(x.report!.inUseBy, s.proc.pid);
    const live = x.report!.collections.find((c) => c.name === 'live');
    assert.ok(live, JSON.stringify(x.report));
    assert.equal(live.segments.count, 0);
    assert.equal(live.log.reduce((n, sh) => n + sh.pastCheckpoint, 0) > 0, true, 'the rows are in the log');
    assert.deepEqual(fingerprint(dir), before, 'inspect changed nothing, not even a lock file');
    const text = await inspect(dir, false);
    assert.match(text.stdout, new RegExp(`in use by process ${s.proc.pid}`));
  } finally {
    const exit = await s.stop();
    assert.equal(exit.code, 0, exit.stderr);
  }
});

test('a damaged folder: a flipped byte in a segment, an object no metadata names; reported, exit 1, nothing repaired', async () => {
  const dir = tempDir();
  await writeFolder(dir);
  const objects = join(dir, 'objects', 'objects');
  const segment = readdirSync(objects).find((n) => n.endsWith('.seg'));
  assert.ok(segment);
  const bytes = readFileSync(join(objects, segment));
  bytes[bytes.length - 5] ^= 0xff;
  writeFileSync(join(objects, segment), bytes);
  writeFileSync(join(objects, 'segments~999~1.seg'), objectFileBytes(new Uint8Array([1, 2, 3])));
  const before = fingerprint(dir);

  const x = await inspect(dir, true);
  assert.equal(x.code, 1, x.stderr);
  const key = segment.replaceAll('~', '/');
  assert.deepEqual(x.report!.damage.map((d) => [d.kind, d.path]).sort(), [['corrupt', key], ['unnamed', 'segments/999/1.seg']]);
  assert.match(x.report!.damage.find((d) => d.kind === 'corrupt')!.detail, /checksum/);
  const text = await inspect(dir, false);
  assert.equal(text.code, 1);
  assert.match(text.stdout, /^damage: 2$/m);
  assert.match(text.stdout, new RegExp(`^ {2}corrupt: ${key.replace(/[.]/g, '\\.')}: object checksum mismatch$`, 'm'));
  assert.deepEqual(fingerprint(dir), before);

  // A segment the metadata names, gone.
  rmSync(join(objects, segment));
  const gone = await inspect(dir, true);
  assert.equal(gone.code, 1);
  assert.ok(gone.report!.damage.some((d) => d.kind === 'missing' && d.path === key), JSON.stringify(gone.report!.damage));

  // A flipped byte in the log's first record, with valid records after it: damage to
  // acknowledged records, which an open would refuse (and inspect does not repair).
  const topics = join(dir, 'wal', 'topics');
  const topic = readdirSync(topics).find((t) => readdirSync(join(topics, t)).includes('00000000000000000000.log') && statSync(join(topics, t, '00000000000000000000.log')).size > 1000);
  assert.ok(topic);
  const logFile = join(topics, topic, '00000000000000000000.log');
  const log = readFileSync(logFile);
  log[40] ^= 0xff;
  writeFileSync(logFile, log);
  const beforeLog = fingerprint(dir);
  const wal = await inspect(dir, true);
  assert.equal(wal.code, 1);
  const walDamage = wal.report!.damage.find((d) => d.path === logFile);
  assert.ok(walDamage, JSON.stringify(wal.report!.damage));
  assert.equal(walDamage.kind, 'corrupt');
  assert.match(walDamage.detail, /checksum mismatch, and valid records follow \(byte 0\)/);
  assert.deepEqual(fingerprint(dir), beforeLog);
});

test('a torn tail of the metadata journal is a note, not damage, and stays as it was; the read-only store refuses commits', async () => {
  const dir = tempDir();
  await writeFolder(dir);
  // Half a record header: the tail of a write that never finished.
  appendFileSync(join(dir, 'meta', 'journal'), new Uint8Array([9, 0, 0]));
  const before = fingerprint(dir);
  const x = await inspect(dir, true);
  assert.equal(x.code, 0, x.stderr);
  assert.equal(x.report!.metadata.tornTailBytes, 3);
  assert.ok(x.report!.notes.some((n) => /meta\/journal ends in 3 bytes/.test(n)), JSON.stringify(x.report!.notes));
  assert.deepEqual(fingerprint(dir), before, 'the torn tail was not cut');

  const store = await EmbeddedMetaStore.open({ fs: new ReadOnlyFileSystem(new NodeFileSystem()), dir: join(dir, 'meta'), readOnly: true });
  try {
    assert.ok(store.scan('coll/').length === 2);
    await assert.rejects(store.commit({ put: { x: 1 } }), { code: 'READ_ONLY' });
  } finally {
    await store.close();
  }
  await assert.rejects(new ReadOnlyFileSystem(new NodeFileSystem()).lock(dir), { code: 'READ_ONLY' });
  assert.deepEqual(fingerprint(dir), before);
});

test('a folder that does not exist, is empty, or is a file: NOT_A_DATA_DIR, exit 2, nothing created', async () => {
  const dir = tempDir();
  const file = join(dir, 'file');
  writeFileSync(file, 'x');
  for (const [path, why] of [[join(dir, 'absent'), 'it does not exist'], [dir, 'it holds no meta/journal'], [file, 'it is not a folder']] as const) {
    const before = fingerprint(dir);
    const x = await inspect(path, true);
    assert.equal(x.code, 2, x.stderr);
    assert.equal(x.stdout, '');
    assert.match(x.stderr, new RegExp(`^elanus: NOT_A_DATA_DIR: ${path} is not an Elanus data folder: ${why}`));
    assert.deepEqual(fingerprint(dir), before);
  }
  const usage = await run(['inspect']).exited;
  assert.equal(usage.code, 2, 'no folder named');
});
