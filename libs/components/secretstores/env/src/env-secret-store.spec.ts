import { describeSecretStoreConformance } from '@tessera/conformance';
import type { SecretFixture } from '@tessera/conformance';
import { createEnvSecretStore, envVarAllowed } from './index';

const meta = (properties: Record<string, string> = {}) => ({ name: 'envstore', type: 'secretstores.local.env', version: 'v1', properties, appId: 'app' });

function envOf(fixture: SecretFixture, prefix = ''): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, values] of Object.entries(fixture)) env[prefix + name] = values[name] ?? '';
  return env;
}

async function store(env: Record<string, string | undefined>, properties: Record<string, string> = {}) {
  const s = createEnvSecretStore(meta(properties), { env, cwd: '/' });
  await s.init();
  return s;
}

describeSecretStoreConformance('secretstores.local.env', (fixture) => store(envOf(fixture)), { features: [], missing: 'empty', exactBulk: true });

describeSecretStoreConformance(
  'secretstores.local.env with a prefix',
  (fixture) => store({ ...envOf(fixture, 'MYAPP_'), OTHER: 'not mine', MYAPP_: 'prefix only' }, { prefix: 'MYAPP_' }),
  { features: [], missing: 'empty', exactBulk: true },
);

describe('secretstores.local.env specifics', () => {
  const env = { APP_API_TOKEN: 'app-token', DAPR_API_TOKEN: 'dapr-token', dapr_lower: 'x', DAPR_HTTP_PORT: '3500', HOME: '/home/me', MY_APP_API_TOKEN: 'mine', UNSET: undefined };

  it('never exposes APP_API_TOKEN or DAPR_* variables, by get or bulk', async () => {
    const s = await store(env);
    expect(await s.getSecret('APP_API_TOKEN', {})).toEqual({ APP_API_TOKEN: '' });
    expect(await s.getSecret('DAPR_API_TOKEN', {})).toEqual({ DAPR_API_TOKEN: '' });
    expect(await s.getSecret('dapr_lower', {})).toEqual({ dapr_lower: '' });
    expect(await s.bulkGetSecret({})).toEqual({ HOME: { HOME: '/home/me' }, MY_APP_API_TOKEN: { MY_APP_API_TOKEN: 'mine' } });
    expect(envVarAllowed('app_api_token')).toBe(false);
    expect(envVarAllowed('DAPRX')).toBe(true);
  });

  it('checks the forbidden names with the prefix applied', async () => {
    const s = await store({ DAPR_SECRET: 'no', DAPR_X: 'no' }, { prefix: 'DAPR_' });
    expect(await s.getSecret('SECRET', {})).toEqual({ SECRET: '' });
    expect(await s.bulkGetSecret({})).toEqual({});
  });

  it('answers an unset variable as an empty value, as daprd', async () => {
    const s = await store(env);
    expect(await s.getSecret('UNSET', {})).toEqual({ UNSET: '' });
    expect(await s.getSecret('NOPE', {})).toEqual({ NOPE: '' });
  });

  it('matches the prefix case-sensitively and skips variables that are only the prefix', async () => {
    const s = await store({ APP_X: '1', app_y: '2', APP_: '3' }, { prefix: 'APP_' });
    expect(await s.bulkGetSecret({})).toEqual({ X: { X: '1' } });
    expect(await s.getSecret('y', {})).toEqual({ y: '' });
  });

  it('reads the snapshot it was created with, not the live process environment', async () => {
    process.env['TESSERA_ENV_STORE_PROBE'] = 'live';
    try {
      const s = await store({});
      expect(await s.getSecret('TESSERA_ENV_STORE_PROBE', {})).toEqual({ TESSERA_ENV_STORE_PROBE: '' });
    } finally {
      delete process.env['TESSERA_ENV_STORE_PROBE'];
    }
  });
});
