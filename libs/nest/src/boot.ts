// Process entry points: parse the command line, compose the Nest modules for the chosen
// topology, start, print where we listen, and shut down gracefully on a signal or on
// POST /v1.0/shutdown. Start-up failures print one clear line and exit 1.
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import type { DynamicModule, INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createLogger } from '@tessera/observability';
import type { Logger } from '@tessera/observability';
import { parseRuntimeArgs, runtimeHelp } from '@tessera/runtime-core';
import type { Env, RuntimeConfig } from '@tessera/runtime-core';
import { EdgeServers, GatewayModule } from './gateway.module';
import { LifecycleService } from './lifecycle.service';
import { RESOURCES } from './tokens';
import type { LoadedComponents } from './resources.module';
import { RuntimeBaseModule } from './resources.module';
import { StateModule } from './state.module';
import { StateSvcModule } from './state-svc.module';
import { SecretsModule } from './secrets.module';
import { SecretsSvcModule } from './secrets-svc.module';
import { LockModule } from './lock.module';
import { PubSubModule } from './pubsub.module';
import { LockSvcModule } from './lock-svc.module';
import { PubSubSvcModule } from './pubsub-svc.module';
import { BindingsSvcModule } from './bindings-svc.module';
import { ConfigurationModule } from './configuration.module';
import { ConfigurationSvcModule } from './configuration-svc.module';
import { BindingsModule } from './bindings.module';
import { TESSERA_VERSION } from './version';

