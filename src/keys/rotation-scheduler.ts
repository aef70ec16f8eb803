/**
 * Scheduled rotation inside the service (DESIGN.md "Keys"): every `intervalMs`, each service replica tries
 * a PostgreSQL advisory lock; the one that wins rotates every key whose next_rotation_at has passed, with
 * actor system:scheduler, and the others skip the round. As in Vault's auto-rotation, one key's failure does
 * not stop the rest; each failure is logged (key, code, message: never material) and counted, and the key
 * stays due, so the next round retries it. Rounds never overlap (the next is timed from the end of the
 * last), and stop() waits for a round in progress, which itself stops between keys.
 * `payseal keys rotate --due` (scripts/rotate-due.sh) does the same job from cron; running both is safe,
 * because each rotation re-checks "still due" under the key's row lock.
 */
import { failureOf, type KeyLog } from './_log.ts';
import type { KeyContext } from './mutate.ts';
import { rotateDueKeys } from './rotate.ts';
import { withTryAdvisoryLock } from './store/advisory-lock.ts';
import type { RotateDueResult } from './types.ts';

export const SCHEDULER_ACTOR = 'system:scheduler';

/** Counters since start, for metrics and tests. */
export interface SchedulerStats {
  /** Rounds that won the lock and looked for due keys. */
  readonly rounds: number;
  /** Rounds skipped because another process held the lock. */
  readonly skipped: number;
  readonly rotated: number;
  /** Keys whose rotation failed (a key failing in three rounds counts three). */
  readonly failed: number;
  /** Rounds that could not run at all (database away). */
  readonly errors: number;
}

export class RotationScheduler {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  private readonly abort = new AbortController();
  private counts = { rounds: 0, skipped: 0, rotated: 0, failed: 0, errors: 0 };

  constructor(
    private readonly ctx: KeyContext,
    readonly intervalMs: number,
    private readonly log: KeyLog,
  ) {}

  start(): void {
    if (this.abort.signal.aborted || this.timer) return;
    this.schedule();
  }

  stats(): SchedulerStats {
    return { ...this.counts };
  }

  /** One round now; null when another process held the lock. Never throws: failures are logged and counted. */
  async runOnce(): Promise<RotateDueResult | null> {
    const round = this.round();
    this.running = round;
    try {
      return await round;
    } finally {
      if (this.running === round) this.running = null;
    }
  }

  private async round(): Promise<RotateDueResult | null> {
    try {
      const outcome = await withTryAdvisoryLock(this.ctx.db, 'rotate-due', () =>
        rotateDueKeys(this.ctx, SCHEDULER_ACTOR, new Date(), this.abort.signal),
      );
      if (!outcome.won) {
        this.counts.skipped++;
        return null;
      }
      const r = outcome.value;
      this.counts.rounds++;
      this.counts.rotated += r.rotated.length;
      this.counts.failed += r.failed.length;
      for (const x of r.rotated) this.log.info({ key: x.name, version: x.version, actor: SCHEDULER_ACTOR }, 'scheduled rotation');
      for (const x of r.failed) {
        this.log.error({ key: x.name, code: x.code, error: x.message, actor: SCHEDULER_ACTOR }, 'scheduled rotation failed; the key stays due and is retried next round');
      }
      return r;
    } catch (e) {
      this.counts.errors++;
      const f = failureOf(e);
      this.log.warn({ code: f.code, error: f.message }, 'scheduled rotation round could not run; retrying next round');
      return null;
    }
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.runOnce().finally(() => {
        if (!this.abort.signal.aborted) this.schedule();
      });
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running?.catch(() => {});
  }
}
