// Component metadata of `pubsub.mqtt3` (alias `pubsub.mqtt`, components.md 5.8), parsed and
// checked once at init, and the client ids the component connects with.
import { createHash } from 'node:crypto';
import { parseMqttBroker } from '@tessera/common-mqtt';
import type { MqttBroker } from '@tessera/common-mqtt';
import { ComponentConfigError, PubSubError, boolProp, clientTlsProps, prop } from '@tessera/spi';
import type { ClientTlsProps, ComponentMetadata } from '@tessera/spi';

export type MqttQos = 0 | 1 | 2;

export interface MqttSettings extends MqttBroker, ClientTlsProps {
  readonly qos: MqttQos;
  readonly retain: boolean;
  readonly cleanSession: boolean;
  /** `consumerID` of the component, else the app id, else the component name: the producer's client id prefix. */
  readonly clientIdBase: string;
}

export function parseMqttMetadata(meta: ComponentMetadata): MqttSettings {
  const broker = parseMqttBroker(meta);
  const qosText = (prop(meta, 'qos') ?? '').trim() || '1';
  const qos = Number(qosText);
  if (qos !== 0 && qos !== 1 && qos !== 2) throw new ComponentConfigError('qos', `0, 1 or 2, got "${qosText}"`);
  const tls = clientTlsProps(meta);
  return {
    ...broker,
    qos,
    retain: boolProp(meta, 'retain', false),
    cleanSession: boolProp(meta, 'cleanSession', false),
    clientIdBase: nonEmpty(prop(meta, 'consumerID')) ?? (meta.appId || meta.name),
    ...tls,
  };
}

/**
 * Client id of the consumer connection of one subscription: `<consumerGroup>-<12 hex of the
 * topic filter's SHA-256>`. Stable across restarts (the persistent session, and what it queued
 * while nobody listened, is found again), one session per (group, filter) so the subscriptions of
 * a group on different topics never take over each other's connection.
 */
export function consumerClientId(consumerGroup: string, topicFilter: string): string {
  return `${consumerGroup}-${createHash('sha256').update(topicFilter, 'utf8').digest('hex').slice(0, 12)}`;
}

/** Per-request `retain` overrides the component's. */
export function publishRetain(s: MqttSettings, md: Readonly<Record<string, string>>): boolean {
  const v = md['retain'];
  if (v === undefined || v.trim() === '') return s.retain;
  const t = v.trim().toLowerCase();
  if (['true', '1', 'yes', 'y', 'on'].includes(t)) return true;
  if (['false', '0', 'no', 'n', 'off'].includes(t)) return false;
  throw new PubSubError('bad-request', `mqtt pub/sub: metadata retain must be a boolean, got "${v}"`);
}

/** Whether subscription metadata asks to UNSUBSCRIBE when the subscription closes (Dapr's `unsubscribeOnClose`). */
export function unsubscribeOnClose(md: Readonly<Record<string, string>>): boolean {
  const v = md['unsubscribeOnClose'];
  return v !== undefined && ['true', '1', 'yes', 'y', 'on'].includes(v.trim().toLowerCase());
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v;
}