export interface BootIo {
  readonly argv: readonly string[];
  readonly env: Env;
  readonly cwd: string;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

export function processIo(argv: readonly string[]): BootIo {
  return { argv, env: process.env, cwd: process.cwd(), stdout: process.stdout, stderr: process.stderr };
}

function loggerFor(config: RuntimeConfig, appId: string, stream: NodeJS.WritableStream): Logger {
  return createLogger({
    level: config.logLevel,
    json: config.logAsJson,
    appId,
    version: TESSERA_VERSION,
    destination: { write: (line: string) => void stream.write(line) },
  });
}

/** Runs `init`, then keeps the process alive until a signal or a shutdown request. */
async function serve(
  module: DynamicModule,
  config: RuntimeConfig,
  logger: Logger,
  onStarted: (app: INestApplicationContext) => void,
): Promise<INestApplicationContext> {
  @Module({ imports: [module] })
  class Root {}
  const app = await NestFactory.createApplicationContext(Root, { logger: false, abortOnError: false });
  let closing: Promise<void> | undefined;
  const close = (code: number): Promise<void> => {
    closing ??= (async () => {
      logger.info('shutting down');
      const grace = setTimeout(() => {
        logger.warn(`graceful shutdown took longer than ${config.gracefulShutdownSeconds}s; exiting`);
        process.exit(code);
      }, config.gracefulShutdownSeconds * 1000);
      grace.unref();
      try {
        await app.close();
      } finally {
        clearTimeout(grace);
        process.exit(code);
      }
    })();
    return closing;
  };
  process.once('SIGINT', () => void close(0));
  process.once('SIGTERM', () => void close(0));
  try {
    app.get(LifecycleService, { strict: false }).setShutdownHandler(() => void close(0));
  } catch {
    // building-block services have no gateway lifecycle
  }
  await app.init();
  onStarted(app);
  return app;
}

/** Flags this build parses (daprd command lines must keep working) but does not act on yet. */
function notYetEffective(c: RuntimeConfig): string[] {
  const out: string[] = [];
  const later = (flag: string, what: string) => out.push(`${flag} is accepted but has no effect yet: ${what} is not part of this Tessera build`);
  if (c.allowedOrigins !== '*') later('--allowed-origins', 'CORS');
  if (c.daprPublicPort !== undefined) later('--dapr-public-port', 'the public health listener');
  return out;
}

function fail(io: BootIo, e: unknown): never {
  const msg = e instanceof Error ? e.message : String(e);
  io.stderr.write(`tessera: ${msg}\n`);
  process.exit(1);
}

/**
 * The runtime of one app: the all-in-one runtime (every block in-process) or, when
 * --state-svc-address is given, a gateway whose state block is a remote state-svc.
 */
export async function bootRuntime(io: BootIo, banner: boolean): Promise<INestApplicationContext> {
  let config: RuntimeConfig;
  try {
    config = parseRuntimeArgs(io.argv, io.env, io.cwd);
  } catch (e) {
    return fail(io, e);
  }
  if (config.help) {
    io.stdout.write(runtimeHelp());
    process.exit(0);
  }
  const logger = loggerFor(config, config.appId, io.stderr);
  for (const f of config.ignoredFlags) logger.warn(`flag ${f} is accepted for daprd compatibility and has no effect in Tessera`);
  for (const f of config.deprecatedFlags) logger.warn(`flag ${f} is deprecated`);
  for (const w of notYetEffective(config)) logger.warn(w);
  const state = config.stateSvcAddress ? StateModule.remote(config.stateSvcAddress) : StateModule.inProcess();
  const secrets = config.secretsSvcAddress ? SecretsModule.remote(config.secretsSvcAddress) : SecretsModule.inProcess();
  const lock = config.lockSvcAddress ? LockModule.remote(config.lockSvcAddress) : LockModule.inProcess();
  const configuration = config.configurationSvcAddress ? ConfigurationModule.remote(config.configurationSvcAddress) : ConfigurationModule.inProcess();
  const pubsub = config.pubsubSvcAddress ? PubSubModule.remote(config.pubsubSvcAddress) : PubSubModule.inProcess();
  const bindings = config.bindingsSvcAddress ? BindingsModule.remote(config.bindingsSvcAddress) : BindingsModule.inProcess();
  const module = {
    module: class TesseraRuntime {},
    imports: [RuntimeBaseModule.forRoot(config, io.env, io.cwd, logger, config.appId), GatewayModule.forApp(state, secrets, lock, configuration, pubsub, bindings)],
  };
  try {
    return await serve(module, config, logger, (app) => {
      const edges = app.get(EdgeServers, { strict: false });
      const res = app.get<LoadedComponents>(RESOURCES, { strict: false });
      if (banner) io.stdout.write(bannerText(config, edges.listening, res));
    });
  } catch (e) {
    return fail(io, e);
  }
}

function bannerText(config: RuntimeConfig, l: { host: string; httpPort: number; grpcPort: number }, res: LoadedComponents): string {
  const base = `http://${l.host}:${l.httpPort}`;
  const remote = [
    ...(config.stateSvcAddress ? [`state at ${config.stateSvcAddress}`] : []),
    ...(config.secretsSvcAddress ? [`secrets at ${config.secretsSvcAddress}`] : []),
    ...(config.lockSvcAddress ? [`lock at ${config.lockSvcAddress}`] : []),
    ...(config.configurationSvcAddress ? [`configuration at ${config.configurationSvcAddress}`] : []),
    ...(config.pubsubSvcAddress ? [`pubsub at ${config.pubsubSvcAddress}`] : []),
    ...(config.bindingsSvcAddress ? [`bindings at ${config.bindingsSvcAddress}`] : []),
  ];
  const mode = remote.length > 0 ? `split: ${remote.join(', ')}` : 'all-in-one';
  const lines = [
    '',
    `  Tessera ${TESSERA_VERSION} is up (${mode}${res.embeddedDefaults ? ', embedded defaults' : ''})${config.appId ? ` for app "${config.appId}"` : ''}`,
    `    Dapr HTTP API   ${base}`,
    `    Dapr gRPC API   ${l.host}:${l.grpcPort}`,
  ];
  const stores = config.stateSvcAddress ? [] : res.components.filter((c) => c.type.startsWith('state.'));
  for (const s of stores) {
    const where = res.embeddedDefaults ? `, ${s.metadata['connectionString'] ?? ''}` : '';
    lines.push(`    state store     ${s.name} (${s.type}${where})`);
  }
  if (!config.secretsSvcAddress) {
    for (const s of res.secretStores.all()) lines.push(`    secret store    ${s.name} (${s.type})`);
  }
  if (!config.lockSvcAddress) {
    for (const s of res.components.filter((c) => c.type.startsWith('lock.'))) {
      const where = res.embeddedDefaults ? `, ${s.metadata['connectionString'] ?? ''}` : '';
      lines.push(`    lock store      ${s.name} (${s.type}${where})`);
    }
  }
  if (!config.configurationSvcAddress) {
    for (const s of res.components.filter((c) => c.type.startsWith('configuration.'))) lines.push(`    config store    ${s.name} (${s.type})`);
  }
  if (!config.pubsubSvcAddress) {
    for (const s of res.components.filter((c) => c.type.startsWith('pubsub.'))) {
      const where = res.embeddedDefaults ? `, ${s.metadata['connectionString'] ?? ''}` : '';
      lines.push(`    pubsub          ${s.name} (${s.type}${where})`);
    }
  }
  if (!config.bindingsSvcAddress) {
    for (const s of res.components.filter((c) => c.type.startsWith('bindings.'))) lines.push(`    binding         ${s.name} (${s.type})`);
  }
  const store = stores[0]?.name;
  if (store) {
    lines.push(
      '',
      '  Try it:',
      `    curl -X POST ${base}/v1.0/state/${store} -H 'content-type: application/json' -d '[{"key":"hello","value":"world"}]'`,
      `    curl ${base}/v1.0/state/${store}/hello`,
    );
  }
  lines.push('', '  Stop with Ctrl-C.', '');
  return lines.join('\n') + '\n';
}

export const STATE_SVC_DEFAULT_PORT = 50101;

/** Splits the service's own `--port` flag off the runtime flags it shares with the runtime. */
function servicePort(argv: readonly string[], defaultPort = STATE_SVC_DEFAULT_PORT): { port: number; rest: string[] } {
  const rest: string[] = [];
  let port = defaultPort;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    let v: string | undefined;
    if (a === '--port') v = argv[++i];
    else if (a.startsWith('--port=')) v = a.slice(7);
    else {
      rest.push(a);
      continue;
    }
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--port: expected a port number 0-65535, got "${v ?? ''}"`);
    port = n;
  }
  return { port, rest };
}

/** How one building-block service (state-svc, lock-svc, …) is started. */
interface BlockSvcDef {
  readonly name: string;
  readonly defaultPort: number;
  /** What `--help` says about the runtime flags that apply. */
  readonly help: string;
  readonly module: (opts: { host: string; port: number; maxFrameBytes: number }) => DynamicModule;
}

/** A building block as its own service: its --port plus the runtime flags, served over the internal transport. */
async function bootBlockSvc(io: BootIo, def: BlockSvcDef): Promise<INestApplicationContext> {
  let config: RuntimeConfig;
  let port: number;
  try {
    const split = servicePort(io.argv, def.defaultPort);
    port = split.port;
    config = parseRuntimeArgs(split.rest, io.env, io.cwd);
  } catch (e) {
    return fail(io, e);
  }
  if (config.help) {
    io.stdout.write(`tessera ${def.name} [--port ${def.defaultPort}] [runtime flags]\n\n${def.help}`);
    process.exit(0);
  }
  const logger = loggerFor(config, '', io.stderr).child({ scope: def.name });
  const module = {
    module: class TesseraBlockSvc {},
    imports: [
      RuntimeBaseModule.forRoot(config, io.env, io.cwd, logger, ''),
      def.module({ host: config.listenAddresses[0] ?? '127.0.0.1', port, maxFrameBytes: Math.max(config.maxBodySizeBytes * 2, 16 * 1024 * 1024) }),
    ],
  };
  try {
    return await serve(module, config, logger, () => undefined);
  } catch (e) {
    return fail(io, e);
  }
}

/** state-svc: the state block behind the internal transport, for the gateways of every app. */
export function bootStateSvc(io: BootIo): Promise<INestApplicationContext> {
  return bootBlockSvc(io, {
    name: 'state-svc',
    defaultPort: STATE_SVC_DEFAULT_PORT,
    help: `The runtime flags that apply: --resources-path, --dapr-listen-addresses, --log-level, --log-as-json, --max-body-size, --data-dir.\n`,
    module: (opts) => StateSvcModule.forRoot(opts),
  });
}

export const SECRETS_SVC_DEFAULT_PORT = 50104;

/** secrets-svc: the secrets block behind the internal transport, for the gateways of every app. */
export function bootSecretsSvc(io: BootIo): Promise<INestApplicationContext> {
  return bootBlockSvc(io, {
    name: 'secrets-svc',
    defaultPort: SECRETS_SVC_DEFAULT_PORT,
    help: `The runtime flags that apply: --resources-path (none: the embedded secretstore, this process's environment), --config (secret scopes applied to every caller), --dapr-listen-addresses, --log-level, --log-as-json, --max-body-size.\n`,
    module: (opts) => SecretsSvcModule.forRoot(opts),
  });
}

