// Component metadata of `bindings.mqtt3` (alias `bindings.mqtt`) v1, components.md 5.22, parsed
// once at init, and the per-request publish target (`topic`, `retain` overrides).
import { parseMqttBroker } from '@tessera/common-mqtt';
import type { MqttBroker } from '@tessera/common-mqtt';
import { ComponentConfigError, boolProp, clientTlsProps, intProp, prop, requiredProp } from '@tessera/spi';
import type { ClientTlsProps, ComponentMetadata } from '@tessera/spi';

export interface MqttBindingSettings {
  readonly broker: MqttBroker;
  readonly topic: string;
  readonly clientId: string;
  readonly retain: boolean;
  readonly cleanSession: boolean;
  /** Handler attempts after the first failure before giving up on a message; -1 = forever. */
  readonly backOffMaxRetries: number;
  readonly tls: ClientTlsProps;
}

export function parseMqttBindingMetadata(meta: ComponentMetadata): MqttBindingSettings {
  const broker = parseMqttBroker(meta);
  const topic = requiredProp(meta, 'topic');
  const backOffMaxRetries = intProp(meta, 'backOffMaxRetries', 0);
  if (backOffMaxRetries < -1) throw new ComponentConfigError('backOffMaxRetries', `-1 (forever) or a count >= 0, got ${backOffMaxRetries}`);
  const consumerID = prop(meta, 'consumerID')?.trim();
  const tls = clientTlsProps(meta);
  return {
    broker,
    topic,
    clientId: consumerID || meta.appId || meta.name,
    retain: boolProp(meta, 'retain', false),
    cleanSession: boolProp(meta, 'cleanSession', true),
    backOffMaxRetries,
    tls,
  };
}

/** Topic and retain flag of one `create`: request metadata overrides the component's. */
export function publishTarget(s: MqttBindingSettings, metadata: Readonly<Record<string, string>>): { topic: string; retain: boolean } {
  const topic = nonEmpty(metadata['topic']) ?? s.topic;
  if (/[+#]/.test(topic)) throw new Error(`cannot publish to a wildcard topic "${topic}"`);
  const r = metadata['retain'];
  let retain = s.retain;
  if (r !== undefined && r !== '') {
    const v = r.toLowerCase();
    if (['true', '1', 'yes', 'y', 'on'].includes(v)) retain = true;
    else if (['false', '0', 'no', 'n', 'off'].includes(v)) retain = false;
    else throw new Error(`metadata retain must be a boolean, got "${r}"`);
  }
  return { topic, retain };
}

/** Delay before handler retry `attempt` (1-based): 100ms doubling, at most 5s. */
export function retryDelayMs(attempt: number): number {
  return Math.min(5000, 100 * 2 ** Math.max(0, attempt - 1));
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v;
}
