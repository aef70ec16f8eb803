/**
 * All SQL about API clients. Only SHA-256(token) is ever stored; the token itself never reaches this file.
 * A token may expire (expires_at, computed on the database's clock from the lifetime it was issued with).
 */
import { asBuffer, isoOrNull, type Queryable } from './db.ts';

export interface ClientRow {
  readonly name: string;
  readonly scopes: readonly string[];
  readonly tokenSha256: Buffer;
  readonly createdAt: string;
  readonly expiresAt: string | null;
  /** The lifetime the token was issued with ("90d"), reused by rotate-token; null when it does not expire. */
  readonly tokenLifetime: string | null;
}

const COLUMNS = 'name, scopes, token_sha256, created_at, expires_at, token_lifetime';

function toRow(r: Record<string, unknown>): ClientRow {
  return {
    name: String(r.name),
    scopes: [...(r.scopes as string[])],
    tokenSha256: asBuffer(r.token_sha256),
    createdAt: isoOrNull(r.created_at) ?? '',
    expiresAt: isoOrNull(r.expires_at),
    tokenLifetime: r.token_lifetime === null || r.token_lifetime === undefined ? null : String(r.token_lifetime),
  };
}

export async function selectClients(q: Queryable): Promise<ClientRow[]> {
  return (await q.query(`SELECT ${COLUMNS} FROM clients ORDER BY name`)).map(toRow);
}

/** A token's validity: its lifetime as text ("90d") and in seconds, or null for a token that does not expire. */
export interface TokenLifetime {
  readonly text: string;
  readonly seconds: number;
}

/** The new client's row, or null when a client of that name exists. */
export async function insertClient(
  tx: Queryable,
  name: string,
  scopes: readonly string[],
  tokenSha256: Buffer,
  lifetime: TokenLifetime | null,
): Promise<ClientRow | null> {
  const rows = await tx.query(
    `INSERT INTO clients (name, scopes, token_sha256, expires_at, token_lifetime)
     VALUES ($1, $2, $3, CASE WHEN $4::float8 IS NULL THEN NULL ELSE now() + make_interval(secs => $4::float8) END, $5)
     ON CONFLICT (name) DO NOTHING RETURNING ${COLUMNS}`,
    [name, scopes, tokenSha256, lifetime?.seconds ?? null, lifetime?.text ?? null],
  );
  return rows.length === 0 ? null : toRow(rows[0]!);
}

/** Gives client `name` a new token digest and expiry; null when no client has that name. */
export async function updateClientToken(tx: Queryable, name: string, tokenSha256: Buffer, lifetime: TokenLifetime | null): Promise<ClientRow | null> {
  const rows = await tx.query(
    `UPDATE clients SET token_sha256 = $2, token_lifetime = $4,
       expires_at = CASE WHEN $3::float8 IS NULL THEN NULL ELSE now() + make_interval(secs => $3::float8) END
     WHERE name = $1 RETURNING ${COLUMNS}`,
    [name, tokenSha256, lifetime?.seconds ?? null, lifetime?.text ?? null],
  );
  return rows.length === 0 ? null : toRow(rows[0]!);
}

export async function selectClient(tx: Queryable, name: string): Promise<ClientRow | null> {
  const rows = await tx.query(`SELECT ${COLUMNS} FROM clients WHERE name = $1`, [name]);
  return rows.length === 0 ? null : toRow(rows[0]!);
}

/**
 * The clients holding scope admin with a token that has not expired, locked until the transaction ends, so two
 * concurrent removals cannot each leave the other as "the last admin" and remove both.
 */
export async function lockWorkingAdmins(tx: Queryable): Promise<string[]> {
  const rows = await tx.query<{ name: string }>(
    `SELECT name FROM clients WHERE 'admin' = ANY (scopes) AND (expires_at IS NULL OR expires_at > now()) ORDER BY name FOR UPDATE`,
  );
  return rows.map((r) => r.name);
}

/** False when no client has that name. */
export async function deleteClient(tx: Queryable, name: string): Promise<boolean> {
  return (await tx.query('DELETE FROM clients WHERE name = $1 RETURNING name', [name])).length > 0;
}

/** Makes client `admin` hold scope admin and this token digest, never expiring; false when it already did. */
export async function upsertAdmin(tx: Queryable, tokenSha256: Buffer): Promise<boolean> {
  const rows = await tx.query(
    `INSERT INTO clients (name, scopes, token_sha256) VALUES ('admin', ARRAY['admin'], $1)
     ON CONFLICT (name) DO UPDATE SET scopes = ARRAY['admin'], token_sha256 = EXCLUDED.token_sha256, expires_at = NULL, token_lifetime = NULL
     WHERE clients.token_sha256 <> EXCLUDED.token_sha256 OR NOT ('admin' = ANY (clients.scopes)) OR clients.expires_at IS NOT NULL
     RETURNING name`,
    [tokenSha256],
  );
  return rows.length > 0;
}

export async function noClients(q: Queryable): Promise<boolean> {
  const rows = await q.query('SELECT NOT EXISTS (SELECT 1 FROM clients) AS empty');
  return rows[0]?.empty === true;
}

/** Which of `names` are keys that exist. */
export async function existingKeyNames(q: Queryable, names: readonly string[]): Promise<Set<string>> {
  if (names.length === 0) return new Set();
  const rows = await q.query<{ name: string }>('SELECT name FROM keys WHERE name = ANY ($1)', [[...names]]);
  return new Set(rows.map((r) => r.name));
}
