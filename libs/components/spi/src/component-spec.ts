// What every block's component loader reads of a loaded Component resource, and the init
// timeout they all apply (spec.initTimeout). One definition for state, lock, secrets and
// configuration loaders.

/** The fields of a loaded Component resource a block's loader reads. */
export interface LoadableComponentSpec {
  readonly name: string;
  readonly type: string;
  readonly version: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly scopes: readonly string[];
  readonly initTimeoutMs: number;
  readonly ignoreErrors: boolean;
  readonly file: string;
}

/** Runs a component's init(), failing after `ms` with a message naming spec.initTimeout. */
export async function initWithTimeout(init: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      init,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`init did not finish within ${ms} ms (spec.initTimeout)`)), ms);
      }),
    ]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}
