/**
 * All SQL about keys and their versions (the key repository). Functions take a Queryable so callers choose
 * whether a statement runs alone or inside their transaction.
 */
import { PaysealError } from '../../errors.ts';
import { asBuffer, isoOrNull, type Queryable } from './db.ts';

export interface KeyRow {
  readonly name: string;
  readonly type: string;
  readonly min_version: number;
  readonly latest_version: number;
  readonly rotation_period: string | null;
  readonly next_rotation_at: string | null;
  readonly created_at: string;
  /** ECDSA verification policy (migration 006): only low-S, only the requested encoding. */
  readonly low_s_only: boolean;
}

export interface VersionRow {
  readonly key: string;
  readonly version: number;
  readonly public_pem: string | null;
  readonly wrapped: Buffer | null;
  readonly kek_id: string | null;
  readonly created_at: string;
  readonly revoked_at: string | null;
  readonly destroyed_at: string | null;
  /** AES-GCM encryptions counted against the version's bound (leased in blocks; 0 for signing keys). */
  readonly use_count: number;
}

const KEY_COLUMNS = 'name, type, min_version, latest_version, rotation_period, next_rotation_at, created_at, low_s_only';
const VERSION_COLUMNS = 'key, version, public_pem, wrapped, kek_id, created_at, revoked_at, destroyed_at, use_count::text AS use_count';

function keyRow(r: Record<string, unknown>): KeyRow {
  return {
    name: String(r.name),
    type: String(r.type),
    min_version: Number(r.min_version),
    latest_version: Number(r.latest_version),
    rotation_period: r.rotation_period === null ? null : String(r.rotation_period),
    next_rotation_at: isoOrNull(r.next_rotation_at),
    created_at: isoOrNull(r.created_at) ?? '',
    low_s_only: r.low_s_only === true,
  };
}

function versionRow(r: Record<string, unknown>): VersionRow {
  return {
    key: String(r.key),
    version: Number(r.version),
    public_pem: r.public_pem === null ? null : String(r.public_pem),
    wrapped: r.wrapped === null ? null : asBuffer(r.wrapped),
    kek_id: r.kek_id === null ? null : String(r.kek_id),
    created_at: isoOrNull(r.created_at) ?? '',
    revoked_at: isoOrNull(r.revoked_at),
    destroyed_at: isoOrNull(r.destroyed_at),
    use_count: Number(r.use_count ?? 0),
  };
}

export async function selectKey(q: Queryable, name: string, forUpdate = false): Promise<KeyRow | null> {
  const rows = await q.query(`SELECT ${KEY_COLUMNS} FROM keys WHERE name = $1${forUpdate ? ' FOR UPDATE' : ''}`, [name]);
  return rows[0] ? keyRow(rows[0]) : null;
}

export async function selectVersions(q: Queryable, name: string): Promise<VersionRow[]> {
  const rows = await q.query(`SELECT ${VERSION_COLUMNS} FROM key_versions WHERE key = $1 ORDER BY version`, [name]);
  return rows.map(versionRow);
}

/** next_rotation_at from a period in ms given as parameter $n: now + period, or NULL for no scheduled rotation. */
function nextRotationAt(n: number): string {
  return `CASE WHEN $${n}::bigint IS NULL THEN NULL ELSE now() + $${n}::bigint * interval '1 millisecond' END`;
}

export async function selectAllKeys(q: Queryable): Promise<{ keys: KeyRow[]; versions: VersionRow[] }> {
  const keys = (await q.query(`SELECT ${KEY_COLUMNS} FROM keys ORDER BY name`)).map(keyRow);
  const versions = (await q.query(`SELECT ${VERSION_COLUMNS} FROM key_versions ORDER BY key, version`)).map(versionRow);
  return { keys, versions };
}

/** Inserts the key row with latest_version 1; false when the name is taken. */
export async function insertKey(q: Queryable, name: string, type: string, period: string | null, periodMs: number | null): Promise<boolean> {
  const rows = await q.query(
    `INSERT INTO keys (name, type, min_version, latest_version, rotation_period, next_rotation_at)
     VALUES ($1, $2, 1, 1, $3, ${nextRotationAt(4)})
     ON CONFLICT (name) DO NOTHING RETURNING name`,
    [name, type, period, periodMs],
  );
  return rows.length === 1;
}

/**
 * Inserts a version wrapped under KEK `kekId`, only while that KEK is live (its check row exists and is not
 * retired). FOR SHARE makes a KEK rotation's retirement wait for this transaction, and this insert wait for a
 * retirement in flight, then see it: no row can land under a KEK the moment it is retired. Throws
 * kek_mismatch when the KEK is retired.
 */
