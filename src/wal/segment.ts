// One segment file of a topic: records for offsets [base, base + count), named by
// base. The topic's writer appends to the last segment only; the others are sealed.
// Lifetime: a segment lives from its creation (or recovery) until retention, drop or
// close retires it; a read pins the segments it reads, and retiring waits for the pins
// to be released before it closes the file.
import { assert } from '../errors/index.js';
import type { FileHandle } from '../storage/index.js';

export class Segment {
  /** Durable bytes: the writer moves this only after an fsync. */
  private bytes: number;
  /** Byte position of each durable record, by offset - base. */
  private readonly positions: number[];
  private pins = 0;
  private drained: (() => void) | undefined;
  private retired = false;

  constructor(
    readonly base: number,
    readonly path: string,
    readonly handle: FileHandle,
    positions: number[],
    bytes: number,
  ) {
    this.positions = positions;
    this.bytes = bytes;
  }

  get size(): number {
    return this.bytes;
  }

  get count(): number {
    return this.positions.length;
  }

  /** One past the last durable offset in this segment. */
  get end(): number {
    return this.base + this.positions.length;
  }

  /** Byte position where the record for `offset` starts (or the end, for `end`). */
  positionOf(offset: number): number {
    assert(offset >= this.base && offset <= this.end, `offset ${offset} outside segment ${this.base}..${this.end}`);
    return offset === this.end ? this.bytes : (this.positions[offset - this.base] as number);
  }

  /** Called by the writer once records written at the current end are fsynced. */
  appended(recordBytes: readonly number[]): void {
    assert(!this.retired, 'append to a retired segment');
    for (const n of recordBytes) {
      this.positions.push(this.bytes);
      this.bytes += n;
    }
  }

  pin(): void {
    assert(!this.retired, 'pin of a retired segment');
    this.pins++;
  }

  unpin(): void {
    assert(this.pins > 0, 'unpin without pin');
    this.pins--;
    if (this.pins === 0) this.drained?.();
  }

  /** Waits for the reads in flight, then closes the file. Called once. */
  async retire(): Promise<void> {
    assert(!this.retired, 'segment retired twice');
    this.retired = true;
    if (this.pins > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    await this.handle.close();
  }
}
