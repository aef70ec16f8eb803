/**
 * ClientService: API clients and their bearer tokens (tokens.ts). Only SHA-256(token) is stored.
 * authenticate() looks the digest up in an in-memory table of every client (reloaded after any change the
 * change feed reports, so a removal or a new token takes effect on every process within a second) and confirms
 * the match with crypto.timingSafeEqual; an unknown token costs no database round trip. A token may expire
 * (issued with a lifetime, `expires_in`); the last working admin cannot be removed, so someone can always
 * manage clients.
 */
import { PaysealError } from '../errors.ts';
import { mutate, type KeyContext } from '../keys/mutate.ts';
import { MAX_TOKEN_LENGTH, MIN_ADMIN_TOKEN_LENGTH, PER_KEY_OPERATIONS, assertClientName, parseTokenLifetime } from '../grammar.ts';
import { assertScopes } from './scopes.ts';
import {
  deleteClient,
  existingKeyNames,
  insertClient,
  lockWorkingAdmins,
  noClients,
  selectClient,
  selectClients,
  updateClientToken,
  upsertAdmin,
  type ClientRow,
  type TokenLifetime,
} from '../keys/store/client-rows.ts';
import { clientCreateDigests } from '../ledger/format/digests.ts';
import { recordEvent } from '../keys/store/events.ts';
import { newToken, sameDigest, tokenDigest } from './tokens.ts';
import type { AuthenticatedClient, ClientInfo, ClientService, IssuedClient, TokenOptions } from './types.ts';

interface ClientRecord {
  readonly info: ClientInfo;
  readonly digest: Buffer;
  readonly auth: AuthenticatedClient;
  /** ms since the epoch, or null. */
  readonly expiresAt: number | null;
}

function lifetimeOf(expiresIn: string | null | undefined): TokenLifetime | null {
  if (expiresIn === undefined || expiresIn === null) return null;
  return { text: expiresIn, seconds: parseTokenLifetime(expiresIn) / 1000 };
}

function infoOf(r: ClientRow): ClientInfo {
  return { name: r.name, scopes: Object.freeze([...r.scopes]), created_at: r.createdAt, expires_at: r.expiresAt };
}

/** The key names that per-key scopes name (not `*`). */
function keysNamedBy(scopes: readonly string[]): string[] {
  const perKey = PER_KEY_OPERATIONS as readonly string[];
  const names = scopes.filter((s) => perKey.includes(s.slice(0, s.indexOf(':')))).map((s) => s.slice(s.indexOf(':') + 1));
  return [...new Set(names.filter((n) => n !== '*'))];
}

export function createClientService(ctx: KeyContext): ClientService {
  let table: Promise<Map<string, ClientRecord>> | null = null;
  let generation = 0;
  ctx.feed.subscribe(() => {
    generation++;
    table = null;
  });

  async function load(): Promise<Map<string, ClientRecord>> {
    const m = new Map<string, ClientRecord>();
    for (const r of await selectClients(ctx.db)) {
      const info = infoOf(r);
      m.set(r.tokenSha256.toString('hex'), {
        info,
        digest: r.tokenSha256,
        auth: Object.freeze({ name: r.name, scopes: info.scopes }),
        expiresAt: r.expiresAt === null ? null : Date.parse(r.expiresAt),
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

  async function unknownKeys(scopes: readonly string[]): Promise<string[]> {
    const named = keysNamedBy(scopes);
    const found = await existingKeyNames(ctx.db, named);
    return named.filter((n) => !found.has(n)).sort();
  }

  return {
    async create(name, scopes, actor, options: TokenOptions = {}) {
      assertClientName(name);
      const clean = assertScopes(scopes);
      const lifetime = lifetimeOf(options.expiresIn);
      const token = newToken();
      const row = await mutate(ctx, async (tx, record) => {
        const r = await insertClient(tx, name, clean, tokenDigest(token), lifetime);
        if (r === null) throw new PaysealError('client_exists', `client ${name} already exists`);
        await recordEvent(tx, { actor, op: 'client_create', detail: { client: name, scopes: clean, expires_at: r.expiresAt } });
        record({ actor, op: 'client.create', key: name, key_version: null, ...clientCreateDigests(name, clean) });
        return r;
      });
      return { ...infoOf(row), token, unknown_keys: await unknownKeys(clean) } satisfies IssuedClient;
    },

    async list() {
      return [...(await clients()).values()].map((c) => c.info).sort((a, b) => (a.name < b.name ? -1 : 1));
    },

    async remove(name, actor) {
      assertClientName(name);
      await mutate(ctx, async (tx, record) => {
        const admins = await lockWorkingAdmins(tx);
        if (admins.length === 1 && admins[0] === name) {
          throw new PaysealError('conflict', `client ${name} is the last client with scope admin: create another admin client first`);
        }
        if (!(await deleteClient(tx, name))) throw new PaysealError('client_not_found', `client ${name} does not exist`);
        await recordEvent(tx, { actor, op: 'client_remove', detail: { client: name } });
        record({ actor, op: 'client.delete', key: name, key_version: null, input_sha256: null, output_sha256: null });
      });
    },

    async rotateToken(name, actor, options: TokenOptions = {}) {
      assertClientName(name);
      const token = newToken();
      const row = await mutate(ctx, async (tx) => {
        const old = await selectClient(tx, name);
        if (!old) throw new PaysealError('client_not_found', `client ${name} does not exist`);
        const lifetime = lifetimeOf(options.expiresIn === undefined ? old.tokenLifetime : options.expiresIn);
        const r = (await updateClientToken(tx, name, tokenDigest(token), lifetime))!;
        await recordEvent(tx, { actor, op: 'client_rotate_token', detail: { client: name, expires_at: r.expiresAt } });
        return r;
      });
      return { ...infoOf(row), token, unknown_keys: await unknownKeys(row.scopes) };
    },

    async authenticate(token) {
      if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) return null;
      const digest = tokenDigest(token);
      const found = (await clients()).get(digest.toString('hex'));
      // The map key is itself derived from the secret; the constant-time compare is the real check.
      if (!found || !sameDigest(found.digest, digest)) return null;
      if (found.expiresAt !== null && Date.now() >= found.expiresAt) {
        throw new PaysealError('unauthorized', `the token expired at ${found.info.expires_at}: ask an admin for a new one (rotate-token)`, {
          details: { invalid_token: true },
        });
      }
      return found.auth;
    },

    async ensureAdmin(token, actor) {
      if (typeof token !== 'string' || token.length < MIN_ADMIN_TOKEN_LENGTH || token.length > MAX_TOKEN_LENGTH) {
        throw new PaysealError('config_invalid', `PAYSEAL_ADMIN_TOKEN must be ${MIN_ADMIN_TOKEN_LENGTH} to ${MAX_TOKEN_LENGTH} characters`);
      }
      const digest = tokenDigest(token);
      const current = [...(await clients()).values()].find((c) => c.info.name === 'admin');
      if (current && current.info.scopes.includes('admin') && sameDigest(current.digest, digest) && current.expiresAt === null) return;
      await mutate(ctx, async (tx, record) => {
        if (!(await upsertAdmin(tx, digest))) return;
        await recordEvent(tx, { actor, op: 'client_admin', detail: { client: 'admin' } });
        // Created, or given a new token (PAYSEAL_ADMIN_TOKEN changed): either way a client with scope admin came to be.
        record({ actor, op: 'client.create', key: 'admin', key_version: null, ...clientCreateDigests('admin', ['admin']) });
      });
    },

    async isEmpty() {
      return noClients(ctx.db);
    },
  };
}
