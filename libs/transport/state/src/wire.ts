// The generated messages of the internal state service (libs/contracts/proto/tessera/internal/v1),
// re-exported for this lib, plus the framing constants.
import type { BinaryReader, BinaryWriter } from '@bufbuild/protobuf/wire';

export {
  ComponentInfo,
  ErrorStatus,
  FrameType,
  Hello,
  ListComponentsRequest,
  ListComponentsResponse,
  RequestHeader,
  StateMethod,
} from '@tessera/contracts';

/** What ts-proto generates for every message: `export const X: MessageFns<X>`. */
export interface Codec<T> {
  encode(message: T, writer?: BinaryWriter): BinaryWriter;
  decode(input: BinaryReader | Uint8Array, length?: number): T;
}

/** Fully qualified name sent in Hello; the server refuses a connection that expects another. */
export const STATE_SERVICE_NAME = 'tessera.internal.v1.StateService';
/** Framing version (transport.proto). */
export const FRAMING_VERSION = 1;
