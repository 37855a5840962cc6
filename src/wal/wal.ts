// The embedded log: named topics of records with dense offsets, appended with group
// commit, read back by consumer groups whose positions are durable. See README.md for
// the files it writes and the lifetime of what it hands out.
//
// Every public method checks the state it depends on synchronously, before its first
// await, and fails at once with a coded error: CLOSED after close(), TOPIC_NOT_FOUND,
// DROPPING for a topic or group being removed, CONSUMER_GROUP_NOT_FOUND, ... Methods
// that return promises report those errors as rejections.
import { ElanusError } from '../errors/index.js';
import { joinPath, mkdirDurable, type FileLock, type FileSystem } from '../storage/index.js';
import type { LogLimits, WalRecord } from './log.js';
import { metaPath } from './meta.js';
import { checkGroupName, checkTopicName, isTopicName, topicsDir } from './names.js';
import { walPayloadBytesMax } from './record.js';
import type { NotifyCallback, Subscription } from './subscription.js';
import { Topic, type GroupStart, type TopicEnv } from './topic.js';

export interface WalOptions {
  fs: FileSystem;
  /** The log's own folder; it is created if missing and locked while the log is open. */
  dir: string;
  /** A segment file is closed and a new one started when the next batch would pass this. Default 64 MiB. */
  segmentBytesMax?: number;
  /** Group commit writes at most this many bytes per write + fsync (one larger record goes alone). Default 8 MiB. */
  batchBytesMax?: number;
  /**
   * Runs a notification delivery later. Default queueMicrotask. Tests pass their
   * scheduler's hook here, so that deliveries interleave with I/O and calls in every
   * order the scheduler can choose.
   */
  defer?: (task: () => void) => void;
  /**
   * Told when a topic's log stops taking appends after a failed write or fsync (with the
   * error), and again (undefined) when it has healed and takes them again.
   */
  onHealth?: (topic: string, failure: ElanusError | undefined) => void;
  /** Told when recovery cut an unacknowledged, torn tail off a topic's last file. */
  onTailCut?: (topic: string, path: string, offset: number, bytes: number) => void;
}

export const walDefaults = Object.freeze({
  segmentBytesMax: 64 * 1024 * 1024,
  batchBytesMax: 8 * 1024 * 1024,
  /** read() returns about this many bytes at most (always at least one record). */
  readBytesMax: 8 * 1024 * 1024,
});

/** read() returns at most this many records, whatever maxRecords asks for. */
export const readRecordsMax = 65_536;
const optionBytesMin = 64;
const optionBytesMax = 1024 * 1024 * 1024;

