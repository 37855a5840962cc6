// One topic: its records (SegmentLog), its consumer groups, and the serial queue in
// which every metadata change runs. The Wal checks the topic's state synchronously
// before calling in; methods here that return promises do their own checks again
// inside the queue, because the state may have changed while the task waited.
//
// Lifecycle: ready → dropping → dropped. 'dropping' starts the moment dropTopic is
// called: new operations fail at once with DROPPING, appends not yet written fail with
// DROPPING, subscriptions close, and the drop task waits for the batch in flight.
import { ElanusError, assert } from '../errors/index.js';
import { dirname, joinPath, type FileSystem } from '../storage/index.js';
import { Group } from './group.js';
import { SegmentLog, asIoError, type LogLimits } from './log.js';
import { metaPath, readMeta, writeMeta } from './meta.js';
import { segmentFileName } from './names.js';
import { recoverSegments } from './recover.js';
import type { Segment } from './segment.js';
import { SerialQueue } from './serial-queue.js';
import { WalSubscription, type NotifyCallback } from './subscription.js';

export type TopicState = 'ready' | 'dropping' | 'dropped';
export type GroupStart = 'earliest' | 'latest' | number;

/** What every topic of one log shares. */
export interface TopicEnv {
  readonly fs: FileSystem;
  readonly limits: LogLimits;
  /** Runs a notification delivery later (see WalOptions.defer). */
  readonly defer: (task: () => void) => void;
  /** See WalOptions.onHealth. */
  readonly onHealth: (topic: string, failure: ElanusError | undefined) => void;
  /** See WalOptions.onTailCut. */
  readonly onTailCut: (topic: string, path: string, offset: number, bytes: number) => void;
}

/** A limit on how many subscribers one group can have. */
export const subscriptionsPerGroupMax = 64;

export class Topic {
  state: TopicState = 'ready';
  /** Set by close(): queued tasks fail with CLOSED instead of running. */
  private closed = false;
  readonly groups = new Map<string, Group>();
  private readonly queue = new SerialQueue();
  readonly log: SegmentLog;

  private readonly fs: FileSystem;

  private constructor(
    private readonly env: TopicEnv,
    readonly name: string,
    readonly dir: string,
    segments: Segment[],
  ) {
    this.fs = env.fs;
    this.log = new SegmentLog(env.fs, dir, segments, env.limits, () => this.notifyAll(), (f) => env.onHealth(name, f));
  }

  /** Reads a topic back from its folder; its metadata file exists. */
  static async recover(env: TopicEnv, name: string, dir: string): Promise<Topic> {
    const { fs } = env;
    const meta = await readMeta(fs, dir);
    if (meta.topic !== name) {
      throw new ElanusError('CORRUPT_DATA', { path: metaPath(dir), offset: 0, detail: `metadata names topic "${meta.topic}"` });
    }
    const segments = await recoverSegments(fs, dir, (path, offset, bytes) => env.onTailCut(name, path, offset, bytes));
    const t = new Topic(env, name, dir, segments);
    for (const [groupName, position] of meta.groups) {
      const g = new Group(groupName);
      // A position past the end names offsets that were assigned but never became
      // durable; they will be assigned again, and the group must read them.
      g.position = Math.max(t.log.startOffset, Math.min(position, t.log.endOffset));
      g.state = 'active';
      t.groups.set(groupName, g);
    }
    return t;
  }

  /** Creates the topic's files; durable when this resolves. */
  static async create(env: TopicEnv, name: string, dir: string): Promise<Topic> {
    const { fs } = env;
    // Leftovers of an earlier attempt that failed are not a topic: start clean.
    if (await fs.exists(dir)) await fs.rmdir(dir);
    await fs.mkdir(dir);
    await fs.syncDir(dirname(dir));
    const first = await fs.open(joinPath(dir, segmentFileName(0)), 'create');
    await first.close();
    // Writing the metadata syncs the folder, which also makes the segment file durable.
    await writeMeta(fs, dir, { topic: name, groups: [] });
    return Topic.recover(env, name, dir);
  }

  // ---- checks ------------------------------------------------------------------

  /** Throws when the topic no longer takes operations. */
  checkUsable(): void {
    if (this.closed) throw new ElanusError('CLOSED');
    if (this.state !== 'ready') throw new ElanusError('DROPPING', { what: 'log topic', name: this.name });
  }

