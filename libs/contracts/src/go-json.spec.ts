import { goJsonMarshal } from './go-json';

describe('goJsonMarshal (Go encoding/json of a decoded value)', () => {
  it('sorts object keys, escapes HTML characters, keeps numbers as JSON.stringify', () => {
    expect(goJsonMarshal(JSON.parse('{"b":1,"a":{"z":[1,2.5,"<&>"],"10":true,"2":null}}'))).toBe('{"a":{"10":true,"2":null,"z":[1,2.5,"\\u003c\\u0026\\u003e"]},"b":1}');
    expect(goJsonMarshal('hi')).toBe('"hi"');
    expect(goJsonMarshal(undefined)).toBe('null');
    expect(goJsonMarshal(1e21)).toBe('1e+21');
    expect(goJsonMarshal('\u2028\ud800')).toBe('"\\u2028\ufffd"');
  });
});
