// A LockStore on top of a LockApi, so the lock conformance suite can run through the whole block
// path: the suite's keys `lock||<app>||<resource>` become calls as app `<app>` for `<resource>`
// (the block adds `lock||<app>||` back with keyPrefix `appid`), and the block's API errors become
// LockStoreErrors. Run it over LockTransportClient -> lock-svc -> LockBlock -> real store to
// prove split mode behaves exactly as the store itself.
import { UnlockResponse_Status } from '@tessera/contracts';
import type { CallContext, LockApi } from '@tessera/contracts';
import { LockStoreError } from '@tessera/spi';
import type { LockFeature, LockStore, LockTryRequest, LockTryResponse, LockUnlockRequest, LockUnlockStatus } from '@tessera/spi';

const PREFIX = 'lock||';
const SEP = '||';

function split(key: string): { appId: string; resourceId: string } {
  const rest = key.startsWith(PREFIX) ? key.slice(PREFIX.length) : undefined;
  const i = rest?.indexOf(SEP) ?? -1;
  if (rest === undefined || i < 0) throw new Error(`LockApiStore needs keys of the form lock||<app>||<resource>, got ${key}`);
  return { appId: rest.slice(0, i), resourceId: rest.slice(i + SEP.length) };
}

function toStoreError(e: unknown): LockStoreError {
  const a = e as { code?: unknown; message?: unknown };
  return new LockStoreError(typeof a.code === 'string' ? `${a.code}: ${String(a.message)}` : String(e), { cause: e });
}

export class LockApiStore implements LockStore {
  constructor(
    private readonly api: LockApi,
    private readonly storeName: string,
    private readonly close$: () => Promise<void> = async () => undefined,
  ) {}

  private ctx(appId: string): CallContext {
    return { appId, namespace: '' };
  }

  async init(): Promise<void> {
    const visible = await this.api.listComponents(this.ctx('conformance'));
    if (!visible.some((c) => c.name === this.storeName)) throw new Error(`lock store ${this.storeName} is not served`);
  }

  features(): readonly LockFeature[] {
    return [];
  }

  async tryLock(req: LockTryRequest): Promise<LockTryResponse> {
    const { appId, resourceId } = split(req.resourceId);
    try {
      const res = await this.api.tryLock(
        { storeName: this.storeName, resourceId, lockOwner: req.lockOwner, expiryInSeconds: req.expiryInSeconds },
        this.ctx(appId),
      );
      return { success: res.success };
    } catch (e) {
      throw toStoreError(e);
    }
  }

  async unlock(req: LockUnlockRequest): Promise<LockUnlockStatus> {
    const { appId, resourceId } = split(req.resourceId);
    let status: UnlockResponse_Status;
    try {
      ({ status } = await this.api.unlock({ storeName: this.storeName, resourceId, lockOwner: req.lockOwner }, this.ctx(appId)));
    } catch (e) {
      throw toStoreError(e);
    }
    switch (status) {
      case UnlockResponse_Status.SUCCESS:
        return 'SUCCESS';
      case UnlockResponse_Status.LOCK_DOES_NOT_EXIST:
        return 'LOCK_DOES_NOT_EXIST';
      case UnlockResponse_Status.LOCK_BELONGS_TO_OTHERS:
        return 'LOCK_BELONGS_TO_OTHERS';
      default:
        throw new LockStoreError(`unlock answered status ${String(status)} without an error`);
    }
  }

  close(): Promise<void> {
    return this.close$();
  }
}
