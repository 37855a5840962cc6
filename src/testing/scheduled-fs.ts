// A FileSystem wrapper that hands every operation to a test's scheduler, so that an
// interleaving test decides in which order I/O completions resolve. Made for
// fast-check's fc.scheduler():
//   new ScheduledFileSystem(inner, (label, run) => s.schedule(Promise.resolve(label), label).then(run))
// delays each operation until the scheduler releases it (it then runs on `inner`);
//   new ScheduledFileSystem(inner, (label, run) => s.schedule(run(), label))
// runs it at once and delays only when the caller sees it complete.
// Thin on purpose: no state, no reordering of its own.
import type { FileHandle, FileLock, FileSystem } from '../storage/fs.js';

export type Schedule = <T>(label: string, run: () => Promise<T>) => Promise<T>;

export class ScheduledFileSystem implements FileSystem {
  constructor(private readonly inner: FileSystem, private readonly schedule: Schedule) {}

  async open(path: string, mode: 'read' | 'append' | 'create'): Promise<FileHandle> {
    const h = await this.schedule(`open(${mode}) ${path}`, () => this.inner.open(path, mode));
    return new ScheduledFileHandle(h, this.schedule);
  }

  readFile(path: string): Promise<Uint8Array> {
    return this.schedule(`readFile ${path}`, () => this.inner.readFile(path));
  }

  writeFile(path: string, data: Uint8Array): Promise<void> {
    return this.schedule(`writeFile ${path}`, () => this.inner.writeFile(path, data));
  }

  rename(from: string, to: string): Promise<void> {
    return this.schedule(`rename ${from} -> ${to}`, () => this.inner.rename(from, to));
  }

  unlink(path: string): Promise<void> {
    return this.schedule(`unlink ${path}`, () => this.inner.unlink(path));
  }

  mkdir(path: string): Promise<void> {
    return this.schedule(`mkdir ${path}`, () => this.inner.mkdir(path));
  }

  rmdir(path: string): Promise<void> {
    return this.schedule(`rmdir ${path}`, () => this.inner.rmdir(path));
  }

  readdir(path: string): Promise<string[]> {
    return this.schedule(`readdir ${path}`, () => this.inner.readdir(path));
  }

  exists(path: string): Promise<boolean> {
    return this.schedule(`exists ${path}`, () => this.inner.exists(path));
  }

  syncDir(path: string): Promise<void> {
    return this.schedule(`syncDir ${path}`, () => this.inner.syncDir(path));
  }

  async lock(path: string): Promise<FileLock> {
    const l = await this.schedule(`lock ${path}`, () => this.inner.lock(path));
    return { release: () => this.schedule(`release ${path}`, () => l.release()) };
  }
}

class ScheduledFileHandle implements FileHandle {
  readonly path: string;

  constructor(private readonly inner: FileHandle, private readonly schedule: Schedule) {
    this.path = inner.path;
  }

  write(data: Uint8Array, position: number): Promise<void> {
    return this.schedule(`write ${this.path} @${position}+${data.length}`, () => this.inner.write(data, position));
  }

  read(length: number, position: number): Promise<Uint8Array> {
    return this.schedule(`read ${this.path} @${position}+${length}`, () => this.inner.read(length, position));
  }

  size(): Promise<number> {
    return this.schedule(`size ${this.path}`, () => this.inner.size());
  }

  truncate(length: number): Promise<void> {
    return this.schedule(`truncate ${this.path} ${length}`, () => this.inner.truncate(length));
  }

  sync(): Promise<void> {
    return this.schedule(`sync ${this.path}`, () => this.inner.sync());
  }

  close(): Promise<void> {
    return this.schedule(`close ${this.path}`, () => this.inner.close());
  }
}
