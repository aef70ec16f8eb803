/**
 * All SQL about consumed payment-message jtis (migration 003_replay.sql), used by src/messages/replay-store.ts.
 * Times are unix seconds on the way in; the same statements run on PostgreSQL and PGlite.
 */
import type { Queryable } from './db.ts';

/** Records `jti`; true if it was new, false if it was already recorded (a replay). One atomic statement. */
export async function insertReplayJti(q: Queryable, jti: string, expiresAtUnix: number): Promise<boolean> {
  const rows = await q.query(
    `INSERT INTO message_replays (jti, expires_at) VALUES ($1, to_timestamp($2::double precision))
     ON CONFLICT (jti) DO NOTHING RETURNING jti`,
    [jti, expiresAtUnix],
  );
  return rows.length === 1;
}

/**
 * Deletes at most `limit` rows that expired before `beforeUnix`, oldest first, and returns how many. Rows
 * another replica is deleting at the same moment are skipped (SKIP LOCKED), so sweeping replicas never wait on
 * each other.
 */
export async function deleteExpiredReplays(q: Queryable, beforeUnix: number, limit: number): Promise<number> {
  const rows = await q.query<{ n: unknown }>(
    `WITH gone AS (
       DELETE FROM message_replays WHERE jti IN (
         SELECT jti FROM message_replays WHERE expires_at < to_timestamp($1::double precision)
         ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)
       RETURNING 1)
     SELECT count(*)::int AS n FROM gone`,
    [beforeUnix, limit],
  );
  return Number(rows[0]?.n ?? 0);
}
