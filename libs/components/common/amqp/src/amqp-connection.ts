// How Tessera's AMQP 0-9-1 components (`pubsub.rabbitmq`, `bindings.rabbitmq`) reach RabbitMQ: an
// amqp:// or amqps:// URL checked once at init, and the amqplib socket options of a connection
// (TLS material from caCert/clientCert/clientKey, connection name, optional SASL EXTERNAL).
import { credentials } from 'amqplib';
import type { SocketOptions } from 'amqplib';
import { ComponentConfigError, redactUrl } from '@tessera/spi';
import type { ClientTlsProps } from '@tessera/spi';

/** `raw` (the value of metadata `field`) as an amqp:// or amqps:// URL. */
export function parseAmqpUrl(field: string, raw: string): URL {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new ComponentConfigError(field, `an amqp:// or amqps:// URL, got "${redactUrl(raw)}"`);
  }
  const scheme = u.protocol.replace(/:$/, '').toLowerCase();
  if (scheme !== 'amqp' && scheme !== 'amqps') throw new ComponentConfigError(field, `an amqp:// or amqps:// URL, got scheme "${scheme}"`);
  return u;
}

export interface AmqpConnectionOptions {
  /** Shown in the RabbitMQ management UI (`connection_name`). */
  readonly connectionName?: string;
  /** Socket connect timeout; none = the OS's. */
  readonly timeoutMs?: number;
  /** Authenticate with the TLS client certificate (SASL EXTERNAL) instead of the URL's credentials. */
  readonly saslExternal?: boolean;
}

/** amqplib socket options for a connection with `tls` material. */
export function amqpSocketOptions(tls: ClientTlsProps, o: AmqpConnectionOptions = {}): SocketOptions {
  return {
    ...(o.timeoutMs !== undefined ? { timeout: o.timeoutMs } : {}),
    clientProperties: o.connectionName !== undefined ? { connection_name: o.connectionName } : {},
    ...(tls.ca !== undefined ? { ca: [tls.ca] } : {}),
    ...(tls.cert !== undefined ? { cert: tls.cert } : {}),
    ...(tls.key !== undefined ? { key: tls.key } : {}),
    ...(o.saslExternal ? { credentials: credentials.external() } : {}),
  };
}
