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
  /** 'imported': a partner's public key, verify-only (migration 007). */
  readonly origin: 'generated' | 'imported';
  /** RFC 9421 verification policy of the key (src/httpsig/policy.ts), or null. */
  readonly http_signature_policy: Readonly<Record<string, unknown>> | null;
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
  /** Pre-publication: the instant this version takes over signing; null = from its creation. */
  readonly signs_from: string | null;
  /** Imported versions: the partner's own name for the key (a JWK kid), if given. */
  readonly external_kid: string | null;
  readonly certificate_pem: string | null;
  readonly certificate: Readonly<Record<string, string>> | null;
}

const KEY_COLUMNS = 'name, type, min_version, latest_version, rotation_period, next_rotation_at, created_at, origin, http_signature_policy, low_s_only';
const VERSION_COLUMNS =
  'key, version, public_pem, wrapped, kek_id, created_at, revoked_at, destroyed_at, use_count::text AS use_count, signs_from, external_kid, certificate_pem, certificate';

function keyRow(r: Record<string, unknown>): KeyRow {
  return {
    name: String(r.name),
    type: String(r.type),
    min_version: Number(r.min_version),
    latest_version: Number(r.latest_version),
    rotation_period: r.rotation_period === null ? null : String(r.rotation_period),
    next_rotation_at: isoOrNull(r.next_rotation_at),
    created_at: isoOrNull(r.created_at) ?? '',
    origin: r.origin === 'imported' ? 'imported' : 'generated',
    http_signature_policy: jsonOrNull(r.http_signature_policy),
    low_s_only: r.low_s_only === true,
  };
}

/** jsonb arrives parsed from pg and PGlite; text (a driver without the jsonb parser) is parsed here. */
function jsonOrNull(v: unknown): Record<string, never> | null {
  if (v === null || v === undefined) return null;
  return (typeof v === 'string' ? JSON.parse(v) : v) as Record<string, never>;
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
    signs_from: isoOrNull(r.signs_from),
    external_kid: r.external_kid == null ? null : String(r.external_kid),
    certificate_pem: r.certificate_pem == null ? null : String(r.certificate_pem),
    certificate: jsonOrNull(r.certificate),
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
export async function insertKey(
  q: Queryable,
  name: string,
  type: string,
  period: string | null,
  periodMs: number | null,
  origin: 'generated' | 'imported' = 'generated',
): Promise<boolean> {
  const rows = await q.query(
    `INSERT INTO keys (name, type, min_version, latest_version, rotation_period, next_rotation_at, origin)
     VALUES ($1, $2, 1, 1, $3, ${nextRotationAt(4)}, $5)
     ON CONFLICT (name) DO NOTHING RETURNING name`,
    [name, type, period, periodMs, origin],
  );
  return rows.length === 1;
}

/**
 * Inserts a version wrapped under KEK `kekId`, only while that KEK is live (its check row exists and is not
 * retired). FOR SHARE makes a KEK rotation's retirement wait for this transaction, and this insert wait for a
 * retirement in flight, then see it: no row can land under a KEK the moment it is retired. Throws
 * kek_retired (503: retry; this replica takes up the new KEK, or must be restarted with it) when the KEK is retired.
 */
export async function insertVersion(
  q: Queryable,
  v: { key: string; version: number; publicPem: string | null; wrapped: Buffer; kekId: string; publishFirstSeconds?: number },
): Promise<void> {
  const inserted = await q.query(
    `INSERT INTO key_versions (key, version, public_pem, wrapped, kek_id, signs_from)
     SELECT $1, $2, $3, $4, $5, CASE WHEN $6::integer > 0 THEN now() + $6::integer * interval '1 second' END
     WHERE EXISTS (SELECT 1 FROM kek_checks WHERE kek_id = $5 AND retired_at IS NULL FOR SHARE)
     RETURNING version`,
    [v.key, v.version, v.publicPem, v.wrapped, v.kekId, v.publishFirstSeconds ?? 0],
  );
  if (inserted.length === 0) {
    throw new PaysealError(
      'kek_retired',
      `this process wraps with KEK ${v.kekId}, which a KEK rotation has retired: retry (a replica holding the new KEK ` +
        'switches to it within a second), or restart it with the new KEK as PAYSEAL_KEK',
    );
  }
}

/** A version of an imported key: a public half only (wrapped and kek_id NULL), verify-only. */
export async function insertImportedVersion(
  q: Queryable,
  v: { key: string; version: number; publicPem: string; externalKid: string | null; certificatePem: string | null; certificate: object | null },
): Promise<void> {
  await q.query(
    `INSERT INTO key_versions (key, version, public_pem, external_kid, certificate_pem, certificate)
     VALUES ($1, $2, $3, $4, $5, $6::jsonb)`,
    [v.key, v.version, v.publicPem, v.externalKid, v.certificatePem, v.certificate === null ? null : JSON.stringify(v.certificate)],
  );
}

export async function setHttpSignaturePolicy(q: Queryable, name: string, policy: object | null): Promise<void> {
  await q.query('UPDATE keys SET http_signature_policy = $2::jsonb WHERE name = $1', [name, policy === null ? null : JSON.stringify(policy)]);
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
    "SELECT name FROM keys WHERE next_rotation_at IS NOT NULL AND next_rotation_at <= $1 AND origin = 'generated' ORDER BY name",
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
