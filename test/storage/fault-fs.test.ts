// What survives a simulated power loss, and how injected crashes behave. The property
// test at the end checks the simulation against an independent model: every file's
// bytes after a power loss are its durable bytes plus a prefix of what came after.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { writeFileDurable } from '../../src/storage/index.js';
import { FaultFileSystem, Random, ScheduledFileSystem } from '../../src/testing/index.js';

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);
const crashed = { code: 'STORAGE_IO', message: /injected crash/ };

/** A machine with a durable folder `d`, as an engine would find its data folder. */
async function machine(seed: number): Promise<FaultFileSystem> {
  const fs = new FaultFileSystem({ seed });
  await fs.mkdir('d');
  await fs.syncDir('.');
  return fs;
}

async function createDurable(fs: FaultFileSystem, path: string, content: string): Promise<void> {
  const h = await fs.open(path, 'create');
  await h.write(bytes(content), 0);
  await h.sync();
  await h.close();
  await fs.syncDir('d');
}

test('Random replays from its seed and stays in range', () => {
  const a = new Random(42);
  const b = new Random(42);
  const xs = Array.from({ length: 100 }, () => a.next());
  assert.deepEqual(xs, Array.from({ length: 100 }, () => b.next()));
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  assert.notDeepEqual(xs, Array.from({ length: 100 }, () => new Random(43).next()));
  const r = new Random(1);
  for (let i = 0; i < 1000; i++) {
    const n = r.int(7);
    assert.ok(Number.isInteger(n) && n >= 0 && n < 7);
  }
  assert.equal(r.pick(['only']), 'only');
});

test('synced data in a synced folder survives every power loss', async () => {
  for (let seed = 1; seed <= 50; seed++) {
    const fs = await machine(seed);
    await createDurable(fs, 'd/f', 'durable');
    fs.powerLoss();
    assert.equal(text(await fs.readFile('d/f')), 'durable');
    fs.powerLoss();
    assert.deepEqual(await fs.readdir('/d/'), ['f'], 'paths are keys from one root');
  }
});

test('unsynced appends are lost, kept or torn, never beyond what was written', async () => {
  const seen = new Set<string>();
  const appends = ['AAAA', 'BBBB', 'CCCC'];
  for (let seed = 1; seed <= 400; seed++) {
    const fs = await machine(seed);
    await createDurable(fs, 'd/log', 'base');
    const h = await fs.open('d/log', 'append');
    let end = 4;
    for (const a of appends) {
      await h.write(bytes(a), end);
      end += a.length;
    }
    fs.powerLoss();
    const got = text(await fs.readFile('d/log'));
    const written = `base${appends.join('')}`;
    const zeros = got.length - got.replace(/\0+$/, '').length;
    const kept = got.slice(0, got.length - zeros);
    assert.ok(written.startsWith(kept) && kept.startsWith('base'), `seed ${seed}: ${JSON.stringify(got)}`);
    assert.ok(got.length <= written.length, `seed ${seed}`);
    const wholeOps = [4, 8, 12, 16].includes(kept.length);
    seen.add(zeros > 0 ? 'zero-filled' : got === 'base' ? 'lost' : got === written ? 'kept' : wholeOps ? 'prefix' : 'torn');
  }
  assert.deepEqual([...seen].sort(), ['kept', 'lost', 'prefix', 'torn', 'zero-filled']);
});

test('a file created and synced, but not its folder, disappears', async () => {
  for (let seed = 1; seed <= 20; seed++) {
    const fs = await machine(seed);
    const h = await fs.open('d/new', 'create');
    await h.write(bytes('data'), 0);
    await h.sync();
    await h.close();
    await fs.mkdir('d/sub');
    fs.powerLoss();
    assert.deepEqual(await fs.readdir('d'), []);
    await assert.rejects(fs.readFile('d/new'), { code: 'STORAGE_IO', message: /ENOENT/ });
  }
});

test('rename, unlink and rmdir without syncDir are undone', async () => {
  for (let seed = 1; seed <= 20; seed++) {
    const fs = await machine(seed);
    await createDurable(fs, 'd/a', 'A');
    await createDurable(fs, 'd/b', 'B');
    await createDurable(fs, 'd/c', 'C');
    await fs.mkdir('d/sub');
    await fs.syncDir('d');
    await fs.rename('d/a', 'd/b');
    await fs.unlink('d/c');
    await fs.rmdir('d/sub');
    assert.deepEqual(await fs.readdir('d'), ['b']);
    fs.powerLoss();
    assert.deepEqual(await fs.readdir('d'), ['a', 'b', 'c', 'sub']);
    assert.equal(text(await fs.readFile('d/a')), 'A');
    assert.equal(text(await fs.readFile('d/b')), 'B');
    // Once the folder is synced, the rename is what survives.
    await fs.rename('d/a', 'd/b');
    await fs.syncDir('d');
    fs.powerLoss();
    assert.deepEqual(await fs.readdir('d'), ['b', 'c', 'sub']);
    assert.equal(text(await fs.readFile('d/b')), 'A');
  }
});

