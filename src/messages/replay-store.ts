/**
 * The service's ReplayGuard (replay-guard.ts): consumed jtis in PostgreSQL (or PGlite), so every replica on
 * one database sees every consume. The SQL is src/keys/store/replay-rows.ts; this file adds the contract's
 * failure rule and the cleanup.
 *
 * - consume fails closed: anything but an answer from the database rejects with `unavailable` (503), never
 *   resolves true, because a guard that cannot record must not let a message through twice.
 * - The INSERT runs outside any transaction, so it is committed (durable, visible to every replica) when the
 *   database answers.
 * - ReplaySweeper deletes expired rows every `intervalMs` in bounded batches (one short statement each, at
 *   most `maxBatches` per round), so a backlog never holds a long lock or a long transaction. Every service
 *   replica sweeps; SKIP LOCKED keeps them out of each other's way. Rows are kept SWEEP_GRACE_SECONDS past
 *   their expiry, so a sweeper whose clock runs ahead of a verifier's still never frees a jti that verifier
 *   would accept.
 */
import { PaysealError } from '../errors.ts';
import { failureOf, type KeyLog } from '../keys/_log.ts';
import { mapDbError, type Queryable } from '../keys/store/db.ts';
import { deleteExpiredReplays, insertReplayJti } from '../keys/store/replay-rows.ts';
import { CLOCK_SKEW_SECONDS } from './_freshness.ts';
import type { ReplayGuard } from './replay-guard.ts';
import { unixNow } from './sign.ts';

/** Extra time an expired row is kept, for clocks that disagree between replicas. */
export const SWEEP_GRACE_SECONDS = CLOCK_SKEW_SECONDS;

export interface SweepLimits {
  /** Rows per DELETE statement. */
  readonly batch: number;
  /** Statements per round; what is left waits for the next round. */
  readonly maxBatches: number;
}

export const DEFAULT_SWEEP_LIMITS: SweepLimits = Object.freeze({ batch: 1000, maxBatches: 50 });

function failClosed(e: unknown): PaysealError {
  const mapped = mapDbError(e);
  if (mapped instanceof PaysealError) return mapped;
  return new PaysealError('unavailable', 'the replay store could not record the message', { cause: e });
}

export class SqlReplayGuard implements ReplayGuard {
  constructor(private readonly db: Queryable) {}

  async consume(jti: string, expiresAt: number): Promise<boolean> {
    try {
      return await insertReplayJti(this.db, jti, expiresAt);
    } catch (e) {
      throw failClosed(e);
    }
  }

  /** Deletes rows expired (plus the grace) before `now`, in bounded batches; returns how many went. */
  async sweep(now: number = unixNow(), limits: SweepLimits = DEFAULT_SWEEP_LIMITS): Promise<number> {
    let total = 0;
    for (let i = 0; i < limits.maxBatches; i++) {
      const n = await deleteExpiredReplays(this.db, now - SWEEP_GRACE_SECONDS, limits.batch);
      total += n;
      if (n < limits.batch) break;
    }
    return total;
  }
}

/** Runs SqlReplayGuard.sweep on a timer; rounds never overlap, failures are logged and retried next round. */
export class ReplaySweeper {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  private stopped = false;

  constructor(
    private readonly guard: SqlReplayGuard,
    readonly intervalMs: number,
    private readonly log: KeyLog,
    private readonly limits: SweepLimits = DEFAULT_SWEEP_LIMITS,
  ) {}

  start(): void {
    if (this.stopped || this.timer) return;
    this.schedule();
  }

  /** One round now; resolves the number of rows deleted, or null when the round failed (logged). */
  async runOnce(): Promise<number | null> {
    const round = this.guard.sweep(unixNow(), this.limits).then(
      (n) => {
        if (n > 0) this.log.info({ deleted: n }, 'expired message jtis swept');
        return n;
      },
      (e: unknown) => {
        this.log.warn({ code: failureOf(mapDbError(e)).code }, 'sweeping expired message jtis failed; retrying next round');
        return null;
      },
    );
    this.running = round;
    return round;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.runOnce().finally(() => {
        if (!this.stopped) this.schedule();
      });
    }, this.intervalMs);
    this.timer.unref();
  }
}
