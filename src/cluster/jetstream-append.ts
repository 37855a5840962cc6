// One stream's appends on JetStream, in the order they are called (storage/log.ts).
//
// The position is taken at the call: an append is published at once, carrying
// `Nats-Expected-Last-Sequence: position - 1`, so the server stores it only right after
// the record before it. Publishes are pipelined (one connection keeps their order to the
// server) and resolve in position order. The expectation is what makes "a failed append
// leaves nothing behind it" hold on a remote log: when append p is not stored, p + 1
// expects p and is refused, and so is everything after it; no record ever lands past a
// hole. When the server refuses an append, or does not answer (a timeout: its fate is
// unknown), the appends behind it wait while it is resolved, first in line:
//
// - it is published again, same bytes, same expectation (and same Nats-Msg-Id if keyed).
//   If the first copy was lost, the second is stored at p; if the first was stored, the
//   second is refused ("wrong last sequence") and the record at p is read back and
//   compared (payload and key): ours, so p is stored. (Refused with p still free: p was
//   refused because p - 1 arrived late, so it is published once more.) A first copy still on its way can
//   no longer land once anything is stored at p. Retries go on until `resolveMs` passes.
// - stored: it resolves, and the ones behind it are looked at in turn.
// - not stored (the stream is gone, a record that is not ours sits at p, the server
//   refused it for good, or no answer before the deadline): it fails, and so does every
//   append called after it that is not yet resolved, in flight or waiting. The next
//   append reads the stream's end again. After a deadline without answer the record may
//   still be stored, as a record may be whole after a crash in the embedded log: what is
//   certain is that nothing called after it was acknowledged.
//
// Idempotency keys: a count-based window kept here (the contract's "last N records",
// which JetStream's time-based duplicate_window cannot promise), loaded from the stream's
// last records on its first keyed append after open, plus the key as Nats-Msg-Id, so the
// server dedupes too (within its duplicate_window, also against another writer). A keyed
// append is published as soon as it is called, but the appends called after it wait for
// its answer: a server-side duplicate stores nothing and takes no position, and the
// appends behind it must not expect one.
import { ElanusError, assert } from '../errors/index.js';

export type PublishOutcome =
  | { readonly kind: 'stored'; readonly seq: number; readonly duplicate: boolean }
  /** The server answered that it did not store it. `transient`: trying again may work (no leader yet). */
  | { readonly kind: 'refused'; readonly wrongLast: boolean; readonly transient: boolean; readonly error: ElanusError }
  /** No answer (timeout, connection lost): it may be stored or not. */
  | { readonly kind: 'unknown'; readonly error: ElanusError };

export interface StoredRecord {
  readonly payload: Uint8Array;
  readonly key: string | undefined;
}

/** What a lane asks of the server, for its one stream. */
export interface LaneServer {
  /** Publishes expecting the stream's last sequence to be `expectedLast`. Never rejects. */
  publish(payload: Uint8Array, expectedLast: number, key: string | undefined): Promise<PublishOutcome>;
  /** The stream's last sequence (0 when nothing was ever stored); coded errors. */
  lastSeq(): Promise<number>;
  /** The record stored at `seq`, or null. */
  recordAt(seq: number): Promise<StoredRecord | null>;
  /** [position, key] of the keyed records among the stream's last `records` records, in order. */
  recentKeys(records: number): Promise<Array<readonly [number, string]>>;
}

export interface LaneOptions {
  /** Records within which a repeated key is a duplicate (>= logLimits.dedupeWindowRecordsMin). */
  readonly dedupeWindowRecords: number;
  /** How long a refused or unanswered append is tried again before it fails. */
  readonly resolveMs: number;
  readonly retryIntervalMs: number;
  readonly isClosed: () => boolean;
  readonly unavailable: (detail: string) => ElanusError;
}

interface Call {
  readonly payload: Uint8Array;
  readonly key: string | undefined;
  readonly promise: Promise<number>;
  readonly resolve: (position: number) => void;
  readonly reject: (e: unknown) => void;
}

interface Pending extends Call {
  readonly position: number;
  outcome: PublishOutcome | undefined;
}

type Resolution = { readonly ok: true; readonly seq: number; readonly duplicate: boolean } | { readonly ok: false; readonly error: ElanusError };

