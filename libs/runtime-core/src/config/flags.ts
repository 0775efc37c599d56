// The runtime command's flags: daprd's names and defaults, plus Tessera's own. One table feeds
// both the parser (runtime-config.ts) and the help text, and every default is written here as
// the string a user would type, parsed by the same code as a user's value, so help and
// behaviour cannot drift apart.

export type FlagKind = 'value' | 'bool' | 'repeat';

export interface FlagDef {
  /** Name without dashes, as daprd spells it. */
  readonly name: string;
  readonly kind: FlagKind;
  /** Default as typed on a command line; undefined = unset. */
  readonly default?: string;
  /** Environment variable read when the flag is absent. */
  readonly env?: string;
  /** Placeholder for the value in the help text. */
  readonly arg?: string;
  readonly help: string;
  /** The value goes to the flag named here (deprecated daprd spellings). */
  readonly aliasOf?: string;
  /** Still honoured, but the caller should warn. */
  readonly deprecated?: boolean;
  /** Accepted for daprd compatibility but has no effect in Tessera (reported as ignored). */
  readonly ignored?: boolean;
}

export const FLAGS: readonly FlagDef[] = [
  // The app
  { name: 'app-id', kind: 'value', env: 'APP_ID', arg: 'id', help: 'The id of the app this runtime serves; used for service discovery, state key prefixes and pub/sub consumer ids' },
  { name: 'app-port', kind: 'value', env: 'APP_PORT', arg: 'port', help: 'The port the app listens on; unset = the app does not receive calls' },
  { name: 'app-protocol', kind: 'value', default: 'http', arg: 'http|grpc|https|grpcs|h2c', help: 'Protocol of the app channel' },
  { name: 'app-channel-address', kind: 'value', default: '127.0.0.1', arg: 'host', help: 'Network address the app listens on' },
  { name: 'app-max-concurrency', kind: 'value', default: '-1', arg: 'n', help: 'Most calls in flight to the app at a time; -1 = unlimited' },
  { name: 'app-ssl', kind: 'bool', deprecated: true, default: 'false', help: 'Deprecated: use --app-protocol https or grpcs' },
  { name: 'enable-app-health-check', kind: 'bool', default: 'false', help: 'Probe the app\'s health endpoint and stop app-bound delivery while it is unhealthy' },
  { name: 'app-health-check-path', kind: 'value', default: '/healthz', arg: 'path', help: 'Path probed when the app channel is HTTP' },
  { name: 'app-health-probe-interval', kind: 'value', default: '5', arg: 'seconds', help: 'Seconds between app health probes' },
  { name: 'app-health-probe-timeout', kind: 'value', default: '500', arg: 'ms', help: 'Timeout of one app health probe, in milliseconds' },
  { name: 'app-health-threshold', kind: 'value', default: '3', arg: 'n', help: 'Consecutive failed probes before the app is considered unhealthy' },
  // The Dapr API
  { name: 'dapr-http-port', kind: 'value', default: '3500', env: 'DAPR_HTTP_PORT', arg: 'port', help: 'Port of the Dapr HTTP API' },
  { name: 'dapr-grpc-port', kind: 'value', default: '50001', env: 'DAPR_GRPC_PORT', arg: 'port', help: 'Port of the Dapr gRPC API' },
  {
    name: 'dapr-internal-grpc-port',
    kind: 'value',
    arg: 'port',
    help: 'Port of the internal server other gateways call for service invocation; unset = a free port in standalone mode (registered with name resolution), 50002 in kubernetes mode',
  },
  { name: 'dapr-public-port', kind: 'value', arg: 'port', help: 'Port of the public health/metadata listener; unset = none' },
  {
    name: 'dapr-listen-addresses',
    kind: 'value',
    default: '127.0.0.1',
    arg: 'addr[,addr]',
    help: 'Addresses the Dapr API listens on (comma list). Loopback by default; use 0.0.0.0 in containers',
  },
  { name: 'max-body-size', kind: 'value', default: '4Mi', arg: 'size', help: 'Largest request body accepted, e.g. 4Mi, 16M, 4194304' },
  { name: 'read-buffer-size', kind: 'value', default: '4Ki', arg: 'size', help: 'Largest HTTP header block accepted, e.g. 4Ki' },
  { name: 'dapr-http-max-request-size', kind: 'value', deprecated: true, arg: 'MB', help: 'Deprecated: use --max-body-size (this one is in megabytes)' },
  { name: 'dapr-http-read-buffer-size', kind: 'value', deprecated: true, arg: 'KB', help: 'Deprecated: use --read-buffer-size (this one is in kilobytes)' },
  { name: 'allowed-origins', kind: 'value', default: '*', arg: 'origins', help: 'CORS allowed origins (comma list); * allows all' },
  { name: 'enable-api-logging', kind: 'bool', help: 'Log every API call; unset = as the Configuration resource says (logging.apiLogging.enabled)' },
  // Resources
  { name: 'resources-path', kind: 'repeat', arg: 'dir', help: 'Folder of resource YAML (Component, Subscription, Resiliency, …); repeat for several; relative to the working directory. Unset = embedded defaults' },
  { name: 'components-path', kind: 'repeat', deprecated: true, arg: 'dir', aliasOf: 'resources-path', help: 'Deprecated: use --resources-path' },
  { name: 'config', kind: 'value', arg: 'file', help: 'Configuration resource file (tracing, metrics, access control, features)' },
  // Logs, metrics, lifecycle
  { name: 'log-level', kind: 'value', default: 'info', arg: 'debug|info|warn|error|fatal', help: 'Log level' },
  { name: 'log-as-json', kind: 'bool', default: 'false', help: 'Write logs as JSON lines with Dapr\'s field names' },
  { name: 'enable-metrics', kind: 'bool', default: 'true', help: 'Serve Prometheus metrics' },
  { name: 'metrics-port', kind: 'value', default: '9090', arg: 'port', help: 'Port of the Prometheus metrics endpoint' },
  { name: 'dapr-graceful-shutdown-seconds', kind: 'value', default: '5', arg: 'seconds', help: 'Time allowed for in-flight work to finish on shutdown' },
  { name: 'mode', kind: 'value', default: 'standalone', arg: 'standalone|kubernetes', help: 'Runtime mode' },
  // Tessera
  {
    name: 'state-svc-address',
    kind: 'value',
    env: 'TESSERA_STATE_SVC',
    arg: 'host:port',
    help: 'Address of a remote state-svc; when set, state calls go there (split mode) instead of in-process',
  },
  {
    name: 'secrets-svc-address',
    kind: 'value',
    env: 'TESSERA_SECRETS_SVC',
    arg: 'host:port',
    help: 'Address of a remote secrets-svc; when set, secrets API calls go there (split mode) instead of in-process',
  },
  {
    name: 'lock-svc-address',
    kind: 'value',
    env: 'TESSERA_LOCK_SVC',
    arg: 'host:port',
    help: 'Address of a remote lock-svc; when set, distributed lock calls go there (split mode) instead of in-process',
  },
  {
    name: 'pubsub-svc-address',
    kind: 'value',
    env: 'TESSERA_PUBSUB_SVC',
    arg: 'host:port',
    help: 'Address of a remote pubsub-svc; when set, publishing and subscriptions go there (split mode) instead of in-process',
  },
  {
    name: 'bindings-svc-address',
    kind: 'value',
    env: 'TESSERA_BINDINGS_SVC',
    arg: 'host:port',
    help: 'Address of a remote bindings-svc; when set, output and input bindings go there (split mode) instead of in-process',
  },
  {
    name: 'configuration-svc-address',
    kind: 'value',
    env: 'TESSERA_CONFIGURATION_SVC',
    arg: 'host:port',
    help: 'Address of a remote configuration-svc; when set, configuration calls and subscriptions go there (split mode) instead of in-process',
  },
  { name: 'data-dir', kind: 'value', default: '.tessera', arg: 'dir', help: 'Folder of the embedded SQLite stores; relative to the working directory' },
  {
    name: 'tessera-home',
    kind: 'value',
    default: '~/.tessera',
    env: 'TESSERA_HOME',
    arg: 'dir',
    help: 'Per-user folder shared by every runtime of this user on this machine (holds the name resolution database); a leading ~ is the home folder; relative to the working directory',
  },
  // daprd flags that only matter to Dapr's control plane; accepted so daprd command lines work.
  ...(
    [
      ['placement-host-address', 'value'],
      ['scheduler-host-address', 'value'],
      ['sentry-address', 'value'],
      ['control-plane-address', 'value'],
      ['control-plane-namespace', 'value'],
      ['control-plane-trust-domain', 'value'],
      ['trust-anchors-file', 'value'],
      ['kubeconfig', 'value'],
      ['profile-port', 'value'],
      ['metrics-listen-address', 'value'],
      ['unix-domain-socket', 'value'],
      ['dapr-block-shutdown-duration', 'value'],
      ['enable-mtls', 'bool'],
      ['enable-profiling', 'bool'],
      ['disable-builtin-k8s-secret-store', 'bool'],
    ] as const
  ).map(([name, kind]): FlagDef => ({ name, kind, ignored: true, arg: kind === 'value' ? 'value' : undefined, help: 'Accepted for daprd compatibility; no effect in Tessera' })),
];

export const FLAG_BY_NAME: ReadonlyMap<string, FlagDef> = new Map(FLAGS.map((f) => [f.name, f]));

/** Environment variables read besides the flags' own. */
export const ENV_VARS: readonly { readonly name: string; readonly help: string }[] = [
  { name: 'DAPR_API_TOKEN', help: 'Token every Dapr API call must carry in the dapr-api-token header' },
  { name: 'APP_API_TOKEN', help: 'Token sent to the app in the dapr-api-token header' },
  { name: 'NAMESPACE', help: 'Namespace of this runtime (default "default")' },
  { name: 'DAPR_HTTP_DISABLE_H2C', help: 'If truthy, the Dapr HTTP port serves HTTP/1.1 only' },
  { name: 'HOME', help: 'Home folder that a leading ~ in --tessera-home stands for (USERPROFILE on Windows; else the OS account\'s)' },
];
