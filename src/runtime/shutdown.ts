/**
 * Shutdown hooks: work a room must finish while the store is still open, run by Runtime.close() after the
 * rotation scheduler stopped and before the change feed and the store close. The service closes the runtime
 * only once its HTTP server has drained, so a hook sees no new request: the ledger uses one to write its last
 * group commit. Hooks run one after another, newest first (a room registered later may depend on an earlier
 * one), each bounded in time; one failing or hanging does not stop the others or the close.
 */
import type { KeyLog } from '../keys/_log.ts';

export type ShutdownHook = () => Promise<void>;

/** Default bound on one hook, so a stuck hook cannot hold the process past its termination grace period. */
export const SHUTDOWN_HOOK_TIMEOUT_MS = 5_000;

export class ShutdownHooks {
  private readonly hooks: { readonly name: string; readonly run: ShutdownHook; readonly timeoutMs: number }[] = [];
  private ran = false;

  constructor(private readonly log: KeyLog) {}

  add(name: string, run: ShutdownHook, timeoutMs = SHUTDOWN_HOOK_TIMEOUT_MS): void {
    if (this.ran) throw new Error(`shutdown hook "${name}" added after shutdown began`);
    this.hooks.push({ name, run, timeoutMs });
  }

  async run(): Promise<void> {
    if (this.ran) return;
    this.ran = true;
    for (const hook of [...this.hooks].reverse()) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), hook.timeoutMs);
      });
      try {
        const outcome = await Promise.race([hook.run().then(() => 'done' as const), timeout]);
        if (outcome === 'timeout') this.log.error({ hook: hook.name, ms: hook.timeoutMs }, 'shutdown hook did not finish in time; closing anyway');
      } catch (e) {
        this.log.error({ hook: hook.name, error: e instanceof Error ? e.message : String(e) }, 'shutdown hook failed; closing anyway');
      } finally {
        clearTimeout(timer);
      }
    }
  }
}
