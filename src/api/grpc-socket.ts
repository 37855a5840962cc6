// The stream grpc-js reads a gRPC connection through. Node's HTTP/2 session would read a
// socket's native handle directly and miss the bytes the router already read, so it gets
// this duplex over the socket instead, which also lets the server watch the frames going
// each way (h2-frames.ts) and enforce what nghttp2 and grpc-js leave open:
//
// - the preface must be exact and the first frame a SETTINGS frame (RFC 9113 §3.4), else
//   the connection is cut at once; the SETTINGS frame completes the handshake;
// - the request bytes a connection makes the server hold are bounded (connectionBytesMax):
//   every frame of a call (HEADERS, CONTINUATION, DATA) counts from its arrival until the
//   server ends the call (END_STREAM or RST_STREAM) or the client resets it, plus
//   streamStateBytes per open call for what grpc-js and nghttp2 keep for it. grpc-js
//   buffers a message until it is complete and holds the decoded request until the reply,
//   and neither it nor nghttp2 bounds the sum over a connection's calls;
// - when the HTTP/2 layer ends the connection (after a GOAWAY), the socket is really
//   closed: ending our side alone left a client that never closes its own holding it.
import { Duplex } from 'node:stream';
import type { Connection } from './connections.js';
import { clientPreface, FrameScanner, frameFlag, frameType, type Frame } from './h2-frames.js';

/**
 * What one open call costs beyond its bytes: the stream in nghttp2 and Node, the call
 * object, metadata and decoder in grpc-js. About 4 KiB measured on Node 20 with
 * grpc-js 1.14 (heap growth over 20,000 open calls), rounded up.
 */
export const streamStateBytes = 8 * 1024;

export class GrpcSocket extends Duplex {
  /** Open calls and the bytes each holds, by stream id. */
  private readonly streams = new Map<number, number>();
  private held = 0;
  private lastStreamId = 0;
  private prefaceHave = 0;
  private settled = false;
  /** The server has sent a GOAWAY with an error code. */
  private refused = false;
  private readonly fromClient = new FrameScanner((f) => this.clientFrame(f));
  private readonly fromServer = new FrameScanner((f) => this.serverFrame(f));

  constructor(
    private readonly conn: Connection,
    head: Buffer,
    private readonly bytesMax: number,
  ) {
    super();
    const socket = conn.socket;
    this.receive(head);
    socket.on('data', (d: Buffer) => this.receive(d));
    socket.on('end', () => this.push(null));
    socket.on('close', () => this.destroy());
    socket.on('error', (e) => this.destroy(e));
  }

  /** The client's address, for grpc-js's getPeer (authentication counts failures per address). */
  get remoteAddress(): string | undefined {
    return this.conn.socket.remoteAddress;
  }

  get remotePort(): number | undefined {
    return this.conn.socket.remotePort;
  }

  /** Checks the client's bytes, then hands them to the HTTP/2 session. */
  private receive(d: Buffer): void {
    let rest = d;
    if (this.prefaceHave < clientPreface.length) {
      const n = Math.min(rest.length, clientPreface.length - this.prefaceHave);
      if (!rest.subarray(0, n).equals(clientPreface.subarray(this.prefaceHave, this.prefaceHave + n))) return this.conn.cut('malformed');
      this.prefaceHave += n;
      rest = rest.subarray(n);
    }
    this.fromClient.push(rest);
    if (this.conn.socket.destroyed) return;
    if (!this.push(d)) this.conn.socket.pause();
  }

  private clientFrame(f: Frame): void {
    if (!this.settled) {
      if (f.type !== frameType.settings || f.streamId !== 0 || (f.flags & frameFlag.ack) !== 0) return this.conn.cut('malformed');
      this.settled = true;
      this.conn.grpcEstablished();
      return;
    }
    const id = f.streamId;
    if (f.type === frameType.headers && id > this.lastStreamId) {
      this.lastStreamId = id;
      this.streams.set(id, 0);
      this.hold(id, streamStateBytes + f.length);
    } else if (f.type === frameType.headers || f.type === frameType.continuation || f.type === frameType.data) {
      // A frame for a call already answered is dropped by nghttp2 and holds nothing.
      if (this.streams.has(id)) this.hold(id, f.length);
    } else if (f.type === frameType.rstStream) {
      this.release(id);
    } else if (f.type === frameType.goaway) {
      // The client is leaving; Node answers with a GOAWAY of its own, which is not an idle close.
      this.conn.note('peer');
    }
  }

  private serverFrame(f: Frame): void {
    const ends = (f.type === frameType.headers || f.type === frameType.data) && (f.flags & frameFlag.endStream) !== 0;
    if (ends || f.type === frameType.rstStream) this.release(f.streamId);
    else if (f.type === frameType.goaway) {
      // NO_ERROR comes from grpc-js closing an idle connection or shutting down: the
      // session ends by itself once its calls are done. Any other code is nghttp2
      // refusing what the client sent (RFC 9113 §7), after which Node keeps the session
      // (and the socket) until something else ends it: end it once the GOAWAY is out.
      const code = f.peek.length >= 8 ? f.peek.readUInt32BE(4) : 0;
      this.conn.note(code !== 0 ? 'malformed' : this.conn.owner.isClosing ? 'shutdown' : 'idle');
      if (code !== 0) this.refused = true;
    }
  }

  private hold(id: number, bytes: number): void {
    this.streams.set(id, this.streams.get(id)! + bytes);
    this.held += bytes;
    if (this.held > this.bytesMax) this.conn.cut('memory');
  }

  private release(id: number): void {
    const bytes = this.streams.get(id);
    if (bytes === undefined) return;
    this.streams.delete(id);
    this.held -= bytes;
  }

  override _read(): void {
    this.conn.socket.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.fromServer.push(chunk);
    const refused = this.refused;
    this.conn.socket.write(chunk, (e) => {
      cb(e);
      if (refused) this.conn.finish();
    });
  }

  override _final(cb: (e?: Error | null) => void): void {
    // The HTTP/2 session has ended (after its GOAWAY): close the connection for real.
    this.conn.finish();
    cb();
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    this.conn.socket.destroy();
    cb(err);
  }
}
