// A FileSystem that reads through another and refuses every change with READ_ONLY:
// what `elanus inspect` reads a data folder with, beside the server that may own it.
// The stores it is given are opened read-only too (they skip their repairs); this
// wrapper makes sure that a path they did not think of cannot write either: no file
// opened for writing, no lock file, no removal, not even an fsync.
import { ElanusError } from '../errors/index.js';
import type { FileHandle, FileLock, FileSystem } from './fs.js';

export class ReadOnlyFileSystem implements FileSystem {
  constructor(private readonly inner: FileSystem) {}

  async open(path: string, mode: 'read' | 'append' | 'create'): Promise<FileHandle> {
    if (mode !== 'read') throw refused(path, `open for ${mode}`);
    const h = await this.inner.open(path, 'read');
    return {
      path: h.path,
      read: (length, position) => h.read(length, position),
      size: () => h.size(),
      close: () => h.close(),
      write: async () => { throw refused(path, 'write'); },
      truncate: async () => { throw refused(path, 'truncate'); },
      sync: async () => { throw refused(path, 'sync'); },
    };
  }

  readFile(path: string): Promise<Uint8Array> {
    return this.inner.readFile(path);
  }

  readdir(path: string): Promise<string[]> {
    return this.inner.readdir(path);
  }

  exists(path: string): Promise<boolean> {
    return this.inner.exists(path);
  }

  async writeFile(path: string): Promise<void> {
    throw refused(path, 'write');
  }

  async rename(from: string): Promise<void> {
    throw refused(from, 'rename');
  }

  async unlink(path: string): Promise<void> {
    throw refused(path, 'remove');
  }

  async mkdir(path: string): Promise<void> {
    throw refused(path, 'create a folder');
  }

  async rmdir(path: string): Promise<void> {
    throw refused(path, 'remove a folder');
  }

  async syncDir(path: string): Promise<void> {
    throw refused(path, 'sync');
  }

  async lock(path: string): Promise<FileLock> {
    throw refused(path, 'lock');
  }
}

function refused(path: string, what: string): ElanusError {
  return new ElanusError('READ_ONLY', { what: `a file system (${what})`, path });
}
