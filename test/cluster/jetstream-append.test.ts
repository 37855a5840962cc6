// AppendLane (the JetStream LogStore's append path) against an in-memory stream that
// behaves as JetStream does with Nats-Expected-Last-Sequence and Nats-Msg-Id, and that
// loses messages or answers on cue: the cases a real server shows only by chance.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ElanusError, isElanusError } from '../../src/errors/index.js';
import { AppendLane, type LaneServer, type PublishOutcome } from '../../src/cluster/jetstream-append.js';

type Fate = 'ok' | 'lose-message' | 'lose-answer' | 'refuse' | 'hang';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const unavailable = (detail: string) => new ElanusError('STORE_UNAVAILABLE', { store: 'test stream', endpoint: 'memory', detail });

/** A stream: positions from 1, the expectation checked, keys deduped; `fate` decides what happens to each publish. */
class MemoryStream implements LaneServer {
  readonly records: Array<{ payload: Uint8Array; key: string | undefined }> = [];
  readonly ids = new Map<string, number>();
  publishes = 0;
  readonly hung: Array<() => unknown> = [];
  constructor(private readonly fate: (payload: string, n: number) => Fate = () => 'ok') {}

  publish(payload: Uint8Array, expectedLast: number, key: string | undefined): Promise<PublishOutcome> {
    const fate = this.fate(dec(payload), this.publishes++);
    return new Promise((resolve) => setImmediate(() => {
      const lost: PublishOutcome = { kind: 'unknown', error: unavailable('timeout') };
      if (fate === 'hang') {
        // A frozen server: the request times out; the message waits in the server's
        // buffer and is applied when it thaws (thaw()), if its expectation still holds.
        this.hung.push(() => this.apply(payload, expectedLast, key));
        return void setTimeout(() => resolve(lost), 10);
      }
      if (fate === 'lose-message') return resolve(lost);
      if (fate === 'refuse') return resolve({ kind: 'refused', wrongLast: false, transient: false, error: unavailable('maximum messages exceeded') });
      const o = this.apply(payload, expectedLast, key);
      resolve(fate === 'lose-answer' ? lost : o);
    }));
  }
  private apply(payload: Uint8Array, expectedLast: number, key: string | undefined): PublishOutcome {
    if (key !== undefined && this.ids.has(key)) return { kind: 'stored', seq: this.ids.get(key)!, duplicate: true };
    if (expectedLast !== this.records.length) return { kind: 'refused', wrongLast: true, transient: false, error: unavailable('wrong last sequence') };
    this.records.push({ payload, key });
    if (key !== undefined) this.ids.set(key, this.records.length);
    return { kind: 'stored', seq: this.records.length, duplicate: false };
  }
  thaw(): void {
    for (const apply of this.hung.splice(0)) apply();
  }
  async lastSeq(): Promise<number> {
    return this.records.length;
  }
  async recordAt(seq: number) {
    return this.records[seq - 1] ?? null;
  }
  async recentKeys(): Promise<Array<readonly [number, string]>> {
    return [];
  }
  texts(): string[] {
    return this.records.map((r) => dec(r.payload));
  }
}

const lane = (s: LaneServer, resolveMs = 2000) =>
  new AppendLane(s, { dedupeWindowRecords: 1000, resolveMs, retryIntervalMs: 5, isClosed: () => false, unavailable });

/** Appends r0..r{n-1} at once; each result is its position or the error's code, plus the order they resolved in. */
async function burst(l: AppendLane, n: number, key?: (i: number) => string | undefined) {
  const order: number[] = [];
  const results = await Promise.all(Array.from({ length: n }, (_, i) =>
    l.append(enc(`r${i}`), key?.(i)).then((p) => (order.push(p), p), (e: unknown) => (isElanusError(e) ? e.code : String(e)))));
  return { results, order };
}

test('an append whose answer is lost is found stored and resolves in its place', async () => {
  const s = new MemoryStream((_, n) => (n === 2 ? 'lose-answer' : 'ok'));
  const { results, order } = await burst(lane(s), 6);
  assert.deepEqual(results, [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(order, [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(s.texts(), ['r0', 'r1', 'r2', 'r3', 'r4', 'r5']);
});

test('an append lost on its way is published again, and the ones refused behind it after it', async () => {
  const s = new MemoryStream((_, n) => (n === 2 ? 'lose-message' : 'ok'));
  const { results, order } = await burst(lane(s), 6);
  assert.deepEqual(results, [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(order, [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(s.texts(), ['r0', 'r1', 'r2', 'r3', 'r4', 'r5'], 'each record where it was placed, once');
});

test('an append refused for good fails, and so does every append called after it; the next one takes its position', async () => {
  const s = new MemoryStream((payload) => (payload === 'r2' ? 'refuse' : 'ok'));
  const l = lane(s);
  const { results } = await burst(l, 6);
  assert.deepEqual(results, [1, 2, 'STORE_UNAVAILABLE', 'STORE_UNAVAILABLE', 'STORE_UNAVAILABLE', 'STORE_UNAVAILABLE']);
  assert.deepEqual(s.texts(), ['r0', 'r1'], 'nothing stored past the failed one');
  assert.equal(await l.append(enc('after'), undefined), 3);
});

test('no answer until the deadline: the append and everything called after it fail; the lane reads the end again', async () => {
  let frozen = false;
  const s = new MemoryStream((_, n) => (n === 3 ? ((frozen = true), 'hang') : frozen ? 'hang' : 'ok'));
  const l = lane(s, 50);
  const first = burst(l, 6);
  // Called while the head is in doubt: fails with it.
  await new Promise((r) => setTimeout(r, 10));
  const late = l.append(enc('late'), undefined).then((p) => p, (e: unknown) => (isElanusError(e) ? e.code : String(e)));
  const { results } = await first;
  assert.deepEqual(results.slice(0, 3), [1, 2, 3]);
  assert.deepEqual(results.slice(3), ['STORE_UNAVAILABLE', 'STORE_UNAVAILABLE', 'STORE_UNAVAILABLE']);
  assert.equal(await late, 'STORE_UNAVAILABLE');
  // The frozen server thaws and stores what it held, each where it was placed (the
  // copies published again are refused): failed appends may be stored, none out of place.
  frozen = false;
  s.thaw();
  assert.deepEqual(s.texts(), ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'late']);
  assert.equal(await l.append(enc('again'), undefined), 8);
});

test('a key the server knows but the lane forgot stores nothing, takes no position, and the appends behind it wait', async () => {
  const s = new MemoryStream();
  const l = lane(s);
  assert.equal(await l.append(enc('old'), 'k'), 1);
  // Another lane (a restarted writer whose window does not hold the key) repeats it.
  const other = lane(s);
  const got = await Promise.all([other.append(enc('repeat'), 'k'), other.append(enc('a'), undefined), other.append(enc('b'), 'k2'), other.append(enc('c'), undefined)]);
  assert.deepEqual(got, [1, 2, 3, 4]);
  assert.deepEqual(s.texts(), ['old', 'a', 'b', 'c']);
});

test('repeats of a key in flight share its outcome; keys and plain appends keep call order', async () => {
  const s = new MemoryStream();
  const l = lane(s);
  const got = await Promise.all([
    l.append(enc('k'), 'same'), l.append(enc('p1'), undefined), l.append(enc('k again'), 'same'), l.append(enc('o'), 'other'), l.append(enc('p2'), undefined),
  ]);
  assert.deepEqual(got, [1, 2, 1, 3, 4]);
  assert.deepEqual(s.texts(), ['k', 'p1', 'o', 'p2']);
});
