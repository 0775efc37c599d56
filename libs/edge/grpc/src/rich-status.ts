// Encodes an ApiError as google.rpc.Status for the `grpc-status-details-bin` trailer, with its
// ErrorInfo / ResourceInfo / BadRequest details packed in Any, so SDKs that read rich errors see
// what daprd sends. Hand-written encoders for five small, stable messages.
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import type { ApiError, ErrorDetail } from '@tessera/contracts';

function encodeDetail(d: ErrorDetail): Uint8Array {
  const w = new BinaryWriter();
  switch (d['@type']) {
    case 'type.googleapis.com/google.rpc.ErrorInfo':
      w.uint32(10).string(d.reason);
      w.uint32(18).string(d.domain);
      for (const [k, v] of Object.entries(d.metadata ?? {})) w.uint32(26).fork().uint32(10).string(k).uint32(18).string(v).join();
      break;
    case 'type.googleapis.com/google.rpc.ResourceInfo':
      w.uint32(10).string(d.resource_type);
      w.uint32(18).string(d.resource_name);
      if (d.owner) w.uint32(26).string(d.owner);
      if (d.description) w.uint32(34).string(d.description);
      break;
    case 'type.googleapis.com/google.rpc.BadRequest':
      for (const v of d.field_violations) w.uint32(10).fork().uint32(10).string(v.field).uint32(18).string(v.description).join();
      break;
  }
  return w.finish();
}

export function encodeRichStatus(e: ApiError): Buffer {
  const w = new BinaryWriter();
  w.uint32(8).int32(e.grpcCode);
  w.uint32(18).string(e.message);
  for (const d of e.details) w.uint32(26).fork().uint32(10).string(d['@type']).uint32(18).bytes(encodeDetail(d)).join();
  return Buffer.from(w.finish());
}
