// The configuration API when something is missing or wrong, against the built runtime: no
// configuration store at all (500 ERR_CONFIGURATION_STORE_NOT_CONFIGURED / FailedPrecondition),
// no app channel for an HTTP subscription (500 ERR_APP_CHANNEL_NIL, after the store checks, as
// daprd orders them), a configuration-svc that cannot be reached (the operation's own code,
// UNAVAILABLE), and components refused at start-up with the file and field named.
import { redisSkipReason } from '@tessera/testing';
import { redisConfigYaml } from './support/configuration';
import { freePort, resourcesDir, startApp, startRuntime, tempDir } from './support/processes';
import type { Runtime } from './support/processes';
import { GrpcCode, sdkClient, sdkError } from './support/sdk';

async function get(rt: Runtime, path: string): Promise<{ status: number; json(): any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const r = await fetch(`${rt.http}${path}`);
  const body = await r.text();
  return { status: r.status, json: () => JSON.parse(body) };
}

describe('configuration: no configuration store loaded', () => {
  let rt: Runtime;
  beforeAll(async () => {
    rt = await startRuntime({ appId: 'cfg-none', cwd: tempDir() }); // embedded defaults: no configuration store
  });
  afterAll(() => rt?.stop());

  it('HTTP: 500 ERR_CONFIGURATION_STORE_NOT_CONFIGURED on get, subscribe and unsubscribe', async () => {
    for (const path of ['/v1.0/configuration/configstore?key=a', '/v1.0-alpha1/configuration/configstore/subscribe', '/v1.0/configuration/configstore/x/unsubscribe']) {
      const r = await get(rt, path);
      expect([r.status, r.json()]).toEqual([500, { errorCode: 'ERR_CONFIGURATION_STORE_NOT_CONFIGURED', message: 'configuration stores not configured' }]);
    }
  });

  it('gRPC (SDK): FailedPrecondition', async () => {
    const client = sdkClient('gRPC', rt);
    try {
      const e = await sdkError('gRPC', () => client.configuration.get('configstore', ['a']));
      expect([e.grpcCode, e.message]).toEqual([GrpcCode.FailedPrecondition, 'configuration stores not configured']);
    } finally {
      await client.stop().catch(() => undefined);
    }
  });
});

const redisSkip = redisSkipReason();
if (redisSkip !== undefined) console.warn(`SKIPPED: configuration without an app channel (needs configuration.redis): ${redisSkip}`);
const describeRedis = redisSkip === undefined ? describe : describe.skip;

describeRedis('configuration: a store, but no app channel (no --app-port)', () => {
  let rt: Runtime;
  beforeAll(async () => {
    rt = await startRuntime({ appId: 'cfg-no-channel', resources: [resourcesDir({ 'c.yaml': redisConfigYaml('configstore') })], cwd: tempDir() });
  });
  afterAll(() => rt?.stop());

  it('HTTP subscribe: unknown store is still 400 first; a known store is 500 ERR_APP_CHANNEL_NIL', async () => {
    const unknown = await get(rt, '/v1.0/configuration/nope/subscribe?key=a');
    expect([unknown.status, unknown.json().errorCode]).toEqual([400, 'ERR_CONFIGURATION_STORE_NOT_FOUND']);
    const r = await get(rt, '/v1.0/configuration/configstore/subscribe?key=a');
    expect([r.status, r.json()]).toEqual([500, { errorCode: 'ERR_APP_CHANNEL_NIL', message: 'app channel is not initialized. cannot subscribe to configuration updates' }]);
  });

  it('get works without an app channel', async () => {
    expect([204, 200]).toContain((await get(rt, `/v1.0/configuration/configstore?key=tessera_cfg_never_${Date.now()}`)).status);
  });
});

describe('configuration: split gateway whose configuration-svc is unreachable', () => {
  let rt: Runtime;
  let address: string;
  beforeAll(async () => {
    address = `127.0.0.1:${await freePort()}`;
    rt = await startRuntime({ appId: 'cfg-unreachable', cwd: tempDir(), extraArgs: ['--configuration-svc-address', address] });
  });
  afterAll(() => rt?.stop());

  it("answers with the operation's own code, 500, naming the service and address", async () => {
    const r = await get(rt, '/v1.0/configuration/configstore?key=a');
    expect(r.status).toBe(500);
    expect(r.json().errorCode).toBe('ERR_CONFIGURATION_GET');
    expect(r.json().message).toMatch(new RegExp(`^failed to get \\[a\\] from Configuration store configstore: configuration-svc at ${address.replace(/\./g, '\\.')} is unreachable: `));
    const client = sdkClient('gRPC', rt);
    try {
      const e = await sdkError('gRPC', () => client.configuration.get('configstore', ['a']));
      expect(e.grpcCode).toBe(GrpcCode.Unavailable);
    } finally {
      await client.stop().catch(() => undefined);
    }
  });
});

describe('configuration components refused at start-up', () => {
  it.each([
    [
      'configuration.redis without redisHost',
      'apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: cfg\nspec:\n  type: configuration.redis\n  version: v1\n  metadata: []\n',
      /bad\.yaml: component "cfg": failed to initialise configuration\.redis: metadata field "redisHost": expected a non-empty value/,
    ],
    [
      'an unknown configuration type',
      'apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: cfg\nspec:\n  type: configuration.azure.appconfig\n  version: v1\n',
      /bad\.yaml.*cfg.*spec\.type.*unknown component type "configuration\.azure\.appconfig"; known configuration types: configuration\.postgres, configuration\.postgresql, configuration\.redis/,
    ],
    [
      'configuration.postgresql with an upper-case table',
      'apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: cfg\nspec:\n  type: configuration.postgresql\n  version: v1\n  metadata:\n    - name: connectionString\n      value: "host=127.0.0.1"\n    - name: table\n      value: "ConfigTable"\n',
      /bad\.yaml: component "cfg": failed to initialise configuration\.postgresql: metadata field "table": expected a lower-case table name/,
    ],
  ])('%s', async (_what, yaml, message) => {
    const p = startApp('all-in-one', ['--resources-path', resourcesDir({ 'bad.yaml': yaml }), '--dapr-http-port', String(await freePort()), '--dapr-grpc-port', String(await freePort())]);
    expect(await p.waitExit(20_000)).toBe(1);
    expect(p.stderr).toMatch(message);
  });
});
