// Help texts of `tessera run`, `tessera list` and `tessera stop`. The run flags come from the
// flag table (run-flags.ts), so the help cannot drift from the parser.
import { runFlagRows, unsupportedRunFlags } from './run-flags';

export const RUN_HELP = `Usage:
  tessera run [flags] [--] [<app command> [args...]]
  tessera run -f <run file | folder>

Runs your app next to the Tessera runtime, as 'dapr run' runs it next to daprd: the runtime
starts first, in this process, then the app, with the runtime's ports in its environment.
Without a command only the runtime runs. With -f, every app of a Dapr multi-app run file
(dapr.yaml) gets its own gateway (app id, HTTP and gRPC ports) in ONE runtime process, and the
apps share its building blocks (a state store of common resources is one store); dapr starts a
daprd per app instead.

Flags (dapr run's names and shorthands; --flag value, --flag=value, -a value):
${runFlagRows().join('\n')}
Rejected: ${unsupportedRunFlags().join(', ')}. With --run-file only --tessera-home may be given.

The app's command: everything after --, or from the first argument that is not a flag (flags
after it are the app's). It runs without a shell (write sh -c '...' for pipes or variables), in
the current folder (run file: its appDirPath), in its own process group, with no stdin.

The app's environment: the caller's, then the run file's env (common, then the app's), then
  APP_ID, APP_PORT (when --app-port is given), APP_PROTOCOL, APP_CHANNEL_ADDRESS (when given),
  DAPR_HTTP_PORT, DAPR_GRPC_PORT, DAPR_METRICS_PORT (when given).
  DAPR_API_TOKEN and APP_API_TOKEN pass through when set; the runtime uses them as well.

Output: every line is prefixed, "== APP == " and "== TESSERA == " (run file: "== APP - <id> == "
and "== TESSERA - <id> == ", one colour per app), coloured only on a terminal and when NO_COLOR
is not set. The app's stdout goes to stdout; its stderr and the runtime's logs go to stderr;
tessera run's own status lines (ℹ ✓ ⚠ ✗) go to stdout, failures to stderr.

Stopping: Ctrl-C (SIGINT), SIGTERM, SIGHUP or 'tessera stop' stops the apps first (SIGTERM to
each app's process group, SIGKILL after 10s), then the runtime; a second Ctrl-C kills the apps at
once. An app that exits by itself ends a single-app run; a run-file run ends when its last app
has exited. An app's POST /v1.0/shutdown stops that app (a single-app run: the run).

Exit code: the app's exit code (the first non-zero one of the apps), 0 when they were stopped;
1 when a flag or the run file is wrong, when the runtime cannot start (no app is started then),
or when an app's command cannot be started.

Run file (Dapr's multi-app run format):
  version: 1                      # required
  common:                         # optional: defaults for every app
    resourcesPath: ./components
    env:
      DEBUG: "true"
  apps:
    - appID: orders               # default: the folder name of appDirPath
      appDirPath: ./orders        # required
      appPort: 3000
      command: ["node", "app.js"] # a list; none = the gateway alone
    - appDirPath: ./checkout
      command: ["npm", "start"]
  Paths under common and every appDirPath are relative to the run file's folder, an app's other
  paths to its appDirPath; a leading ~ is the home folder; every path must exist. Resources: the
  app's resourcesPath(s), else <appDirPath>/.dapr/resources, else common's, else the embedded
  defaults; the Configuration file likewise (<appDirPath>/.dapr/config.yaml). Ports not given
  are picked free. The runtime works in the run file's folder (its data dir is .tessera there).
  App fields: appID, appDirPath, command, env, appPort, daprHTTPPort, daprGRPCPort,
  daprInternalGRPCPort, metricsPort, appChannelAddress. App or common fields: resourcesPath,
  resourcesPaths, configFilePath, appProtocol, logLevel, enableApiLogging, appMaxConcurrency,
  enableAppHealthCheck, appHealthCheckPath, appHealthProbeInterval, appHealthProbeTimeout,
  appHealthThreshold, maxBodySize, readBufferSize, daprHTTPMaxRequestSize,
  daprHTTPReadBufferSize, apiListenAddresses, appSSL, env; common only: envFile; Tessera's own:
  logAsJson, dataDir. Accepted with a warning (no effect): placementHostAddress,
  schedulerHostAddress, enableProfiling, profilePort, runtimePath, daprPath, appLogDestination,
  daprdLogDestination, containerImage, containerImagePullPolicy, createService. Rejected:
  unixDomainSocket, and any other field (one line naming the file and the field).

Examples:
  tessera run --app-id orders --app-port 3000 -- node app.js
  tessera run -a orders -d ./components -- npm start
  tessera run --app-id checkout                # the runtime alone, on free ports
  tessera run -f .                             # ./dapr.yaml
  tessera list
  tessera stop --app-id orders
`;

export const LIST_HELP = `Usage: tessera list [-o json|yaml|table]

Lists the apps of every running 'tessera run' of this user (as 'dapr list' does): APP ID,
HTTP PORT, GRPC PORT, APP PORT, COMMAND, AGE and PID, the 'tessera run' process that hosts the
app's runtime. Runs are recorded in <tessera home>/runs/<pid>.json while they run; records of
runs that died without cleaning up are deleted. Prints "No Tessera instances found." when
nothing runs.

Flags:
  -o, --output <json|yaml|table>   Output format (default table); json and yaml also give
                                   created, cliPid, appPid, runTemplatePath and appDirPath
      --tessera-home <dir>         Tessera home (default $TESSERA_HOME, else ~/.tessera)
  -h, --help                       Show this help
`;

export const STOP_HELP = `Usage: tessera stop [<app id>...] [-a <app id>] [-f <run file | folder>]

Stops running apps: sends SIGTERM to the 'tessera run' process hosting them (it stops the apps,
then the runtime) and waits up to 30s for it to exit. The apps of a run file share one run:
stopping one of them by id stops the whole run (the output names every app stopped).

Flags:
  -a, --app-id <id>                The app to stop (repeatable; ids may also be given as arguments)
  -f, --run-file <file|dir>        Stop the run started with this run file (a folder: its dapr.yaml)
      --tessera-home <dir>         Tessera home (default $TESSERA_HOME, else ~/.tessera)
  -h, --help                       Show this help

Exit code 1 when an app or run file is not running, or a run did not exit in time.
`;
