// The framing of Tessera's internal transport, as libs/contracts/proto/tessera/internal/v1/
// transport.proto describes it: u32 length | u32 call id | u8 type | payload, big-endian, many
// calls multiplexed on one TCP connection. Shared by the client and the server; nothing here knows
// a service. Per frame, the only allocations are the encoded frame itself and a view of each
// received payload: the encoder reuses one growable buffer, the reader copies only a frame that
// was split across socket reads, and writes made in one event-loop turn leave in one writev.
import type { Socket } from 'node:net';
import { BinaryWriter } from '@bufbuild/protobuf/wire';

/** Bytes before the payload: length (4), call id (4), type (1). */
export const FRAME_HEAD_BYTES = 9;
/** Default ceiling on one frame, both directions (Dapr's default body limit is 4 MiB). */
export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024;

const HEAD_PLACEHOLDER = new Uint8Array(FRAME_HEAD_BYTES);
/** A writer that grew past this for one big frame is dropped, not kept at that size. */
const KEEP_WRITER_BYTES = 1024 * 1024;

/** A malformed or oversized frame arrived: the connection cannot be trusted any more. */
export class FrameError extends Error {
  override readonly name = 'FrameError';
}

/**
 * Encodes frames into one reused buffer. Not reentrant: begin(), write the payload, end(), with
 * no await in between (encoding is synchronous, so one encoder per connection or per process).
 */
export class FrameEncoder {
  private w = new BinaryWriter();

  /** Starts a frame; write the payload into the returned writer, then call end() or abort(). */
  begin(): BinaryWriter {
    this.w.raw(HEAD_PLACEHOLDER);
    return this.w;
  }

  /** Finishes the frame begun last and returns its bytes (owned by the caller). */
  end(id: number, type: number): Uint8Array {
    const f = this.w.finish();
    if (f.length > KEEP_WRITER_BYTES) this.w = new BinaryWriter();
    const len = f.length - 4;
    f[0] = len >>> 24;
    f[1] = (len >>> 16) & 0xff;
    f[2] = (len >>> 8) & 0xff;
    f[3] = len & 0xff;
    f[4] = id >>> 24;
    f[5] = (id >>> 16) & 0xff;
    f[6] = (id >>> 8) & 0xff;
    f[7] = id & 0xff;
    f[8] = type;
    return f;
  }

  /** Drops a frame whose payload failed to encode (the writer may be mid-fork). */
  abort(): void {
    this.w = new BinaryWriter();
  }

  /** A frame with an empty payload. */
  empty(id: number, type: number): Uint8Array {
    this.begin();
    return this.end(id, type);
  }
}

export type FrameHandler = (id: number, type: number, payload: Buffer) => void;

/**
 * Cuts a byte stream into frames. The payload handed to `onFrame` is a view of the received
 * bytes, valid for as long as the handler keeps it (decoded `bytes` fields are copies anyway).
 */
export class FrameReader {
  private readonly pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Bytes needed before the first pending frame is complete. */
  private need = 4;

  constructor(
    private readonly maxFrameBytes: number,
    private readonly onFrame: FrameHandler,
  ) {}

  /** Throws FrameError on a frame that is too short or too long; then close the connection. */
  push(chunk: Buffer): void {
    let buf = chunk;
    if (this.pendingBytes > 0) {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      if (this.pendingBytes < this.need) return;
      buf = Buffer.concat(this.pending, this.pendingBytes);
      this.pending.length = 0;
      this.pendingBytes = 0;
    }
    const end = buf.length;
    let off = 0;
    this.need = 4;
    while (end - off >= 4) {
      const len = buf.readUInt32BE(off);
      if (len < FRAME_HEAD_BYTES - 4 || len > this.maxFrameBytes) {
        throw new FrameError(`invalid frame length ${len} (limit ${this.maxFrameBytes})`);
      }
      if (end - off - 4 < len) {
        this.need = 4 + len;
        break;
      }
      this.onFrame(buf.readUInt32BE(off + 4), buf[off + 8] as number, buf.subarray(off + FRAME_HEAD_BYTES, off + 4 + len));
      off += 4 + len;
    }
    if (off < end) {
      this.pending.push(off === 0 ? buf : buf.subarray(off));
      this.pendingBytes = end - off;
    }
  }
}

/**
 * Batches the frames written in one event-loop turn into a single writev: the socket is corked
 * at the first write of a turn and uncorked from setImmediate, after every I/O callback of the
 * turn (many requests arriving together) has had its say. Latency cost: less than one turn.
 */
export class FrameSink {
  private scheduled = false;

  constructor(private readonly socket: Socket) {}

  write(frame: Uint8Array): void {
    if (!this.scheduled) {
      this.scheduled = true;
      this.socket.cork();
      setImmediate(this.flush);
    }
    this.socket.write(frame);
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    this.socket.uncork();
  };
}

/** Splits "host:port" or "[v6]:port"; `what` names the peer in the error ("state-svc"). */
export function parseAddress(address: string, what = 'peer'): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  const port = Number(address.slice(i + 1));
  let host = address.slice(0, i);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (i <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535 || host === '') {
    throw new Error(`invalid ${what} address '${address}', expected host:port`);
  }
  return { host, port };
}
