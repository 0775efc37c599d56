// One app of a `tessera run`, however it was described (flags or a run file): the runtime flags
// of its gateway, its command, working folder and environment. Also the environment handed to
// the app process, which dapr defines (APP_ID, APP_PORT, DAPR_HTTP_PORT, …).
import { basename } from 'node:path';
import { isConfigError, parseRuntimeArgs } from '@tessera/runtime-core';
import type { Env, RuntimeConfig } from '@tessera/runtime-core';
import { UsageError } from './run-flags';

export interface AppSpec {
  readonly appId: string;
  /** Working folder of the app's command. */
  readonly appDir: string;
  /** Empty = no app process (the gateway alone). */
  readonly command: readonly string[];
  /** Variables for the app on top of the caller's environment (a run file's env). */
  readonly env: Readonly<Record<string, string>>;
  /** Flags of the app's gateway (runtime-core's names, `--name=value`). */
  readonly runtimeArgv: readonly string[];
  /** Where a runtime flag's value came from (`apps[1].appPort`), to name it in errors. */
  readonly sources: ReadonlyMap<string, string>;
  /** What to prefix an error about this app with (a run file: `dapr.yaml: `). */
  readonly errorPrefix: string;
}

/** The variables the runtime must not pick up from the caller: each app's are given as flags. */
const PER_APP_ENV = ['APP_ID', 'APP_PORT', 'DAPR_HTTP_PORT', 'DAPR_GRPC_PORT'];

/** The environment the runtime is booted with: the caller's, without the per-app variables. */
export function runtimeEnv(env: Env): Env {
  const out: Record<string, string | undefined> = { ...env };
  for (const k of PER_APP_ENV) delete out[k];
  return out;
}

/** Checks an app's runtime flags as the runtime will parse them; errors name the flag's source. */
export function checkApp(spec: AppSpec, env: Env, cwd: string): RuntimeConfig {
  try {
    return parseRuntimeArgs(spec.runtimeArgv, runtimeEnv(env), cwd);
  } catch (e) {
    if (!isConfigError(e)) throw e;
    const m = /^--([a-z0-9-]+)(?: default)?: ([\s\S]*)$/.exec(e.message);
    const source = m ? spec.sources.get(m[1] as string) : undefined;
    throw new UsageError(`${spec.errorPrefix}${source !== undefined && m ? `${source}: ${m[2]}` : e.message}`);
  }
}

/** True if the flag is among the argv (`--name=…`). */
export function hasFlag(argv: readonly string[], name: string): boolean {
  return argv.some((a) => a === `--${name}` || a.startsWith(`--${name}=`));
}

/** An app id from a folder name, as dapr derives one from appDirPath. */
export function appIdFromFolder(dir: string): string {
  const id = basename(dir).replace(/[\s|/\\]+/g, '-');
  return id === '' || id === '.' || id === '..' ? 'app' : id;
}

export interface GatewayPorts {
  readonly httpPort: number;
  readonly grpcPort: number;
}

/**
 * The app process's environment: the caller's, the run file's, then what dapr hands an app —
 * APP_ID, APP_PORT, APP_PROTOCOL, APP_CHANNEL_ADDRESS, DAPR_HTTP_PORT, DAPR_GRPC_PORT,
 * DAPR_METRICS_PORT. DAPR_API_TOKEN and APP_API_TOKEN come through from the caller when set.
 */
export function appEnv(spec: AppSpec, config: RuntimeConfig, ports: GatewayPorts, base: Env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined) env[k] = v;
  Object.assign(env, spec.env);
  env['APP_ID'] = spec.appId;
  if (config.appPort !== undefined) env['APP_PORT'] = String(config.appPort);
  else delete env['APP_PORT'];
  env['APP_PROTOCOL'] = config.appProtocol;
  if (hasFlag(spec.runtimeArgv, 'app-channel-address')) env['APP_CHANNEL_ADDRESS'] = config.appChannelAddress;
  env['DAPR_HTTP_PORT'] = String(ports.httpPort);
  env['DAPR_GRPC_PORT'] = String(ports.grpcPort);
  if (hasFlag(spec.runtimeArgv, 'metrics-port')) env['DAPR_METRICS_PORT'] = String(config.metricsPort);
  return env;
}
