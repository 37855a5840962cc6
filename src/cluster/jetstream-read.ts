// Reading a range of a stream: an ephemeral pull consumer that starts at the first
// position wanted, acknowledges nothing (a read moves no position: consumers are
// positions in KV), lives in memory with one replica, and is deleted after one pull (the
// server also removes it after `inactiveMs` should the delete be lost). Batch reads by
// sequence (DIRECT.GET batches) came in nats-server 2.11; 2.9 has this.
//
// The pull is the plain JetStream request (CONSUMER.MSG.NEXT with batch, max_bytes and
// expires), not the client's fetch(), which takes a count or a byte limit but not both:
// a read wants `count` records and no more than readBytesMax bytes.
import { AckPolicy, DeliverPolicy } from '@nats-io/jetstream';
import { createInbox, type Msg, type MsgHdrs } from '@nats-io/transport-node';
import type { Connection } from './jetstream-connection.js';

/** Bytes one read fetches at most (raised to two of the server's largest messages). */
export const readBytesMax = 32 * 1024 * 1024;
const inactiveMs = 30_000;
const nanosPerMs = 1_000_000;

export interface RawRecord {
  readonly seq: number;
  readonly data: Uint8Array;
  readonly headers: MsgHdrs | undefined;
}

/**
 * Up to `count` stored messages from `from` on (fewer at the end or past readBytesMax);
 * headers only (no payload) for `headersOnly`. Throws when no answer comes within timeoutMs.
 */
export async function readRange(conn: Connection, jsName: string, from: number, count: number, timeoutMs: number, headersOnly: boolean): Promise<RawRecord[]> {
  const info = await conn.jsm.consumers.add(jsName, {
    ack_policy: AckPolicy.None,
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: from,
    headers_only: headersOnly,
    mem_storage: true,
    num_replicas: 1,
    inactive_threshold: inactiveMs * nanosPerMs,
  });
  try {
    return await pull(conn, `$JS.API.CONSUMER.MSG.NEXT.${jsName}.${info.name}`, count, timeoutMs);
  } finally {
    await conn.jsm.consumers.delete(jsName, info.name).catch(() => undefined);
  }
}

async function pull(conn: Connection, subject: string, count: number, timeoutMs: number): Promise<RawRecord[]> {
  const inbox = createInbox();
  const sub = conn.nc.subscribe(inbox);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    sub.unsubscribe();
  }, timeoutMs);
  const maxBytes = Math.max(readBytesMax, 2 * (conn.nc.info?.max_payload ?? 0));
  // The server ends the pull itself a little before the client gives up.
  const expires = Math.max(1, timeoutMs - Math.min(500, timeoutMs / 2)) * nanosPerMs;
  conn.nc.publish(subject, JSON.stringify({ batch: count, max_bytes: maxBytes, expires }), { reply: inbox });
  const out: RawRecord[] = [];
  try {
    for await (const m of sub) {
      // A status (404 no messages, 408 expired, 409 max bytes reached) ends the pull.
      if (isStatus(m)) break;
      out.push({ seq: streamSeq(m.reply), data: m.data, headers: m.headers });
      if (out.length >= count) break;
    }
  } finally {
    clearTimeout(timer);
    sub.unsubscribe();
  }
  if (timedOut && out.length === 0) throw new Error(`timeout: no answer to a read within ${timeoutMs} ms`);
  return out;
}

function isStatus(m: Msg): boolean {
  return m.data.length === 0 && m.headers !== undefined && m.headers.code !== 0;
}

/** The stream sequence from a message's ack subject: $JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.… (two more tokens first in the newer form). */
function streamSeq(reply: string | undefined): number {
  const t = (reply ?? '').split('.');
  const seq = Number(t.length >= 11 ? t[7] : t[5]);
  if (!Number.isSafeInteger(seq) || seq < 1) throw new Error(`not a JetStream delivery: reply subject ${String(reply)}`);
  return seq;
}
