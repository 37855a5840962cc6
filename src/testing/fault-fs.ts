// An in-memory FileSystem that can lose power, for crash tests. It keeps, for every
// folder and every file, what a real disk would hold after a power cut (durable) next
// to what the running process sees (current), and it can stop the "process" after any
// number of mutating operations. Everything is seeded, so a failing run replays.
//
// Folders: an entry (creation, rename, removal) becomes durable only when its own
// folder is synced with syncDir. This is POSIX's promise, stricter than ext4, whose
// journal makes a rename durable in both folders at once: a rename across folders
// may come back under both names or under neither unless both folders are synced.
// Files: see fault-inode.ts for what survives of the writes since the last sync.
import { ElanusError, assert } from '../errors/index.js';
import type { FileHandle, FileLock, FileSystem } from '../storage/fs.js';
import { Inode } from './fault-inode.js';
import { Random } from './random.js';

/** Operation names accepted by failNext(). */
export type FaultOp =
  | 'open' | 'readFile' | 'writeFile' | 'rename' | 'unlink' | 'mkdir' | 'rmdir' | 'readdir'
  | 'exists' | 'syncDir' | 'lock' | 'release'
  | 'write' | 'read' | 'size' | 'truncate' | 'sync' | 'close';

type Entry = { readonly kind: 'file'; readonly inode: Inode } | { readonly kind: 'dir'; readonly dir: Dir };

/**
 * A fault that lasts until clearFault(), as a real volume's does:
 * - 'ENOSPC' (full): writes fail after storing a seeded prefix of their bytes (a short
 *   write), as do writeFile, mkdir and creating a file; removing, truncating, renaming,
 *   syncing and reading still work, as they do on a full ext4 volume. STORAGE_FULL.
 * - 'EIO': the listed operations (default: every mutating one) fail without effect. STORAGE_IO.
 * - 'EMFILE': opening a file (open, readFile, writeFile) fails. STORAGE_IO.
 */
export interface LastingFault {
  readonly errno: 'ENOSPC' | 'EIO' | 'EMFILE';
  /** For 'EIO': which operations fail (default every mutating one). */
  readonly ops?: readonly FaultOp[];
  /** Only paths this accepts are affected (default all): one kind of file, say. */
  readonly where?: (path: string) => boolean;
}

class Dir {
  current = new Map<string, Entry>();
  durable = new Map<string, Entry>();
}

/** Path segments from the root; '/a//b/', 'a/b' and './a/b' are all the same key. */
function segments(path: string): string[] {
  const out: string[] = [];
  for (const s of path.split('/')) {
    if (s === '' || s === '.') continue;
    if (s === '..') out.pop();
    else out.push(s);
  }
  return out;
}

function ioError(path: string, detail: string): ElanusError {
  return new ElanusError('STORAGE_IO', { path, detail });
}

const enoent = (path: string) => ioError(path, 'ENOENT: no such file or directory');

export class FaultFileSystem implements FileSystem {
  private readonly root = new Dir();
  private readonly rng: Random;
  private readonly locks = new Map<string, object>();
  private ops = 0;
  private crashAt: number | undefined;
  private dead = false;
  private failing: { op: FaultOp | undefined } | undefined;
  private lasting: LastingFault | undefined;
  /** Operations refused by the lasting fault so far. */
  faultsRaised = 0;
  // Handles remember the epoch they were opened in; a power loss starts a new one.
  private epoch = 0;

  // What handles may call back into: kept off the public surface.
  private readonly gate: Gate = {
    enter: (op, path, mutating) => this.enter(op, path, mutating),
    epoch: () => this.epoch,
    shortWrite: (path, data) => this.writeFault(path, data),
    fullError: (path) => this.lastingError(path),
  };

  constructor(opts: { seed?: number } = {}) {
    this.rng = new Random(opts.seed ?? 1);
  }

  /** Mutating operations performed so far (across power losses). */
  get opCount(): number {
    return this.ops;
  }

  /** True between an injected crash and the next powerLoss(). */
  get crashed(): boolean {
    return this.dead;
  }

  /**
   * After `ops` more mutating operations, every operation fails until powerLoss():
   * crashAfter(0) kills the process at its next mutating operation, which does not
   * happen. Mutating: write, truncate, sync, writeFile, rename, unlink, mkdir, rmdir,
   * syncDir, and open in 'append' or 'create' mode (either may create the file).
   */
  crashAfter(ops: number): void {
    assert(Number.isInteger(ops) && ops >= 0, `crashAfter needs a count >= 0, got ${ops}`);
    this.crashAt = this.ops + ops;
  }

