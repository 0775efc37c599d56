// pubsub.mqtt3 metadata (components.md 5.8) and client ids.
import type { ComponentMetadata } from '@tessera/spi';
import { consumerClientId, parseMqttMetadata, publishRetain, unsubscribeOnClose } from './mqtt-metadata';

function meta(properties: Record<string, string>, appId = 'app'): ComponentMetadata {
  return { name: 'mqtt', type: 'pubsub.mqtt3', version: 'v1', appId, properties };
}

function fieldOf(properties: Record<string, string>): string | undefined {
  try {
    parseMqttMetadata(meta(properties));
  } catch (e) {
    return (e as { field?: string }).field ?? `not a config error: ${String(e)}`;
  }
  return undefined;
}

describe('pubsub.mqtt3 metadata', () => {
  it('has Dapr defaults: QoS 1, no retain, persistent session, client id prefix = app id', () => {
    expect(parseMqttMetadata(meta({ url: 'tcp://localhost:1883' }))).toEqual({
      protocol: 'mqtt',
      host: 'localhost',
      port: 1883,
      displayUrl: 'tcp://localhost:1883',
      qos: 1,
      retain: false,
      cleanSession: false,
      clientIdBase: 'app',
    });
  });

  it('reads credentials from the URL and maps the schemes Dapr accepts', () => {
    const s = parseMqttMetadata(meta({ url: 'ssl://us%40r:p%3Ass@broker.example', qos: '2', retain: 'true', cleanSession: 'true', consumerID: 'c1' }));
    expect(s).toMatchObject({ protocol: 'mqtts', host: 'broker.example', port: 8883, username: 'us@r', password: 'p:ss', qos: 2, retain: true, cleanSession: true, clientIdBase: 'c1' });
    expect(s.displayUrl).toBe('ssl://us%40r:***@broker.example');
    expect(parseMqttMetadata(meta({ url: 'mqtt://h' })).protocol).toBe('mqtt');
    expect(parseMqttMetadata(meta({ url: 'tls://h' })).protocol).toBe('mqtts');
    expect(parseMqttMetadata(meta({ url: 'mqtts://h:1234' })).port).toBe(1234);
    expect(parseMqttMetadata(meta({ url: 'wss://h/ws' }))).toMatchObject({ protocol: 'wss', path: '/ws', port: 443 });
  });

  it('uses the component name as client id prefix when there is no app id (shared service)', () => {
    expect(parseMqttMetadata(meta({ url: 'tcp://h' }, '')).clientIdBase).toBe('mqtt');
  });

  it('keeps TLS material', () => {
    expect(parseMqttMetadata(meta({ url: 'ssl://h', caCert: 'CA', clientCert: 'CERT', clientKey: 'KEY' }))).toMatchObject({ ca: 'CA', cert: 'CERT', key: 'KEY' });
  });

  it.each([
    [{}, 'url'],
    [{ url: 'not a url' }, 'url'],
    [{ url: 'http://h' }, 'url'],
    [{ url: 'tcp://h', qos: '3' }, 'qos'],
    [{ url: 'tcp://h', qos: 'one' }, 'qos'],
    [{ url: 'tcp://h', retain: 'sometimes' }, 'retain'],
    [{ url: 'tcp://h', cleanSession: 'x' }, 'cleanSession'],
    [{ url: 'tcp://h', clientKey: 'KEY' }, 'clientCert'],
  ])('refuses %j (field %s)', (properties, field) => {
    expect(fieldOf(properties as Record<string, string>)).toBe(field);
  });

  it('lets publish metadata retain override the component, refusing non-booleans as a bad request', () => {
    const s = parseMqttMetadata(meta({ url: 'tcp://h' }));
    expect(publishRetain(s, {})).toBe(false);
    expect(publishRetain(s, { retain: 'true' })).toBe(true);
    expect(publishRetain({ ...s, retain: true }, { retain: 'false' })).toBe(false);
    expect(() => publishRetain(s, { retain: 'maybe' })).toThrow(expect.objectContaining({ kind: 'tessera.pubsub-error', errorKind: 'bad-request' }));
  });

  it('reads unsubscribeOnClose from subscription metadata', () => {
    expect(unsubscribeOnClose({})).toBe(false);
    expect(unsubscribeOnClose({ unsubscribeOnClose: 'true' })).toBe(true);
  });

  it('derives one stable consumer client id per (group, topic filter)', () => {
    const a = consumerClientId('app1', 'orders/+');
    expect(a).toMatch(/^app1-[0-9a-f]{12}$/);
    expect(consumerClientId('app1', 'orders/+')).toBe(a);
    expect(consumerClientId('app1', 'orders/#')).not.toBe(a);
    expect(consumerClientId('app2', 'orders/+')).not.toBe(a);
  });
});
