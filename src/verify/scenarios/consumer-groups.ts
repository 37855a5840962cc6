// Story 3, in this process: Elanus's own log (src/wal) on an in-memory file system whose
// every I/O completion, every notification delivery and every command is released by a
// seeded scheduler, while producers append, consumers read and commit on notification,
// groups are created and destroyed, subscriptions opened and closed, and retention runs.
// Each run is one interleaving; the checks after it:
//   - no notification reaches a closed subscription or a group being destroyed;
//   - no commit on a destroyed group succeeds after the destroy was called;
//   - positions never move backwards, retention never passes a live group;
//   - every durable record is read by every group that lived throughout;
//   - after a reopen, groups and positions are exactly what the run was told;
//   - every failure is an expected, coded one.
// A violation carries the run's seed, its commands and its schedule; the scenario's
// seed replays every run exactly.
import type { Op } from '../history.js';
import { isElanusError, type ErrorCode } from '../../errors/index.js';
import { FaultFileSystem, ScheduledFileSystem } from '../../testing/index.js';
import { Random } from '../../testing/random.js';
import { Wal, type Subscription } from '../../wal/index.js';
import type { ViolationKind } from '../violations.js';
import type { Scenario } from './scenario.js';
import { SeededScheduler } from './scheduler.js';

type Command =
  | { kind: 'append'; n: number }
  | { kind: 'create'; start: 'earliest' | 'latest' }
  | { kind: 'destroy'; pick: number }
  | { kind: 'subscribe'; pick: number }
  | { kind: 'unsubscribe'; pick: number }
  | { kind: 'retain' };

/** Commands per run, at most (as in test/wal's property). */
const commandsMax = 8;
/** Rounds of "release everything, let timers run" before a run counts as hung. */
const settleRoundsMax = 1000;

function commandsOf(rng: Random): Command[] {
  const n = 1 + rng.int(commandsMax);
  const weights: Array<[number, () => Command]> = [
    [4, () => ({ kind: 'append', n: 1 + rng.int(3) })],
    [2, () => ({ kind: 'create', start: rng.int(2) === 0 ? 'earliest' : 'latest' })],
    [3, () => ({ kind: 'destroy', pick: rng.int(8) })],
    [2, () => ({ kind: 'subscribe', pick: rng.int(8) })],
    [2, () => ({ kind: 'unsubscribe', pick: rng.int(8) })],
    [1, () => ({ kind: 'retain' })],
  ];
  const total = weights.reduce((s, [w]) => s + w, 0);
  return Array.from({ length: n }, () => {
    let x = rng.int(total);
    for (const [w, make] of weights) if ((x -= w) < 0) return make();
    throw new Error('unreachable');
  });
}

function payloadOf(i: number): Uint8Array {
  const size = 1 + (i % 37);
  const p = new Uint8Array(size);
  for (let j = 0; j < size; j++) p[j] = (i * 31 + j * 7) & 0xff;
  return p;
}

/** How often runs reached the situations the story is about. */
export interface Coverage {
  runs: number;
  notifications: number;
  destroyDuringDelivery: number;
  commitsFailedByDestroy: number;
}

interface Finding {
  readonly kind: ViolationKind;
  readonly message: string;
}

