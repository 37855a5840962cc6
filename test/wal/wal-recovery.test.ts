// What open() makes of the files it finds: a torn tail is cut off, damage anywhere else
// refuses to open with CORRUPT_DATA naming the file and the byte offset; groups,
// positions and retention survive a restart.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FileSystem } from '../../src/storage/index.js';
import { Wal } from '../../src/wal/index.js';
import { fsCases, payloadOf, readAll } from './helpers.js';

/** Each record of payloadOf(i, 20) takes 8 (length, crc) + 8 (offset) + 20 bytes. */
const recordBytes = 36;
const segment0 = (dir: string) => `${dir}/topics/t/00000000000000000000.log`;

async function writeTen(fs: FileSystem, dir: string, opts: { segmentBytesMax?: number } = {}): Promise<void> {
  const wal = await Wal.open({ fs, dir, ...opts });
  await wal.createTopic('t');
  for (let i = 0; i < 10; i++) await wal.append('t', payloadOf(i, 20));
  await wal.close();
}

async function patch(fs: FileSystem, path: string, position: number, bytes: Uint8Array): Promise<void> {
  const h = await fs.open(path, 'append');
  await h.write(bytes, position);
  await h.sync();
  await h.close();
}

async function flipByte(fs: FileSystem, path: string, position: number): Promise<void> {
  const h = await fs.open(path, 'append');
  const [b] = await h.read(1, position);
  await h.write(new Uint8Array([(b ?? 0) ^ 0x5a]), position);
  await h.sync();
  await h.close();
}

