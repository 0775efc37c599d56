// How Tessera's MQTT 3.1.1 components (`pubsub.mqtt3`, `bindings.mqtt3`) reach a broker: the `url`
// metadata (components.md 5.8/5.22: tcp/mqtt, ssl/tls/tcps/mqtts, ws, wss; credentials in the URL)
// parsed once, and the mqtt.js client options of one connection (MQTT 3.1.1, resubscribe after a
// reconnect, TLS material from caCert/clientCert/clientKey).
import type { IClientOptions } from 'mqtt';
import { ComponentConfigError, redactUrl, requiredProp } from '@tessera/spi';
import type { ClientTlsProps, ComponentMetadata } from '@tessera/spi';

export type MqttProtocol = 'mqtt' | 'mqtts' | 'ws' | 'wss';

export interface MqttBroker {
  readonly protocol: MqttProtocol;
  readonly host: string;
  readonly port: number;
  /** Path for WebSocket URLs. */
  readonly path?: string;
  readonly username?: string;
  readonly password?: string;
  /** The URL with the password hidden, for messages. */
  readonly displayUrl: string;
}

const SCHEMES: Readonly<Record<string, MqttProtocol>> = {
  tcp: 'mqtt',
  mqtt: 'mqtt',
  ssl: 'mqtts',
  tls: 'mqtts',
  tcps: 'mqtts',
  mqtts: 'mqtts',
  ws: 'ws',
  wss: 'wss',
};

const DEFAULT_PORTS: Readonly<Record<MqttProtocol, number>> = { mqtt: 1883, mqtts: 8883, ws: 80, wss: 443 };

/** `url` (required): scheme, host, port (the scheme's default), WebSocket path, URL-decoded credentials. */
export function parseMqttBroker(meta: ComponentMetadata): MqttBroker {
  const raw = requiredProp(meta, 'url').trim();
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new ComponentConfigError('url', `a URL such as "tcp://user:pass@host:1883" or "ssl://host:8883", got "${redactUrl(raw)}"`);
  }
  const scheme = u.protocol.replace(/:$/, '').toLowerCase();
  const protocol = SCHEMES[scheme];
  if (!protocol) throw new ComponentConfigError('url', `a tcp://, mqtt://, ssl://, tls://, mqtts://, ws:// or wss:// URL, got scheme "${scheme}"`);
  if (!u.hostname) throw new ComponentConfigError('url', `a host, got "${redactUrl(raw)}"`);
  const username = u.username ? decodeURIComponent(u.username) : undefined;
  const password = u.password ? decodeURIComponent(u.password) : undefined;
  const path = protocol === 'ws' || protocol === 'wss' ? u.pathname || '/mqtt' : undefined;
  return {
    protocol,
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port ? Number(u.port) : DEFAULT_PORTS[protocol],
    ...(path !== undefined ? { path } : {}),
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
    displayUrl: redactUrl(raw),
  };
}

export interface MqttSessionOptions {
  readonly clientId: string;
  /** MQTT clean session: false keeps the session (and what it queued) across connections. */
  readonly clean: boolean;
  readonly connectTimeoutMs: number;
  /** mqtt.js reconnects after this long once a connection is lost. */
  readonly reconnectPeriodMs: number;
}

/** mqtt.js options of one MQTT 3.1.1 connection to `broker`. */
export function mqttClientOptions(broker: MqttBroker, tls: ClientTlsProps, session: MqttSessionOptions): IClientOptions {
  return {
    protocol: broker.protocol,
    host: broker.host,
    port: broker.port,
    ...(broker.path !== undefined ? { path: broker.path } : {}),
    ...(broker.username !== undefined ? { username: broker.username } : {}),
    ...(broker.password !== undefined ? { password: broker.password } : {}),
    ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
    ...(tls.cert !== undefined ? { cert: tls.cert } : {}),
    ...(tls.key !== undefined ? { key: tls.key } : {}),
    clientId: session.clientId,
    clean: session.clean,
    protocolVersion: 4,
    reconnectPeriod: session.reconnectPeriodMs,
    connectTimeout: session.connectTimeoutMs,
    resubscribe: true,
  };
}