  /** The group, when it is active; a coded error otherwise. */
  activeGroup(name: string): Group {
    const g = this.groups.get(name);
    if (!g || g.state === 'creating' || g.state === 'closed') {
      throw new ElanusError('CONSUMER_GROUP_NOT_FOUND', { topic: this.name, group: String(name) });
    }
    if (g.state === 'closing') throw new ElanusError('DROPPING', { what: 'consumer group', name: g.name });
    return g;
  }

  private checkOffset(what: string, offset: number): void {
    if (!Number.isSafeInteger(offset) || offset < 0) {
      throw new ElanusError('INVALID_ARGUMENT', { detail: `${what} must be an integer >= 0, got ${String(offset)}` });
    }
    if (offset > this.log.endOffset) {
      throw new ElanusError('INVALID_ARGUMENT', {
        detail: `${what} ${offset} is past the end of log topic "${this.name}" (end offset ${this.log.endOffset})`,
      });
    }
  }

  private checkNotTruncated(offset: number): void {
    if (offset < this.log.startOffset) {
      throw new ElanusError('OFFSET_TRUNCATED', { topic: this.name, offset, start: this.log.startOffset });
    }
  }

  // ---- consumer groups -----------------------------------------------------------

  createGroup(name: string, start: GroupStart): Promise<void> {
    if (start !== 'earliest' && start !== 'latest') this.checkOffset('start offset', start);
    const existing = this.groups.get(name);
    if (existing?.state === 'closing') throw new ElanusError('DROPPING', { what: 'consumer group', name });
    if (existing) throw new ElanusError('CONSUMER_GROUP_ALREADY_EXISTS', { topic: this.name, group: name });
    // Reserve the name now, so that a second createGroup fails at once.
    const g = new Group(name);
    this.groups.set(name, g);
    return this.queue.run(async () => {
      try {
        this.checkUsable();
        if (typeof start === 'number') this.checkNotTruncated(start);
        g.position = start === 'earliest' ? this.log.startOffset : start === 'latest' ? this.log.endOffset : start;
        await this.persist({ add: g });
        g.state = 'active';
      } catch (e) {
        g.state = 'closed';
        if (this.groups.get(name) === g) this.groups.delete(name);
        throw e;
      }
    });
  }

  destroyGroup(name: string): Promise<void> {
    const g = this.activeGroup(name);
    // One step: from here no commit, seek, subscribe or notification reaches the group.
    g.state = 'closing';
    g.closeSubscriptions();
    return this.queue.run(async () => {
      // The topic may be closing or dropping; the group goes in any case.
      await this.persist({ remove: g });
      g.state = 'closed';
      this.groups.delete(name);
    });
  }

  commit(name: string, offset: number): Promise<void> {
    const g = this.activeGroup(name);
    this.checkOffset('commit offset', offset);
    this.checkForward(g, offset);
    return this.queue.run(async () => {
      this.checkUsable();
      this.activeGroup(name);
      this.checkForward(g, offset);
      if (offset === g.position) return;
      await this.persist({ move: g, to: offset });
      g.position = offset;
    });
  }

  private checkForward(g: Group, offset: number): void {
    if (offset < g.position) {
      throw new ElanusError('INVALID_ARGUMENT', {
        detail: `commit offset ${offset} is below the position ${g.position} of consumer group "${g.name}" on log topic "${this.name}"; use seek to move back`,
      });
    }
  }

  seek(name: string, offset: number): Promise<void> {
    const g = this.activeGroup(name);
    this.checkOffset('seek offset', offset);
    this.checkNotTruncated(offset);
    return this.queue.run(async () => {
      this.checkUsable();
      this.activeGroup(name);
      this.checkNotTruncated(offset);
      await this.persist({ move: g, to: offset });
      g.position = offset;
      // A seek backwards makes records readable again: say so.
      this.notifyGroup(g);
    });
  }

