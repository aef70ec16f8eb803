/**
 * ClientService: API clients and their bearer tokens (tokens.ts). Only SHA-256(token) is stored.
 * authenticate() looks the digest up in an in-memory table of every client (reloaded after any change the
 * change feed reports, so a removal takes effect on every process within a second) and confirms the match
 * with crypto.timingSafeEqual; an unknown token costs no database round trip.
 */
import { PaysealError } from '../errors.ts';
import { mutate, type KeyContext } from '../keys/mutate.ts';
import { MAX_TOKEN_LENGTH, MIN_ADMIN_TOKEN_LENGTH, assertClientName } from '../grammar.ts';
import { assertScopes } from './scopes.ts';
import { deleteClient, insertClient, noClients, selectClients, upsertAdmin } from '../keys/store/client-rows.ts';
import { clientCreateDigests } from '../ledger/format/digests.ts';
import { recordEvent } from '../keys/store/events.ts';
import { newToken, sameDigest, tokenDigest } from './tokens.ts';
import type { AuthenticatedClient, ClientInfo, ClientService } from './types.ts';

interface ClientRecord {
  readonly info: ClientInfo;
  readonly digest: Buffer;
  readonly auth: AuthenticatedClient;
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
      const scopes = Object.freeze([...r.scopes]);
      m.set(r.tokenSha256.toString('hex'), {
        info: { name: r.name, scopes, created_at: r.createdAt },
        digest: r.tokenSha256,
        auth: Object.freeze({ name: r.name, scopes }),
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
      const createdAt = await mutate(ctx, async (tx, record) => {
        const at = await insertClient(tx, name, clean, tokenDigest(token));
        if (at === null) throw new PaysealError('client_exists', `client ${name} already exists`);
        await recordEvent(tx, { actor, op: 'client_create', detail: { client: name, scopes: clean } });
        record({ actor, op: 'client.create', key: name, key_version: null, ...clientCreateDigests(name, clean) });
        return at;
      });
      return { name, scopes: clean, created_at: createdAt, token };
    },

    async list() {
      return [...(await clients()).values()].map((c) => c.info).sort((a, b) => (a.name < b.name ? -1 : 1));
    },

    async remove(name, actor) {
      assertClientName(name);
      await mutate(ctx, async (tx, record) => {
        if (!(await deleteClient(tx, name))) throw new PaysealError('client_not_found', `client ${name} does not exist`);
        await recordEvent(tx, { actor, op: 'client_remove', detail: { client: name } });
        record({ actor, op: 'client.delete', key: name, key_version: null, input_sha256: null, output_sha256: null });
      });
    },

    async authenticate(token) {
      if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) return null;
      const digest = tokenDigest(token);
      const found = (await clients()).get(digest.toString('hex'));
      // The map key is itself derived from the secret; the constant-time compare is the real check.
      if (!found || !sameDigest(found.digest, digest)) return null;
      return found.auth;
    },

    async ensureAdmin(token, actor) {
      if (typeof token !== 'string' || token.length < MIN_ADMIN_TOKEN_LENGTH || token.length > MAX_TOKEN_LENGTH) {
        throw new PaysealError('config_invalid', `PAYSEAL_ADMIN_TOKEN must be ${MIN_ADMIN_TOKEN_LENGTH} to ${MAX_TOKEN_LENGTH} characters`);
      }
      const digest = tokenDigest(token);
      const current = [...(await clients()).values()].find((c) => c.info.name === 'admin');
      if (current && current.info.scopes.includes('admin') && sameDigest(current.digest, digest)) return;
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