  /**
   * The next operation (of that name, when given) fails with an EIO-style STORAGE_IO
   * and has no effect (so it is not counted in opCount); nothing crashes.
   */
  failNext(op?: FaultOp): void {
    this.failing = { op };
  }

  /** From now until clearFault(), operations fail as `fault` says (see LastingFault). */
  setFault(fault: LastingFault): void {
    this.lasting = fault;
  }

  /** The cause went away (space freed, disk replaced, descriptors closed). */
  clearFault(): void {
    this.lasting = undefined;
  }

  /** The machine loses power and reboots: see the models at the top of this file. */
  powerLoss(): void {
    this.epoch++;
    this.dead = false;
    this.crashAt = undefined;
    this.failing = undefined;
    this.locks.clear();
    const seenDirs = new Set<Dir>();
    const seenInodes = new Set<Inode>();
    const revert = (dir: Dir): void => {
      seenDirs.add(dir);
      dir.current = new Map();
      // Sorted, so the PRNG draws happen in an order that does not depend on history.
      for (const name of [...dir.durable.keys()].sort()) {
        const e = dir.durable.get(name) as Entry;
        if (e.kind === 'dir') {
          // A folder renamed across unsynced parents can be durable in two places;
          // keep the first so the tree stays a tree.
          if (seenDirs.has(e.dir)) continue;
          revert(e.dir);
        } else if (!seenInodes.has(e.inode)) {
          seenInodes.add(e.inode);
          e.inode.powerLoss(this.rng);
        }
        dir.current.set(name, e);
      }
      dir.durable = new Map(dir.current);
    };
    revert(this.root);
  }

  /**
   * Every operation passes here first: a dead process fails everything, the crash
   * point turns the next mutating operation into death, and failNext fires once.
   */
  private enter(op: FaultOp, path: string, mutating: boolean): void {
    if (this.dead) throw ioError(path, 'injected crash');
    if (mutating && this.crashAt !== undefined && this.ops >= this.crashAt) {
      this.dead = true;
      throw ioError(path, 'injected crash');
    }
    if (this.failing && (this.failing.op === undefined || this.failing.op === op)) {
      this.failing = undefined;
      throw ioError(path, 'EIO: injected I/O error');
    }
    const f = this.lasting;
    if (f && (f.where === undefined || f.where(path))) {
      const refused =
        f.errno === 'EIO' ? (f.ops ? f.ops.includes(op) : mutating)
        : f.errno === 'EMFILE' ? op === 'readFile' || op === 'writeFile'
        : op === 'writeFile' || op === 'mkdir';
      if (refused) throw this.lastingError(path);
    }
    if (mutating) this.ops++;
  }

  private lastingError(path: string): ElanusError {
    this.faultsRaised++;
    const f = this.lasting!;
    if (f.errno === 'ENOSPC') return new ElanusError('STORAGE_FULL', { path, detail: 'ENOSPC: no space left on device' });
    return ioError(path, f.errno === 'EMFILE' ? 'EMFILE: too many open files' : 'EIO: injected lasting I/O error');
  }

  /** open(): with the volume full a new file cannot be made; with EMFILE nothing opens. */
  private checkOpenFault(path: string, creates: boolean): void {
    const f = this.lasting;
    if (!f || (f.where !== undefined && !f.where(path))) return;
    if (f.errno === 'EMFILE' || (f.errno === 'ENOSPC' && creates)) throw this.lastingError(path);
  }

  /** write(): on a full volume a seeded prefix lands, then ENOSPC (a short write). */
  private writeFault(path: string, data: Uint8Array): number | undefined {
    const f = this.lasting;
    if (f?.errno !== 'ENOSPC' || data.length === 0 || (f.where !== undefined && !f.where(path))) return undefined;
    return this.rng.int(data.length);
  }

  async open(path: string, mode: 'read' | 'append' | 'create'): Promise<FileHandle> {
    this.enter('open', path, mode !== 'read');
    const { parent, name } = this.parentOf(path);
    const e = parent.current.get(name);
    if (e?.kind === 'dir') throw ioError(path, 'EISDIR: illegal operation on a directory');
    if (mode === 'create' && e) throw ioError(path, 'EEXIST: file already exists');
    if (mode === 'read' && !e) throw enoent(path);
    this.checkOpenFault(path, !e);
    const inode = e ? e.inode : this.createFile(parent, name);
    return new FaultHandle(this.gate, path, inode, mode !== 'read');
  }

