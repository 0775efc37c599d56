// Whether a Kafka component speaks TLS to its brokers, and with what, decided once for
// `pubsub.kafka` and `bindings.kafka` as Dapr's shared Kafka code does (components-contrib
// common/component/kafka, updateTLSConfig / updateMTLSAuthInfo): TLS is off when `disableTls` is
// true or `authType` is `none`, on otherwise. `caCert` and `skipVerify` only configure it; with
// neither, the system roots verify the broker. Plain values only; the components shape them into
// kafkajs `ssl` options.
import { ComponentConfigError, boolProp, clientTlsProps } from '@tessera/spi';
import type { ComponentMetadata } from '@tessera/spi';
import type { KafkaAuthType } from './kafka-settings';

export interface KafkaTlsOptions {
  /** PEM CA bundle (`caCert`); absent = the system roots. */
  readonly ca?: string;
  /** PEM client certificate and key (`clientCert`, `clientKey`), presented to the broker. */
  readonly cert?: string;
  readonly key?: string;
  /** false with `skipVerify: true`. */
  readonly rejectUnauthorized: boolean;
}

/**
 * The TLS options of a Kafka component, or undefined for plain TCP. `authType` is the parsed one
 * (parseKafkaAuthType). Throws ComponentConfigError for `mtls` with `disableTls: true` or without
 * a client certificate, and for `certificate` without `caCert`.
 */
export function parseKafkaTls(meta: ComponentMetadata, authType: KafkaAuthType): KafkaTlsOptions | undefined {
  const disableTls = boolProp(meta, 'disableTls', false);
  const { ca, cert, key } = clientTlsProps(meta);
  if (authType === 'mtls') {
    if (disableTls) throw new ComponentConfigError('disableTls', 'false: authType "mtls" needs TLS');
    if (cert === undefined) throw new ComponentConfigError('clientCert', 'a PEM client certificate and clientKey (authType "mtls")');
  }
  if (authType === 'certificate' && ca === undefined) throw new ComponentConfigError('caCert', 'a PEM CA certificate (authType "certificate")');
  if (disableTls || authType === 'none') return undefined;
  return {
    ...(ca !== undefined ? { ca } : {}),
    ...(cert !== undefined ? { cert } : {}),
    ...(key !== undefined ? { key } : {}),
    rejectUnauthorized: !boolProp(meta, 'skipVerify', false),
  };
}