interface GroupRecord {
  readonly name: string;
  delivering: number;
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

const topic = 't';
const permanent = ['g0', 'g1'];

/** One interleaving: the commands released by `s`; returns what went wrong. */
export async function interleavingRun(s: SeededScheduler, commands: readonly Command[], coverage: Coverage, record: (kind: string, c: Command) => (outcome: 'ok' | 'fail', code?: string) => void): Promise<Finding[]> {
  const fs = new FaultFileSystem({ seed: 1 });
  let scheduled = false;
  const sfs = new ScheduledFileSystem(fs, (label, run) => (scheduled ? s.schedule(Promise.resolve(label), label).then(run) : run()));
  // Deliveries are scheduled too: between "records are durable, tell the group" and the
  // callback, anything may happen — that is where story 3's race lived.
  const defer = (task: () => void): void => {
    if (scheduled) void s.schedule(Promise.resolve('notify'), 'notify').then(task);
    else queueMicrotask(task);
  };
  const dir = '/wal';
  const wal = await Wal.open({ fs: sfs, dir, segmentBytesMax: 96, defer });
  await wal.createTopic(topic);

  let clock = 0;
  const found: Finding[] = [];
  const groups = new Map<string, GroupRecord>();
  const subs: SubRecord[] = [];
  const commits: Array<{ group: GroupRecord; calledAt: number; resolvedAt: number }> = [];
  const work: Array<Promise<void>> = [];
  let nextGroup = 0;
  let nextPayload = 0;
  const flag = (kind: ViolationKind, message: string) => void found.push({ kind, message });

  /** An error the situation explains; anything else is a finding. */
  const expect = (what: string, codes: readonly ErrorCode[]) => (e: unknown) => {
    if (codes.some((c) => isElanusError(e, c))) return;
    flag('unexpected-failure', `${what}: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
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
    if (r.closedByTest) flag('notified-after-close', `a subscription of ${g.name} was notified after close()`);
    if (g.destroyCalledAt !== undefined) flag('notified-after-close', `group ${g.name} was notified after destroyGroup was called`);
    if (r.sub && r.sub.state !== 'active') flag('notified-after-close', `a ${r.sub.state} subscription of ${g.name} was notified`);
    for (;;) {
      let position: number;
      try {
        position = wal.position(topic, g.name);
      } catch (e) {
        expect(`position ${g.name}`, gone)(e);
        return;
      }
      if (position < g.lastPosition) flag('position-regressed', `${g.name} moved back from ${g.lastPosition} to ${position}`);
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
        if (rec.offset !== position + i) flag('record-missed', `a read from ${position} returned offset ${rec.offset} at ${i}`);
        g.seen.add(rec.offset);
      });
      const to = records.at(-1)!.offset + 1;
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

  const transientGroups = () => [...groups.values()].filter((g) => !permanent.includes(g.name));

  const run = async (c: Command): Promise<void> => {
    const done = record(c.kind, c);
    let outcome: 'ok' | 'fail' = 'ok';
    let code: string | undefined;
    const failed = (e: unknown, codes: readonly ErrorCode[]) => {
      outcome = 'fail';
      code = isElanusError(e) ? e.code : 'UNCODED';
      expect(`${c.kind}`, codes)(e);
    };
    try {
      switch (c.kind) {
        case 'append': {
          const all: Array<Promise<unknown>> = [];
          for (let i = 0; i < c.n; i++) {
            const expected = wal.endOffset(topic);
            all.push(wal.append(topic, payloadOf(nextPayload++)).then((o) => {
              if (o !== expected) flag('record-missed', `append resolved with offset ${o}, expected ${expected}`);
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
            failed(e, ['DROPPING']);
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
            failed(e, ['CONSUMER_GROUP_NOT_FOUND']);
            if (g.created) flag('unexpected-failure', `the destroy of created group ${g.name} failed`);
            delete g.destroyCalledAt;
          }
          return;
        }
        case 'subscribe': {
          const all = [...groups.values()];
          subscribe(all[c.pick % all.length]!, false);
          return;
        }
        case 'unsubscribe': {
          const open = subs.filter((r) => !r.anchor && !r.closedByTest);
          const r = open[c.pick % Math.max(1, open.length)];
          if (!r) return;
          r.closedByTest = true;
          r.sub?.close();
          if (r.sub?.state === 'active') flag('notified-after-close', 'close() left a subscription active');
          return;
        }
        case 'retain': {
          const before = wal.startOffset(topic);
          const start = await wal.retain(topic);
          if (start < before) flag('position-regressed', `retention moved the start back from ${before} to ${start}`);
          for (const g of permanent) if (start > wal.position(topic, g)) flag('record-missed', `retention passed ${g}'s position`);
          return;
        }
      }
    } catch (e) {
      failed(e, []);
    } finally {
      done(outcome, code);
    }
  };

  // Setup, unscheduled: two permanent groups and two to destroy, each subscribed.
  for (const name of [...permanent, 'd0', 'd1']) {
    const g = addGroup(name);
    await wal.createGroup(topic, name, 'earliest');
    g.created = true;
  }
  for (const g of groups.values()) subscribe(g, permanent.includes(g.name));
  await wal.append(topic, payloadOf(nextPayload++));

  // From here the scheduler decides the order of every I/O completion, delivery and command.
  scheduled = true;
  for (const c of commands) work.push(s.schedule(Promise.resolve(c.kind), `command ${JSON.stringify(c)}`).then(() => run(c)));
  let settled = false;
  for (let i = 0; i < settleRoundsMax; i++) {
    await s.waitAll();
    await new Promise<void>((r) => setImmediate(r));
    if (s.count() === 0) {
      settled = true;
      break;
    }
  }
  if (!settled) {
    flag('unexpected-failure', `the run did not settle after ${settleRoundsMax} rounds: something waits forever`);
    return found;
  }
  await Promise.all(work);
  scheduled = false;
  coverage.runs++;

  for (const r of subs) if (r.sub?.error !== undefined) flag('unexpected-failure', `a callback of ${r.group.name} failed: ${String(r.sub.error)}`);
  for (const c of commits) {
    const g = c.group;
    if (g.destroyCalledAt !== undefined && c.calledAt > g.destroyCalledAt) flag('commit-after-destroy', `a commit on ${g.name} was called after destroyGroup and succeeded`);
    if (g.destroyResolvedAt !== undefined && c.resolvedAt > g.destroyResolvedAt) flag('commit-after-destroy', `a commit on ${g.name} resolved after destroyGroup did`);
  }
  const end = wal.durableEndOffset(topic);
  if (end !== wal.endOffset(topic)) flag('record-missed', `the durable end ${end} differs from the end ${wal.endOffset(topic)} with nothing in flight`);
  for (const name of permanent) {
    const g = groups.get(name)!;
    for (let o = 0; o < end; o++) if (!g.seen.has(o)) flag('record-missed', `${name} never read offset ${o} of ${end}`);
    if (wal.position(topic, name) !== end) flag('record-missed', `${name} did not catch up: at ${wal.position(topic, name)} of ${end}`);
  }
  const expectedGroups = [...groups.values()].filter((g) => g.created && g.destroyResolvedAt === undefined).map((g) => g.name).sort();
  const listed = wal.groups(topic);
  if (JSON.stringify(listed) !== JSON.stringify(expectedGroups)) flag('catalog-mismatch', `groups are ${listed.join(',')}, expected ${expectedGroups.join(',')}`);
  const positions = new Map(listed.map((g) => [g, wal.position(topic, g)]));
  await wal.close();

  const reopened = await Wal.open({ fs, dir, segmentBytesMax: 96 });
  try {
    const again = reopened.groups(topic);
    if (JSON.stringify(again) !== JSON.stringify(listed)) flag('catalog-mismatch', `after a reopen the groups are ${again.join(',')}, expected ${listed.join(',')}`);
    for (const [g, p] of positions) if (again.includes(g) && reopened.position(topic, g) !== p) flag('catalog-mismatch', `after a reopen ${g} is at ${reopened.position(topic, g)}, expected ${p}`);
    if (reopened.endOffset(topic) !== end) flag('record-missed', `after a reopen the log ends at ${reopened.endOffset(topic)}, expected ${end}`);
  } finally {
    await reopened.close();
  }
  return found;
}

