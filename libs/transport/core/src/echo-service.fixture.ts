// Test fixture, not exported: a tiny EchoService for the core's own tests, with hand-written
// codecs so that nothing here depends on a block's messages. Echo returns its request, Touch
// returns Empty.
import { BinaryReader, BinaryWriter } from '@bufbuild/protobuf/wire';
import type { CallContext } from '@tessera/contracts';
import { defineMethod, defineService } from './service';
import type { Codec } from './wire';

/** message Echo { string text = 1; bytes data = 2; } */
export interface Echo {
  text: string;
  data: Uint8Array;
}

export const Echo: Codec<Echo> = {
  encode(m: Echo, w: BinaryWriter = new BinaryWriter()): BinaryWriter {
    if (m.text !== '') w.uint32(10).string(m.text);
    if (m.data.length > 0) w.uint32(18).bytes(m.data);
    return w;
  },
  decode(input: BinaryReader | Uint8Array, length?: number): Echo {
    const r = input instanceof BinaryReader ? input : new BinaryReader(input);
    const end = length === undefined ? r.len : r.pos + length;
    const m: Echo = { text: '', data: new Uint8Array(0) };
    while (r.pos < end) {
      const tag = r.uint32();
      if (tag === 10) m.text = r.string();
      else if (tag === 18) m.data = r.bytes();
      else r.skip(tag & 7);
    }
    return m;
  },
};

export interface EchoApi {
  echo(req: Echo, ctx: CallContext): Promise<Echo>;
  touch(req: Echo, ctx: CallContext): Promise<void>;
}

export const ECHO_METHODS = {
  echo: defineMethod<EchoApi, Echo, Echo>({
    id: 1,
    name: 'Echo',
    errorCode: 'ERR_ECHO',
    request: Echo,
    response: Echo,
    describe: (r) => `failed to echo ${r.text}`,
    invoke: (api, r, ctx) => api.echo(r, ctx),
  }),
  touch: defineMethod<EchoApi, Echo, void>({
    id: 2,
    name: 'Touch',
    errorCode: 'ERR_TOUCH',
    request: Echo,
    response: null,
    describe: () => 'failed to touch',
    invoke: (api, r, ctx) => api.touch(r, ctx),
  }),
} as const;

/** A method the server's table does not have (a newer client). */
export const UNKNOWN_METHOD = defineMethod<EchoApi, Echo, Echo>({ ...ECHO_METHODS.echo, id: 9, name: 'Future' });

export const ECHO_SERVICE = defineService<EchoApi>({
  name: 'tessera.test.v1.EchoService',
  serverLabel: 'echo-svc',
  clientLabel: 'tester',
  methods: ECHO_METHODS,
});

export const OTHER_SERVICE = defineService<EchoApi>({
  name: 'tessera.test.v1.OtherService',
  serverLabel: 'other-svc',
  clientLabel: 'tester',
  methods: [ECHO_METHODS.echo],
});
