// HTTP/2 frame headers read out of a byte stream that arrives cut at arbitrary points.
// The server does not decode HTTP/2 itself (Node's nghttp2 does, for grpc-js); it reads
// only the 9-byte header of each frame and the first bytes of its payload, to see when a
// connection's handshake is complete, which calls are open and what they hold, and why
// the HTTP/2 layer ended a connection (RFC 9113 §4.1, §6).

/** The client connection preface (RFC 9113 §3.4). */
export const clientPreface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

export const frameType = { data: 0x0, headers: 0x1, rstStream: 0x3, settings: 0x4, goaway: 0x7, continuation: 0x9 } as const;
export const frameFlag = { endStream: 0x1, ack: 0x1 } as const;

const headerBytes = 9;
/** Payload bytes kept for the listener: a GOAWAY's last-stream-id and error code. */
const peekBytesMax = 8;

export interface Frame {
  readonly type: number;
  readonly flags: number;
  readonly streamId: number;
  /** Payload length, bytes. */
  readonly length: number;
  /** The payload's first bytes (at most 8). */
  readonly peek: Buffer;
}

/** Calls `onFrame` once each frame has passed completely. Holds at most 17 bytes. */
export class FrameScanner {
  private readonly header = Buffer.alloc(headerBytes);
  private headerHave = 0;
  private readonly peek = Buffer.alloc(peekBytesMax);
  private peekHave = 0;
  private remaining = 0;

  constructor(private readonly onFrame: (f: Frame) => void) {}

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.headerHave < headerBytes) {
        const n = Math.min(headerBytes - this.headerHave, chunk.length - at);
        chunk.copy(this.header, this.headerHave, at, at + n);
        this.headerHave += n;
        at += n;
        if (this.headerHave < headerBytes) return;
        this.remaining = this.header.readUIntBE(0, 3);
        this.peekHave = 0;
      } else {
        const n = Math.min(this.remaining, chunk.length - at);
        const keep = Math.min(n, peekBytesMax - this.peekHave);
        chunk.copy(this.peek, this.peekHave, at, at + keep);
        this.peekHave += keep;
        this.remaining -= n;
        at += n;
      }
      if (this.remaining === 0) this.emit();
    }
  }

  private emit(): void {
    this.headerHave = 0;
    this.onFrame({
      type: this.header[3]!,
      flags: this.header[4]!,
      streamId: this.header.readUInt32BE(5) & 0x7fff_ffff,
      length: this.header.readUIntBE(0, 3),
      peek: Buffer.from(this.peek.subarray(0, this.peekHave)),
    });
  }
}
