/**
 * Try-once advisory locks for jobs that one process at a time should run (scheduled rotation): a
 * session-level pg_try_advisory_lock on a dedicated connection, held while the job runs and released after,
 * keyed per schema like the migrate and KEK locks. A process that loses does not wait: another is doing
 * the job. A process that dies mid-job loses its connection, and PostgreSQL releases the lock with it.
 *
 * On PGlite every user (the service in-process, CLIs over its socket) shares one session, where advisory
 * locks are re-entrant and exclude nobody; so a job's correctness must never rest on this lock alone (due
 * rotation re-checks "still due" under the key's row lock). Here the lock saves duplicate work; it is
 * not what prevents a duplicate version.
 */
import type { Db } from './db.ts';

export type LockedOutcome<T> = { readonly won: true; readonly value: T } | { readonly won: false };

export async function withTryAdvisoryLock<T>(db: Db, job: string, fn: () => Promise<T>): Promise<LockedOutcome<T>> {
  const key = `payseal:${job}:`;
  return db.session(async (s) => {
    const rows = await s.query<{ won: boolean }>('SELECT pg_try_advisory_lock(hashtext($1::text || current_schema())) AS won', [key]);
    if (rows[0]?.won !== true) return { won: false } as const;
    try {
      return { won: true, value: await fn() } as const;
    } finally {
      // If this throws, session() discards the connection, which releases the lock just the same.
      await s.query('SELECT pg_advisory_unlock(hashtext($1::text || current_schema()))', [key]);
    }
  });
}
