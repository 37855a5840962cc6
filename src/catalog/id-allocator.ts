// Unique ids for collections, partitions and segments, never reused across restarts:
// ids come from a block whose upper end is stored durably before any id of it is used,
// and a restart starts at the stored end. Allocation is synchronous.
import { ElanusError } from '../errors/index.js';

export interface IdAllocatorOptions {
  load: () => number;
  store: (highWater: number) => Promise<void>;
  blockSize?: number;
}

export class IdAllocator {
  private nextId: number;
  private highWater: number;
  private renewing: Promise<void> | null = null;
  private readonly blockSize: number;

  private constructor(private readonly opts: IdAllocatorOptions, start: number) {
    this.blockSize = opts.blockSize ?? 10_000;
    this.nextId = start;
    this.highWater = start + this.blockSize;
  }

  static async open(opts: IdAllocatorOptions): Promise<IdAllocator> {
    // Ids start at 1000 so they never meet Milvus's reserved field ids.
    const start = Math.max(1000, opts.load());
    const a = new IdAllocator(opts, start);
    await opts.store(a.highWater);
    return a;
  }

  next(): number {
    if (this.nextId >= this.highWater) {
      this.renew();
      throw new ElanusError('TIMEOUT', { what: 'id allocation (block not yet stored)', ms: 0 });
    }
    if (this.highWater - this.nextId < this.blockSize / 2) this.renew();
    return this.nextId++;
  }

  private renew(): void {
    if (this.renewing) return;
    const target = this.nextId + this.blockSize;
    this.renewing = this.opts.store(target)
      .then(() => { this.highWater = Math.max(this.highWater, target); })
      .catch(() => {})
      .finally(() => { this.renewing = null; });
  }

  async settle(): Promise<void> {
    await this.renewing;
  }
}
