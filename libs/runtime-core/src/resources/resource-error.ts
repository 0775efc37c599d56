// The one error of resource loading: a single line naming the file, the resource (or the
// document's position when it has no name yet), the field and what was expected, e.g.
//   resources/statestore.yaml: component "statestore": spec.type: expected "<building block>.<implementation>" such as state.redis, got "redis"
// Start-up stops on it. Test `isResourceError(e)`, not instanceof.

export interface ResourceErrorInit {
  /** File as shown to the user. */
  readonly file: string;
  /** `component "statestore"`, `Subscription "orders"`, `document 2 (line 14)`; omitted for file-level errors. */
  readonly resource?: string;
  /** Dotted field path, e.g. `spec.metadata[1] "redisHost"`. */
  readonly field?: string;
  /** What was expected / what is wrong. */
  readonly problem: string;
}

export class ResourceError extends Error {
  readonly kind = 'tessera.resource-error' as const;
  readonly file: string;
  readonly resource: string | undefined;
  readonly field: string | undefined;
  readonly problem: string;

  constructor(init: ResourceErrorInit) {
    super([init.file, init.resource, init.field, init.problem].filter((p) => p !== undefined && p !== '').join(': '));
    this.name = 'ResourceError';
    this.file = init.file;
    this.resource = init.resource;
    this.field = init.field;
    this.problem = init.problem;
  }
}

export function isResourceError(e: unknown): e is ResourceError {
  return typeof e === 'object' && e !== null && (e as { kind?: unknown }).kind === 'tessera.resource-error';
}