export const LOCK_SVC_DEFAULT_PORT = 50106;

/** lock-svc: the distributed lock block behind the internal transport, for the gateways of every app. */
export function bootLockSvc(io: BootIo): Promise<INestApplicationContext> {
  return bootBlockSvc(io, {
    name: 'lock-svc',
    defaultPort: LOCK_SVC_DEFAULT_PORT,
    help: `The runtime flags that apply: --resources-path (none: the embedded lockstore, SQLite in <data-dir>/lock.db), --data-dir, --dapr-listen-addresses, --log-level, --log-as-json, --max-body-size.\n`,
    module: (opts) => LockSvcModule.forRoot(opts),
  });
}

export const CONFIGURATION_SVC_DEFAULT_PORT = 50105;

/** configuration-svc: the configuration block behind the internal transport, for the gateways of every app. */
export function bootConfigurationSvc(io: BootIo): Promise<INestApplicationContext> {
  return bootBlockSvc(io, {
    name: 'configuration-svc',
    defaultPort: CONFIGURATION_SVC_DEFAULT_PORT,
    help: `The runtime flags that apply: --resources-path (configuration.redis / configuration.postgresql components; there is no embedded configuration store), --dapr-listen-addresses, --log-level, --log-as-json, --max-body-size.\n`,
    module: (opts) => ConfigurationSvcModule.forRoot(opts),
  });
}

