// Resiliency policies and access control for service invocation, built from the loaded
// resources: Resiliency resources (--resources-path) and the Configuration (--config).
// Resiliency's own errors (timeout, open breaker) become Dapr's ERR_DIRECT_INVOKE here.
import { InvokeErrors } from '@tessera/contracts';
import type { AccessCheck, InvokePolicies, InvokePolicy } from '@tessera/block-invoke';
import type { Logger } from '@tessera/observability';
import { ResiliencyRunner, evaluateAccess, isCircuitOpen, isResiliencyTimeout, parseAccessControl, parseResiliency } from '@tessera/runtime-core';
import type { Policy, RuntimeConfig } from '@tessera/runtime-core';
import type { LoadedComponents } from './resources.module';

function mapped(appId: string, p: Policy): InvokePolicy {
  if (p.passThrough) return p;
  return {
    run: async (fn, opts) => {
      try {
        return await p.run(fn, opts);
      } catch (e) {
        if (isResiliencyTimeout(e)) throw InvokeErrors.timeout(appId, e.timeoutMs);
        if (isCircuitOpen(e)) throw InvokeErrors.circuitOpen(appId);
        throw e;
      }
    },
  };
}

export function policiesFor(res: LoadedComponents, c: RuntimeConfig, logger: Logger): InvokePolicies {
  const log = logger.child({ scope: 'runtime.resiliency' });
  const runner = new ResiliencyRunner(parseResiliency(res.resources?.resiliencies ?? [], c.appId), {
    onEvent: (e) => log.debug(`resiliency ${e.kind}`, { target: e.target, attempt: e.attempt }),
  });
  return {
    forApp: (appId) => mapped(appId, runner.forApp(appId)),
    remoteRetry: (appId) => runner.builtInServiceRetry(appId),
  };
}

export function accessCheckFor(res: LoadedComponents, c: RuntimeConfig): AccessCheck | undefined {
  const spec = parseAccessControl(res.configurations, c.appId);
  if (!spec) return undefined;
  return (caller, operation, verb) => evaluateAccess(spec, caller, operation, verb);
}