async function fileSize(fs: FileSystem, path: string): Promise<number> {
  return (await fs.readFile(path)).length;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

for (const c of fsCases) {
  describe(`recovery on ${c.name}`, () => {
    test('a record cut short at the end is cut off, and appending goes on at the next offset', async () => {
      const { fs, dir, cleanup } = await c.make();
      try {
        await writeTen(fs, dir);
        const path = segment0(dir);
        // Half of an eleventh record: a header promising 28 bytes, then only 5 of them.
        const torn = new Uint8Array([28, 0, 0, 0, 1, 2, 3, 4, 10, 0, 0, 0, 0]);
        await patch(fs, path, 10 * recordBytes, torn);
        const wal = await Wal.open({ fs, dir });
        assert.equal(wal.endOffset('t'), 10);
        assert.equal(await fileSize(fs, path), 10 * recordBytes, 'the torn bytes are truncated');
        assert.equal(await wal.append('t', payloadOf(10, 20)), 10);
        const all = await readAll(wal, 't');
        assert.deepEqual(all.map((r) => r.offset), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        for (const r of all) assert.deepEqual(r.payload, payloadOf(r.offset, 20));
        await wal.close();
      } finally {
        await cleanup();
      }
    });

    test('a last record that fails its checksum, with nothing after it, is cut off', async () => {
      const { fs, dir, cleanup } = await c.make();
      try {
        await writeTen(fs, dir);
        await flipByte(fs, segment0(dir), 9 * recordBytes + 30);
        const wal = await Wal.open({ fs, dir });
        assert.equal(wal.endOffset('t'), 9);
        assert.equal(await fileSize(fs, segment0(dir)), 9 * recordBytes);
        await wal.close();
      } finally {
        await cleanup();
      }
    });

    test('zeros after the last record (size committed before data) are cut off', async () => {
      const { fs, dir, cleanup } = await c.make();
      try {
        await writeTen(fs, dir);
        await patch(fs, segment0(dir), 10 * recordBytes, new Uint8Array(100));
        const wal = await Wal.open({ fs, dir });
        assert.equal(wal.endOffset('t'), 10);
        await wal.close();
      } finally {
        await cleanup();
      }
    });

    test('a damaged record followed by valid ones is CORRUPT_DATA naming the file and byte offset', async () => {
      const { fs, dir, cleanup } = await c.make();
      try {
        await writeTen(fs, dir);
        await flipByte(fs, segment0(dir), 5 * recordBytes + 20);
        const message = new RegExp(`^corrupt data in ${escape(segment0(dir))} at offset ${5 * recordBytes}: checksum mismatch`);
        await assert.rejects(Wal.open({ fs, dir }), { code: 'CORRUPT_DATA', message });
        // Refusing to open must not have changed the file.
        assert.equal(await fileSize(fs, segment0(dir)), 10 * recordBytes);
      } finally {
        await cleanup();
      }
    });

    test('a damaged length that makes a middle record look cut short is CORRUPT_DATA, not a tail to cut', async () => {
      const { fs, dir, cleanup } = await c.make();
      try {
        await writeTen(fs, dir);
        await patch(fs, segment0(dir), 4 * recordBytes, new Uint8Array([0xff, 0xff, 0, 0]));
        await assert.rejects(Wal.open({ fs, dir }), { code: 'CORRUPT_DATA', message: new RegExp(`at offset ${4 * recordBytes}: record cut short`) });
        assert.equal(await fileSize(fs, segment0(dir)), 10 * recordBytes);
      } finally {
        await cleanup();
      }
    });

    test('damage to the last record of a sealed segment is CORRUPT_DATA', async () => {
      const { fs, dir, cleanup } = await c.make();
      try {
        // Three records per 128-byte segment.
        await writeTen(fs, dir, { segmentBytesMax: 128 });
        const files = await fs.readdir(`${dir}/topics/t`);
        assert.deepEqual(files.filter((f) => f.endsWith('.log')).length, 4);
        await flipByte(fs, segment0(dir), 2 * recordBytes + 30);
        await assert.rejects(Wal.open({ fs, dir, segmentBytesMax: 128 }), {
          code: 'CORRUPT_DATA',
          message: new RegExp(`${escape(segment0(dir))} at offset ${2 * recordBytes}: checksum mismatch in a sealed segment`),
        });
      } finally {
        await cleanup();
      }
    });

    test('a missing segment in the middle is CORRUPT_DATA', async () => {
      const { fs, dir, cleanup } = await c.make();
      try {
        await writeTen(fs, dir, { segmentBytesMax: 128 });
        await fs.unlink(`${dir}/topics/t/00000000000000000003.log`);
        await assert.rejects(Wal.open({ fs, dir, segmentBytesMax: 128 }), {
          code: 'CORRUPT_DATA',
          message: /00000000000000000006\.log at offset 0: the segment starts at log offset 6 but the one before ends at 3/,
        });
      } finally {
        await cleanup();
      }
    });

    test('damaged metadata is CORRUPT_DATA', async () => {
      const { fs, dir, cleanup } = await c.make();
      try {
        await writeTen(fs, dir);
        await flipByte(fs, `${dir}/topics/t/meta`, 10);
        await assert.rejects(Wal.open({ fs, dir }), { code: 'CORRUPT_DATA', message: /topics\/t\/meta at offset 0/ });
      } finally {
        await cleanup();
      }
    });

    test('retention removes only whole files below the smallest group position and the floor', async () => {
      const { fs, dir, cleanup } = await c.make();
      try {
        const opts = { fs, dir, segmentBytesMax: 128 }; // three 36-byte records per file
        const wal = await Wal.open(opts);
        await wal.createTopic('t');
        for (let i = 0; i < 20; i++) await wal.append('t', payloadOf(i, 20));
        const logs = async () => (await fs.readdir(`${dir}/topics/t`)).filter((f) => f.endsWith('.log')).map((f) => Number(f.slice(0, 20)));
        assert.deepEqual(await logs(), [0, 3, 6, 9, 12, 15, 18]);
        assert.equal(await wal.retain('t'), 0, 'no group and no floor: nothing goes');
        await wal.createGroup('t', 'slow', 'earliest');
        await wal.createGroup('t', 'fast', 'latest');
        await wal.commit('t', 'slow', 8);
        assert.equal(await wal.retain('t'), 6, 'files [0,3) and [3,6) are below 8; [6,9) holds 8');
        assert.deepEqual(await logs(), [6, 9, 12, 15, 18]);
        await wal.commit('t', 'slow', 20);
        assert.equal(await wal.retain('t', 10), 9, 'the floor 10 keeps [9,12)');
        assert.equal(await wal.retain('t'), 18, 'the last file always stays');
        assert.deepEqual(await logs(), [18]);
        assert.equal(wal.endOffset('t'), 20);
        await wal.close();
        const again = await Wal.open(opts);
        assert.equal(again.startOffset('t'), 18);
        assert.equal(again.endOffset('t'), 20);
        assert.equal(await again.append('t', payloadOf(20, 20)), 20);
        await again.close();
      } finally {
        await cleanup();
      }
    });

    test('groups, commits and seeks survive a restart; destroyed groups stay gone', async () => {
      const { fs, dir, cleanup } = await c.make();
      try {
        await writeTen(fs, dir);
        let wal = await Wal.open({ fs, dir });
        await wal.createGroup('t', 'a', 'earliest');
        await wal.createGroup('t', 'b', 'latest');
        await wal.createGroup('t', 'c', 4);
        await wal.createGroup('t', 'gone', 'earliest');
        await wal.commit('t', 'a', 7);
        await wal.seek('t', 'b', 2);
        await wal.destroyGroup('t', 'gone');
        await wal.close();
        wal = await Wal.open({ fs, dir });
        assert.deepEqual(wal.groups('t'), ['a', 'b', 'c']);
        assert.equal(wal.position('t', 'a'), 7);
        assert.equal(wal.position('t', 'b'), 2);
        assert.equal(wal.position('t', 'c'), 4);
        await wal.close();
      } finally {
        await cleanup();
      }
    });

    test('half-made and half-dropped topic folders are removed at open', async () => {
      const { fs, dir, cleanup } = await c.make();
      try {
        await writeTen(fs, dir);
        await fs.mkdir(`${dir}/topics/half`);
        await fs.writeFile(`${dir}/topics/half/00000000000000000000.log`, new Uint8Array(3));
        await fs.writeFile(`${dir}/topics/t/meta.tmp`, new Uint8Array(3));
        const wal = await Wal.open({ fs, dir });
        assert.deepEqual(wal.topics(), ['t']);
        assert.deepEqual(await fs.readdir(`${dir}/topics`), ['t']);
        assert.ok(!(await fs.exists(`${dir}/topics/t/meta.tmp`)));
        await wal.close();
      } finally {
        await cleanup();
      }
    });
  });
}
