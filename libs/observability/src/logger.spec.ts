import { createLogger, isLogLevel, noopLogger, type LoggerOptions } from './logger';
import { formatTextLine } from './text-format';

function collect(opts: Partial<LoggerOptions> = {}) {
  const lines: string[] = [];
  const destination = { write: (s: string) => lines.push(...s.split('\n').filter((l) => l !== '')) };
  const logger = createLogger({ level: 'info', json: true, appId: 'app1', version: '0.1.0', instance: 'host1', destination, ...opts });
  return { logger, lines, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('createLogger (JSON)', () => {
  it('writes Dapr field names', () => {
    const { logger, records } = collect();
    logger.info('hello', { component: 'statestore' });
    const [rec] = records();
    expect(rec).toMatchObject({
      level: 'info',
      type: 'log',
      scope: 'runtime',
      msg: 'hello',
      instance: 'host1',
      ver: '0.1.0',
      app_id: 'app1',
      component: 'statestore',
    });
    expect(typeof rec?.time).toBe('string');
    expect(new Date(String(rec?.time)).toISOString()).toBe(rec?.time);
    expect(Object.keys(rec ?? {})).not.toContain('pid');
    expect(Object.keys(rec ?? {})).not.toContain('hostname');
  });

  it('writes warn as "warning" and respects the level', () => {
    const { logger, records } = collect({ level: 'warn' });
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    expect(records().map((r) => r.level)).toEqual(['warning', 'error']);
    expect(logger.level).toBe('warn');
  });

  it('fatal level drops everything the interface can emit', () => {
    const { logger, lines } = collect({ level: 'fatal' });
    logger.error('e');
    expect(lines).toEqual([]);
  });

  it('debug level emits debug', () => {
    const { logger, records } = collect({ level: 'debug' });
    logger.debug('d');
    expect(records()[0]?.level).toBe('debug');
  });

  it('child scope replaces the parent scope without duplicating the key', () => {
    const { logger, lines } = collect({ scope: 'runtime' });
    const state = logger.child({ scope: 'runtime.blocks.state' });
    const redis = state.child({ scope: 'component.state.redis', component: 'statestore' });
    const sub = redis.child({ op: 'get' });
    state.info('a');
    redis.info('b');
    sub.info('c');
    expect(lines.map((l) => (l.match(/"scope"/g) ?? []).length)).toEqual([1, 1, 1]);
    const recs = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(recs.map((r) => r.scope)).toEqual(['runtime.blocks.state', 'component.state.redis', 'component.state.redis']);
    expect(recs[2]).toMatchObject({ component: 'statestore', op: 'get' });
  });

  it('renames caller fields that clash with Dapr fields', () => {
    const { logger, lines } = collect();
    logger.info('m', { msg: 'x', level: 3, scope: 's' });
    expect((lines[0]?.match(/"msg"/g) ?? []).length).toBe(1);
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ msg: 'm', msg_: 'x', level_: 3, scope_: 's', scope: 'runtime' });
  });

  it('serializes errors under err/error', () => {
    const { logger, records } = collect();
    logger.error('failed', { err: new Error('boom') });
    expect(records()[0]).toMatchObject({ err: { message: 'boom', type: 'Error' } });
  });
});

describe('createLogger (text)', () => {
  it('prints daprd-style text lines', () => {
    const { logger, lines } = collect({ json: false });
    logger.child({ scope: 'runtime.blocks.state' }).warn('store not ready', { component: 'my store' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^time="\d{4}-\d\d-\d\dT[\d:.]+Z" level=warning msg="store not ready" app_id=app1 component="my store" instance=host1 scope=runtime.blocks.state type=log ver=0.1.0$/,
    );
  });

  it('formatTextLine quotes only when needed', () => {
    expect(formatTextLine({ level: 'info', msg: 'ok', a: 'x y', b: 1, c: true, d: { k: 'v' }, e: '' })).toBe(
      'level=info msg=ok a="x y" b=1 c=true d="{\\"k\\":\\"v\\"}" e=',
    );
  });
});

describe('noopLogger and levels', () => {
  it('noopLogger does nothing and children are noop', () => {
    expect(() => noopLogger.child({ scope: 'x' }).error('e', { a: 1 })).not.toThrow();
    expect(noopLogger.child({})).toBe(noopLogger);
  });
  it('isLogLevel accepts daprd levels only', () => {
    expect(['debug', 'info', 'warn', 'error', 'fatal'].every(isLogLevel)).toBe(true);
    expect(isLogLevel('warning')).toBe(false);
    expect(isLogLevel('trace')).toBe(false);
  });
});
