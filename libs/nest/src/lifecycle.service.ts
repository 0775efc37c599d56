// Readiness and shutdown of one runtime process. The edges report in when they listen; the
// HTTP/gRPC shutdown APIs and signals end up in requestShutdown().
import { Injectable } from '@nestjs/common';
import type { RuntimeLifecycle } from '@tessera/contracts';

@Injectable()
export class LifecycleService implements RuntimeLifecycle {
  private readonly pending = new Set<string>(['http-server', 'grpc-server']);
  private componentsReady = false;
  private readonly ready = new Set<string>();
  private readonly waiters = new Map<string, Array<() => void>>();
  private onShutdown: ((force: boolean) => void) | undefined;

  /** A readiness target that must report in before /v1.0/healthz answers 204. */
  addPending(target: string): void {
    this.pending.add(target);
  }

  markReady(target: string): void {
    this.pending.delete(target);
    const w = this.waiters.get(target);
    if (w !== undefined) {
      this.waiters.delete(target);
      for (const resolve of w) resolve();
    }
    this.ready.add(target);
  }

  /**
   * Resolves once `target` has reported ready (at once if it already has). The app's
   * subscriptions and input bindings wait for 'app-channel' this way. Never rejects: a runtime
   * that shuts down first simply never resolves it.
   */
  whenReady(target: string): Promise<void> {
    if (this.ready.has(target)) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const w = this.waiters.get(target) ?? [];
      w.push(resolve);
      this.waiters.set(target, w);
    });
  }

  markComponentsReady(): void {
    this.componentsReady = true;
  }

  notReady(): readonly string[] {
    return this.componentsReady ? [...this.pending] : ['components', ...this.pending];
  }

  outboundReady(): boolean {
    return this.componentsReady;
  }

  /** The process entry point decides how a shutdown request ends the process. */
  setShutdownHandler(handler: (force: boolean) => void): void {
    this.onShutdown = handler;
  }

  shutdown(force: boolean): void {
    if (force) process.exit(1);
    this.onShutdown?.(false);
  }
}
