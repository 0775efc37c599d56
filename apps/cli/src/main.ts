// `tessera <command>`: the one command line of Tessera. Wiring only; each command lives in a lib.
import { listCommand, runCommand, stopCommand } from '@tessera/cli';
import type { CliIo } from '@tessera/cli';
import { bootApps, bootRuntime, bootStateSvc, processIo } from '@tessera/nest';
import { bootSecretsSvc } from '@tessera/nest';
import { bootLockSvc } from '@tessera/nest';
import { bootConfigurationSvc } from '@tessera/nest';
import { bootPubSubSvc } from '@tessera/nest';
import { bootBindingsSvc } from '@tessera/nest';
import { runtimeHelp } from '@tessera/runtime-core';

const USAGE = `Usage: tessera <command> [flags]

Commands:
  run         Run your app next to the runtime, like 'dapr run': tessera run --app-id orders
              --app-port 3000 -- node app.js. With -f dapr.yaml, the apps of a Dapr multi-app
              run file, every app's gateway in one runtime process. 'tessera run --help'.
  list        List the apps started with 'tessera run' (like 'dapr list'); -o json|yaml.
  stop        Stop apps started with 'tessera run': --app-id <id> or -f <run file>.
  runtime     Start the all-in-one runtime (like daprd): the Dapr HTTP and gRPC APIs and every
              building block in one process. With no flags it runs on embedded defaults
              (durable SQLite stores in .tessera/: statestore, lockstore, pubsub).
              Takes daprd's flags.
  gateway     Start one app's gateway only; each --<block>-svc-address (--state-svc-address,
              --pubsub-svc-address, ...) sends that block's calls to its service.
  state-svc   Start the state building block as a service for gateways in split mode
              (port 50101); gateways use it with --state-svc-address.
  pubsub-svc  Start the publish and subscribe building block as a service for gateways in split
              mode (port 50102); gateways use it with --pubsub-svc-address. Without
              --resources-path it serves the embedded pubsub (SQLite in .tessera/pubsub.db).
  bindings-svc
              Start the bindings building block (output and input bindings) as a service for
              gateways in split mode (port 50103); gateways use it with --bindings-svc-address.
  secrets-svc Start the secrets building block as a service for gateways in split mode
              (port 50104); gateways use it with --secrets-svc-address.
  lock-svc    Start the distributed lock building block as a service for gateways in split mode
              (port 50106); gateways use it with --lock-svc-address.
  configuration-svc
              Start the configuration building block as a service for gateways in split mode
              (port 50105); gateways use it with --configuration-svc-address.
  help        Show this text; 'tessera <command> --help' shows a command's flags.

Examples:
  npx tessera run --app-id orders --app-port 3000 -- node app.js
  npx tessera run -f dapr.yaml
  npx tessera runtime
  npx tessera runtime --app-id orders --resources-path ./components
  npx tessera state-svc --resources-path ./components --port 50101
  npx tessera pubsub-svc --resources-path ./components --port 50102
  npx tessera bindings-svc --resources-path ./components --port 50103
  npx tessera gateway --app-id orders --state-svc-address 127.0.0.1:50101
  npx tessera gateway --app-id orders --app-port 3000 --pubsub-svc-address 127.0.0.1:50102
  npx tessera secrets-svc --resources-path ./components --port 50104
  npx tessera lock-svc --resources-path ./components --port 50106
  npx tessera configuration-svc --resources-path ./components --port 50105
`;

function cliIo(argv: readonly string[]): CliIo {
  return {
    argv,
    env: process.env,
    cwd: process.cwd(),
    stdout: process.stdout,
    stderr: process.stderr,
    signals: process,
    pid: process.pid,
    exit: (code) => process.exit(code),
  };
}

function exitWith(code: Promise<number> | number): void {
  void Promise.resolve(code).then(
    (c) => process.exit(c),
    (e: unknown) => {
      process.stderr.write(`tessera: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    },
  );
}

const [command, ...rest] = process.argv.slice(2);
switch (command) {
  case 'run':
    exitWith(runCommand(cliIo(rest), bootApps));
    break;
  case 'list':
    exitWith(listCommand(cliIo(rest)));
    break;
  case 'stop':
    exitWith(stopCommand(cliIo(rest)));
    break;
  case 'runtime':
    void bootRuntime(processIo(rest), true);
    break;
  case 'gateway':
    void bootRuntime(processIo(rest), false);
    break;
  case 'secrets-svc':
    void bootSecretsSvc(processIo(rest));
    break;
  case 'lock-svc':
    void bootLockSvc(processIo(rest));
    break;
  case 'configuration-svc':
    void bootConfigurationSvc(processIo(rest));
    break;
  case 'state-svc':
    void bootStateSvc(processIo(rest));
    break;
  case 'pubsub-svc':
    void bootPubSubSvc(processIo(rest));
    break;
  case 'bindings-svc':
    void bootBindingsSvc(processIo(rest));
    break;
  case undefined:
  case 'help':
  case '--help':
  case '-h':
    process.stdout.write(USAGE + (command === undefined ? '' : `\nRuntime flags:\n${runtimeHelp()}`));
    process.exit(command === undefined ? 2 : 0);
    break;
  default:
    process.stderr.write(`tessera: unknown command "${command}"\n\n${USAGE}`);
    process.exit(2);
}