export class AppendLane {
  /** The next position; undefined until the stream's end is read (at the start, after a failure). */
  private next: number | undefined;
  /** Remembered keys: key → position, or the promise of the append in flight. */
  private keys: { readonly byKey: Map<string, number | Promise<number>>; readonly order: Array<readonly [number, string]> } | undefined;
  private readonly inflight: Pending[] = [];
  /** Calls not yet published, in call order: waiting for a load or behind a keyed append. */
  private held: Call[] = [];
  private loading = false;
  private barrier: Pending | undefined;
  private resolving = false;

  constructor(private readonly server: LaneServer, private readonly opts: LaneOptions) {}

  /** `payload` must not change afterwards (the caller passes a copy): it may be published again. */
  append(payload: Uint8Array, key: string | undefined): Promise<number> {
    const seen = key === undefined ? undefined : this.keys?.byKey.get(key);
    if (seen !== undefined) return typeof seen === 'number' ? Promise.resolve(seen) : seen;
    let resolve!: (p: number) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<number>((res, rej) => ((resolve = res), (reject = rej)));
    const call: Call = { payload, key, promise, resolve, reject };
    if (this.held.length === 0 && !this.loading && this.barrier === undefined && this.ready(call)) this.dispatch(call);
    else {
      this.held.push(call);
      this.pump();
    }
    return promise;
  }

  /** Fails every call not yet published (close). Those in flight end by their answers or the deadline. */
  abortHeld(error: ElanusError): void {
    for (const c of this.held.splice(0)) c.reject(error);
  }

  /** Settles when nothing is in flight. */
  async idle(): Promise<void> {
    while (this.inflight.length > 0) await Promise.allSettled(this.inflight.map((p) => p.promise));
  }

  private ready(c: Call): boolean {
    return this.next !== undefined && (c.key === undefined || this.keys !== undefined);
  }

  private pump(): void {
    while (this.held.length > 0 && !this.loading && this.barrier === undefined) {
      const c = this.held[0]!;
      if (!this.ready(c)) return this.load(c.key !== undefined);
      this.held.shift();
      this.dispatch(c);
    }
  }

  private load(withKeys: boolean): void {
    this.loading = true;
    const run = async () => {
      if (this.next === undefined) {
        assert(this.inflight.length === 0, 'the end is read again only when nothing is in flight');
        this.next = (await this.server.lastSeq()) + 1;
      }
      if (withKeys && this.keys === undefined) {
        const recent = await this.server.recentKeys(this.opts.dedupeWindowRecords);
        this.keys = { byKey: new Map(recent.map(([p, k]) => [k, p])), order: [...recent] };
      }
    };
    run().then(
      () => {
        this.loading = false;
        this.pump();
      },
      (e: unknown) => {
        // Nothing of theirs was published: every waiting call fails, in call order.
        this.loading = false;
        for (const c of this.held.splice(0)) c.reject(e);
      },
    );
  }

  private dispatch(c: Call): void {
    if (c.key !== undefined) {
      const seen = this.keys!.byKey.get(c.key);
      if (seen !== undefined) {
        if (typeof seen === 'number') c.resolve(seen);
        else seen.then(c.resolve, c.reject);
        return;
      }
    }
    const p: Pending = { ...c, position: this.next!, outcome: undefined };
    this.next = p.position + 1;
    this.inflight.push(p);
    if (c.key !== undefined) {
      this.keys!.byKey.set(c.key, c.promise);
      this.barrier = p;
    }
    this.publish(p);
  }

  private publish(p: Pending): void {
    void this.server.publish(p.payload, p.position - 1, p.key).then((o) => {
      p.outcome = o;
      this.settle();
    });
  }

  /** Resolves finished appends in position order; the first that is not plainly stored is resolved before the rest. */
  private settle(): void {
    while (!this.resolving && this.inflight.length > 0) {
      const h = this.inflight[0]!;
      const o = h.outcome;
      if (o === undefined) return;
      if (o.kind === 'stored' && (o.duplicate || o.seq === h.position)) {
        this.inflight.shift();
        this.succeed(h, o.seq, o.duplicate);
        continue;
      }
      this.resolving = true;
      void this.resolve(h, o).then((r) => {
        this.resolving = false;
        if (r.ok) {
          this.inflight.shift();
          this.succeed(h, r.seq, r.duplicate);
          this.settle();
        } else this.fail(r.error);
        this.pump();
      });
    }
  }

