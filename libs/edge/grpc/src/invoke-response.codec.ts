// InvokeService's answer (dapr.proto.common.v1.InvokeResponse) encoded straight into one Buffer:
// the generated encoder grows a fresh BinaryWriter from 128 bytes by doubling (five buffers for a
// 1 KB body), slices the result and grpc-js's `Buffer.from` copies it again; this one sizes the
// message first and writes it once (Buffer.allocUnsafe: pooled below 4 KB). Same bytes as
// InvokeResponse.encode(m).finish() (checked by the spec): fields in order, empty ones left out.
import type { InvokeResponse } from '@tessera/contracts';

function varintSize(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
}

function writeVarint(b: Buffer, pos: number, n: number): number {
  let v = n >>> 0;
  while (v > 0x7f) {
    b[pos++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  b[pos++] = v;
  return pos;
}

/** `InvokeResponse.encode(m).finish()` as a Buffer, in one allocation. */
export function encodeInvokeResponse(m: InvokeResponse): Buffer {
  const data = m.data;
  const ct = m.contentType;
  let typeUrlLen = 0;
  let valueLen = 0;
  let anyLen = 0;
  if (data !== undefined) {
    if (data.typeUrl !== '') {
      typeUrlLen = Buffer.byteLength(data.typeUrl, 'utf8');
      anyLen += 1 + varintSize(typeUrlLen) + typeUrlLen;
    }
    valueLen = data.value.length;
    if (valueLen !== 0) anyLen += 1 + varintSize(valueLen) + valueLen;
  }
  const ctLen = ct !== '' ? Buffer.byteLength(ct, 'utf8') : 0;
  const size = (data !== undefined ? 1 + varintSize(anyLen) + anyLen : 0) + (ct !== '' ? 1 + varintSize(ctLen) + ctLen : 0);
  const b = Buffer.allocUnsafe(size);
  let pos = 0;
  if (data !== undefined) {
    b[pos++] = 10; // field 1 (data), length-delimited
    pos = writeVarint(b, pos, anyLen);
    if (data.typeUrl !== '') {
      b[pos++] = 10; // Any.type_url
      pos = writeVarint(b, pos, typeUrlLen);
      pos += b.write(data.typeUrl, pos, typeUrlLen, 'utf8');
    }
    if (valueLen !== 0) {
      b[pos++] = 18; // Any.value
      pos = writeVarint(b, pos, valueLen);
      b.set(data.value, pos);
      pos += valueLen;
    }
  }
  if (ct !== '') {
    b[pos++] = 18; // field 2 (content_type)
    pos = writeVarint(b, pos, ctLen);
    pos += b.write(ct, pos, ctLen, 'utf8');
  }
  return b;
}
