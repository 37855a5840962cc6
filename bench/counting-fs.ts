// The real file system with counters: how many fdatasyncs (file) and directory syncs
// the engine issues, and how many bytes it writes. Passed to Elanus.open({ fs }).
import type { FileHandle, FileLock, FileSystem } from '../src/storage/index.js';
import { NodeFileSystem } from '../src/storage/index.js';

export interface FsCounters {
  fileSyncs: number;
  dirSyncs: number;
  writes: number;
  bytesWritten: number;
}

export class CountingFileSystem implements FileSystem {
  readonly counters: FsCounters = { fileSyncs: 0, dirSyncs: 0, writes: 0, bytesWritten: 0 };
  private readonly inner = new NodeFileSystem();

  reset(): FsCounters {
    const c = { ...this.counters };
    this.counters.fileSyncs = 0;
    this.counters.dirSyncs = 0;
    this.counters.writes = 0;
    this.counters.bytesWritten = 0;
    return c;
  }

  async open(path: string, mode: 'read' | 'append' | 'create'): Promise<FileHandle> {
    const h = await this.inner.open(path, mode);
    const c = this.counters;
    return {
      path: h.path,
      async write(data, position) {
        c.writes++;
        c.bytesWritten += data.length;
        return h.write(data, position);
      },
      read: (length, position) => h.read(length, position),
      size: () => h.size(),
      truncate: (length) => h.truncate(length),
      async sync() {
        c.fileSyncs++;
        return h.sync();
      },
      close: () => h.close(),
    };
  }

  readFile(path: string): Promise<Uint8Array> {
    return this.inner.readFile(path);
  }

  writeFile(path: string, data: Uint8Array): Promise<void> {
    this.counters.writes++;
    this.counters.bytesWritten += data.length;
    return this.inner.writeFile(path, data);
  }

  rename(from: string, to: string): Promise<void> {
    return this.inner.rename(from, to);
  }

  unlink(path: string): Promise<void> {
    return this.inner.unlink(path);
  }

  mkdir(path: string): Promise<void> {
    return this.inner.mkdir(path);
  }

  rmdir(path: string): Promise<void> {
    return this.inner.rmdir(path);
  }

  readdir(path: string): Promise<string[]> {
    return this.inner.readdir(path);
  }

  exists(path: string): Promise<boolean> {
    return this.inner.exists(path);
  }

  syncDir(path: string): Promise<void> {
    this.counters.dirSyncs++;
    return this.inner.syncDir(path);
  }

  lock(path: string): Promise<FileLock> {
    return this.inner.lock(path);
  }
}
