import { isNameResolverError } from '@tessera/spi';
import type { NameResolver } from '@tessera/spi';
import { parseGoTemplate, renderGoTemplate } from './go-template';
import { createKubernetesNameResolver } from './kubernetes-name-resolver';

const meta = (properties: Record<string, string>) => ({ name: 'nameresolution', type: 'nameresolution.kubernetes', version: 'v1', properties, appId: 'caller' });

async function open(properties: Record<string, string> = {}): Promise<NameResolver> {
  const r = createKubernetesNameResolver(meta(properties));
  await r.init();
  return r;
}

describe('nameresolution.kubernetes', () => {
  it("resolves Dapr's service name with the default cluster domain and port", async () => {
    const r = await open();
    expect(await r.resolve('myid', 'abc')).toBe('myid-dapr.abc.svc.cluster.local:50002');
  });

  it('uses clusterDomain and port from the configuration', async () => {
    const r = await open({ clusterDomain: 'mydomain.com', port: '1234' });
    expect(await r.resolve('myid', 'abc')).toBe('myid-dapr.abc.svc.mydomain.com:1234');
  });

  it('matches configuration keys case-insensitively, as Dapr decodes them', async () => {
    const r = await open({ clusterdomain: 'corp.internal' });
    expect(await r.resolve('a', 'b')).toBe('a-dapr.b.svc.corp.internal:50002');
  });

  it('renders a template with .ID, .Namespace, .Port and .Data', async () => {
    const r = await open({ template: '{{.ID}}-{{.Data.region}}.{{ .Namespace }}.internal:{{.Port}}', region: 'eu1', port: '6000' });
    expect(await r.resolve('orders', 'prod')).toBe('orders-eu1.prod.internal:6000');
  });

  it("honours Go's trim markers", async () => {
    const r = await open({ template: 'svc-{{- .ID -}} .example:{{.Port}}' });
    expect(await r.resolve('x', 'y')).toBe('svc-x.example:50002');
  });

  it('register and unregister are no-ops; close is idempotent', async () => {
    const r = await open();
    await r.register({ appId: 'me', namespace: 'default', address: '10.0.0.1:50002' });
    expect(await r.resolve('me', 'default')).toBe('me-dapr.default.svc.cluster.local:50002');
    await r.unregister();
    await r.close();
    await r.close();
    const err = await r.resolve('me', 'default').catch((e: unknown) => e);
    expect(isNameResolverError(err)).toBe(true);
  });

  it.each([
    [{ clusterDomain: 'a.b', template: '{{.ID}}:{{.Port}}' }, 'template', /mutually exclusive/],
    [{ template: "{{.ID | upper}}" }, 'template', /unsupported action/],
    [{ template: '{{if .ID}}x{{end}}' }, 'template', /unsupported action/],
    [{ template: '{{.Data.missing}}:{{.Port}}' }, 'template', /no value for \{\{\.Data\.missing\}\}/],
    [{ template: '{{.Data.constructor}}' }, 'template', /no value/],
    [{ template: '{{.id}}' }, 'template', /no value for \{\{\.id\}\}/],
    [{ template: '{{.ID.Name}}' }, 'template', /no value/],
    [{ template: '{{.ID}:{{.Port}}' }, 'template', /unsupported action|unbalanced/],
    [{ template: '{{.ID}}:{{.Port' }, 'template', /unbalanced/],
    [{ port: '0' }, 'port', /between 1 and 65535/],
    [{ port: 'http' }, 'port', /integer/],
  ])('%j is rejected at init naming %s', async (properties, field, message) => {
    const r = createKubernetesNameResolver(meta(properties));
    const err = await r.init().catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'tessera.component-config', field });
    expect((err as Error).message).toMatch(message);
  });
});

describe('go template subset', () => {
  it('keeps literal text and splits field paths', () => {
    expect(parseGoTemplate('a{{.X.y}}b')).toEqual([{ text: 'a' }, { path: ['X', 'y'] }, { text: 'b' }]);
    expect(renderGoTemplate(parseGoTemplate('plain'), () => undefined)).toBe('plain');
  });
});
