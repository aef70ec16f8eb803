/**
 * All SQL about KEKs: the check rows that prove a process holds an accepted KEK (kek_checks), which KEK
 * wraps each private half (key_versions.kek_id), and the transaction-scoped advisory lock that serialises
 * start-up checks, KEK registration and a KEK rotation's start and finish, per schema.
 */
import { asBuffer, type Queryable } from './db.ts';

export interface KekCheckRow {
  readonly kek_id: string;
  readonly wrapped: Buffer;
  readonly retired: boolean;
  readonly retired_at: unknown;
}

export interface WrappedRow {
  readonly key: string;
  readonly version: number;
  readonly wrapped: Buffer;
  readonly kek_id: string;
}

export async function lockKeks(tx: Queryable): Promise<void> {
  await tx.query(`SELECT pg_advisory_xact_lock(hashtext('payseal:kek:' || current_schema()))`);
}

/** Inserts a check row; an existing one stays as it is, or with `revive` is made live again. */
export async function insertKekCheck(q: Queryable, kekId: string, wrapped: Buffer, revive: boolean): Promise<void> {
  await q.query(
    `INSERT INTO kek_checks (kek_id, wrapped) VALUES ($1, $2)
     ON CONFLICT (kek_id) DO ${revive ? 'UPDATE SET retired_at = NULL' : 'NOTHING'}`,
    [kekId, wrapped],
  );
}

export async function selectKekChecks(q: Queryable): Promise<KekCheckRow[]> {
  const rows = await q.query<{ kek_id: string; wrapped: unknown; retired_at: unknown }>('SELECT kek_id, wrapped, retired_at FROM kek_checks');
  return rows.map((r) => ({ kek_id: r.kek_id, wrapped: asBuffer(r.wrapped), retired: r.retired_at !== null, retired_at: r.retired_at }));
}

/** How many private halves each KEK wraps. */
export async function countWrappedByKek(q: Queryable): Promise<{ kek_id: string; n: number }[]> {
  return q.query<{ kek_id: string; n: number }>('SELECT kek_id, count(*)::int AS n FROM key_versions WHERE wrapped IS NOT NULL GROUP BY kek_id');
}

/** How many private halves are wrapped under any KEK but `kekId`. */
export async function countWrappedNotUnder(q: Queryable, kekId: string): Promise<number> {
  const rows = await q.query<{ n: string }>('SELECT count(*)::text AS n FROM key_versions WHERE wrapped IS NOT NULL AND kek_id <> $1', [kekId]);
  return Number(rows[0]?.n ?? 0);
}

/** Up to `limit` rows not yet under `kekId`, locked until the caller's transaction ends. */
export async function selectWrappedNotUnder(tx: Queryable, kekId: string, limit: number): Promise<WrappedRow[]> {
  const rows = await tx.query<{ key: string; version: number; wrapped: unknown; kek_id: string }>(
    `SELECT key, version, wrapped, kek_id FROM key_versions
     WHERE wrapped IS NOT NULL AND kek_id <> $1 ORDER BY key, version LIMIT $2 FOR UPDATE`,
    [kekId, limit],
  );
  return rows.map((r) => ({ key: r.key, version: r.version, wrapped: asBuffer(r.wrapped), kek_id: r.kek_id }));
}

export async function updateWrapped(tx: Queryable, key: string, version: number, wrapped: Buffer, kekId: string): Promise<void> {
  await tx.query('UPDATE key_versions SET wrapped = $3, kek_id = $4 WHERE key = $1 AND version = $2', [key, version, wrapped, kekId]);
}

/**
 * Retires every live KEK but `kekId`. The update waits for any insert under one of them that holds its check
 * row FOR SHARE (insertVersion), and any later such insert sees the retirement.
 */
export async function retireKeksExcept(tx: Queryable, kekId: string): Promise<void> {
  await tx.query('UPDATE kek_checks SET retired_at = now() WHERE kek_id <> $1 AND retired_at IS NULL', [kekId]);
}
