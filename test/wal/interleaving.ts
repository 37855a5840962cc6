// Story 3, as a property: destroying a consumer group while notifications are being
// delivered to it is safe. Each run opens a log on the in-memory file system, with
// every I/O completion released in an order chosen by fast-check's scheduler, and runs
// at once: producers appending, consumers that on each notification read from their
// group's position and commit, groups being created and destroyed, subscriptions
// being opened and closed, retention. Then it checks:
//   - no exception escapes (every failure is an expected, coded one);
//   - no notification reaches a closed subscription or a group being destroyed;
//   - no commit on a destroyed group succeeds (none called after destroyGroup was
//     called, none resolving after destroyGroup resolved);
//   - every durable record is read by every group that lived throughout, and its
//     position ends at the durable end;
//   - positions never move backwards;
//   - after a reopen, the groups and positions are exactly what the run was told.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isElanusError, type ErrorCode } from '../../src/errors/index.js';
import { FaultFileSystem, ScheduledFileSystem } from '../../src/testing/index.js';
import { Wal, type Subscription } from '../../src/wal/index.js';
import { payloadOf } from './helpers.js';

type Command =
  | { kind: 'append'; n: number }
  | { kind: 'create'; start: 'earliest' | 'latest' }
  | { kind: 'destroy'; pick: number }
  | { kind: 'subscribe'; pick: number }
  | { kind: 'unsubscribe'; pick: number }
  | { kind: 'retain' };

const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('append' as const), n: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('create' as const), start: fc.constantFrom('earliest' as const, 'latest' as const) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('destroy' as const), pick: fc.nat(7) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('subscribe' as const), pick: fc.nat(7) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('unsubscribe' as const), pick: fc.nat(7) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('retain' as const) }) },
);

export const interleavingCommands = fc.array(command, { minLength: 1, maxLength: 8 });

const topic = 't';
/** Groups that live through the whole run, each with a subscriber that is never closed. */
const permanent = ['g0', 'g1'] as const;

/** How often the runs hit the situations the property is about; checked to be non-zero. */
export const coverage = { runs: 0, notifications: 0, destroyDuringDelivery: 0, commitsFailedByDestroy: 0 };

interface GroupRecord {
  readonly name: string;
  /** Consumer callbacks of this group running now. */
  delivering: number;
  /** Logical time of the destroyGroup call and of its resolution. */
  destroyCalledAt?: number;
  destroyResolvedAt?: number;
  created: boolean;
  seen: Set<number>;
  lastPosition: number;
}

interface SubRecord {
  readonly group: GroupRecord;
  sub?: Subscription;
  closedByTest: boolean;
  readonly anchor: boolean;
}

