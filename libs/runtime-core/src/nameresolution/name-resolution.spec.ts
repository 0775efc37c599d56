import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseRuntimeArgs } from '../config/runtime-config';
import { isResourceError } from '../resources/resource-error';
import { loadResources, type RawResource } from '../resources/loader';
import { NAME_RESOLUTION_DB_FILE, nameResolutionSpec } from './name-resolution';

const HOME = '/home/ada/.tessera';
const standalone = { mode: 'standalone', tesseraHome: HOME, daprInternalGrpcPort: 50002 } as const;
const kubernetes = { mode: 'kubernetes', tesseraHome: HOME, daprInternalGrpcPort: 50002 } as const;

function configuration(spec: unknown, name = 'appconfig'): RawResource {
  return {
    apiVersion: 'dapr.io/v1alpha1',
    kind: 'Configuration',
    name,
    namespace: 'default',
    scopes: [],
    spec,
    raw: { kind: 'Configuration', metadata: { name }, spec },
    file: 'config.yaml',
  };
}

describe('nameResolutionSpec defaults', () => {
  it('standalone with no Configuration: sqlite in the tessera home', () => {
    expect(nameResolutionSpec([], standalone)).toEqual({
      component: 'sqlite',
      version: '',
      metadata: { connectionString: join(HOME, NAME_RESOLUTION_DB_FILE) },
    });
  });

  it('kubernetes with no Configuration: kubernetes DNS on the internal port', () => {
    expect(nameResolutionSpec([], kubernetes)).toEqual({ component: 'kubernetes', version: '', metadata: { port: '50002' } });
    expect(nameResolutionSpec([], { ...kubernetes, daprInternalGrpcPort: 6000 }).metadata).toEqual({ port: '6000' });
    expect(nameResolutionSpec([], { ...kubernetes, daprInternalGrpcPort: 0 }).metadata).toEqual({});
  });

  it('ignores Configurations without nameResolution', () => {
    const configs = [configuration({ tracing: { samplingRate: '1' } }), configuration(null, 'empty'), configuration(undefined, 'nospec')];
    expect(nameResolutionSpec(configs, standalone).component).toBe('sqlite');
    expect(nameResolutionSpec([configuration({ nameResolution: null })], kubernetes).component).toBe('kubernetes');
  });

  it("uses the tessera home that parseRuntimeArgs resolved (flag, env or ~)", () => {
    const config = parseRuntimeArgs([], { HOME: '/home/bob' }, '/srv');
    expect(nameResolutionSpec([], config).metadata).toEqual({ connectionString: '/home/bob/.tessera/nameresolution.db' });
    const flagged = parseRuntimeArgs(['--tessera-home', 'th', '--mode', 'kubernetes'], {}, '/srv');
    expect(flagged.tesseraHome).toBe('/srv/th');
    expect(nameResolutionSpec([], flagged)).toMatchObject({ component: 'kubernetes' });
  });
});

