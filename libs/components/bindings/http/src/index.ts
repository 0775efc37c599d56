// Public surface of @tessera/bindings-http: the `bindings.http` v1 factory (output only).
export { createHttpBinding } from './http-binding';
export {
  HTTP_OPERATIONS,
  parseHttpBindingMetadata,
  parseQuantity,
  httpMethodFor,
  joinUrl,
  requestHeaders,
  responseMetadata,
  canonicalHeaderKey,
} from './http-metadata';
export type { HttpBindingSettings } from './http-metadata';