export async function interleavingRun(s: fc.Scheduler, commands: Command[]): Promise<void> {
  const fs = new FaultFileSystem({ seed: 1 });
  let scheduler: fc.Scheduler | undefined;
  const sfs = new ScheduledFileSystem(fs, (label, run) =>
    scheduler ? scheduler.schedule(Promise.resolve(label), label).then(run) : run(),
  );
  // Deliveries are scheduled too: between "records are durable, tell the group" and the
  // callback, anything may happen, which is where story 3's race lived.
  const defer = (task: () => void): void => {
    if (scheduler) void scheduler.schedule(Promise.resolve('notify'), 'notify').then(task);
    else queueMicrotask(task);
  };
  const dir = '/wal';
  const wal = await Wal.open({ fs: sfs, dir, segmentBytesMax: 96, defer });
  await wal.createTopic(topic);

  let clock = 0;
  const violations: string[] = [];
  const groups = new Map<string, GroupRecord>();
  const subs: SubRecord[] = [];
  const commits: Array<{ group: GroupRecord; calledAt: number; resolvedAt: number }> = [];
  const work: Promise<void>[] = [];
  let nextGroup = 0;
  let nextPayload = 0;

  /** An error the situation explains; anything else is recorded as a violation. */
  const expect = (what: string, codes: readonly ErrorCode[]) => (e: unknown) => {
    if (codes.some((c) => isElanusError(e, c))) return;
    violations.push(`${what}: unexpected ${e instanceof Error ? e.stack : String(e)}`);
  };
  const gone: ErrorCode[] = ['CONSUMER_GROUP_NOT_FOUND', 'DROPPING'];

  const addGroup = (name: string): GroupRecord => {
    const g: GroupRecord = { name, delivering: 0, created: false, seen: new Set(), lastPosition: -1 };
    groups.set(name, g);
    return g;
  };

  const consume = async (r: SubRecord): Promise<void> => {
    const g = r.group;
    coverage.notifications++;
    g.delivering++;
    try {
      await consumeOnce(r);
    } finally {
      g.delivering--;
    }
  };

  const consumeOnce = async (r: SubRecord): Promise<void> => {
    const g = r.group;
    if (r.closedByTest) violations.push(`notified after close() of a subscription of ${g.name}`);
    if (g.destroyCalledAt !== undefined) violations.push(`notified group ${g.name} after destroyGroup`);
    if (r.sub && r.sub.state !== 'active') violations.push(`notified a ${r.sub.state} subscription of ${g.name}`);
    for (;;) {
      let position: number;
      try {
        position = wal.position(topic, g.name);
      } catch (e) {
        expect(`position ${g.name}`, gone)(e);
        return;
      }
      if (position < g.lastPosition) violations.push(`${g.name} moved back from ${g.lastPosition} to ${position}`);
      g.lastPosition = position;
      let records;
      try {
        records = await wal.read(topic, position, 3);
      } catch (e) {
        // A competing consumer's commit may let retention remove what this one was about to read.
        expect(`read ${g.name}`, ['OFFSET_TRUNCATED'])(e);
        continue;
      }
      if (records.length === 0) return;
      records.forEach((rec, i) => {
        if (rec.offset !== position + i) violations.push(`read from ${position} returned offset ${rec.offset} at ${i}`);
        g.seen.add(rec.offset);
      });
      const to = (records.at(-1) as { offset: number }).offset + 1;
      const calledAt = ++clock;
      try {
        await wal.commit(topic, g.name, to);
        commits.push({ group: g, calledAt, resolvedAt: ++clock });
      } catch (e) {
        // INVALID_ARGUMENT: a competing subscriber of the same group committed further.
        if (isElanusError(e, 'INVALID_ARGUMENT')) continue;
        if (g.destroyCalledAt !== undefined) coverage.commitsFailedByDestroy++;
        expect(`commit ${g.name}`, gone)(e);
        return;
      }
    }
  };

  const subscribe = (g: GroupRecord, anchor: boolean): void => {
    const r: SubRecord = { group: g, closedByTest: false, anchor };
    try {
      r.sub = wal.subscribe(topic, g.name, () => consume(r));
      subs.push(r);
    } catch (e) {
      expect(`subscribe ${g.name}`, gone)(e);
    }
  };

  const transientGroups = () => [...groups.values()].filter((g) => !permanent.includes(g.name as 'g0'));

  const run = async (c: Command): Promise<void> => {
    switch (c.kind) {
      case 'append': {
        const all: Promise<unknown>[] = [];
        for (let i = 0; i < c.n; i++) {
          const expected = wal.endOffset(topic);
          all.push(wal.append(topic, payloadOf(nextPayload++)).then((o) => {
            if (o !== expected) violations.push(`append resolved with ${o}, expected ${expected}`);
          }));
        }
        await Promise.all(all);
        return;
      }
      case 'create': {
        const g = addGroup(`x${nextGroup++}`);
        try {
          await wal.createGroup(topic, g.name, c.start);
          g.created = true;
          subscribe(g, false);
        } catch (e) {
          expect(`create ${g.name}`, ['DROPPING'])(e);
        }
        return;
      }
      case 'destroy': {
        const candidates = transientGroups().filter((g) => g.destroyCalledAt === undefined);
        const g = candidates[c.pick % Math.max(1, candidates.length)];
        if (!g) return;
        if (g.delivering > 0) coverage.destroyDuringDelivery++;
        g.destroyCalledAt = ++clock;
        try {
          await wal.destroyGroup(topic, g.name);
          g.destroyResolvedAt = ++clock;
        } catch (e) {
          // Destroying a group whose creation has not finished yet.
          expect(`destroy ${g.name}`, ['CONSUMER_GROUP_NOT_FOUND'])(e);
          if (g.created) violations.push(`destroy of created group ${g.name} failed`);
          g.destroyCalledAt = undefined;
        }
        return;
      }
      case 'subscribe': {
        const all = [...groups.values()];
        subscribe(all[c.pick % all.length] as GroupRecord, false);
        return;
      }
      case 'unsubscribe': {
        const open = subs.filter((r) => !r.anchor && !r.closedByTest);
        const r = open[c.pick % Math.max(1, open.length)];
        if (!r) return;
        r.closedByTest = true;
        r.sub?.close();
        if (r.sub?.state === 'active') violations.push('close() left a subscription active');
        return;
      }
      case 'retain': {
        const before = wal.startOffset(topic);
        const start = await wal.retain(topic);
        if (start < before) violations.push(`retention moved the start back from ${before} to ${start}`);
        for (const g of permanent) {
          if (start > wal.position(topic, g)) violations.push(`retention passed ${g}'s position`);
        }
        return;
      }
    }
  };

  // Setup, unscheduled: two permanent groups and two to destroy, each subscribed.
  for (const name of [...permanent, 'd0', 'd1']) {
    const g = addGroup(name);
    await wal.createGroup(topic, name, 'earliest');
    g.created = true;
  }
  for (const g of groups.values()) subscribe(g, permanent.includes(g.name as 'g0'));
  await wal.append(topic, payloadOf(nextPayload++));

  // From here the scheduler decides the order of every I/O completion and of the commands.
  scheduler = s;
  for (const c of commands) {
    work.push(s.schedule(Promise.resolve(c.kind), `command ${JSON.stringify(c)}`).then(() => run(c)).catch(expect(`command ${c.kind}`, [])));
  }
  for (let i = 0; ; i++) {
    await s.waitAll();
    await new Promise<void>((r) => setImmediate(r));
    if (s.count() === 0) break;
    assert.ok(i < 1000, 'the run does not settle');
  }
  await Promise.all(work);
  scheduler = undefined;

  coverage.runs++;
  assert.deepEqual(violations, []);
  for (const r of subs) assert.equal(r.sub?.error, undefined, `a callback of ${r.group.name} failed`);
  for (const c of commits) {
    const g = c.group;
    if (g.destroyCalledAt !== undefined) assert.ok(c.calledAt < g.destroyCalledAt, `commit on ${g.name} called after destroyGroup succeeded`);
    if (g.destroyResolvedAt !== undefined) assert.ok(c.resolvedAt < g.destroyResolvedAt, `commit on ${g.name} resolved after destroyGroup did`);
  }
  const end = wal.durableEndOffset(topic);
  assert.equal(end, wal.endOffset(topic));
  for (const name of permanent) {
    const g = groups.get(name) as GroupRecord;
    for (let o = 0; o < end; o++) assert.ok(g.seen.has(o), `${name} never read offset ${o} of ${end}`);
    assert.equal(wal.position(topic, name), end, `${name} did not catch up`);
  }
  const expectedGroups = [...groups.values()].filter((g) => g.created && g.destroyResolvedAt === undefined).map((g) => g.name).sort();
  assert.deepEqual(wal.groups(topic), expectedGroups);
  const positions = new Map(expectedGroups.map((g) => [g, wal.position(topic, g)]));
  await wal.close();

  const reopened = await Wal.open({ fs, dir, segmentBytesMax: 96 });
  assert.deepEqual(reopened.groups(topic), expectedGroups);
  for (const [g, p] of positions) assert.equal(reopened.position(topic, g), p, `${g} position after reopen`);
  assert.equal(reopened.endOffset(topic), end);
  await reopened.close();
}

export async function checkInterleavings(numRuns: number): Promise<void> {
  await fc.assert(fc.asyncProperty(fc.scheduler(), interleavingCommands, interleavingRun), { numRuns });
  // A property that never reached the race would pass for the wrong reason.
  assert.equal(coverage.runs, numRuns);
  assert.ok(coverage.destroyDuringDelivery > numRuns / 20, `destroy during delivery in only ${coverage.destroyDuringDelivery} runs`);
  assert.ok(coverage.commitsFailedByDestroy > numRuns / 50, `a destroy failed a commit in only ${coverage.commitsFailedByDestroy} runs`);
}