  subscribe(name: string, onNotify: NotifyCallback): WalSubscription {
    const g = this.activeGroup(name);
    if (typeof onNotify !== 'function') throw new ElanusError('INVALID_ARGUMENT', { detail: 'onNotify must be a function' });
    if (g.subscriptions.size >= subscriptionsPerGroupMax) {
      throw new ElanusError('LIMIT_EXCEEDED', {
        what: 'subscriptions per consumer group',
        detail: `group "${name}" on log topic "${this.name}" has ${g.subscriptions.size}, the limit is ${subscriptionsPerGroupMax}`,
      });
    }
    const s = new WalSubscription(
      onNotify,
      this.env.defer,
      () => !this.closed && this.state === 'ready' && g.state === 'active' && this.log.durableEndOffset > g.position,
      (sub) => g.subscriptions.delete(sub),
    );
    g.subscriptions.add(s);
    s.kick();
    return s;
  }

  private notifyAll(): void {
    for (const g of this.groups.values()) this.notifyGroup(g);
  }

  private notifyGroup(g: Group): void {
    if (g.state !== 'active') return;
    for (const s of g.subscriptions) s.kick();
  }

  /** Writes the groups' durable positions with one change applied. Runs in the queue only. */
  private async persist(change: { add: Group } | { remove: Group } | { move: Group; to: number }): Promise<void> {
    const groups: Array<readonly [string, number]> = [];
    for (const g of this.groups.values()) {
      if ('remove' in change && change.remove === g) continue;
      if ('move' in change && change.move === g) groups.push([g.name, change.to]);
      else if (g.state === 'active' || g.state === 'closing' || ('add' in change && change.add === g)) groups.push([g.name, g.position]);
    }
    await writeMeta(this.fs, this.dir, { topic: this.name, groups });
  }

  // ---- retention -------------------------------------------------------------------

  retain(floor: number | undefined): Promise<number> {
    if (floor !== undefined && (!Number.isSafeInteger(floor) || floor < 0)) {
      throw new ElanusError('INVALID_ARGUMENT', { detail: `retention floor must be an integer >= 0, got ${String(floor)}` });
    }
    return this.queue.run(async () => {
      this.checkUsable();
      // Below every group's position (a group being destroyed still counts) and the floor.
      let limit = floor ?? Number.POSITIVE_INFINITY;
      for (const g of this.groups.values()) {
        if (g.state === 'active' || g.state === 'closing') limit = Math.min(limit, g.position);
      }
      // With neither a floor nor a group there is no reason to delete anything.
      if (limit === Number.POSITIVE_INFINITY) return this.log.startOffset;
      const removed = this.log.detachBelow(Math.min(limit, this.log.durableEndOffset));
      // Oldest first, each removal durable before the next: after a crash the files
      // left are still a contiguous run of offsets.
      for (const s of removed) {
        await s.retire();
        await this.fs.unlink(s.path);
        await this.fs.syncDir(this.dir);
      }
      return this.log.startOffset;
    });
  }

  // ---- drop and close ---------------------------------------------------------------

  /** Called by the Wal, which removes the topic from its map when this resolves. */
  drop(): Promise<void> {
    assert(this.state === 'ready', 'drop of a topic that is not ready');
    this.state = 'dropping';
    this.stopEverything(new ElanusError('DROPPING', { what: 'log topic', name: this.name }));
    return this.queue.run(async () => {
      await this.log.whenIdle();
      // Removing the metadata is the durable drop: a folder without it is garbage
      // that the next open removes.
      await this.fs.unlink(metaPath(this.dir));
      await this.fs.syncDir(this.dir);
      await this.retireAll();
      await this.fs.rmdir(this.dir);
      await this.fs.syncDir(dirname(this.dir));
      this.state = 'dropped';
      for (const g of this.groups.values()) g.state = 'closed';
    });
  }

  /** Stops the topic for Wal.close(): the batch in flight completes, queued appends fail with CLOSED. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopEverything(new ElanusError('CLOSED'));
    await this.queue.idle();
    await this.log.whenIdle();
    await this.retireAll();
  }

  private stopEverything(error: ElanusError): void {
    this.log.rejectQueued(error);
    for (const g of this.groups.values()) g.closeSubscriptions();
  }

  private async retireAll(): Promise<void> {
    let first: unknown;
    for (const s of this.log.detachAll()) {
      await s.retire().catch((e: unknown) => (first ??= asIoError(e, s.path)));
    }
    if (first !== undefined) throw first;
  }
}
