// The real file system, on node:fs/promises.
import * as fsp from 'node:fs/promises';
import { constants } from 'node:fs';
import { ElanusError } from '../errors/index.js';
import type { FileHandle, FileLock, FileSystem } from './fs.js';

/** Errno codes of a full volume: writes are refused until space is freed, then resume. */
const fullCodes = new Set(['ENOSPC', 'EDQUOT']);

function ioError(path: string, e: unknown): ElanusError {
  const detail = e instanceof Error ? e.message : String(e);
  const errno = (e as NodeJS.ErrnoException | undefined)?.code;
  return new ElanusError(errno !== undefined && fullCodes.has(errno) ? 'STORAGE_FULL' : 'STORAGE_IO', { path, detail }, { cause: e });
}

async function io<T>(path: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (e) {
    throw ioError(path, e);
  }
}

class NodeFileHandle implements FileHandle {
  constructor(readonly path: string, private readonly h: fsp.FileHandle) {}

  async write(data: Uint8Array, position: number): Promise<void> {
    await io(this.path, async () => {
      let off = 0;
      while (off < data.length) {
        const { bytesWritten } = await this.h.write(data, off, data.length - off, position + off);
        off += bytesWritten;
      }
    });
  }

  async read(length: number, position: number): Promise<Uint8Array> {
    return io(this.path, async () => {
      const buf = new Uint8Array(length);
      let off = 0;
      while (off < length) {
        const { bytesRead } = await this.h.read(buf, off, length - off, position + off);
        if (bytesRead === 0) break;
        off += bytesRead;
      }
      return off === length ? buf : buf.subarray(0, off);
    });
  }

  async size(): Promise<number> {
    return io(this.path, async () => (await this.h.stat()).size);
  }

  async truncate(length: number): Promise<void> {
    await io(this.path, () => this.h.truncate(length));
  }

  async sync(): Promise<void> {
    await io(this.path, () => this.h.datasync());
  }

  async close(): Promise<void> {
    await io(this.path, () => this.h.close());
  }
}

export class NodeFileSystem implements FileSystem {
  async open(path: string, mode: 'read' | 'append' | 'create'): Promise<FileHandle> {
    const flags =
      mode === 'read' ? constants.O_RDONLY
      : mode === 'append' ? constants.O_RDWR | constants.O_CREAT
      : constants.O_RDWR | constants.O_CREAT | constants.O_EXCL;
    return new NodeFileHandle(path, await io(path, () => fsp.open(path, flags, 0o644)));
  }

  async readFile(path: string): Promise<Uint8Array> {
    const b = await io(path, () => fsp.readFile(path));
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  }

  async writeFile(path: string, data: Uint8Array): Promise<void> {
    await io(path, () => fsp.writeFile(path, data));
  }

  async rename(from: string, to: string): Promise<void> {
    await io(from, () => fsp.rename(from, to));
  }

  async unlink(path: string): Promise<void> {
    await io(path, () => fsp.rm(path, { force: true }));
  }

  async mkdir(path: string): Promise<void> {
    await io(path, () => fsp.mkdir(path, { recursive: true }));
  }

  async rmdir(path: string): Promise<void> {
    await io(path, () => fsp.rm(path, { recursive: true, force: true }));
  }

  async readdir(path: string): Promise<string[]> {
    try {
      return (await fsp.readdir(path)).sort();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw ioError(path, e);
    }
  }

  async exists(path: string): Promise<boolean> {
    try {
      await fsp.access(path);
      return true;
    } catch {
      return false;
    }
  }

  async syncDir(path: string): Promise<void> {
    await io(path, async () => {
      const h = await fsp.open(path, constants.O_RDONLY);
      try {
        await h.sync();
      } finally {
        await h.close();
      }
    });
  }

  async lock(path: string): Promise<FileLock> {
    return takePidLock(this, path);
  }
}

/**
 * A lock file holding the owner's pid. Node has no flock; a pid file is the portable
 * choice. A lock left by a process that died (kill -9) is taken over, since that
 * process can no longer write.
 *
 * The pid is written and synced into a private file first and then hard-linked to
 * LOCK (link fails with EEXIST like O_EXCL), so LOCK never exists without its pid.
 * Creating LOCK empty and writing the pid afterwards let a competitor read it empty in
 * between, take it for a crashed owner's, delete it and win as well: two owners.
 * Still not closed: two processes that find the same dead owner's lock at once can
 * both take it over; only a kernel lock (flock) would close that.
 */
async function takePidLock(fs: NodeFileSystem, dir: string): Promise<FileLock> {
  const path = `${dir}/LOCK`;
  const mine = `${dir}/LOCK.${process.pid}.${lockAttempts++}`;
  await io(mine, async () => {
    const h = await fsp.open(mine, constants.O_RDWR | constants.O_CREAT | constants.O_TRUNC, 0o644);
    try {
      await h.write(`${process.pid}\n`);
      await h.datasync();
    } finally {
      await h.close();
    }
  });
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await fsp.link(mine, path);
        let released = false;
        return {
          async release() {
            if (released) return;
            released = true;
            await fs.unlink(path);
          },
        };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw ioError(path, e);
      }
      const text = await fsp.readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT') return undefined;
        throw ioError(path, e);
      });
      // Released meanwhile: try again, and do not delete what a third party may have linked since.
      if (text === undefined) continue;
      const pid = Number.parseInt(text, 10);
      if (Number.isFinite(pid) && pid > 0 && (pid === process.pid || isAlive(pid))) {
        throw new ElanusError('DATA_DIR_LOCKED', { path: dir, pid });
      }
      // The owner is gone (or wrote no pid, under an older version): take over.
      await fsp.rm(path, { force: true });
    }
    throw new ElanusError('DATA_DIR_LOCKED', { path: dir, pid: 'unknown' });
  } finally {
    await fsp.rm(mine, { force: true });
  }
}

// Names each attempt's private pid file, so concurrent attempts in one process differ.
let lockAttempts = 0;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
