// Public surface of @tessera/nameresolution-kubernetes.
export { createKubernetesNameResolver, DEFAULT_CLUSTER_DOMAIN, DEFAULT_INTERNAL_PORT } from './kubernetes-name-resolver';
