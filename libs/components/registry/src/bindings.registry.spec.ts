import { KNOWN_BINDING_TYPES, bindingDirections, bindingFactory, bindingVersions } from './bindings.registry';

const meta = (type: string, properties: Record<string, string>) => ({ name: 'b', type, version: 'v1', properties, appId: 'app' });

describe('bindings registry', () => {
  it('knows every binding type', () => {
    expect([...KNOWN_BINDING_TYPES].sort()).toEqual([
      'bindings.cron', 'bindings.http', 'bindings.kafka', 'bindings.mqtt', 'bindings.mqtt3', 'bindings.postgres', 'bindings.postgresql', 'bindings.rabbitmq', 'bindings.redis',
    ]);
    for (const t of KNOWN_BINDING_TYPES) expect(bindingFactory(t, 'v1')).toBeInstanceOf(Function);
    expect(bindingFactory('bindings.postgres', 'v1')).toBe(bindingFactory('bindings.postgresql', 'v1'));
    expect(bindingFactory('bindings.mqtt', 'v1')).toBe(bindingFactory('bindings.mqtt3', 'v1'));
  });

  it('treats an empty version and v0 as v1, and is case-insensitive', () => {
    const f = bindingFactory('bindings.cron', 'v1');
    expect(bindingFactory('bindings.cron', '')).toBe(f);
    expect(bindingFactory('bindings.cron', 'v0')).toBe(f);
    expect(bindingFactory(' Bindings.Cron ', 'V1')).toBe(f);
  });

  it('answers undefined for unknown types and versions', () => {
    expect(bindingFactory('bindings.smtp', 'v1')).toBeUndefined();
    expect(bindingFactory('bindings.cron', 'v2')).toBeUndefined();
    expect(bindingVersions('bindings.http')).toEqual(['v1']);
    expect(bindingVersions('bindings.nope')).toEqual([]);
    expect(bindingDirections('bindings.nope')).toBeUndefined();
  });

  it('says which directions each type serves, matching what its components implement', () => {
    expect(bindingDirections('bindings.cron')).toEqual({ input: true, output: false });
    expect(bindingDirections('bindings.http')).toEqual({ input: false, output: true });
    expect(bindingDirections('bindings.rabbitmq')).toEqual({ input: true, output: true });
    const props: Record<string, Record<string, string>> = {
      'bindings.cron': { schedule: '@every 1s' },
      'bindings.http': { url: 'http://127.0.0.1:1/' },
      'bindings.redis': { redisHost: '127.0.0.1:1' },
      'bindings.postgresql': { connectionString: 'postgres://u@127.0.0.1:1/db' },
      'bindings.postgres': { connectionString: 'postgres://u@127.0.0.1:1/db' },
      'bindings.rabbitmq': { host: 'amqp://127.0.0.1:1', queueName: 'q' },
      'bindings.mqtt3': { url: 'tcp://127.0.0.1:1', topic: 't' },
      'bindings.mqtt': { url: 'tcp://127.0.0.1:1', topic: 't' },
      'bindings.kafka': { brokers: '127.0.0.1:1', authType: 'none', publishTopic: 't' },
    };
    for (const t of KNOWN_BINDING_TYPES) {
      const b = bindingFactory(t, 'v1')?.(meta(t, props[t] ?? {}));
      const d = bindingDirections(t);
      expect([t, typeof b?.read === 'function', typeof b?.invoke === 'function']).toEqual([t, d?.input, d?.output]);
    }
  });
});