/** Runs per progress check of the deadline. */
const runsPerSlice = 50;

export const consumerGroups: Scenario = {
  name: 'consumer-groups',
  summary: 'story 3: consumer groups created and destroyed while producers append and notifications fan out, one seeded interleaving per run',
  needs: 'in-process',
  async run(ctx) {
    const o = ctx.options;
    const coverage: Coverage = { runs: 0, notifications: 0, destroyDuringDelivery: 0, commitsFailedByDestroy: 0 };
    const wanted = o.interleavings;
    let released = 0;
    for (let i = 0; wanted === undefined ? ctx.running() : i < wanted && ctx.stoppedBecause === undefined; i++) {
      const runSeed = (o.seed ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0;
      const rng = new Random(runSeed);
      const commands = commandsOf(rng);
      const s = new SeededScheduler(rng);
      const ops: Op[] = [];
      const record = (kind: string, c: Command) => {
        const op = ctx.history.invoke(0, `wal-${kind}`, { args: { run: i, ...c } });
        ops.push(op);
        return (outcome: 'ok' | 'fail', code?: string) => {
          ctx.history.complete(op, outcome, code ? { code } : {});
          ctx.stats.record(op.kind, outcome, op.completeMs! - op.invokeMs);
        };
      };
      let found: Finding[];
      try {
        found = await interleavingRun(s, commands, coverage, record);
      } catch (e) {
        found = [{ kind: 'unexpected-failure', message: `the run threw: ${e instanceof Error ? e.stack ?? e.message : String(e)}` }];
      }
      released += s.released;
      ctx.checked('notified-after-close');
      ctx.checked('commit-after-destroy');
      ctx.checked('position-regressed');
      ctx.checked('record-missed');
      ctx.checked('catalog-mismatch');
      ctx.checked('unexpected-failure');
      for (const f of found) {
        ctx.violations.add({
          kind: f.kind, message: `interleaving ${i} (run seed ${runSeed}): ${f.message}`, subject: `${f.kind}:${i}:${f.message}`,
          related: (op) => (op.args as { run?: number } | undefined)?.run === i,
          evidence: { interleaving: i, runSeed, commands, schedule: s.trace },
        });
      }
      if (i % runsPerSlice === runsPerSlice - 1) await new Promise<void>((r) => setImmediate(r));
    }
    ctx.figures.interleavings = coverage.runs;
    ctx.figures.releasedCompletions = released;
    ctx.figures.notifications = coverage.notifications;
    ctx.figures.destroyDuringDelivery = coverage.destroyDuringDelivery;
    ctx.figures.commitsFailedByDestroy = coverage.commitsFailedByDestroy;
  },
};
