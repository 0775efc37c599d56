// encodeInvokeResponse writes exactly what the generated InvokeResponse encoder writes.
import { InvokeResponse } from '@tessera/contracts';
import { encodeInvokeResponse } from './invoke-response.codec';

const generated = (m: InvokeResponse): Buffer => Buffer.from(InvokeResponse.encode(m).finish());

describe('encodeInvokeResponse', () => {
  const bodies = [0, 1, 127, 128, 1024, 16383, 16384, 70_000].map((n) => Buffer.alloc(n, 0x61 + (n % 26)));
  const cases: Array<[string, InvokeResponse]> = [
    ['empty', { data: undefined, contentType: '' }],
    ['content type only', { data: undefined, contentType: 'application/json' }],
    ['empty Any', { data: { typeUrl: '', value: Buffer.alloc(0) }, contentType: '' }],
    ['type url, no value', { data: { typeUrl: 'type.googleapis.com/google.protobuf.StringValue', value: Buffer.alloc(0) }, contentType: '' }],
    ['non-ASCII content type and type url', { data: { typeUrl: 'tÿpe/ü€', value: Buffer.from('x') }, contentType: 'text/plain; charset=utf-8; x=€😀' }],
    ['lone surrogate', { data: undefined, contentType: 'a\ud800b' }],
    ...bodies.map((v): [string, InvokeResponse] => [`${v.length} B body`, { data: { typeUrl: '', value: v }, contentType: 'application/octet-stream' }]),
    ...bodies.map((v): [string, InvokeResponse] => [`${v.length} B body with type url`, { data: { typeUrl: 'x'.repeat(130), value: v }, contentType: '' }]),
  ];
  it.each(cases)('%s: same bytes as the generated encoder, and it decodes back', (_name, m) => {
    const mine = encodeInvokeResponse(m);
    expect(Buffer.isBuffer(mine)).toBe(true);
    expect(mine.equals(generated(m))).toBe(true);
    const back = InvokeResponse.decode(mine);
    expect(back.contentType).toBe(InvokeResponse.decode(generated(m)).contentType);
    expect(Buffer.from(back.data?.value ?? Buffer.alloc(0)).equals(Buffer.from(m.data?.value ?? Buffer.alloc(0)))).toBe(true);
  });

  it('a Uint8Array value (not a Buffer) is written the same', () => {
    const value = new Uint8Array([1, 2, 3, 200]);
    const m = { data: { typeUrl: '', value: value as Buffer }, contentType: 'x' };
    expect(encodeInvokeResponse(m).equals(generated(m))).toBe(true);
  });
});