export async function insertVersion(
  q: Queryable,
  v: { key: string; version: number; publicPem: string | null; wrapped: Buffer; kekId: string },
): Promise<void> {
  const inserted = await q.query(
    `INSERT INTO key_versions (key, version, public_pem, wrapped, kek_id)
     SELECT $1, $2, $3, $4, $5
     WHERE EXISTS (SELECT 1 FROM kek_checks WHERE kek_id = $5 AND retired_at IS NULL FOR SHARE)
     RETURNING version`,
    [v.key, v.version, v.publicPem, v.wrapped, v.kekId],
  );
  if (inserted.length === 0) {
    throw new PaysealError(
      'kek_mismatch',
      `this process wraps with KEK ${v.kekId}, which a KEK rotation has retired: restart it with the new KEK as ` +
        'PAYSEAL_KEK (the old one may stay as PAYSEAL_KEK_PREVIOUS)',
    );
  }
}

/** After a rotation: the new latest version and, for scheduled keys, the next due time from now. */
export async function setLatest(q: Queryable, name: string, version: number, periodMs: number | null): Promise<void> {
  await q.query(
    `UPDATE keys SET latest_version = $2,
       next_rotation_at = ${nextRotationAt(3)}
     WHERE name = $1`,
    [name, version, periodMs],
  );
}

export async function setRotationPeriod(q: Queryable, name: string, period: string | null, periodMs: number | null): Promise<void> {
  await q.query(
    `UPDATE keys SET rotation_period = $2,
       next_rotation_at = ${nextRotationAt(3)}
     WHERE name = $1`,
    [name, period, periodMs],
  );
}

export async function setLowSOnly(q: Queryable, name: string, lowSOnly: boolean): Promise<void> {
  await q.query('UPDATE keys SET low_s_only = $2 WHERE name = $1', [name, lowSOnly]);
}

export async function setMinVersion(q: Queryable, name: string, minVersion: number): Promise<void> {
  await q.query('UPDATE keys SET min_version = $2 WHERE name = $1', [name, minVersion]);
}

export async function markRevoked(q: Queryable, name: string, version: number): Promise<void> {
  await q.query('UPDATE key_versions SET revoked_at = now() WHERE key = $1 AND version = $2 AND revoked_at IS NULL', [name, version]);
}

/** Destroy erases the wrapped private half; the public half (signing keys) stays for verification. */
export async function markDestroyed(q: Queryable, name: string, version: number): Promise<void> {
  await q.query(
    'UPDATE key_versions SET destroyed_at = now(), wrapped = NULL, kek_id = NULL WHERE key = $1 AND version = $2 AND destroyed_at IS NULL',
    [name, version],
  );
}

export async function selectDueKeyNames(q: Queryable, now: Date): Promise<string[]> {
  const rows = await q.query<{ name: string }>(
    'SELECT name FROM keys WHERE next_rotation_at IS NOT NULL AND next_rotation_at <= $1 ORDER BY name',
    [now.toISOString()],
  );
  return rows.map((r) => r.name);
}

/**
 * Leases up to `want` (at least `need`) AES-GCM uses of one version, never letting its count pass `limit`.
 * Run inside a transaction: the row lock serialises leases from every process, so the bound holds however
 * many replicas lease at once. Returns the uses granted (0 when fewer than `need` are left, or the version
 * is gone, revoked or destroyed) and the version's count afterwards.
 */
export async function leaseUses(
  tx: Queryable,
  name: string,
  version: number,
  need: number,
  want: number,
  limit: number,
): Promise<{ granted: number; total: number }> {
  const rows = await tx.query<{ used: string; usable: boolean }>(
    `SELECT use_count::text AS used, (wrapped IS NOT NULL AND revoked_at IS NULL) AS usable
     FROM key_versions WHERE key = $1 AND version = $2 FOR UPDATE`,
    [name, version],
  );
  const row = rows[0];
  if (!row) return { granted: 0, total: 0 };
  const used = Number(row.used);
  const left = limit - used;
  if (!row.usable || left < need) return { granted: 0, total: used };
  const granted = Math.min(Math.max(want, need), left);
  await tx.query('UPDATE key_versions SET use_count = use_count + $3 WHERE key = $1 AND version = $2', [name, version, granted]);
  return { granted, total: used + granted };
}

/** Current use counts of every version of one key (fresh: leases do not announce themselves on the change feed). */
export async function selectUseCounts(q: Queryable, name: string): Promise<Map<number, number>> {
  const rows = await q.query<{ version: number; used: string }>(
    'SELECT version, use_count::text AS used FROM key_versions WHERE key = $1',
    [name],
  );
  return new Map(rows.map((r) => [Number(r.version), Number(r.used)]));
}