test('writeFileDurable is atomic at every crash point and durable once it returns', async () => {
  const setup = async (seed: number) => {
    const fs = await machine(seed);
    await writeFileDurable(fs, 'd/meta', bytes('old'));
    return fs;
  };
  const probe = await setup(1);
  const before = probe.opCount;
  await writeFileDurable(probe, 'd/meta', bytes('new content'));
  const ops = probe.opCount - before;
  assert.ok(ops >= 5, `writeFileDurable took ${ops} mutating operations`);
  for (let point = 0; point <= ops; point++) {
    for (let seed = 1; seed <= 20; seed++) {
      const fs = await setup(seed);
      fs.crashAfter(point);
      const run = writeFileDurable(fs, 'd/meta', bytes('new content'));
      if (point < ops) await assert.rejects(run, crashed);
      else await run;
      fs.powerLoss();
      // Its last operation, the folder sync, is the moment the new content becomes durable.
      assert.equal(text(await fs.readFile('d/meta')), point < ops ? 'old' : 'new content', `point ${point} seed ${seed}`);
      assert.deepEqual(await fs.readdir('d'), ['meta'], 'the temporary file does not survive unsynced');
    }
  }
});

test('after crashAfter every operation fails until powerLoss; handles and locks die with it', async () => {
  const fs = await machine(1);
  await createDurable(fs, 'd/f', 'kept');
  const lock = await fs.lock('d');
  const h = await fs.open('d/f', 'append');
  fs.crashAfter(1);
  await h.write(bytes('!'), 4);
  assert.equal(fs.crashed, false);
  await assert.rejects(fs.mkdir('d/x'), crashed);
  assert.equal(fs.crashed, true);
  await assert.rejects(fs.readFile('d/f'), crashed);
  await assert.rejects(fs.exists('d/f'), crashed);
  await assert.rejects(h.read(1, 0), crashed);
  await assert.rejects(h.close(), crashed);
  await assert.rejects(lock.release(), crashed);
  fs.powerLoss();
  assert.equal(fs.crashed, false);
  await assert.rejects(h.read(1, 0), { code: 'STORAGE_IO', message: /power loss/ });
  await assert.rejects(h.close(), { code: 'STORAGE_IO' });
  assert.ok(['kept', 'kept!', 'kept\0'].includes(text(await fs.readFile('d/f'))), 'the unsynced byte is lost, kept or zeroed');
  const again = await fs.lock('d');
  await lock.release();
  await assert.rejects(fs.lock('d'), { code: 'DATA_DIR_LOCKED' }, "a stale release leaves the new owner's lock alone");
  await again.release();
});

test('opCount counts mutating operations only; failNext fails one operation without a crash', async () => {
  const fs = new FaultFileSystem();
  await fs.mkdir('d');
  await fs.writeFile('d/f', bytes('x'));
  await fs.readFile('d/f');
  await fs.readdir('d');
  await fs.exists('d/f');
  const h = await fs.open('d/f', 'read');
  await h.read(1, 0);
  await h.size();
  await h.close();
  assert.equal(fs.opCount, 2);
  fs.failNext('rename');
  await fs.syncDir('d');
  await assert.rejects(fs.rename('d/f', 'd/g'), { code: 'STORAGE_IO', message: /EIO/ });
  await fs.rename('d/f', 'd/g');
  fs.failNext();
  await assert.rejects(fs.readFile('d/g'), { code: 'STORAGE_IO', message: /EIO/ });
  assert.equal(text(await fs.readFile('d/g')), 'x');
  assert.equal(fs.crashed, false);
});

// ---- The property: random histories against an independent model ------------------

type Op =
  | { kind: 'write'; name: string; position: number; data: Uint8Array }
  | { kind: 'truncate'; name: string; length: number }
  | { kind: 'writeFile'; name: string; data: Uint8Array }
  | { kind: 'sync'; name: string }
  | { kind: 'syncDir' }
  | { kind: 'rename'; from: string; to: string }
  | { kind: 'unlink'; name: string }
  | { kind: 'powerLoss' };

type Change = { kind: 'write'; position: number; data: Uint8Array } | { kind: 'truncate'; length: number };
interface ModelFile { durable: Uint8Array; pending: Change[] }

