// The envelope messages every framed connection shares (tessera/internal/v1/transport.proto),
// re-exported for this lib, plus the framing version and the codec shape of generated messages.
import type { BinaryReader, BinaryWriter } from '@bufbuild/protobuf/wire';

export { ErrorStatus, FrameType, Hello, RequestHeader, StreamCredit } from '@tessera/contracts';

/** What ts-proto generates for every message: `export const X: MessageFns<X>`. */
export interface Codec<T> {
  encode(message: T, writer?: BinaryWriter): BinaryWriter;
  decode(input: BinaryReader | Uint8Array, length?: number): T;
}

/** Framing version (transport.proto), sent in Hello; the server refuses any other. */
export const FRAMING_VERSION = 1;

/**
 * Duplex calls: input items the caller may send before any STREAM_CREDIT (transport.proto). The
 * server buffers at most this many; it returns credit as its consumer takes them.
 */
export const INPUT_WINDOW = 16;
