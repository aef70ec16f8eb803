/**
 * All SQL about API clients. Only SHA-256(token) is ever stored; the token itself never reaches this file.
 */
import { asBuffer, isoOrNull, type Queryable } from './db.ts';

export interface ClientRow {
  readonly name: string;
  readonly scopes: readonly string[];
  readonly tokenSha256: Buffer;
  readonly createdAt: string;
}

export async function selectClients(q: Queryable): Promise<ClientRow[]> {
  const rows = await q.query('SELECT name, scopes, token_sha256, created_at FROM clients ORDER BY name');
  return rows.map((r) => ({
    name: String(r.name),
    scopes: [...(r.scopes as string[])],
    tokenSha256: asBuffer(r.token_sha256),
    createdAt: isoOrNull(r.created_at) ?? '',
  }));
}

/** The new client's created_at, or null when a client of that name exists. */
export async function insertClient(tx: Queryable, name: string, scopes: readonly string[], tokenSha256: Buffer): Promise<string | null> {
  const rows = await tx.query(
    `INSERT INTO clients (name, scopes, token_sha256) VALUES ($1, $2, $3)
     ON CONFLICT (name) DO NOTHING RETURNING created_at`,
    [name, scopes, tokenSha256],
  );
  return rows.length === 0 ? null : (isoOrNull(rows[0]?.created_at) ?? '');
}

/** False when no client has that name. */
export async function deleteClient(tx: Queryable, name: string): Promise<boolean> {
  return (await tx.query('DELETE FROM clients WHERE name = $1 RETURNING name', [name])).length > 0;
}

/** Makes client `admin` hold scope admin and this token digest; false when it already did. */
export async function upsertAdmin(tx: Queryable, tokenSha256: Buffer): Promise<boolean> {
  const rows = await tx.query(
    `INSERT INTO clients (name, scopes, token_sha256) VALUES ('admin', ARRAY['admin'], $1)
     ON CONFLICT (name) DO UPDATE SET scopes = ARRAY['admin'], token_sha256 = EXCLUDED.token_sha256
     WHERE clients.token_sha256 <> EXCLUDED.token_sha256 OR NOT ('admin' = ANY (clients.scopes))
     RETURNING name`,
    [tokenSha256],
  );
  return rows.length > 0;
}

export async function noClients(q: Queryable): Promise<boolean> {
  const rows = await q.query('SELECT NOT EXISTS (SELECT 1 FROM clients) AS empty');
  return rows[0]?.empty === true;
}
