// Which name resolver a runtime uses and with what configuration (spec/components.md 4 and
// 5.23): the Configuration resource's `spec.nameResolution {component, version, configuration}`,
// else the mode's default, chosen so that service invocation works with no setup at all:
//   standalone -> `sqlite` on <tessera home>/nameresolution.db, one file every runtime of the user
//                 on this machine shares (Dapr's default here is mdns, which Tessera does not ship);
//   kubernetes -> `kubernetes` (Dapr's default), `<appId>-dapr.<namespace>.svc.<clusterDomain>`.
// Only the spec is produced here; the registry (components/registry) turns it into a resolver.
// Framework-free; reads no environment (the tessera home comes from RuntimeConfig).
import { join } from 'node:path';
import type { RuntimeConfig } from '../config/runtime-config';
import { describe, field, isMap, stringifyValue } from '../resources/fields';
import type { RawResource } from '../resources/loader';
import { ResourceError } from '../resources/resource-error';

export interface NameResolutionSpec {
  /** Lower case, without the `nameresolution.` prefix: `sqlite`, `kubernetes`, or what the Configuration names. */
  readonly component: string;
  /** As written ('' when absent: the registry reads it as v1). */
  readonly version: string;
  /** `configuration` with every value stringified, plus the defaults filled in below. */
  readonly metadata: Readonly<Record<string, string>>;
}

/** File name of the default sqlite name resolution database inside the tessera home. */
export const NAME_RESOLUTION_DB_FILE = 'nameresolution.db';

const PREFIX = 'nameresolution.';

/**
 * The name resolution of this runtime. The first Configuration (in the order given) that has a
 * `spec.nameResolution` mapping decides; an empty or missing `component` means the mode's
 * default, keeping the given configuration. Defaults filled in when the key is absent (any case):
 * sqlite `connectionString` = <tesseraHome>/nameresolution.db; kubernetes `port` = this runtime's
 * internal port (daprd resolves with its own port, so all gateways are assumed to share it).
 * A malformed `spec.nameResolution` throws ResourceError.
 */
export function nameResolutionSpec(
  configurations: readonly RawResource[],
  config: Pick<RuntimeConfig, 'mode' | 'tesseraHome' | 'daprInternalGrpcPort'>,
): NameResolutionSpec {
  let component = '';
  let version = '';
  const metadata: Record<string, string> = {};
  for (const res of configurations) {
    const nr = isMap(res.spec) ? field(res.spec, 'nameResolution') : undefined;
    if (nr === undefined || nr === null) continue;
    const fail = (f: string, problem: string): never => {
      throw new ResourceError({ file: res.file, resource: `${res.kind} "${res.name}"`, field: `spec.nameResolution${f}`, problem });
    };
    if (!isMap(nr)) fail('', `expected a mapping with component, version and configuration, got ${describe(nr)}`);
    const nrMap = nr as Record<string, unknown>;
    component = optionalString(field(nrMap, 'component'), (p) => fail('.component', p));
    version = optionalString(field(nrMap, 'version'), (p) => fail('.version', p));
    const conf = field(nrMap, 'configuration');
    if (conf !== undefined && conf !== null) {
      if (!isMap(conf)) fail('.configuration', `expected a mapping, got ${describe(conf)}`);
      for (const [k, v] of Object.entries(conf as Record<string, unknown>)) metadata[k] = stringifyValue(v);
    }
    break;
  }

  let name = component.trim().toLowerCase();
  if (name.startsWith(PREFIX)) name = name.slice(PREFIX.length);
  if (name === '') name = config.mode === 'kubernetes' ? 'kubernetes' : 'sqlite';

  if (name === 'sqlite' && !hasKey(metadata, 'connectionString')) {
    metadata['connectionString'] = join(config.tesseraHome, NAME_RESOLUTION_DB_FILE);
  }
  if (name === 'kubernetes' && !hasKey(metadata, 'port') && config.daprInternalGrpcPort > 0) {
    metadata['port'] = String(config.daprInternalGrpcPort);
  }
  return Object.freeze({ component: name, version: version.trim(), metadata: Object.freeze(metadata) });
}

function optionalString(v: unknown, fail: (problem: string) => never): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  return fail(`expected a string, got ${describe(v)}`);
}

/** Case-insensitive, as Dapr's metadata decoder matches names; an empty value counts as absent. */
function hasKey(metadata: Readonly<Record<string, string>>, key: string): boolean {
  const lower = key.toLowerCase();
  return Object.entries(metadata).some(([k, v]) => k.toLowerCase() === lower && v !== '');
}