  private succeed(h: Pending, seq: number, duplicate: boolean): void {
    if (h.key !== undefined) {
      const k = this.keys!;
      if (duplicate && seq !== h.position) {
        // The server knew the key from an older record (older than this window, or
        // another writer's): nothing was stored and the position stays free. Nothing was
        // published after a keyed append before its answer.
        assert(this.barrier === h && this.inflight.length === 0, 'nothing in flight behind a keyed append');
        this.next = h.position;
        if (k.byKey.get(h.key) === h.promise) k.byKey.delete(h.key);
      } else {
        k.byKey.set(h.key, seq);
        k.order.push([seq, h.key]);
        this.forgetOld(seq + 1);
      }
    }
    if (this.barrier === h) this.barrier = undefined;
    h.resolve(seq);
    this.pump();
  }

  /** The append in flight at `h.position` and everything called after it fail; the end is read again before the next. */
  private fail(error: ElanusError): void {
    const failed = [...this.inflight.splice(0), ...this.held.splice(0)];
    this.next = undefined;
    this.barrier = undefined;
    for (const c of failed) {
      if (c.key !== undefined && this.keys?.byKey.get(c.key) === c.promise) this.keys.byKey.delete(c.key);
      c.reject(error);
    }
  }

  /** Decides whether the append at the head of the line is stored (module comment). Never rejects. */
  private async resolve(h: Pending, first: PublishOutcome): Promise<Resolution> {
    const deadline = Date.now() + this.opts.resolveMs;
    let o = first;
    let freeSeen = false;
    // The first copy is published again at once (behind a head that was just resolved,
    // the copy usually lands at once); later tries wait retryIntervalMs (an election).
    for (let attempt = 0; ; attempt++) {
      if (this.opts.isClosed()) return { ok: false, error: new ElanusError('CLOSED') };
      if (o.kind === 'stored') {
        if (o.duplicate || o.seq === h.position) return { ok: true, seq: o.seq, duplicate: o.duplicate };
        return { ok: false, error: this.opts.unavailable(`append expected at sequence ${h.position} was stored at ${o.seq}`) };
      }
      if (o.kind === 'refused' && o.wrongLast) {
        try {
          const at = await this.server.recordAt(h.position);
          if (at !== null && at.key === h.key && equalBytes(at.payload, h.payload)) return { ok: true, seq: h.position, duplicate: false };
          // Nothing at p: refused because p - 1 was not there yet when it arrived (p - 1
          // was lost and published again since). Once more; refused again with p still
          // free, the stream ends below p - 1, which this writer did not do.
          if (at !== null || freeSeen) {
            return { ok: false, error: this.opts.unavailable(`the stream changed under this writer: sequence ${h.position - 1} is not its last (another writer, or the stream was made again)`) };
          }
          freeSeen = true;
          o = await this.server.publish(h.payload, h.position - 1, h.key);
          continue;
        } catch (e) {
          o = { kind: 'unknown', error: e instanceof ElanusError ? e : this.opts.unavailable(String(e)) };
        }
      } else if (o.kind === 'refused' && !o.transient) return { ok: false, error: o.error };
      if (Date.now() >= deadline) {
        const error = o.error.code === 'STORE_UNAVAILABLE' ? this.opts.unavailable(`${String(o.error.details.detail)}; append at sequence ${h.position} unresolved after ${this.opts.resolveMs} ms (it may be stored)`) : o.error;
        return { ok: false, error };
      }
      if (attempt > 0) await new Promise((r) => setTimeout(r, this.opts.retryIntervalMs));
      if (this.opts.isClosed()) return { ok: false, error: new ElanusError('CLOSED') };
      o = await this.server.publish(h.payload, h.position - 1, h.key);
    }
  }

  /** Forgets keys that `dedupeWindowRecords` records or more have followed (keys are in position order). */
  private forgetOld(end: number): void {
    const k = this.keys!;
    let n = 0;
    while (n < k.order.length && k.order[n]![0] < end - this.opts.dedupeWindowRecords) {
      const [position, key] = k.order[n]!;
      if (k.byKey.get(key) === position) k.byKey.delete(key);
      n++;
    }
    if (n > 0) k.order.splice(0, n);
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}
