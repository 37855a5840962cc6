// The model of acknowledged operations and the check of an engine against it:
// count(*) exact, every acknowledged write visible with its latest value, no deleted
// key back, no key twice. Operations whose outcome is unknown (in flight at the crash)
// allow either outcome for their keys; after a check the model takes what was seen.
import assert from 'node:assert/strict';
import type { Elanus } from '../../src/index.js';
import { collection, type Op } from './workload.js';

type KeyState = { live: false } | { live: true; v: number; partition?: string };

export class Model {
  readonly keys = new Map<number, KeyState>();
  private readonly inFlight = new Map<number, Op>();
  /** What happened to each key, newest last (a mismatch prints it). */
  private readonly history = new Map<number, string[]>();

  private note(keys: readonly number[], what: string): void {
    for (const k of keys) {
      const h = this.history.get(k) ?? [];
      h.push(what);
      if (h.length > 12) h.shift();
      this.history.set(k, h);
    }
  }

  invoke(op: Op): void {
    this.inFlight.set(op.id, op);
    this.note(op.keys, `invoked ${op.kind} v=${op.v} (op ${op.id}${op.partition ? `, ${op.partition}` : ''})`);
  }

  ack(op: Op): void {
    this.inFlight.delete(op.id);
    for (const [k, s] of this.outcome(op)) this.keys.set(k, s);
    this.note(op.kind === 'drop' ? [] : op.keys, `acked ${op.kind} v=${op.v} (op ${op.id})`);
  }

  /** The state of every key an operation changes, had it taken effect. */
  private outcome(op: Op): Array<[number, KeyState]> {
    if (op.kind === 'drop') {
      return [...this.keys].filter(([, s]) => s.live && s.partition === op.partition).map(([k]) => [k, { live: false }]);
    }
    return op.keys.map((k) => [k, op.kind === 'delete' ? { live: false } : { live: true, v: op.v, partition: op.partition }]);
  }

  /** An operation that failed before the crash with a coded error. Its outcome is still unknown after a crash. */
  unknown(): Op[] {
    return [...this.inFlight.values()];
  }

  expectedLive(): number {
    let n = 0;
    for (const s of this.keys.values()) if (s.live) n++;
    return n;
  }

  /** Checks the engine and resolves unknown operations to what the engine shows. */
  async check(db: Elanus, where: string): Promise<{ rows: number }> {
    const unknown = this.unknown();
    const maybe = new Map<number, KeyState[]>();
    for (const op of unknown) {
      for (const [k, s] of this.outcome(op)) {
        const list = maybe.get(k) ?? [];
        list.push(s);
        maybe.set(k, list);
      }
    }
    const res = await db.query({ collection_name: collection, limit: 16384, output_fields: ['v'], consistency_level: 'Strong' });
    const seen = new Map<number, number>();
    for (const row of res.data) {
      const id = row.id as number;
      assert.ok(!seen.has(id), `${where}: key ${id} visible twice`);
      seen.set(id, Number(row.v));
    }
    const count = (await db.count({ collection_name: collection, consistency_level: 'Strong' })).data;
    assert.equal(count, seen.size, `${where}: count(*) ${count} differs from the ${seen.size} rows a full query returns`);
    const allKeys = new Set([...this.keys.keys(), ...maybe.keys(), ...seen.keys()]);
    for (const k of allKeys) {
      const expected = this.keys.get(k) ?? { live: false };
      const options = [expected, ...(maybe.get(k) ?? [])];
      const got: KeyState = seen.has(k) ? { live: true, v: seen.get(k)! } : { live: false };
      const match = options.find((o) => o.live === got.live && (!o.live || (got.live && o.v === got.v)));
      assert.ok(match, `${where}: key ${k} is ${JSON.stringify(got)}, expected one of ${JSON.stringify(options)}; its history: ${(this.history.get(k) ?? []).join('; ')}`);
      this.keys.set(k, match);
      this.note([k], `${where}: seen ${got.live ? `v=${got.v}` : 'absent'}`);
    }
    this.inFlight.clear();
    let min = 0;
    for (const k of allKeys) if (this.keys.get(k)?.live) min++;
    assert.equal(count, min);
    return { rows: count };
  }
}
