// The app's rich error details: `grpc-status-details-bin` trailer = google.rpc.Status
// {code=1 int32, message=2 string, details=3 repeated google.protobuf.Any}. Only the details are
// read (code and message come from grpc-status / grpc-message); a malformed trailer yields none.
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';

export interface AnyMessage {
  typeUrl: string;
  value: Buffer;
}

export function decodeStatusDetails(bin: Uint8Array): AnyMessage[] {
  const out: AnyMessage[] = [];
  try {
    const r = new BinaryReader(bin);
    while (r.pos < r.len) {
      const [field, wire] = r.tag();
      if (field === 3 && wire === WireType.LengthDelimited) out.push(decodeAny(r.bytes()));
      else r.skip(wire);
    }
  } catch {
    return [];
  }
  return out;
}

function decodeAny(bytes: Uint8Array): AnyMessage {
  const r = new BinaryReader(bytes);
  const any: AnyMessage = { typeUrl: '', value: Buffer.alloc(0) };
  while (r.pos < r.len) {
    const [field, wire] = r.tag();
    if (field === 1 && wire === WireType.LengthDelimited) any.typeUrl = r.string();
    else if (field === 2 && wire === WireType.LengthDelimited) any.value = Buffer.from(r.bytes());
    else r.skip(wire);
  }
  return any;
}