describe('nameResolutionSpec from the Configuration', () => {
  it('takes component, version and stringified configuration', () => {
    const spec = nameResolutionSpec(
      [
        configuration({
          nameResolution: {
            component: 'sqlite',
            version: 'v1',
            configuration: { connectionString: '/data/nr.db', updateInterval: '10s', timeout: 2, disableWAL: true, extra: { a: 1 }, nothing: null },
          },
        }),
      ],
      standalone,
    );
    expect(spec).toEqual({
      component: 'sqlite',
      version: 'v1',
      metadata: { connectionString: '/data/nr.db', updateInterval: '10s', timeout: '2', disableWAL: 'true', extra: '{"a":1}', nothing: '' },
    });
  });

  it('accepts the nameresolution. prefix and any case, in field names too', () => {
    const spec = nameResolutionSpec([configuration({ nameresolution: { Component: 'NameResolution.Kubernetes', Configuration: { clusterDomain: 'corp.local' } } })], standalone);
    expect(spec).toEqual({ component: 'kubernetes', version: '', metadata: { clusterDomain: 'corp.local', port: '50002' } });
  });

  it("keeps the user's connectionString and port (any case), fills only absent or empty ones", () => {
    expect(nameResolutionSpec([configuration({ nameResolution: { component: 'sqlite', configuration: { connectionstring: 'x.db' } } })], kubernetes).metadata).toEqual({
      connectionstring: 'x.db',
    });
    expect(nameResolutionSpec([configuration({ nameResolution: { component: 'sqlite', configuration: { connectionString: '' } } })], standalone).metadata).toEqual({
      connectionString: join(HOME, NAME_RESOLUTION_DB_FILE),
    });
    expect(nameResolutionSpec([configuration({ nameResolution: { component: 'kubernetes', configuration: { port: 7000 } } })], kubernetes).metadata).toEqual({ port: '7000' });
  });

  it("an empty component means the mode's default, with the given configuration", () => {
    const configs = [configuration({ nameResolution: { component: '', configuration: { clusterDomain: 'x.local' } } })];
    expect(nameResolutionSpec(configs, kubernetes)).toEqual({ component: 'kubernetes', version: '', metadata: { clusterDomain: 'x.local', port: '50002' } });
    expect(nameResolutionSpec(configs, standalone)).toEqual({
      component: 'sqlite',
      version: '',
      metadata: { clusterDomain: 'x.local', connectionString: join(HOME, NAME_RESOLUTION_DB_FILE) },
    });
  });

  it('passes other components through untouched (the registry decides whether they exist)', () => {
    expect(nameResolutionSpec([configuration({ nameResolution: { component: 'mdns' } })], standalone)).toEqual({ component: 'mdns', version: '', metadata: {} });
  });

  it('the first Configuration with nameResolution wins', () => {
    const configs = [
      configuration({ tracing: {} }, 'a'),
      configuration({ nameResolution: { component: 'kubernetes' } }, 'b'),
      configuration({ nameResolution: { component: 'sqlite' } }, 'c'),
    ];
    expect(nameResolutionSpec(configs, standalone).component).toBe('kubernetes');
  });

  it.each([
    [{ nameResolution: 'sqlite' }, 'spec.nameResolution', 'expected a mapping with component, version and configuration, got "sqlite"'],
    [{ nameResolution: { component: 3 } }, 'spec.nameResolution.component', 'expected a string, got 3'],
    [{ nameResolution: { component: 'sqlite', version: ['v1'] } }, 'spec.nameResolution.version', 'expected a string, got a list'],
    [{ nameResolution: { component: 'sqlite', configuration: ['a'] } }, 'spec.nameResolution.configuration', 'expected a mapping, got a list'],
  ])('%j is a ResourceError on %s', (spec, fieldPath, problem) => {
    let err: unknown;
    try {
      nameResolutionSpec([configuration(spec)], standalone);
    } catch (e) {
      err = e;
    }
    expect(isResourceError(err)).toBe(true);
    expect(err).toMatchObject({ file: 'config.yaml', resource: 'Configuration "appconfig"', field: fieldPath, problem });
  });
});

describe('nameResolutionSpec with loaded resources', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-nr-spec-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads spec.nameResolution of a Configuration YAML', async () => {
    writeFileSync(
      join(dir, 'config.yaml'),
      [
        'apiVersion: dapr.io/v1alpha1',
        'kind: Configuration',
        'metadata:',
        '  name: appconfig',
        'spec:',
        '  nameResolution:',
        '    component: "kubernetes"',
        '    version: "v1"',
        '    configuration:',
        '      template: "{{.ID}}-{{.Data.region}}.internal:{{.Port}}"',
        '      region: eu1',
        '',
      ].join('\n'),
    );
    const loaded = await loadResources([dir], { appId: 'a', namespace: 'default', env: {} });
    expect(nameResolutionSpec(loaded.configurations, standalone)).toEqual({
      component: 'kubernetes',
      version: 'v1',
      metadata: { template: '{{.ID}}-{{.Data.region}}.internal:{{.Port}}', region: 'eu1', port: '50002' },
    });
  });
});