  async readFile(path: string): Promise<Uint8Array> {
    this.enter('readFile', path, false);
    return this.fileAt(path).contents();
  }

  async writeFile(path: string, data: Uint8Array): Promise<void> {
    this.enter('writeFile', path, true);
    const { parent, name } = this.parentOf(path);
    const e = parent.current.get(name);
    if (e?.kind === 'dir') throw ioError(path, 'EISDIR: illegal operation on a directory');
    // An existing file keeps its inode, as with O_TRUNC: its old durable bytes stay
    // on disk until the next sync, which is what makes writeFile unsafe alone.
    const inode = e ? e.inode : this.createFile(parent, name);
    inode.truncate(0);
    inode.write(data, 0);
  }

  async rename(from: string, to: string): Promise<void> {
    this.enter('rename', from, true);
    const src = this.parentOf(from);
    const e = src.parent.current.get(src.name);
    if (!e) throw enoent(from);
    const dst = this.parentOf(to);
    if (src.parent === dst.parent && src.name === dst.name) return;
    const old = dst.parent.current.get(dst.name);
    if (old?.kind === 'dir' && e.kind === 'file') throw ioError(to, 'EISDIR: illegal operation on a directory');
    if (old?.kind === 'file' && e.kind === 'dir') throw ioError(to, 'ENOTDIR: not a directory');
    if (old?.kind === 'dir' && old.dir.current.size > 0) throw ioError(to, 'ENOTEMPTY: directory not empty');
    if (e.kind === 'dir' && this.isInside(dst.parent, e.dir)) throw ioError(to, 'EINVAL: cannot move a directory into itself');
    dst.parent.current.set(dst.name, e);
    src.parent.current.delete(src.name);
  }

  async unlink(path: string): Promise<void> {
    this.enter('unlink', path, true);
    const segs = segments(path);
    const name = segs.at(-1);
    const dir = this.dirAt(segs.slice(0, -1), path);
    const e = name === undefined ? { kind: 'dir' as const } : dir?.current.get(name);
    // Like rm --force: a missing file is not an error.
    if (!e) return;
    if (e.kind === 'dir') throw ioError(path, 'EISDIR: path is a directory');
    dir?.current.delete(name as string);
  }

  async mkdir(path: string): Promise<void> {
    this.enter('mkdir', path, true);
    let dir = this.root;
    for (const s of segments(path)) {
      const e = dir.current.get(s);
      if (e?.kind === 'file') throw ioError(path, 'ENOTDIR: not a directory');
      if (e) {
        dir = e.dir;
      } else {
        const next = new Dir();
        dir.current.set(s, { kind: 'dir', dir: next });
        dir = next;
      }
    }
  }

  async rmdir(path: string): Promise<void> {
    this.enter('rmdir', path, true);
    const segs = segments(path);
    const name = segs.at(-1);
    if (name === undefined) throw ioError(path, 'EBUSY: cannot remove the root');
    // Like rm -rf: missing is fine, and a file is removed too. Subfolders keep their
    // own durable entries, which come back with the folder if its removal is lost.
    this.dirAt(segs.slice(0, -1), path)?.current.delete(name);
  }

  async readdir(path: string): Promise<string[]> {
    this.enter('readdir', path, false);
    const dir = this.dirAt(segments(path), path);
    return dir ? [...dir.current.keys()].sort() : [];
  }

  async exists(path: string): Promise<boolean> {
    this.enter('exists', path, false);
    // A file in the middle of the path means "no", as access(2) says ENOTDIR.
    let e: Entry | undefined = { kind: 'dir', dir: this.root };
    for (const s of segments(path)) {
      e = e?.kind === 'dir' ? e.dir.current.get(s) : undefined;
    }
    return e !== undefined;
  }

  async syncDir(path: string): Promise<void> {
    this.enter('syncDir', path, true);
    const e = this.entryAt(path);
    if (!e) throw enoent(path);
    // fsync on a file opened read-only syncs its data, as the real one does.
    if (e.kind === 'file') e.inode.sync();
    else e.dir.durable = new Map(e.dir.current);
  }

