// Public surface of @tessera/conformance: one suite per component kind.
export type { StateConformanceOptions } from './state.conformance';
export { describeStateConformance } from './state.conformance';
