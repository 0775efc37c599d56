// Component YAML for the backends the end-to-end suites run against (real servers on loopback
// by default; REDIS_URL / POSTGRES_URL, read by @tessera/testing, point them elsewhere, so the
// runtime under test uses the same server the reachability probe checked).
import { testPostgresUrl, testRedisUrl } from '@tessera/testing';

const redisUrl = new URL(testRedisUrl());
export const REDIS_HOST = redisUrl.host;
const REDIS_PASSWORD = decodeURIComponent(redisUrl.password);
export const POSTGRES_URL = testPostgresUrl();

export function redisStateYaml(name = 'statestore', extra = ''): string {
  return `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: ${name}
spec:
  type: state.redis
  version: v1
  metadata:
    - name: redisHost
      value: "${REDIS_HOST}"
    - name: actorStateStore
      value: "true"
${REDIS_PASSWORD ? `    - name: redisPassword
      value: "${REDIS_PASSWORD}"
` : ''}${extra}`;
}

export function postgresStateYaml(name = 'statestore', table = 'tessera_e2e_state', extra = ''): string {
  return `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: ${name}
spec:
  type: state.postgresql
  version: v1
  metadata:
    - name: connectionString
      value: "${POSTGRES_URL}"
    - name: tableName
      value: "${table}"
${extra}`;
}

export function sqliteStateYaml(name: string, file: string): string {
  return `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: ${name}
spec:
  type: state.sqlite
  version: v1
  metadata:
    - name: connectionString
      value: "${file}"
`;
}

export function inMemoryStateYaml(name: string): string {
  return `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: ${name}
spec:
  type: state.in-memory
  version: v1
  metadata: []
`;
}
