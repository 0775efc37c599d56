// Public surface of @tessera/cli: the `tessera run`, `tessera list` and `tessera stop` commands.
// apps/cli dispatches to them and hands in the process (CliIo) and the runtime host (bootApps).
export { runCommand, APP_STOP_GRACE_MS, RUNTIME_STOP_GRACE_MS } from './run.command';
export { listCommand } from './list.command';
export { stopCommand } from './stop.command';
export type { CliIo, BootApps, RuntimeBootIo, RunningGateway, HostedRuntime } from './cli-io';
export { RUN_HELP, LIST_HELP, STOP_HELP } from './help';
export { parseRunArgs, RUN_FLAGS, isUsageError } from './run-flags';
export type { ParsedRunArgs, RunFlagDef } from './run-flags';
export { loadRunFile, parseRunFile } from './run-file';
export type { RunFile } from './run-file';
export type { AppSpec } from './app-spec';
export { RunRegistry } from './registry';
export type { RunRecord, RunRecordApp } from './registry';