export const PUBSUB_SVC_DEFAULT_PORT = 50102;

/** pubsub-svc: the pub/sub block behind the internal transport, for the gateways of every app. */
export function bootPubSubSvc(io: BootIo): Promise<INestApplicationContext> {
  return bootBlockSvc(io, {
    name: 'pubsub-svc',
    defaultPort: PUBSUB_SVC_DEFAULT_PORT,
    help: `The runtime flags that apply: --resources-path (none: the embedded pubsub, SQLite in <data-dir>/pubsub.db), --data-dir, --dapr-listen-addresses, --log-level, --log-as-json, --max-body-size (also the largest message published).\n`,
    module: (opts) => PubSubSvcModule.forRoot(opts),
  });
}

export const BINDINGS_SVC_DEFAULT_PORT = 50103;

/** bindings-svc: the bindings block behind the internal transport, for the gateways of every app. */
export function bootBindingsSvc(io: BootIo): Promise<INestApplicationContext> {
  return bootBlockSvc(io, {
    name: 'bindings-svc',
    defaultPort: BINDINGS_SVC_DEFAULT_PORT,
    help: `The runtime flags that apply: --resources-path (bindings.* components; there is no embedded binding), --dapr-listen-addresses, --log-level, --log-as-json, --max-body-size.\n`,
    module: (opts) => BindingsSvcModule.forRoot(opts),
  });
}
