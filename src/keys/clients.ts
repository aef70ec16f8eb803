/**
 * ClientService: API clients and their bearer tokens. A token is "pst_" + base64url of 32 random bytes
 * (256 bits; the prefix makes leaked tokens findable by secret scanners). Only SHA-256(token) is stored.
 * authenticate() looks the digest up in an in-memory table of every client (reloaded after any change the
 * change feed reports, so a removal takes effect on every process within a second) and confirms the match
 * with crypto.timingSafeEqual; an unknown token costs no database round trip.
 */
import crypto from 'node:crypto';
import { PaysealError } from '../errors.ts';
import { mutate, type KeyContext } from './_context.ts';
import { assertClientName } from './naming.ts';
import { assertScopes } from './scopes.ts';
import { asBuffer, isoOrNull } from './store/db.ts';
import { recordEvent } from './store/events.ts';
import type { AuthenticatedClient, ClientInfo, ClientService } from './types.ts';

export const TOKEN_PREFIX = 'pst_';
const MAX_TOKEN_LENGTH = 512;

interface ClientRecord {
  readonly info: ClientInfo;
  readonly digest: Buffer;
  readonly auth: AuthenticatedClient;
}

function sha256(token: string): Buffer {
  return crypto.createHash('sha256').update(token, 'utf8').digest();
}

export function newToken(): string {
  return TOKEN_PREFIX + crypto.randomBytes(32).toString('base64url');
}

export function createClientService(ctx: KeyContext): ClientService {
  let table: Promise<Map<string, ClientRecord>> | null = null;
  let generation = 0;
  ctx.feed.subscribe(() => {
    generation++;
    table = null;
  });

  async function load(): Promise<Map<string, ClientRecord>> {
    const rows = await ctx.db.query('SELECT name, scopes, token_sha256, created_at FROM clients ORDER BY name');
    const m = new Map<string, ClientRecord>();
    for (const r of rows) {
      const scopes = Object.freeze([...(r.scopes as string[])]);
      const name = String(r.name);
      const digest = asBuffer(r.token_sha256);
      m.set(digest.toString('hex'), {
        info: { name, scopes, created_at: isoOrNull(r.created_at) ?? '' },
        digest,
        auth: Object.freeze({ name, scopes }),
      });
    }
    return m;
  }

  function clients(): Promise<Map<string, ClientRecord>> {
    if (table) return table;
    const g = generation;
    const p = load();
    table = p;
    p.catch(() => {
      if (g === generation && table === p) table = null;
    });
    return p;
  }

  return {
    async create(name, scopes, actor) {
      assertClientName(name);
      const clean = assertScopes(scopes);
      const token = newToken();
      const rows = await mutate(ctx, async (tx) => {
        const r = await tx.query(
          `INSERT INTO clients (name, scopes, token_sha256) VALUES ($1, $2, $3)
           ON CONFLICT (name) DO NOTHING RETURNING created_at`,
          [name, clean, sha256(token)],
        );
        if (r.length === 0) throw new PaysealError('client_exists', `client ${name} already exists`);
        await recordEvent(tx, { actor, op: 'client_create', detail: { client: name, scopes: clean } });
        return r;
      });
      return { name, scopes: clean, created_at: isoOrNull(rows[0]?.created_at) ?? '', token };
    },

    async list() {
      return [...(await clients()).values()].map((c) => c.info).sort((a, b) => (a.name < b.name ? -1 : 1));
    },

    async remove(name, actor) {
      assertClientName(name);
      await mutate(ctx, async (tx) => {
        const r = await tx.query('DELETE FROM clients WHERE name = $1 RETURNING name', [name]);
        if (r.length === 0) throw new PaysealError('client_not_found', `client ${name} does not exist`);
        await recordEvent(tx, { actor, op: 'client_remove', detail: { client: name } });
      });
    },

    async authenticate(token) {
      if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) return null;
      const digest = sha256(token);
      const found = (await clients()).get(digest.toString('hex'));
      // The map key is itself derived from the secret; the constant-time compare is the real check.
      if (!found || !crypto.timingSafeEqual(found.digest, digest)) return null;
      return found.auth;
    },

    async ensureAdmin(token, actor) {
      if (typeof token !== 'string' || token.length < 16 || token.length > MAX_TOKEN_LENGTH) {
        throw new PaysealError('config_invalid', 'PAYSEAL_ADMIN_TOKEN must be 16 to 512 characters');
      }
      const digest = sha256(token);
      const current = [...(await clients()).values()].find((c) => c.info.name === 'admin');
      if (current && current.info.scopes.includes('admin') && crypto.timingSafeEqual(current.digest, digest)) return;
      await mutate(ctx, async (tx) => {
        const r = await tx.query(
          `INSERT INTO clients (name, scopes, token_sha256) VALUES ('admin', ARRAY['admin'], $1)
           ON CONFLICT (name) DO UPDATE SET scopes = ARRAY['admin'], token_sha256 = EXCLUDED.token_sha256
           WHERE clients.token_sha256 <> EXCLUDED.token_sha256 OR NOT ('admin' = ANY (clients.scopes))
           RETURNING name`,
          [digest],
        );
        if (r.length > 0) await recordEvent(tx, { actor, op: 'client_admin', detail: { client: 'admin' } });
      });
    },

    async isEmpty() {
      const r = await ctx.db.query('SELECT NOT EXISTS (SELECT 1 FROM clients) AS empty');
      return r[0]?.empty === true;
    },
  };
}
