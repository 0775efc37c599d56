import { KNOWN_CONFIGURATION_TYPES, configurationStoreFactory, configurationStoreVersions } from './configuration.registry';

describe('configuration registry', () => {
  it('knows every configuration type, aliases included', () => {
    expect([...KNOWN_CONFIGURATION_TYPES].sort()).toEqual(['configuration.postgres', 'configuration.postgresql', 'configuration.redis']);
    for (const t of KNOWN_CONFIGURATION_TYPES) expect(configurationStoreFactory(t, 'v1')).toBeInstanceOf(Function);
    expect(configurationStoreFactory('configuration.postgres', 'v1')).toBe(configurationStoreFactory('configuration.postgresql', 'v1'));
  });

  it('treats an empty version and v0 as v1, and is case-insensitive', () => {
    const f = configurationStoreFactory('configuration.redis', 'v1');
    expect(configurationStoreFactory('configuration.redis', '')).toBe(f);
    expect(configurationStoreFactory('Configuration.Redis', 'V0')).toBe(f);
  });

  it('answers undefined for unknown types and versions', () => {
    expect(configurationStoreFactory('configuration.azure.appconfig', 'v1')).toBeUndefined();
    expect(configurationStoreFactory('configuration.redis', 'v2')).toBeUndefined();
    expect(configurationStoreVersions('configuration.redis')).toEqual(['v1']);
    expect(configurationStoreVersions('configuration.nope')).toEqual([]);
  });
});
