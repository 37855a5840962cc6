// One suite that every FileSystem implementation must pass (STYLE.md habit 5): the real
// one on a temporary folder and the simulated one used by crash tests. If the
// simulation drifted from the real thing, crash tests would prove the wrong program.
import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeFileSystem, joinPath, writeFileDurable, mkdirDurable, type FileLock, type FileSystem } from '../../src/storage/index.js';
import { FaultFileSystem } from '../../src/testing/index.js';

interface Subject {
  fs: FileSystem;
  /** An empty folder that exists. */
  root: string;
  cleanup(): Promise<void>;
}

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

export function fileSystemConformance(name: string, make: () => Promise<Subject>): void {
  describe(`FileSystem conformance: ${name}`, () => {
    let fs: FileSystem;
    let root: string;
    let cleanup: () => Promise<void>;
    const p = (...parts: string[]) => joinPath(root, ...parts);

    beforeEach(async () => {
      ({ fs, root, cleanup } = await make());
    });
    afterEach(async () => {
      await cleanup();
    });

    test("open 'create' makes an empty file and refuses an existing one", async () => {
      const h = await fs.open(p('a'), 'create');
      assert.equal(await h.size(), 0);
      await h.close();
      await assert.rejects(fs.open(p('a'), 'create'), { code: 'STORAGE_IO', message: /EEXIST/ });
    });

    test("open 'read', readFile and rename of a missing file fail with ENOENT", async () => {
      await assert.rejects(fs.open(p('nope'), 'read'), { code: 'STORAGE_IO', message: /ENOENT/ });
      await assert.rejects(fs.readFile(p('nope')), { code: 'STORAGE_IO', message: /ENOENT/ });
      await assert.rejects(fs.rename(p('nope'), p('x')), { code: 'STORAGE_IO', message: /ENOENT/ });
      await assert.rejects(fs.open(p('no-dir', 'f'), 'create'), { code: 'STORAGE_IO', message: /ENOENT/ });
      await assert.rejects(fs.writeFile(p('no-dir', 'f'), bytes('x')), { code: 'STORAGE_IO', message: /ENOENT/ });
    });

    test("open 'append' creates a missing file and keeps an existing one's bytes", async () => {
      const h = await fs.open(p('log'), 'append');
      await h.write(bytes('abc'), 0);
      await h.close();
      const h2 = await fs.open(p('log'), 'append');
      assert.equal(await h2.size(), 3);
      await h2.write(bytes('de'), 3);
      await h2.close();
      assert.equal(text(await fs.readFile(p('log'))), 'abcde');
    });

    test('write and read at positions; a gap reads as zeros; reads are short at the end', async () => {
      const h = await fs.open(p('f'), 'create');
      await h.write(bytes('hello'), 0);
      await h.write(bytes('J'), 0);
      await h.write(bytes('xy'), 8);
      assert.equal(await h.size(), 10);
      assert.deepEqual(await h.read(10, 0), new Uint8Array([...bytes('Jello'), 0, 0, 0, ...bytes('xy')]));
      assert.equal(text(await h.read(4, 1)), 'ello');
      assert.equal(text(await h.read(100, 8)), 'xy');
      assert.equal((await h.read(5, 10)).length, 0);
      assert.equal((await h.read(5, 50)).length, 0);
      await h.write(new Uint8Array(0), 100);
      assert.equal(await h.size(), 10, 'a write of nothing does not extend the file');
      await h.close();
    });

    test('truncate shrinks and extends with zeros', async () => {
      const h = await fs.open(p('f'), 'create');
      await h.write(bytes('abcdef'), 0);
      await h.truncate(2);
      assert.equal(await h.size(), 2);
      await h.truncate(4);
      assert.deepEqual(await h.read(10, 0), new Uint8Array([...bytes('ab'), 0, 0]));
      await h.sync();
      await h.close();
    });

    test('a read-only handle refuses writes; a closed handle refuses everything but close', async () => {
      await fs.writeFile(p('f'), bytes('abc'));
      const r = await fs.open(p('f'), 'read');
      assert.equal(text(await r.read(3, 0)), 'abc');
      await assert.rejects(r.write(bytes('x'), 0), { code: 'STORAGE_IO' });
      await assert.rejects(r.truncate(0), { code: 'STORAGE_IO' });
      await r.close();
      await assert.rejects(r.read(1, 0), { code: 'STORAGE_IO' });
      await r.close();
      assert.equal(text(await fs.readFile(p('f'))), 'abc');
    });

    test('writeFile replaces the whole file', async () => {
      await fs.writeFile(p('f'), bytes('a long first version'));
      await fs.writeFile(p('f'), bytes('short'));
      assert.equal(text(await fs.readFile(p('f'))), 'short');
    });

    test('rename moves a file, over an existing one too', async () => {
      await fs.writeFile(p('a'), bytes('A'));
      await fs.writeFile(p('b'), bytes('B'));
      await fs.rename(p('a'), p('b'));
      assert.equal(await fs.exists(p('a')), false);
      assert.equal(text(await fs.readFile(p('b'))), 'A');
      await fs.rename(p('b'), p('b'));
      assert.equal(text(await fs.readFile(p('b'))), 'A', 'renaming onto itself changes nothing');
      await fs.mkdir(p('d'));
      await fs.rename(p('b'), p('d', 'c'));
      assert.deepEqual(await fs.readdir(p('d')), ['c']);
    });

    test('unlink removes a file, is quiet when it is missing, and open handles keep the bytes', async () => {
      await fs.writeFile(p('f'), bytes('still here'));
      const h = await fs.open(p('f'), 'read');
      await fs.unlink(p('f'));
      assert.equal(await fs.exists(p('f')), false);
      assert.equal(text(await h.read(100, 0)), 'still here');
      await h.close();
      await fs.unlink(p('f'));
      await fs.mkdir(p('d'));
      await assert.rejects(fs.unlink(p('d')), { code: 'STORAGE_IO' });
    });

    test('readdir lists names sorted, folders included; [] for a missing folder', async () => {
      for (const n of ['b', 'a', 'C', 'a.tmp']) await fs.writeFile(p(n), bytes(n));
      await fs.mkdir(p('sub'));
      assert.deepEqual(await fs.readdir(root), ['C', 'a', 'a.tmp', 'b', 'sub']);
      assert.deepEqual(await fs.readdir(`${root}/`), ['C', 'a', 'a.tmp', 'b', 'sub'], 'a trailing slash is the same folder');
      assert.deepEqual(await fs.readdir(p('missing')), []);
      await assert.rejects(fs.readdir(p('a')), { code: 'STORAGE_IO' });
    });

    test('exists sees files and folders', async () => {
      assert.equal(await fs.exists(root), true);
      assert.equal(await fs.exists(p('x')), false);
      await fs.writeFile(p('x'), bytes(''));
      await fs.mkdir(p('y'));
      assert.equal(await fs.exists(p('x')), true);
      assert.equal(await fs.exists(p('y')), true);
      assert.equal(await fs.exists(p('x', 'z')), false);
    });

    test('mkdir creates parents and accepts an existing folder; rmdir removes a tree', async () => {
      await fs.mkdir(p('a', 'b', 'c'));
      await fs.mkdir(p('a', 'b'));
      await fs.writeFile(p('a', 'b', 'c', 'f'), bytes('f'));
      assert.deepEqual(await fs.readdir(p('a', 'b')), ['c']);
      await fs.writeFile(p('file'), bytes(''));
      await assert.rejects(fs.mkdir(p('file', 'x')), { code: 'STORAGE_IO' });
      await fs.rmdir(p('a'));
      assert.equal(await fs.exists(p('a')), false);
      assert.deepEqual(await fs.readdir(p('a', 'b')), []);
      await fs.rmdir(p('a'));
    });

    test('syncDir syncs an existing folder and fails on a missing one', async () => {
      await fs.mkdir(p('d'));
      await fs.syncDir(p('d'));
      await fs.syncDir(root);
      await assert.rejects(fs.syncDir(p('missing')), { code: 'STORAGE_IO', message: /ENOENT/ });
    });

    test('writeFileDurable and mkdirDurable leave exactly the target behind', async () => {
      await mkdirDurable(fs, p('x', 'y'));
      await writeFileDurable(fs, p('x', 'y', 'meta'), bytes('v1'));
      await writeFileDurable(fs, p('x', 'y', 'meta'), bytes('v2'));
      assert.equal(text(await fs.readFile(p('x', 'y', 'meta'))), 'v2');
      assert.deepEqual(await fs.readdir(p('x', 'y')), ['meta']);
    });

    test('lock is exclusive within one process until released', async () => {
      await fs.mkdir(p('data'));
      await fs.mkdir(p('other'));
      const l = await fs.lock(p('data'));
      await assert.rejects(fs.lock(p('data')), { code: 'DATA_DIR_LOCKED', message: new RegExp(`process ${process.pid};`) });
      const other = await fs.lock(p('other'));
      await l.release();
      await l.release();
      const again = await fs.lock(p('data'));
      await again.release();
      await other.release();
    });

    test('of concurrent locks on one folder, exactly one wins', async () => {
      // Repeated: the race this guards against (a lock file read before its pid was
      // written, taken for a dead owner's) showed up in about one run of this test in five; it cannot be forced from one process.
      for (let round = 0; round < 50; round++) {
        const dir = p(`data${round}`);
        await fs.mkdir(dir);
        const results = await Promise.allSettled(Array.from({ length: 8 }, () => fs.lock(dir)));
        const won = results.filter((r): r is PromiseFulfilledResult<FileLock> => r.status === 'fulfilled');
        assert.equal(won.length, 1, `round ${round}`);
        for (const r of results) {
          if (r.status === 'rejected') assert.equal((r.reason as { code?: unknown }).code, 'DATA_DIR_LOCKED');
        }
        await won[0]?.value.release();
      }
    });
  });
}

fileSystemConformance('NodeFileSystem', async () => {
  const root = await mkdtemp(join(tmpdir(), 'elanus-fs-'));
  return { fs: new NodeFileSystem(), root, cleanup: () => rm(root, { recursive: true, force: true }) };
});

fileSystemConformance('FaultFileSystem', async () => {
  const fs = new FaultFileSystem({ seed: 7 });
  await fs.mkdir('/tmp/root');
  return { fs, root: '/tmp/root', cleanup: async () => {} };
});