  async lock(path: string): Promise<FileLock> {
    this.enter('lock', path, false);
    const e = this.entryAt(path);
    if (e?.kind !== 'dir') throw e ? ioError(path, 'ENOTDIR: not a directory') : enoent(path);
    const key = segments(path).join('/');
    if (this.locks.has(key)) throw new ElanusError('DATA_DIR_LOCKED', { path, pid: process.pid });
    const token = {};
    this.locks.set(key, token);
    return {
      release: async () => {
        this.enter('release', path, false);
        // After a power loss another owner may hold the key: release only our token.
        if (this.locks.get(key) === token) this.locks.delete(key);
      },
    };
  }

  private createFile(parent: Dir, name: string): Inode {
    const inode = new Inode();
    parent.current.set(name, { kind: 'file', inode });
    return inode;
  }

  private entryAt(path: string): Entry | undefined {
    const segs = segments(path);
    const name = segs.at(-1);
    if (name === undefined) return { kind: 'dir', dir: this.root };
    return this.dirAt(segs.slice(0, -1), path)?.current.get(name);
  }

  private fileAt(path: string): Inode {
    const e = this.entryAt(path);
    if (!e) throw enoent(path);
    if (e.kind === 'dir') throw ioError(path, 'EISDIR: illegal operation on a directory');
    return e.inode;
  }

  /** The folder at `segs`, undefined when missing; a file on the way is ENOTDIR. */
  private dirAt(segs: readonly string[], path: string): Dir | undefined {
    let dir = this.root;
    for (const s of segs) {
      const e = dir.current.get(s);
      if (!e) return undefined;
      if (e.kind === 'file') throw ioError(path, 'ENOTDIR: not a directory');
      dir = e.dir;
    }
    return dir;
  }

  private parentOf(path: string): { parent: Dir; name: string } {
    const segs = segments(path);
    const name = segs.at(-1);
    if (name === undefined) throw ioError(path, 'EISDIR: illegal operation on a directory');
    const parent = this.dirAt(segs.slice(0, -1), path);
    if (!parent) throw enoent(path);
    return { parent, name };
  }

  private isInside(dir: Dir, ancestor: Dir): boolean {
    if (dir === ancestor) return true;
    for (const e of ancestor.current.values()) {
      if (e.kind === 'dir' && this.isInside(dir, e.dir)) return true;
    }
    return false;
  }
}

interface Gate {
  enter(op: FaultOp, path: string, mutating: boolean): void;
  epoch(): number;
  /** Bytes a write stores before failing on a full volume; undefined when it is not full. */
  shortWrite(path: string, data: Uint8Array): number | undefined;
  fullError(path: string): ElanusError;
}

class FaultHandle implements FileHandle {
  private closed = false;
  private readonly epoch: number;

  constructor(
    private readonly fs: Gate,
    readonly path: string,
    // The handle holds the inode, not the name: it outlives unlink and rename.
    private readonly inode: Inode,
    private readonly writable: boolean,
  ) {
    this.epoch = fs.epoch();
  }

  async write(data: Uint8Array, position: number): Promise<void> {
    this.enter('write', true, true);
    const stored = this.fs.shortWrite(this.path, data);
    if (stored !== undefined) {
      // Only growth needs space: a write within the file's current size succeeds.
      if (position + data.length <= this.inode.size) {
        this.inode.write(data, position);
        return;
      }
      if (stored > 0) this.inode.write(data.subarray(0, stored), position);
      throw this.fs.fullError(this.path);
    }
    this.inode.write(data, position);
  }

  async read(length: number, position: number): Promise<Uint8Array> {
    this.enter('read', false, false);
    return this.inode.read(length, position);
  }

  async size(): Promise<number> {
    this.enter('size', false, false);
    return this.inode.size;
  }

  async truncate(length: number): Promise<void> {
    this.enter('truncate', true, true);
    this.inode.truncate(length);
  }

  async sync(): Promise<void> {
    this.enter('sync', true, false);
    this.inode.sync();
  }

  async close(): Promise<void> {
    // Closing twice is allowed, as with node's FileHandle.
    if (this.closed && this.epoch === this.fs.epoch()) return;
    this.enter('close', false, false);
    this.closed = true;
  }

  private enter(op: FaultOp, mutating: boolean, needsWrite: boolean): void {
    // Stale and closed handles fail before counting, so they do not shift crash points.
    if (this.epoch !== this.fs.epoch()) throw ioError(this.path, 'EBADF: handle lost in a power loss');
    if (this.closed) throw ioError(this.path, 'EBADF: file closed');
    if (needsWrite && !this.writable) throw ioError(this.path, 'EBADF: opened for reading only');
    this.fs.enter(op, this.path, mutating);
  }
}
