import type { ComponentMetadata } from '@tessera/spi';
import { mqttClientOptions, parseMqttBroker } from './mqtt-broker';

const meta = (properties: Record<string, string>): ComponentMetadata => ({ name: 'mq', type: 'pubsub.mqtt3', version: 'v1', appId: 'app', properties });

function fieldOf(properties: Record<string, string>): string | undefined {
  try {
    parseMqttBroker(meta(properties));
  } catch (e) {
    return (e as { field?: string }).field ?? `not a config error: ${String(e)}`;
  }
  return undefined;
}

describe('common MQTT broker URL', () => {
  it('maps the schemes Dapr accepts, with their default ports', () => {
    expect(parseMqttBroker(meta({ url: 'tcp://localhost' }))).toEqual({ protocol: 'mqtt', host: 'localhost', port: 1883, displayUrl: 'tcp://localhost' });
    for (const scheme of ['ssl', 'tls', 'tcps', 'MQTTS']) expect(parseMqttBroker(meta({ url: `${scheme}://h` }))).toMatchObject({ protocol: 'mqtts', port: 8883 });
    expect(parseMqttBroker(meta({ url: 'ws://h' }))).toMatchObject({ protocol: 'ws', port: 80, path: '/' });
    expect(parseMqttBroker(meta({ url: 'wss://h:9001/mqtt' }))).toMatchObject({ protocol: 'wss', port: 9001, path: '/mqtt' });
    expect(parseMqttBroker(meta({ url: 'mqtt://[::1]:1884' }))).toMatchObject({ host: '::1', port: 1884 });
  });

  it('decodes credentials and hides the password in displayUrl', () => {
    expect(parseMqttBroker(meta({ url: 'ssl://us%40r:p%3Ass@broker.example' }))).toEqual({
      protocol: 'mqtts',
      host: 'broker.example',
      port: 8883,
      username: 'us@r',
      password: 'p:ss',
      displayUrl: 'ssl://us%40r:***@broker.example',
    });
  });

  it('refuses a missing, malformed or non-MQTT url', () => {
    const bad: Array<Record<string, string>> = [{}, { url: '' }, { url: 'not a url' }, { url: 'http://h' }, { url: 'tcp://' }];
    for (const p of bad) expect(fieldOf(p)).toBe('url');
  });

  it('builds MQTT 3.1.1 client options with credentials and TLS material', () => {
    const broker = parseMqttBroker(meta({ url: 'ssl://u:p@h:8884' }));
    expect(mqttClientOptions(broker, { ca: 'CA', cert: 'C', key: 'K' }, { clientId: 'c', clean: false, connectTimeoutMs: 5000, reconnectPeriodMs: 1000 })).toEqual({
      protocol: 'mqtts',
      host: 'h',
      port: 8884,
      username: 'u',
      password: 'p',
      ca: 'CA',
      cert: 'C',
      key: 'K',
      clientId: 'c',
      clean: false,
      protocolVersion: 4,
      reconnectPeriod: 1000,
      connectTimeout: 5000,
      resubscribe: true,
    });
  });
});
