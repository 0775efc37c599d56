// `tessera <command>`: the one command line of Tessera. Wiring only; each command lives in a lib.
import { bootRuntime, bootStateSvc, processIo } from '@tessera/nest';
import { runtimeHelp } from '@tessera/runtime-core';

const USAGE = `Usage: tessera <command> [flags]

Commands:
  runtime     Start the all-in-one runtime (like daprd): the Dapr HTTP and gRPC APIs and every
              building block in one process. With no flags it runs on embedded defaults
              (a durable SQLite state store in .tessera/). Takes daprd's flags.
  gateway     Start one app's gateway only; with --state-svc-address the state block is remote.
  state-svc   Start the state building block as a service for gateways in split mode.
  help        Show this text; 'tessera runtime --help' lists the runtime's flags.

Examples:
  npx tessera runtime
  npx tessera runtime --app-id orders --resources-path ./components
  npx tessera state-svc --resources-path ./components --port 50101
  npx tessera gateway --app-id orders --state-svc-address 127.0.0.1:50101
`;

const [command, ...rest] = process.argv.slice(2);
switch (command) {
  case 'runtime':
    void bootRuntime(processIo(rest), true);
    break;
  case 'gateway':
    void bootRuntime(processIo(rest), false);
    break;
  case 'state-svc':
    void bootStateSvc(processIo(rest));
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
