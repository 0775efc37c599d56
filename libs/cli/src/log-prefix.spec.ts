import { appIdOfLogLine, colourEnabled, fixedPrefix, LinePrefixer, painter, runtimePrefixes } from './log-prefix';

function sink(): { text: string; write(s: string): void } {
  return {
    text: '',
    write(s: string) {
      this.text += s;
    },
  };
}

describe('LinePrefixer', () => {
  it('prefixes whole lines, keeps partial ones until their newline and flushes the rest at the end', () => {
    const out = sink();
    const p = new LinePrefixer(out, fixedPrefix('== APP == ', painter(34, false)));
    p.push('hel');
    expect(out.text).toBe('');
    p.push(Buffer.from('lo\nwor'));
    p.push('ld\r\n\nlast');
    p.end();
    expect(out.text).toBe('== APP == hello\n== APP == world\n== APP == \n== APP == last\n');
  });

  it('does not split a UTF-8 character across chunks', () => {
    const out = sink();
    const p = new LinePrefixer(out, () => '> ');
    const bytes = Buffer.from('é\n');
    p.push(bytes.subarray(0, 1));
    p.push(bytes.subarray(1));
    expect(out.text).toBe('> é\n');
  });

  it('colours only the prefix, and only when asked', () => {
    expect(painter(33, true)('x')).toBe('\x1b[33mx\x1b[39m');
    expect(painter(33, false)('x')).toBe('x');
  });
});

describe('colourEnabled', () => {
  it('needs a terminal and no NO_COLOR', () => {
    expect(colourEnabled({ write: () => 0, isTTY: true }, {})).toBe(true);
    expect(colourEnabled({ write: () => 0, isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colourEnabled({ write: () => 0, isTTY: true }, { NO_COLOR: '' })).toBe(true);
    expect(colourEnabled({ write: () => 0 }, {})).toBe(false);
  });
});

describe('runtime lines of a multi-app run', () => {
  it('finds the app id in text and JSON log lines', () => {
    expect(appIdOfLogLine('time="t" level=info msg="x" app_id=orders instance=h')).toBe('orders');
    expect(appIdOfLogLine('time="t" level=info msg="x" app_id="a=b c" scope=x')).toBe('a=b c');
    expect(appIdOfLogLine('{"level":"info","app_id":"checkout","msg":"x"}')).toBe('checkout');
    expect(appIdOfLogLine('time="t" level=info msg="x" app_id= scope=y')).toBe('');
    expect(appIdOfLogLine('no id here')).toBe('');
  });

  it('prefixes each app\'s runtime lines with its id', () => {
    const prefixOf = runtimePrefixes(new Map([['orders', painter(36, false)]]), painter(33, false));
    expect(prefixOf('level=info app_id=orders msg=x')).toBe('== TESSERA - orders == ');
    expect(prefixOf('level=info app_id= msg=x')).toBe('== TESSERA == ');
    expect(prefixOf('level=info app_id=other msg=x')).toBe('== TESSERA == ');
  });
});
