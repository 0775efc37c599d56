import { appEnv, appIdFromFolder, checkApp, runtimeEnv } from './app-spec';
import type { AppSpec } from './app-spec';

const spec = (argv: string[], env: Record<string, string> = {}): AppSpec => ({
  appId: 'orders',
  appDir: '/srv/orders',
  command: ['node', 'app.js'],
  env,
  runtimeArgv: ['--app-id=orders', ...argv],
  sources: new Map(),
  errorPrefix: '',
});

describe('appEnv', () => {
  it('hands the app what dapr run hands it', () => {
    const s = spec(['--app-port=3000', '--app-protocol=grpc']);
    const env = appEnv(s, checkApp(s, {}, '/srv'), { httpPort: 3500, grpcPort: 50001 }, { PATH: '/bin', DAPR_API_TOKEN: 't', DAPR_HTTP_PORT: '1' });
    expect(env).toEqual({
      PATH: '/bin',
      DAPR_API_TOKEN: 't',
      APP_ID: 'orders',
      APP_PORT: '3000',
      APP_PROTOCOL: 'grpc',
      DAPR_HTTP_PORT: '3500',
      DAPR_GRPC_PORT: '50001',
    });
  });

  it('lets the run file\'s env in, but not over the runtime\'s facts; no APP_PORT without one', () => {
    const s = spec(['--metrics-port=9999', '--app-channel-address=10.0.0.1'], { DEBUG: '1', APP_ID: 'other' });
    const env = appEnv(s, checkApp(s, {}, '/srv'), { httpPort: 1, grpcPort: 2 }, { APP_PORT: '77' });
    expect(env).toEqual({ DEBUG: '1', APP_ID: 'orders', APP_PROTOCOL: 'http', APP_CHANNEL_ADDRESS: '10.0.0.1', DAPR_HTTP_PORT: '1', DAPR_GRPC_PORT: '2', DAPR_METRICS_PORT: '9999' });
  });
});

describe('runtimeEnv', () => {
  it('keeps the per-app variables of the caller away from the runtime', () => {
    expect(runtimeEnv({ APP_PORT: '1', APP_ID: 'x', DAPR_HTTP_PORT: '2', DAPR_GRPC_PORT: '3', DAPR_API_TOKEN: 't' })).toEqual({ DAPR_API_TOKEN: 't' });
  });
});

describe('appIdFromFolder', () => {
  it('uses the folder name', () => {
    expect(appIdFromFolder('/srv/my orders')).toBe('my-orders');
    expect(appIdFromFolder('/')).toBe('app');
  });
});