export class Wal {
  private readonly byName = new Map<string, Topic>();
  private readonly creating = new Map<string, Promise<void>>();
  private closed = false;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly dir: string,
    private readonly env: TopicEnv,
    private readonly lock: FileLock,
  ) {
    this.fs = env.fs;
  }

  private readonly fs: FileSystem;

  /** Opens (or creates) the log in opts.dir and recovers every topic. */
  static async open(opts: WalOptions): Promise<Wal> {
    const limits = limitsFrom(opts);
    if (opts.defer !== undefined && typeof opts.defer !== 'function') {
      throw new ElanusError('INVALID_ARGUMENT', { detail: 'defer must be a function' });
    }
    const env: TopicEnv = Object.freeze({
      fs: opts.fs, limits, defer: opts.defer ?? ((task: () => void) => queueMicrotask(task)),
      onHealth: opts.onHealth ?? (() => undefined), onTailCut: opts.onTailCut ?? (() => undefined),
    });
    await mkdirDurable(opts.fs, opts.dir);
    const lock = await opts.fs.lock(opts.dir);
    const wal = new Wal(opts.dir, env, lock);
    try {
      await wal.recover();
    } catch (e) {
      // Report the recovery error, not a cleanup one.
      await wal.close().catch(() => undefined);
      throw e;
    }
    return wal;
  }

  private async recover(): Promise<void> {
    const root = topicsDir(this.dir);
    await mkdirDurable(this.fs, root);
    let removed = false;
    for (const name of await this.fs.readdir(root)) {
      if (!isTopicName(name)) continue;
      const dir = joinPath(root, name);
      const meta = metaPath(dir);
      if (!(await this.fs.exists(meta))) {
        // A creation that did not finish, or a drop that did: not a topic.
        await this.fs.rmdir(dir);
        removed = true;
        continue;
      }
      const tmp = `${meta}.tmp`;
      if (await this.fs.exists(tmp)) await this.fs.unlink(tmp);
      this.byName.set(name, await Topic.recover(this.env, name, dir));
    }
    if (removed) await this.fs.syncDir(root);
  }

  // ---- topics ----------------------------------------------------------------------

  /** Names of the topics that exist (created, not being dropped), sorted. */
  topics(): string[] {
    this.checkOpen();
    return [...this.byName.values()].filter((t) => t.state === 'ready').map((t) => t.name).sort();
  }

  /** Creates a topic durably. Idempotent: creating an existing topic succeeds. */
  async createTopic(topic: string): Promise<void> {
    this.checkOpen();
    checkTopicName(topic);
    const t = this.byName.get(topic);
    if (t) {
      if (t.state === 'ready') return;
      throw new ElanusError('DROPPING', { what: 'log topic', name: topic });
    }
    let creation = this.creating.get(topic);
    if (!creation) {
      creation = this.create(topic);
      this.creating.set(topic, creation);
    }
    return creation;
  }

  private async create(name: string): Promise<void> {
    try {
      const t = await Topic.create(this.env, name, joinPath(topicsDir(this.dir), name));
      this.byName.set(name, t);
    } finally {
      this.creating.delete(name);
    }
  }

  /**
   * Removes a topic, its files and its groups. Appends not yet written fail with
   * DROPPING; a batch already being written completes first.
   */
  async dropTopic(topic: string): Promise<void> {
    const t = this.topic(topic);
    await t.drop();
    if (this.byName.get(topic) === t) this.byName.delete(topic);
  }

  // ---- records ---------------------------------------------------------------------

  /**
   * Appends one record. The offset is assigned now, in call order; the promise
   * resolves with it once the record is fsynced, in offset order. The payload is
   * copied before this returns. `head` (a few bytes) is stored just before the payload
   * and reads back as its start: a prefix without a second copy of the payload.
   */
  async append(topic: string, payload: Uint8Array, head?: Uint8Array): Promise<number> {
    const t = this.topic(topic);
    if (!(payload instanceof Uint8Array)) throw new ElanusError('INVALID_ARGUMENT', { detail: 'a log record payload must be a Uint8Array' });
    if (head !== undefined && !(head instanceof Uint8Array)) throw new ElanusError('INVALID_ARGUMENT', { detail: 'a log record head must be a Uint8Array' });
    const size = payload.length + (head?.length ?? 0);
    if (size > walPayloadBytesMax) {
      throw new ElanusError('BATCH_TOO_LARGE', { size, unit: 'bytes', max: walPayloadBytesMax });
    }
    // A log that failed still takes the append: its next batch first heals it (log.ts).
    return t.log.append(payload, head);
  }

  /** Heals topics whose log failed, without appending (health probes); the topics still failing. */
  async probe(): Promise<string[]> {
    this.checkOpen();
    const failing: string[] = [];
    for (const t of [...this.byName.values()]) {
      if (t.state === 'ready' && !(await t.log.probe())) failing.push(t.name);
    }
    return failing;
  }

  /** The next offset to be assigned. */
  endOffset(topic: string): number {
    return this.topic(topic).log.endOffset;
  }

  /** Offsets below this are durable and readable. */
  durableEndOffset(topic: string): number {
    return this.topic(topic).log.durableEndOffset;
  }

  /** The smallest offset still stored. */
  startOffset(topic: string): number {
    return this.topic(topic).log.startOffset;
  }

  /**
   * Up to maxRecords durable records from offset `from` (fewer at the durable end or
   * past about readBytesMax). Returned payloads belong to the caller.
   */
  async read(topic: string, from: number, maxRecords: number): Promise<WalRecord[]> {
    const t = this.topic(topic);
    if (!Number.isSafeInteger(from) || from < 0) throw new ElanusError('INVALID_ARGUMENT', { detail: `read offset must be an integer >= 0, got ${String(from)}` });
    if (!Number.isSafeInteger(maxRecords) || maxRecords < 1) throw new ElanusError('INVALID_ARGUMENT', { detail: `maxRecords must be an integer >= 1, got ${String(maxRecords)}` });
    if (from < t.log.startOffset) throw new ElanusError('OFFSET_TRUNCATED', { topic, offset: from, start: t.log.startOffset });
    if (from > t.log.endOffset) {
      throw new ElanusError('INVALID_ARGUMENT', { detail: `read offset ${from} is past the end of log topic "${topic}" (end offset ${t.log.endOffset})` });
    }
    return t.log.read(from, Math.min(maxRecords, readRecordsMax));
  }

  // ---- consumer groups -------------------------------------------------------------

  /** Creates a group durably at the given start; CONSUMER_GROUP_ALREADY_EXISTS if the name is taken. */
  async createGroup(topic: string, group: string, start: GroupStart): Promise<void> {
    const t = this.topic(topic);
    checkGroupName(group);
    if (start !== 'earliest' && start !== 'latest' && typeof start !== 'number') {
      throw new ElanusError('INVALID_ARGUMENT', { detail: `group start must be 'earliest', 'latest' or an offset, got ${String(start)}` });
    }
    return t.createGroup(group, start);
  }

  /**
   * Removes a group durably. From the call on, the group's subscriptions are closed,
   * no notification reaches it, and commits or seeks not yet durable fail.
   */
  async destroyGroup(topic: string, group: string): Promise<void> {
    return this.topic(topic).destroyGroup(group);
  }

  /** Names of the topic's active groups, sorted. */
  groups(topic: string): string[] {
    const t = this.topic(topic);
    return [...t.groups.values()].filter((g) => g.state === 'active').map((g) => g.name).sort();
  }

  /** The next offset the group will read (its durable position). */
  position(topic: string, group: string): number {
    return this.topic(topic).activeGroup(group).position;
  }

  /** Moves the group's position forward, durably; backwards is INVALID_ARGUMENT (use seek). */
  async commit(topic: string, group: string, offset: number): Promise<void> {
    return this.topic(topic).commit(group, offset);
  }

  /** Moves the group's position anywhere in [startOffset, endOffset], durably. */
  async seek(topic: string, group: string, offset: number): Promise<void> {
    return this.topic(topic).seek(group, offset);
  }

  /**
   * Calls onNotify (asynchronously, never re-entrantly) when durable records exist
   * beyond the group's position. Notifications are hints and may be merged: on each
   * one, read from position() until read() returns nothing.
   */
  subscribe(topic: string, group: string, onNotify: NotifyCallback): Subscription {
    return this.topic(topic).subscribe(group, onNotify);
  }

  // ---- retention and close -----------------------------------------------------------

  /**
   * Deletes the segment files whose records are all below both every group's position
   * and `floor`; returns the new startOffset. With no group and no floor nothing is
   * deleted. The last segment file is always kept.
   */
  async retain(topic: string, floor?: number): Promise<number> {
    return this.topic(topic).retain(floor);
  }

  /** Idempotent. The batch being written completes; appends still queued fail with CLOSED. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    const closes = [...this.byName.values()].map((t) => t.close());
    await Promise.allSettled([...this.creating.values()]);
    // Topics whose creation finished meanwhile close too (close() is idempotent).
    for (const t of this.byName.values()) closes.push(t.close());
    const results = await Promise.allSettled(closes);
    const unlocked = await this.lock.release().then(
      () => undefined,
      (e: unknown) => e,
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    if (unlocked !== undefined) throw unlocked;
  }

  // ---- checks ------------------------------------------------------------------------

  private checkOpen(): void {
    if (this.closed) throw new ElanusError('CLOSED');
  }

  /** The topic, when it exists and takes operations. */
  private topic(name: string): Topic {
    this.checkOpen();
    const t = this.byName.get(name);
    if (!t) throw new ElanusError('TOPIC_NOT_FOUND', { topic: String(name) });
    t.checkUsable();
    return t;
  }
}

function limitsFrom(opts: WalOptions): LogLimits {
  if (opts === null || typeof opts !== 'object' || typeof opts.fs !== 'object' || typeof opts.dir !== 'string' || opts.dir === '') {
    throw new ElanusError('INVALID_ARGUMENT', { detail: 'Wal.open needs { fs, dir }' });
  }
  const bytes = (name: 'segmentBytesMax' | 'batchBytesMax'): number => {
    const v = opts[name] ?? walDefaults[name];
    if (!Number.isSafeInteger(v) || v < optionBytesMin || v > optionBytesMax) {
      throw new ElanusError('INVALID_ARGUMENT', { detail: `${name} must be an integer from ${optionBytesMin} to ${optionBytesMax}, got ${String(v)}` });
    }
    return v;
  };
  return Object.freeze({
    segmentBytesMax: bytes('segmentBytesMax'),
    batchBytesMax: bytes('batchBytesMax'),
    readBytesMax: walDefaults.readBytesMax,
  });
}
