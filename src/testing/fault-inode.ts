// One simulated file's bytes: what the disk holds (durable, as of the last sync) and
// what the page cache holds (current), with the writes and truncations in between kept
// in order, so that a power loss can decide which of them reached the disk.
//
// Torn-write model, applied by powerLoss() to the operations since the last sync:
//   1. Keep a prefix of them, whole: none (p = 1/4), all (p = 1/4), or a uniformly
//      chosen count (p = 1/2). Later operations never survive without earlier ones.
//      Real disks may persist unsynced pages out of order; a prefix is the weaker,
//      simpler promise, and it is the one a checksummed log relies on.
//   2. When the first dropped operation is a write, tear it with p = 1/2: a
//      uniformly chosen strict prefix of its bytes lands.
//   3. A torn write that extended the file keeps the extended size with zeros instead
//      of the missing bytes with p = 1/8 (ext4 data=writeback and XFS can commit the
//      size before the data). Bytes that already existed keep their old value: disks
//      return the old or the new sector, not garbage, so garbage is not modelled.
// Hence the result never holds a byte that was not written, nor extends past the
// furthest write or truncation since the last sync.
import type { Random } from './random.js';

export type PendingOp =
  | { readonly kind: 'write'; readonly position: number; readonly data: Uint8Array }
  | { readonly kind: 'truncate'; readonly length: number };

export const tornKeepNoneProbability = 0.25;
export const tornKeepAllProbability = 0.25;
export const tornWriteProbability = 0.5;
export const tornZeroFillProbability = 0.125;

export class Inode {
  // Grows by doubling so that a log appended a record at a time stays linear.
  private bytes: Uint8Array = new Uint8Array(0);
  private length = 0;
  private durable: Uint8Array = new Uint8Array(0);
  private pending: PendingOp[] = [];

  get size(): number {
    return this.length;
  }

  read(length: number, position: number): Uint8Array {
    const end = Math.min(this.length, position + length);
    return end <= position ? new Uint8Array(0) : this.bytes.slice(position, end);
  }

  contents(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }

  write(data: Uint8Array, position: number): void {
    // A write of nothing changes nothing, even past the end (as pwrite with count 0).
    if (data.length === 0) return;
    // Copy: the caller may reuse its buffer, and power loss replays this op later.
    const copy = data.slice();
    this.pending.push({ kind: 'write', position, data: copy });
    this.applyWrite(copy, position);
  }

  truncate(length: number): void {
    this.pending.push({ kind: 'truncate', length });
    this.applyTruncate(length);
  }

  sync(): void {
    this.durable = this.contents();
    this.pending = [];
  }

  /** Decides what reached the disk (see the model above); the result is durable. */
  powerLoss(rng: Random): void {
    const ops = this.pending;
    this.bytes = this.durable.slice();
    this.length = this.bytes.length;
    this.pending = [];
    if (ops.length > 0) {
      const r = rng.next();
      const keep = r < tornKeepNoneProbability ? 0
        : r < tornKeepNoneProbability + tornKeepAllProbability ? ops.length
        : rng.int(ops.length + 1);
      for (const op of ops.slice(0, keep)) this.apply(op);
      const next = ops[keep];
      if (next?.kind === 'write' && rng.next() < tornWriteProbability) this.tear(next, rng);
    }
    this.durable = this.contents();
  }

  private tear(op: { position: number; data: Uint8Array }, rng: Random): void {
    const cut = rng.int(op.data.length);
    const zeroFill = rng.next() < tornZeroFillProbability;
    if (cut > 0) this.applyWrite(op.data.subarray(0, cut), op.position);
    const end = op.position + op.data.length;
    // Extending through truncate fills with zeros, which is exactly the lost tail.
    if (zeroFill && end > this.length) this.applyTruncate(end);
  }

  private apply(op: PendingOp): void {
    if (op.kind === 'write') this.applyWrite(op.data, op.position);
    else this.applyTruncate(op.length);
  }

  private applyWrite(data: Uint8Array, position: number): void {
    const end = position + data.length;
    this.reserve(end);
    // Any gap between the old end and `position` is already zero (see reserve/truncate).
    this.bytes.set(data, position);
    this.length = Math.max(this.length, end);
  }

  private applyTruncate(length: number): void {
    if (length < this.length) {
      // Zero the cut tail so that a later extension reads zeros, as on a real file.
      this.bytes.fill(0, length, this.length);
    } else {
      this.reserve(length);
    }
    this.length = length;
  }

  private reserve(capacity: number): void {
    if (capacity <= this.bytes.length) return;
    const next = new Uint8Array(Math.max(capacity, this.bytes.length * 2, 64));
    next.set(this.bytes.subarray(0, this.length));
    this.bytes = next;
  }
}
