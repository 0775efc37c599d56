// Public surface of @tessera/conformance: one suite per component kind.
export type { StateConformanceOptions } from './state.conformance';
export { describeStateConformance } from './state.conformance';
export { StateApiStore } from './state-api-store';