function applyChange(b: Uint8Array, c: Change): Uint8Array {
  if (c.kind === 'truncate') {
    const out = new Uint8Array(c.length);
    out.set(b.subarray(0, c.length));
    return out;
  }
  const out = new Uint8Array(Math.max(b.length, c.position + c.data.length));
  out.set(b);
  out.set(c.data, c.position);
  return out;
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * The allowed outcomes: the durable bytes plus the first k changes whole, then maybe a
 * strict prefix of the next write, maybe with its extension past the old end zeroed.
 */
function allowed(got: Uint8Array, f: ModelFile): boolean {
  let base = f.durable;
  for (let k = 0; k <= f.pending.length; k++) {
    if (sameBytes(got, base)) return true;
    const next = f.pending[k];
    if (next?.kind === 'write') {
      const end = next.position + next.data.length;
      for (let cut = 0; cut < next.data.length; cut++) {
        const torn = applyChange(base, { kind: 'write', position: next.position, data: next.data.subarray(0, cut) });
        const zeroed = torn.length < end ? applyChange(torn, { kind: 'truncate', length: end }) : torn;
        if (sameBytes(got, torn) || sameBytes(got, zeroed)) return true;
      }
    }
    if (next) base = applyChange(base, next);
  }
  return false;
}

const names = ['a', 'b', 'c'];
const data = fc.uint8Array({ minLength: 1, maxLength: 6 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('write' as const), name: fc.constantFrom(...names), position: fc.nat(12), data }),
  fc.record({ kind: fc.constant('truncate' as const), name: fc.constantFrom(...names), length: fc.nat(12) }),
  fc.record({ kind: fc.constant('writeFile' as const), name: fc.constantFrom(...names), data }),
  fc.record({ kind: fc.constant('sync' as const), name: fc.constantFrom(...names) }),
  fc.record({ kind: fc.constant('syncDir' as const) }),
  fc.record({ kind: fc.constant('rename' as const), from: fc.constantFrom(...names), to: fc.constantFrom(...names) }),
  fc.record({ kind: fc.constant('unlink' as const), name: fc.constantFrom(...names) }),
  fc.record({ kind: fc.constant('powerLoss' as const) }),
);

test('property: after random histories, every file is its durable bytes plus a prefix of the rest', async () => {
  await fc.assert(
    fc.asyncProperty(fc.integer(), fc.array(opArb, { maxLength: 40 }), async (seed, ops) => {
      const fs = await machine(seed);
      let current = new Map<string, ModelFile>();
      let durable = new Map<string, ModelFile>();
      const check = async () => {
        assert.deepEqual(await fs.readdir('d'), [...durable.keys()].sort());
        for (const [name, f] of durable) {
          const got = await fs.readFile(`d/${name}`);
          assert.ok(allowed(got, f), `d/${name}: ${[...got]} is not durable ${[...f.durable]} plus a prefix of ${JSON.stringify(f.pending)}`);
          f.durable = got;
          f.pending = [];
        }
        current = new Map(durable);
      };
      const fileFor = (name: string) => {
        const f = current.get(name) ?? { durable: new Uint8Array(0), pending: [] };
        current.set(name, f);
        return f;
      };
      for (const op of ops) {
        const path = op.kind === 'rename' || op.kind === 'syncDir' || op.kind === 'powerLoss' ? '' : `d/${op.name}`;
        switch (op.kind) {
          case 'write': {
            const h = await fs.open(path, 'append');
            await h.write(op.data, op.position);
            await h.close();
            fileFor(op.name).pending.push({ kind: 'write', position: op.position, data: op.data });
            break;
          }
          case 'truncate': {
            const f = current.get(op.name);
            if (!f) break;
            const h = await fs.open(path, 'append');
            await h.truncate(op.length);
            await h.close();
            f.pending.push({ kind: 'truncate', length: op.length });
            break;
          }
          case 'writeFile':
            await fs.writeFile(path, op.data);
            fileFor(op.name).pending.push({ kind: 'truncate', length: 0 }, { kind: 'write', position: 0, data: op.data });
            break;
          case 'sync': {
            const f = current.get(op.name);
            if (!f) break;
            const h = await fs.open(path, 'read');
            await h.sync();
            await h.close();
            f.durable = f.pending.reduce(applyChange, f.durable);
            f.pending = [];
            break;
          }
          case 'syncDir':
            await fs.syncDir('d');
            durable = new Map(current);
            break;
          case 'rename': {
            const f = current.get(op.from);
            if (!f) {
              await assert.rejects(fs.rename(`d/${op.from}`, `d/${op.to}`), { code: 'STORAGE_IO', message: /ENOENT/ });
              break;
            }
            await fs.rename(`d/${op.from}`, `d/${op.to}`);
            current.delete(op.from);
            current.set(op.to, f);
            break;
          }
          case 'unlink':
            await fs.unlink(path);
            current.delete(op.name);
            break;
          case 'powerLoss':
            fs.powerLoss();
            await check();
            break;
        }
      }
      fs.powerLoss();
      await check();
    }),
    { numRuns: 300 },
  );
});

test('ScheduledFileSystem lets fc.scheduler order I/O completions', async () => {
  const seen = new Set<string>();
  await fc.assert(
    fc.asyncProperty(fc.scheduler(), async (s) => {
      const fs = new ScheduledFileSystem(new FaultFileSystem(), (label, run) => s.schedule(Promise.resolve(label), label).then(run));
      const write = fs.writeFile('f', bytes('x'));
      const exists = fs.exists('f');
      await s.waitAll();
      await write;
      seen.add(String(await exists));
    }),
    { numRuns: 40 },
  );
  assert.deepEqual([...seen].sort(), ['false', 'true']);
});
