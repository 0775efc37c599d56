import { homedir } from 'node:os';
import { join } from 'node:path';
import { FLAGS } from './flags';
import { isConfigError, parseRuntimeArgs, runtimeHelp, type RuntimeConfig } from './runtime-config';

const CWD = '/srv/app';
const parse = (argv: string[], env: Record<string, string | undefined> = {}): RuntimeConfig => parseRuntimeArgs(argv, env, CWD);

function errorOf(argv: string[], env: Record<string, string | undefined> = {}): string {
  try {
    parse(argv, env);
  } catch (e) {
    expect(isConfigError(e)).toBe(true);
    return (e as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('parseRuntimeArgs defaults', () => {
  it('has daprd defaults with no flags and no env', () => {
    const c = parse([]);
    expect(c).toEqual({
      appId: '',
      appPort: undefined,
      appProtocol: 'http',
      appChannelAddress: '127.0.0.1',
      appMaxConcurrency: undefined,
      appHealthCheck: { enabled: false, path: '/healthz', probeIntervalMs: 5000, probeTimeoutMs: 500, threshold: 3 },
      daprHttpPort: 3500,
      daprGrpcPort: 50001,
      daprInternalGrpcPort: 0,
      daprPublicPort: undefined,
      listenAddresses: ['127.0.0.1'],
      maxBodySizeBytes: 4 * 1024 * 1024,
      readBufferSizeBytes: 4096,
      allowedOrigins: '*',
      enableApiLogging: undefined,
      resourcesPaths: [],
      configPath: undefined,
      logLevel: 'info',
      logAsJson: false,
      enableMetrics: true,
      metricsPort: 9090,
      gracefulShutdownSeconds: 5,
      mode: 'standalone',
      namespace: 'default',
      apiToken: undefined,
      appApiToken: undefined,
      disableH2c: false,
      stateSvcAddress: undefined,
      dataDir: '/srv/app/.tessera',
      tesseraHome: join(homedir(), '.tessera'),
      ignoredFlags: [],
      deprecatedFlags: [],
      help: false,
    });
  });

  it('is deeply frozen', () => {
    const c = parse(['--resources-path', 'a']);
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.resourcesPaths)).toBe(true);
    expect(Object.isFrozen(c.appHealthCheck)).toBe(true);
  });
});

describe('parseRuntimeArgs flags', () => {
  it('accepts --flag value, --flag=value and single-dash forms', () => {
    const c = parse(['--app-id', 'orders', '--app-port=3000', '-dapr-http-port', '3600', '-dapr-grpc-port=50011']);
    expect(c).toMatchObject({ appId: 'orders', appPort: 3000, daprHttpPort: 3600, daprGrpcPort: 50011 });
  });

  it('reads every typed flag', () => {
    const c = parse([
      '--app-protocol', 'grpc',
      '--app-channel-address', '10.0.0.5',
      '--app-max-concurrency', '10',
      '--dapr-internal-grpc-port', '0',
      '--dapr-public-port', '3501',
      '--dapr-listen-addresses', '0.0.0.0, ::1',
      '--config', 'config.yaml',
      '--log-level', 'debug',
      '--metrics-port', '9091',
      '--max-body-size', '16M',
      '--read-buffer-size', '8Ki',
      '--allowed-origins', 'https://a.example',
      '--dapr-graceful-shutdown-seconds', '0',
      '--mode', 'kubernetes',
      '--enable-app-health-check',
      '--app-health-check-path', '/ready',
      '--app-health-probe-interval', '2',
      '--app-health-probe-timeout', '100',
      '--app-health-threshold', '1',
      '--state-svc-address', 'state-svc:50101',
      '--data-dir', '/var/lib/tessera',
    ]);
    expect(c).toMatchObject({
      appProtocol: 'grpc',
      appChannelAddress: '10.0.0.5',
      appMaxConcurrency: 10,
      daprInternalGrpcPort: 0,
      daprPublicPort: 3501,
      listenAddresses: ['0.0.0.0', '::1'],
      configPath: '/srv/app/config.yaml',
      logLevel: 'debug',
      metricsPort: 9091,
      maxBodySizeBytes: 16_000_000,
      readBufferSizeBytes: 8192,
      allowedOrigins: 'https://a.example',
      gracefulShutdownSeconds: 0,
      mode: 'kubernetes',
      appHealthCheck: { enabled: true, path: '/ready', probeIntervalMs: 2000, probeTimeoutMs: 100, threshold: 1 },
      stateSvcAddress: 'state-svc:50101',
      dataDir: '/var/lib/tessera',
    });
  });

  it('handles boolean flags as --flag and --flag=false', () => {
    expect(parse(['--log-as-json']).logAsJson).toBe(true);
    expect(parse(['--log-as-json=false']).logAsJson).toBe(false);
    expect(parse(['--log-as-json=1']).logAsJson).toBe(true);
    expect(parse(['--enable-metrics=false']).enableMetrics).toBe(false);
    expect(parse(['--enable-api-logging']).enableApiLogging).toBe(true);
    expect(parse(['--enable-api-logging=false']).enableApiLogging).toBe(false);
  });

  it('collects repeated --resources-path and the deprecated --components-path, resolved against cwd', () => {
    const c = parse(['--resources-path', './components', '--components-path=../shared', '--resources-path', '/etc/dapr']);
    expect(c.resourcesPaths).toEqual(['/srv/app/components', '/srv/shared', '/etc/dapr']);
    expect(c.deprecatedFlags).toEqual(['--components-path']);
  });

  it('the last value of a single-valued flag wins', () => {
    expect(parse(['--app-port', '1', '--app-port', '2']).appPort).toBe(2);
  });

  it('accepts negative numbers as values', () => {
    expect(parse(['--app-max-concurrency', '-1']).appMaxConcurrency).toBeUndefined();
  });

  it('maps the deprecated size flags and --app-ssl', () => {
    const c = parse(['--dapr-http-max-request-size', '8', '--dapr-http-read-buffer-size', '16', '--app-ssl', '--app-protocol', 'grpc']);
    expect(c.maxBodySizeBytes).toBe(8 * 1024 * 1024);
    expect(c.readBufferSizeBytes).toBe(16 * 1024);
    expect(c.appProtocol).toBe('grpcs');
    expect(c.deprecatedFlags).toEqual(['--dapr-http-max-request-size', '--dapr-http-read-buffer-size', '--app-ssl']);
    expect(parse(['--max-body-size', '1Mi', '--dapr-http-max-request-size', '8']).maxBodySizeBytes).toBe(2 ** 20);
  });

  it('accepts and reports daprd control-plane flags it ignores', () => {
    const c = parse(['--placement-host-address', 'localhost:50005', '--enable-mtls', '--app-id', 'a']);
    expect(c.ignoredFlags).toEqual(['--placement-host-address', '--enable-mtls']);
    expect(c.appId).toBe('a');
  });

  it('accepts "warning" as warn', () => {
    expect(parse(['--log-level', 'warning']).logLevel).toBe('warn');
  });

  it('records --help', () => {
    expect(parse(['--help']).help).toBe(true);
    expect(parse(['-h']).help).toBe(true);
  });
});

describe('parseRuntimeArgs environment', () => {
  it('reads env when the flag is absent, and the flag wins over env', () => {
    const env = {
      APP_ID: 'envapp',
      APP_PORT: '4000',
      DAPR_HTTP_PORT: '3600',
      DAPR_GRPC_PORT: '50011',
      DAPR_API_TOKEN: 'secret',
      APP_API_TOKEN: 'apptoken',
      NAMESPACE: 'prod',
      TESSERA_STATE_SVC: '127.0.0.1:50101',
      DAPR_HTTP_DISABLE_H2C: 'true',
    };
    expect(parse([], env)).toMatchObject({
      appId: 'envapp',
      appPort: 4000,
      daprHttpPort: 3600,
      daprGrpcPort: 50011,
      apiToken: 'secret',
      appApiToken: 'apptoken',
      namespace: 'prod',
      stateSvcAddress: '127.0.0.1:50101',
      disableH2c: true,
    });
    expect(parse(['--app-id', 'flagapp', '--dapr-http-port=3700'], env)).toMatchObject({ appId: 'flagapp', daprHttpPort: 3700 });
  });

  it('treats empty env values as unset', () => {
    expect(parse([], { APP_PORT: '', DAPR_API_TOKEN: '', NAMESPACE: '' })).toMatchObject({ appPort: undefined, apiToken: undefined, namespace: 'default' });
  });
});

describe('parseRuntimeArgs --tessera-home', () => {
  it('defaults to ~/.tessera, with ~ taken from the HOME passed in', () => {
    expect(parse([], { HOME: '/home/ada' }).tesseraHome).toBe('/home/ada/.tessera');
    expect(parse([], { USERPROFILE: '/users/ada' }).tesseraHome).toBe('/users/ada/.tessera');
    expect(parse([], { HOME: '' }).tesseraHome).toBe(join(homedir(), '.tessera'));
  });

  it('reads TESSERA_HOME, and the flag wins over it', () => {
    const env = { HOME: '/home/ada', TESSERA_HOME: '/var/tessera' };
    expect(parse([], env).tesseraHome).toBe('/var/tessera');
    expect(parse(['--tessera-home', '/opt/t'], env).tesseraHome).toBe('/opt/t');
    expect(parse([], { ...env, TESSERA_HOME: '' }).tesseraHome).toBe('/home/ada/.tessera');
  });

  it('resolves relative folders against cwd and expands a leading ~ only', () => {
    const env = { HOME: '/home/ada' };
    expect(parse(['--tessera-home', 'state/home'], env).tesseraHome).toBe('/srv/app/state/home');
    expect(parse(['--tessera-home=~/x/../y'], env).tesseraHome).toBe('/home/ada/y');
    expect(parse(['--tessera-home=~'], env).tesseraHome).toBe('/home/ada');
    expect(parse(['--tessera-home=~other/z'], env).tesseraHome).toBe('/srv/app/~other/z');
    expect(parse(['--tessera-home=a~/b'], env).tesseraHome).toBe('/srv/app/a~/b');
  });

  it('rejects an empty folder, naming where it came from', () => {
    expect(errorOf(['--tessera-home='])).toBe('--tessera-home: expected a folder, got ""');
    expect(errorOf([], { TESSERA_HOME: '  ' })).toBe('TESSERA_HOME: expected a folder, got ""');
  });
});

describe('parseRuntimeArgs errors', () => {
  it.each([
    [['--app-portt', '3000'], '--app-portt: unknown flag; run with --help to list the flags'],
    [['--app-port', 'abc'], '--app-port: expected a port number between 1 and 65535, got "abc"'],
    [['--app-port', '0'], '--app-port: expected a port number between 1 and 65535, got "0"'],
    [['--dapr-http-port=70000'], '--dapr-http-port: expected a port number between 0 and 65535, got "70000"'],
    [['--metrics-port', '-1'], '--metrics-port: expected a port number between 0 and 65535, got "-1"'],
    [['--app-max-concurrency', '1.5'], '--app-max-concurrency: expected an integer >= -1, got "1.5"'],
    [['--dapr-graceful-shutdown-seconds', 'soon'], '--dapr-graceful-shutdown-seconds: expected an integer >= 0, got "soon"'],
    [['--app-protocol', 'tcp'], '--app-protocol: expected one of http, grpc, https, grpcs, h2c, got "tcp"'],
    [['--mode', 'cluster'], '--mode: expected one of standalone, kubernetes, got "cluster"'],
    [['--log-level', 'verbose'], '--log-level: expected one of debug, info, warn, error, fatal, got "verbose"'],
    [['--log-as-json=maybe'], '--log-as-json: expected true or false, got "maybe"'],
    [['--max-body-size', '4MB'], '--max-body-size: expected a size such as 4Mi, 4M or 4194304, got "4MB"'],
    [['--max-body-size', '0'], '--max-body-size: expected a size such as 4Mi, 4M or 4194304, got "0"'],
    [['--app-id'], '--app-id: expected a value (id)'],
    [['--app-id', 'my app'], '--app-id: expected an id without spaces, "|" or "/", got "my app"'],
    [['--log-as-json', 'false'], 'unexpected argument "false" (a boolean flag takes its value as --log-as-json=false); run with --help to list the flags'],
    [['stray'], 'unexpected argument "stray"; run with --help to list the flags'],
    [['--state-svc-address', 'state-svc'], '--state-svc-address: expected host:port, e.g. state-svc:50101 or 127.0.0.1:50101, got "state-svc"'],
    [['--dapr-listen-addresses', ' , '], '--dapr-listen-addresses: expected one or more addresses separated by commas, e.g. 127.0.0.1 or 0.0.0.0'],
    [['--resources-path='], '--resources-path: expected a folder, got ""'],
  ])('%j -> %s', (argv, message) => {
    expect(errorOf(argv)).toBe(message);
  });

  it('names the environment variable when the bad value came from env', () => {
    expect(errorOf([], { DAPR_HTTP_PORT: 'http' })).toBe('DAPR_HTTP_PORT: expected a port number between 0 and 65535, got "http"');
    expect(errorOf([], { APP_PORT: '99999' })).toBe('APP_PORT: expected a port number between 1 and 65535, got "99999"');
    expect(errorOf([], { TESSERA_STATE_SVC: 'x:0' })).toBe('TESSERA_STATE_SVC: expected host:port, e.g. state-svc:50101 or 127.0.0.1:50101, got "x:0"');
  });

  it('accepts IPv6 host:port for the state service', () => {
    expect(parse(['--state-svc-address', '[::1]:50101']).stateSvcAddress).toBe('[::1]:50101');
  });

  it('takes the secrets-svc address from --secrets-svc-address or TESSERA_SECRETS_SVC, checked as host:port', () => {
    expect(parse([]).secretsSvcAddress).toBeUndefined();
    expect(parse(['--secrets-svc-address', 'secrets-svc:50104']).secretsSvcAddress).toBe('secrets-svc:50104');
    expect(parse([], { TESSERA_SECRETS_SVC: '127.0.0.1:50104' }).secretsSvcAddress).toBe('127.0.0.1:50104');
    expect(errorOf(['--secrets-svc-address', 'secrets-svc'])).toBe('--secrets-svc-address: expected host:port, e.g. secrets-svc:50104 or 127.0.0.1:50104, got "secrets-svc"');
    expect(errorOf([], { TESSERA_SECRETS_SVC: 'x:0' })).toBe('TESSERA_SECRETS_SVC: expected host:port, e.g. secrets-svc:50104 or 127.0.0.1:50104, got "x:0"');
  });

  it('takes the lock-svc address from --lock-svc-address or TESSERA_LOCK_SVC, checked as host:port', () => {
    expect(parse([]).lockSvcAddress).toBeUndefined();
    expect(parse(['--lock-svc-address', 'lock-svc:50106']).lockSvcAddress).toBe('lock-svc:50106');
    expect(parse([], { TESSERA_LOCK_SVC: '127.0.0.1:50106' }).lockSvcAddress).toBe('127.0.0.1:50106');
    expect(parse(['--lock-svc-address=[::1]:50106']).lockSvcAddress).toBe('[::1]:50106');
    expect(errorOf(['--lock-svc-address', 'lock-svc'])).toBe('--lock-svc-address: expected host:port, e.g. lock-svc:50106 or 127.0.0.1:50106, got "lock-svc"');
    expect(errorOf([], { TESSERA_LOCK_SVC: 'x:0' })).toBe('TESSERA_LOCK_SVC: expected host:port, e.g. lock-svc:50106 or 127.0.0.1:50106, got "x:0"');
  });

  it('takes the configuration-svc address from --configuration-svc-address or TESSERA_CONFIGURATION_SVC, checked as host:port', () => {
    expect(parse([]).configurationSvcAddress).toBeUndefined();
    expect(parse(['--configuration-svc-address', 'configuration-svc:50105']).configurationSvcAddress).toBe('configuration-svc:50105');
    expect(parse([], { TESSERA_CONFIGURATION_SVC: '127.0.0.1:50105' }).configurationSvcAddress).toBe('127.0.0.1:50105');
    expect(errorOf(['--configuration-svc-address', 'cfg'])).toBe(
      '--configuration-svc-address: expected host:port, e.g. configuration-svc:50105 or 127.0.0.1:50105, got "cfg"',
    );
    expect(errorOf([], { TESSERA_CONFIGURATION_SVC: 'x:0' })).toBe(
      'TESSERA_CONFIGURATION_SVC: expected host:port, e.g. configuration-svc:50105 or 127.0.0.1:50105, got "x:0"',
    );
  });
});

describe('runtimeHelp', () => {
  const help = runtimeHelp();
  it('mentions every flag with its default and env var', () => {
    for (const f of FLAGS) {
      expect(help).toContain(`--${f.name}`);
      const line = help.split('\n').find((l) => l.startsWith(`  --${f.name} `) || l.trim() === `--${f.name}` || l.startsWith(`  --${f.name}  `));
      expect([f.name, line !== undefined]).toEqual([f.name, true]);
      if (f.default !== undefined) expect(line).toContain(`default ${f.default}`);
      if (f.env !== undefined) expect(line).toContain(`env ${f.env}`);
    }
  });
  it('lists the environment variables read', () => {
    for (const v of ['DAPR_API_TOKEN', 'APP_API_TOKEN', 'NAMESPACE', 'DAPR_HTTP_DISABLE_H2C']) expect(help).toContain(v);
  });
  it('every default parses (defaults and behaviour cannot drift)', () => {
    expect(() => parse([])).not.toThrow();
  });
});

describe('internal port default', () => {
  it('is a free port (0) in standalone mode and 50002 in kubernetes mode', () => {
    expect(parseRuntimeArgs([], {}, '/w').daprInternalGrpcPort).toBe(0);
    expect(parseRuntimeArgs(['--mode', 'kubernetes'], {}, '/w').daprInternalGrpcPort).toBe(50002);
    expect(parseRuntimeArgs(['--mode', 'kubernetes', '--dapr-internal-grpc-port', '6000'], {}, '/w').daprInternalGrpcPort).toBe(6000);
  });
});
