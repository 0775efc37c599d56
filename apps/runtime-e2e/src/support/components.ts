// Component YAML for the backends the end-to-end suites run against (real servers on loopback).
export const REDIS_HOST = '127.0.0.1:6379';
export const POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';

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
${extra}`;
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
