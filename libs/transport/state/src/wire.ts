// The generated messages of the internal state service (libs/contracts/proto/tessera/internal/v1).
// The one place this lib reaches into contracts' generated folder: @tessera/contracts' index does
// not export them yet (it was being edited by someone else when this lib was written). When it
// does, import them from '@tessera/contracts' here and drop the two lint exemptions.
import type { BinaryReader, BinaryWriter } from '@bufbuild/protobuf/wire';

// eslint-disable-next-line @nx/enforce-module-boundaries -- until @tessera/contracts exports them
export { ErrorStatus, FrameType, Hello, RequestHeader } from '../../../contracts/src/generated/tessera/internal/v1/transport';
// eslint-disable-next-line @nx/enforce-module-boundaries -- until @tessera/contracts exports them
export {
  ComponentInfo,
  ListComponentsRequest,
  ListComponentsResponse,
  StateMethod,
} from '../../../contracts/src/generated/tessera/internal/v1/state';

/** What ts-proto generates for every message: `export const X: MessageFns<X>`. */
export interface Codec<T> {
  encode(message: T, writer?: BinaryWriter): BinaryWriter;
  decode(input: BinaryReader | Uint8Array, length?: number): T;
}

/** Fully qualified name sent in Hello; the server refuses a connection that expects another. */
export const STATE_SERVICE_NAME = 'tessera.internal.v1.StateService';
/** Framing version (transport.proto). */
export const FRAMING_VERSION = 1;
