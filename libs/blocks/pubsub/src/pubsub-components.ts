// The pub/sub components one runtime (or one pubsub-svc) has loaded, by name, with the topic
// scopes of their metadata (spec/components.md 1): `publishingScopes` / `subscriptionScopes`
// ("app1=t1,t2;app2=;app3=t3": an app listed with an empty list may use no topic, an unlisted app
// is unrestricted), `allowedTopics` ("t1,t2": no app may use another topic), `protectedTopics`
// (usable only by apps whose scope lists them). Built once at the composition root.
import type { RegisteredComponent } from '@tessera/contracts';
import type { PubSub } from '@tessera/spi';
import { metaGet } from './cloudevents';

export interface TopicScopes {
  /** appId -> topics it may use; an app absent from the map is unrestricted. */
  readonly publishing: ReadonlyMap<string, ReadonlySet<string>>;
  readonly subscription: ReadonlyMap<string, ReadonlySet<string>>;
  /** Empty = every topic. */
  readonly allowed: ReadonlySet<string>;
  readonly protected: ReadonlySet<string>;
}

export interface PubSubEntry {
  readonly name: string;
  readonly type: string;
  readonly version: string;
  readonly pubsub: PubSub;
  /** App ids allowed to use the component; empty = every app. */
  readonly scopes: readonly string[];
  readonly topics: TopicScopes;
  /** The component's `consumerID` metadata, when set (else the subscribing app id is the group). */
  readonly consumerId?: string;
  readonly nativeTtl: boolean;
}

function topicList(s: string): Set<string> {
  return new Set(s.split(',').map((t) => t.trim()).filter((t) => t !== ''));
}

/** "app1=t1,t2;app2=" -> Map(app1 -> {t1,t2}, app2 -> {}). */
export function parseAppTopicScopes(s: string | undefined): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  if (s === undefined) return out;
  for (const part of s.split(';')) {
    const p = part.trim();
    if (p === '') continue;
    const eq = p.indexOf('=');
    const app = (eq < 0 ? p : p.slice(0, eq)).trim();
    if (app === '') continue;
    out.set(app, eq < 0 ? new Set() : topicList(p.slice(eq + 1)));
  }
  return out;
}

export function parseTopicScopes(metadata: Readonly<Record<string, string>>): TopicScopes {
  return {
    publishing: parseAppTopicScopes(metaGet(metadata, 'publishingScopes')),
    subscription: parseAppTopicScopes(metaGet(metadata, 'subscriptionScopes')),
    allowed: topicList(metaGet(metadata, 'allowedTopics') ?? ''),
    protected: topicList(metaGet(metadata, 'protectedTopics') ?? ''),
  };
}

/** Whether `appId` may publish (or subscribe) `topic`, as daprd's scope checks decide. */
export function topicAllowed(scopes: TopicScopes, kind: 'publish' | 'subscribe', appId: string, topic: string): boolean {
  if (scopes.allowed.size > 0 && !scopes.allowed.has(topic)) return false;
  const byApp = kind === 'publish' ? scopes.publishing : scopes.subscription;
  const mine = byApp.get(appId);
  if (scopes.protected.has(topic)) return mine?.has(topic) ?? false;
  return mine === undefined || mine.has(topic);
}

export class PubSubComponents {
  private readonly byName = new Map<string, PubSubEntry>();

  constructor(entries: readonly PubSubEntry[] = []) {
    for (const e of entries) this.add(e);
  }

  add(entry: PubSubEntry): void {
    if (this.byName.has(entry.name)) throw new Error(`pubsub ${entry.name} is loaded twice`);
    this.byName.set(entry.name, entry);
  }

  /** The entry visible to `appId`, or undefined (unknown name or out of scope). */
  get(name: string, appId: string): PubSubEntry | undefined {
    const e = this.byName.get(name);
    if (!e) return undefined;
    return e.scopes.length === 0 || e.scopes.includes(appId) ? e : undefined;
  }

  visibleTo(appId: string): PubSubEntry[] {
    return [...this.byName.values()].filter((e) => e.scopes.length === 0 || e.scopes.includes(appId));
  }

  all(): PubSubEntry[] {
    return [...this.byName.values()];
  }

  describe(e: PubSubEntry): RegisteredComponent {
    return { name: e.name, type: e.type, version: e.version, capabilities: e.pubsub.features().map(featureName) };
  }
}

/** Dapr's metadata API names for pub/sub features. */
function featureName(f: string): string {
  switch (f) {
    case 'message-ttl':
      return 'MESSAGE_TTL';
    case 'bulk-publish':
      return 'BULK_PUBLISH';
    case 'subscribe-wildcards':
      return 'SUBSCRIBE_WILDCARDS';
    default:
      return f;
  }
}
