import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KNOWN_NAME_RESOLVERS, nameResolverFactory, nameResolverVersions } from './nameresolution.registry';

const meta = (type: string, properties: Record<string, string>) => ({ name: 'nameresolution', type, version: 'v1', properties, appId: 'app' });

describe('name resolution registry', () => {
  it('knows sqlite and kubernetes, with or without the nameresolution. prefix', () => {
    expect([...KNOWN_NAME_RESOLVERS].sort()).toEqual(['kubernetes', 'sqlite']);
    for (const c of KNOWN_NAME_RESOLVERS) {
      const f = nameResolverFactory(c);
      expect(f).toBeInstanceOf(Function);
      expect(nameResolverFactory(`nameresolution.${c}`, 'v1')).toBe(f);
      expect(nameResolverFactory(` NameResolution.${c.toUpperCase()} `, 'V1')).toBe(f);
      expect(nameResolverFactory(c, '')).toBe(f);
      expect(nameResolverFactory(c, 'v0')).toBe(f);
    }
  });

  it('answers undefined for unknown components and versions', () => {
    expect(nameResolverFactory('mdns')).toBeUndefined();
    expect(nameResolverFactory('consul', 'v1')).toBeUndefined();
    expect(nameResolverFactory('sqlite', 'v2')).toBeUndefined();
    expect(nameResolverVersions('nameresolution.sqlite')).toEqual(['v1']);
    expect(nameResolverVersions('mdns')).toEqual([]);
  });

  it('builds working resolvers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-nr-registry-'));
    try {
      const sqlite = (nameResolverFactory('sqlite') as NonNullable<ReturnType<typeof nameResolverFactory>>)(
        meta('nameresolution.sqlite', { connectionString: join(dir, 'nr.db') }),
      );
      await sqlite.init();
      await sqlite.register({ appId: 'x', namespace: 'default', address: '127.0.0.1:50002' });
      expect(await sqlite.resolve('x', 'default')).toBe('127.0.0.1:50002');
      await sqlite.close();
      const k8s = (nameResolverFactory('kubernetes') as NonNullable<ReturnType<typeof nameResolverFactory>>)(meta('nameresolution.kubernetes', {}));
      await k8s.init();
      expect(await k8s.resolve('x', 'default')).toBe('x-dapr.default.svc.cluster.local:50002');
      await k8s.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
