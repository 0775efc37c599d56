// fromRawHeaders gives what fromDistinct gives of node's headersDistinct for the same message.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fromDistinct, fromRawHeaders } from './headers';

describe('fromRawHeaders', () => {
  it('matches fromDistinct(headersDistinct) and fromDistinct(trailersDistinct) on a real response', async () => {
    const server = http.createServer((_req, res) => {
      res.setHeader('Set-Cookie', ['a=1', 'b=2']);
      res.setHeader('X-Multi', ['one', 'two']);
      res.setHeader('x-multi-2', 'three');
      res.setHeader('Content-Type', 'text/plain');
      res.setHeader('Keep-Alive', 'timeout=5');
      res.setHeader('Trailer', 'X-Checksum');
      res.addTrailers({ 'X-Checksum': 'abc', 'x-other': 'z' });
      res.end('hello');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const { port } = server.address() as AddressInfo;
      const got = await new Promise<{ raw: ReturnType<typeof fromRawHeaders>; distinct: ReturnType<typeof fromDistinct>; rawT: ReturnType<typeof fromRawHeaders>; distinctT: ReturnType<typeof fromDistinct> }>((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
            res.resume();
            res.on('end', () =>
              resolve({
                raw: fromRawHeaders(res.rawHeaders),
                distinct: fromDistinct(res.headersDistinct),
                rawT: fromRawHeaders(res.rawTrailers),
                distinctT: fromDistinct(res.trailersDistinct),
              }),
            );
          })
          .on('error', reject);
      });
      expect(got.raw).toEqual(got.distinct);
      expect(Object.keys(got.raw)).toEqual(Object.keys(got.distinct));
      expect(got.raw['set-cookie']).toEqual({ values: ['a=1', 'b=2'] });
      expect(got.raw['x-multi']).toEqual({ values: ['one', 'two'] });
      expect(got.raw).not.toHaveProperty('keep-alive');
      expect(got.raw).not.toHaveProperty('connection');
      expect(got.rawT).toEqual(got.distinctT);
      expect(got.rawT).toEqual({ 'x-checksum': { values: ['abc'] }, 'x-other': { values: ['z'] } });
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('lower-cases names, keeps value order across repeats, drops hop-by-hop names', () => {
    expect(fromRawHeaders(['A', '1', 'Transfer-Encoding', 'chunked', 'a', '2', 'B', 'x', 'TE', 'y'])).toEqual({ a: { values: ['1', '2'] }, b: { values: ['x'] } });
    expect(fromRawHeaders([])).toEqual({});
  });
});
