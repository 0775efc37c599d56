// Public surface of @tessera/secretstore-kubernetes.
export { createKubernetesSecretStore, KubernetesSecretStore, SERVICE_ACCOUNT_PATH } from './kubernetes-secret-store';
