// App health gates what the gateway delivers to its app (--enable-app-health-check; spec
// http-api.md "App health"): while the app is unhealthy the app's pub/sub subscriptions and input
// bindings are paused (daprd unsubscribes and stops reading its bindings), and they start again
// when it is healthy. Invocations are refused by the app channel itself; streaming subscriptions
// (SubscribeTopicEventsAlpha1) do not use the app channel and are not touched.
//
// The app counts as unhealthy until its first successful probe, so the deliveries are paused from
// the start and begin (the app's /dapr/subscribe, the OPTIONS probes) once it is healthy. Without
// health checks there is no checker and nothing here runs.
//
// Framework-free (tested without Nest); AppHealthGate (app-health-gate.provider.ts) wires it.
import type { Logger } from '@tessera/observability';

/** What the gate needs of the health checker (AppHealthChecker). */
export interface AppHealthSource {
  healthy(): boolean;
  onChange(cb: (healthy: boolean) => void): () => void;
}

/** A delivery that can be paused (AppPubSubDelivery, AppBindingsDelivery): both return how many they paused / resumed. */
export interface Pausable {
  pause(): number;
  resume(): number;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * Pauses `subscriptions` and `bindings` while `health` says unhealthy (at once when it does now)
 * and resumes them when it turns healthy, one log line per transition. Returns the unsubscribe.
 */
export function gateOnAppHealth(health: AppHealthSource, targets: { subscriptions?: Pausable; bindings?: Pausable }, logger?: Logger): () => void {
  const { subscriptions, bindings } = targets;
  let started = false;
  if (!health.healthy()) {
    subscriptions?.pause();
    bindings?.pause();
    logger?.debug('subscriptions and input bindings wait for the app to be healthy');
  } else started = true;
  return health.onChange((healthy) => {
    const s = healthy ? subscriptions?.resume() ?? 0 : subscriptions?.pause() ?? 0;
    const b = healthy ? bindings?.resume() ?? 0 : bindings?.pause() ?? 0;
    const what = `${plural(s, 'subscription', 'subscriptions')} and ${plural(b, 'input binding', 'input bindings')}`;
    if (!healthy) logger?.info(`app is unhealthy: pausing ${what}`);
    else if (started) logger?.info(`app is healthy: resuming ${what}`);
    else logger?.info('app is healthy: starting its subscriptions and input bindings');
    started = true;
  });
}
