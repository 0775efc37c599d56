// MetadataBlock: components from every source, extended attributes, health status, and a source
// that is down (a block service in split mode) left out instead of failing the readiness probe.
import { MetadataBlock } from './metadata.block';

const ctx = { appId: 'app1', namespace: '' };
const comp = (name: string) => ({ name, type: 'state.x', version: 'v1', capabilities: [] });

describe('MetadataBlock', () => {
  it('lists components of every source, skipping one that fails', async () => {
    const m = new MetadataBlock({
      appId: 'app1',
      runtimeVersion: '1.2.3',
      sources: [
        { listComponents: async () => [comp('a')] },
        { listComponents: async () => Promise.reject(new Error('svc down')) },
        { listComponents: async () => [comp('b')] },
      ],
    });
    const got = await m.getMetadata(ctx);
    expect(got.components.map((c) => c.name)).toEqual(['a', 'b']);
    expect(got.extended).toEqual({ daprRuntimeVersion: '1.2.3' });
  });

  it('keeps extended attributes and reports app health', async () => {
    let healthy = true;
    const m = new MetadataBlock({
      appId: 'app1',
      runtimeVersion: 'v',
      sources: [],
      appHealthy: () => healthy,
      appConnection: {
        port: 3000,
        protocol: 'http',
        channelAddress: '127.0.0.1',
        maxConcurrency: -1,
        health: { healthCheckPath: '/healthz', healthProbeInterval: '5s', healthProbeTimeout: '500ms', healthThreshold: 3 },
      },
    });
    await m.setMetadata('k', 'v');
    expect((await m.getMetadata(ctx)).extended['k']).toBe('v');
    expect((await m.getMetadata(ctx)).appConnectionProperties?.health?.status).toBe('healthy');
    healthy = false;
    expect((await m.getMetadata(ctx)).appConnectionProperties?.health?.status).toBe('unhealthy');
  });
});
