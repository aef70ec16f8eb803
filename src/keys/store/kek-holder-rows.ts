/**
 * All SQL about kek_holders (migration 005): each running service's heartbeat row naming the KEKs it holds, the
 * one it wraps with, and whether it takes up a KEK staged in its data dir by itself. A row is live while its
 * heartbeat is recent (seen_at, compared on the database's clock, so replicas' clocks do not matter).
 */
import { isoOrNull, type Queryable } from './db.ts';

/** A row older than this is a process that stopped without removing it (killed, partitioned). */
export const HOLDER_LIVE_SECONDS = 15;
const PRUNE_AFTER = '1 day';

export interface KekHolder {
  readonly holder: string;
  readonly host: string;
  readonly pid: number;
  readonly current_kek: string;
  readonly kek_ids: readonly string[];
  readonly adopts: boolean;
  readonly seen_at: string;
}

export async function upsertHolder(q: Queryable, h: Omit<KekHolder, 'seen_at'>): Promise<void> {
  await q.query(
    `INSERT INTO kek_holders (holder, host, pid, current_kek, kek_ids, adopts, seen_at) VALUES ($1, $2, $3, $4, $5, $6, now())
     ON CONFLICT (holder) DO UPDATE SET current_kek = EXCLUDED.current_kek, kek_ids = EXCLUDED.kek_ids,
       adopts = EXCLUDED.adopts, seen_at = now()`,
    [h.holder, h.host, h.pid, h.current_kek, [...h.kek_ids], h.adopts],
  );
  await q.query(`DELETE FROM kek_holders WHERE seen_at < now() - interval '${PRUNE_AFTER}'`);
}

export async function deleteHolder(q: Queryable, holder: string): Promise<void> {
  await q.query('DELETE FROM kek_holders WHERE holder = $1', [holder]);
}

export async function selectLiveHolders(q: Queryable): Promise<KekHolder[]> {
  const rows = await q.query<{ holder: string; host: string; pid: number; current_kek: string; kek_ids: string[]; adopts: boolean; seen_at: unknown }>(
    `SELECT holder, host, pid, current_kek, kek_ids, adopts, seen_at FROM kek_holders
     WHERE seen_at > now() - make_interval(secs => $1) ORDER BY holder`,
    [HOLDER_LIVE_SECONDS],
  );
  return rows.map((r) => ({ ...r, kek_ids: [...r.kek_ids], seen_at: isoOrNull(r.seen_at) ?? '' }));
}
