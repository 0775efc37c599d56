import { isUsageError, parseRunArgs, runFlagRows, runtimeArgvOf } from './run-flags';

function errorOf(argv: string[]): string {
  try {
    parseRunArgs(argv);
  } catch (e) {
    if (isUsageError(e)) return e.message;
    throw e;
  }
  throw new Error('expected a usage error');
}

describe('parseRunArgs', () => {
  it('takes dapr run flags in every pflag form', () => {
    const a = parseRunArgs(['--app-id', 'orders', '-p', '3000', '--dapr-http-port=3501', '-G50002', '-P=grpc', '--enable-api-logging', '--', 'node', 'app.js']);
    expect(Object.fromEntries(a.given)).toEqual({
      'app-id': ['orders'],
      'app-port': ['3000'],
      'dapr-http-port': ['3501'],
      'dapr-grpc-port': ['50002'],
      'app-protocol': ['grpc'],
      'enable-api-logging': ['true'],
    });
    expect(a.command).toEqual(['node', 'app.js']);
  });

  it('starts the command at the first argument that is not a flag; later flags are the app\'s', () => {
    const a = parseRunArgs(['-a', 'x', 'node', 'app.js', '--app-id', 'y']);
    expect(a.given.get('app-id')).toEqual(['x']);
    expect(a.command).toEqual(['node', 'app.js', '--app-id', 'y']);
  });

  it('reads booleans as pflag does and rejects other values', () => {
    expect(parseRunArgs(['--enable-api-logging=false']).given.get('enable-api-logging')).toEqual(['false']);
    expect(errorOf(['--enable-api-logging=yes'])).toBe('--enable-api-logging: expected true or false, got "yes"');
  });

  it('runs the runtime alone without a command, and knows --help', () => {
    expect(parseRunArgs(['-a', 'x']).command).toEqual([]);
    expect(parseRunArgs(['-h']).help).toBe(true);
  });

  it('reports unknown, incomplete, unsupported and clashing flags in one line', () => {
    expect(errorOf(['--app-idd', 'x'])).toBe("unknown flag --app-idd; run 'tessera run --help' to list the flags");
    expect(errorOf(['-Z'])).toMatch(/^unknown shorthand flag -Z/);
    expect(errorOf(['--app-port'])).toBe('--app-port: expected a value (port)');
    expect(errorOf(['-p'])).toBe('-p (--app-port): expected a value (port)');
    expect(errorOf(['--unix-domain-socket', '/tmp'])).toMatch(/^--unix-domain-socket: Unix domain sockets are not supported/);
    expect(errorOf(['-f', 'dapr.yaml', '--app-id', 'x'])).toBe('--app-id cannot be combined with --run-file; set it per app (or under common:) in the run file');
    expect(errorOf(['-f', 'dapr.yaml', 'node'])).toMatch(/^unexpected app command "node" with --run-file/);
  });

  it('notes ignored and deprecated flags', () => {
    const a = parseRunArgs(['--placement-host-address', 'x:1', '--components-path', './c']);
    expect(a.ignored).toEqual(['--placement-host-address']);
    expect(a.deprecated).toEqual(['--components-path is deprecated: use --resources-path']);
  });
});

describe('runtimeArgvOf', () => {
  it('maps to the runtime flags, splitting repeatable values on commas', () => {
    const a = parseRunArgs(['-a', 'orders', '-d', './a,./b', '--components-path', './c', '-c', 'cfg.yaml', '--log-level', 'debug', '--placement-host-address', 'p']);
    expect(runtimeArgvOf(a.given)).toEqual([
      '--app-id=orders',
      '--resources-path=./a',
      '--resources-path=./b',
      '--resources-path=./c',
      '--config=cfg.yaml',
      '--log-level=debug',
    ]);
  });
});

describe('help rows', () => {
  it('lists every supported flag with its shorthand and default', () => {
    const rows = runFlagRows().join('\n');
    expect(rows).toMatch(/-a, --app-id <id> +The id of your app/);
    expect(rows).toMatch(/-H, --dapr-http-port <port> +.*default a free port/);
    expect(rows).toMatch(/-f, --run-file <file\|dir>/);
    expect(rows).not.toMatch(/--kubernetes/);
  });
});
