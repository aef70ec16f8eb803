/**
 * The scope matrix (API.md "Scopes"): the scopes each route requires are written BY HAND below from API.md
 * (not read from the route table or holdsScope, so a wrongly declared scope fails here). Every authenticated
 * route × a client holding every scope except the ones that grant the route → 403 forbidden, and the keys and
 * clients read back afterwards are unchanged. Then a client holding exactly those scopes gets through (so the
 * 403s are about scopes, not about the requests). A route in ROUTES without a row here fails.
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../src/api/app.ts';
import { b64, startApi, type ApiHarness } from './support/api.ts';

let api: ApiHarness;
let signature = '';
let ciphertext = '';
const partnerPem = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
const httpMessage = { method: 'POST', target_uri: 'https://partner.example/pay', headers: { 'content-type': 'application/json' }, body: b64('{}') };
let signedHeaders: Record<string, string> = {};
let messageJws = '';
let sealed = '';

interface Sample {
  readonly path: string;
  /** Written from API.md "Scopes" (rewrap, an extension, needs both halves: docs/api.md). */
  readonly requires: readonly string[];
  readonly body?: unknown;
  /**
   * Of `requires`, those only known once the request is under way (messages/open: verify:<the inner JWS's key>,
   * read after decrypting); the route checks them itself, so they are not declared, but still give 403.
   */
  readonly late?: readonly string[];
}

/** A request per route that would succeed for a caller with the right scopes, and the scopes API.md requires. */
function sample(method: string, path: string): Sample | undefined {
  const samples: Record<string, Sample> = {
    'post /v1/clients': { path: '/v1/clients', requires: ['admin'], body: { name: 'new-client', scopes: ['hash'] } },
    'get /v1/clients': { path: '/v1/clients', requires: ['admin'] },
    'delete /v1/clients/:name': { path: '/v1/clients/victim', requires: ['admin'] },
    'post /v1/clients/:name/rotate-token': { path: '/v1/clients/rotated/rotate-token', requires: ['admin'] },
    'post /v1/keys': { path: '/v1/keys', requires: ['keys:manage'], body: { name: 'new-key', type: 'ed25519' } },
    'get /v1/keys': { path: '/v1/keys', requires: ['keys:read'] },
    'get /v1/keys/:name': { path: '/v1/keys/mk', requires: ['keys:read'] },
    'post /v1/keys/:name/rotate': { path: '/v1/keys/mk/rotate', requires: ['keys:manage'] },
    'patch /v1/keys/:name': { path: '/v1/keys/mk', requires: ['keys:manage'], body: { min_version: 2, rotation_period: '1d' } },
    'post /v1/keys/:name/versions/:version/revoke': { path: '/v1/keys/mk/versions/1/revoke', requires: ['keys:manage'] },
    'post /v1/keys/:name/versions/:version/destroy': { path: '/v1/keys/mk/versions/2/destroy', requires: ['keys:manage'] },
    'get /v1/keys/:name/public': { path: '/v1/keys/mk/public', requires: ['keys:read'] },
    'post /v1/keys/:name/sign': { path: '/v1/keys/mk/sign', requires: ['sign:mk'], body: { input: b64('x') } },
    'post /v1/keys/:name/verify': { path: '/v1/keys/mk/verify', requires: ['verify:mk'], body: { input: b64('x'), signature } },
    'post /v1/keys/:name/encrypt': { path: '/v1/keys/mbox/encrypt', requires: ['encrypt:mbox'], body: { plaintext: b64('x') } },
    'post /v1/keys/:name/decrypt': { path: '/v1/keys/mbox/decrypt', requires: ['decrypt:mbox'], body: { ciphertext } },
    'post /v1/keys/:name/rewrap': { path: '/v1/keys/mbox/rewrap', requires: ['decrypt:mbox', 'encrypt:mbox'], body: { ciphertext } },
    'post /v1/hash': { path: '/v1/hash', requires: ['hash'], body: { input: b64('x') } },
    // Extensions (docs/partners.md): import a partner key's next version; RFC 9421 names its key in the body.
    'post /v1/keys/:name/import': { path: '/v1/keys/partner/import', requires: ['keys:manage'], body: { public_key_pem: partnerPem } },
    'post /v1/http-signatures/sign': { path: '/v1/http-signatures/sign', requires: ['sign:mk'], body: { key: 'mk', message: httpMessage } },
    'post /v1/http-signatures/verify': {
      path: '/v1/http-signatures/verify',
      requires: ['verify:mk'],
      body: { key: 'mk', message: { ...httpMessage, headers: { ...httpMessage.headers, ...signedHeaders } } },
    },
    // Payment messages: the key is named in the body (sign, seal) or in the JWS/JWE kid (verify, open).
    'post /v1/messages/sign': { path: '/v1/messages/sign', requires: ['sign:mk'], body: { key: 'mk', message: { a: 1 } } },
    'post /v1/messages/verify': { path: '/v1/messages/verify', requires: ['verify:mk'], body: { jws: messageJws } },
    'post /v1/messages/seal': { path: '/v1/messages/seal', requires: ['sign:mk', 'encrypt:mbox'], body: { sign_key: 'mk', encrypt_key: 'mbox', message: 1 } },
    'post /v1/messages/open': { path: '/v1/messages/open', requires: ['decrypt:mbox', 'verify:mk'], late: ['verify:mk'], body: { sealed } },
    'get /v1/bundle': { path: '/v1/bundle', requires: ['keys:read'] },
    'get /v1/ledger': { path: '/v1/ledger?from=1&limit=5', requires: ['ledger:read'] },
  };
  return samples[`${method} ${path}`];
}

const UNIVERSE = ['admin', 'keys:manage', 'keys:read', 'hash', 'ledger:read', 'sign:*', 'verify:*', 'encrypt:*', 'decrypt:*'];
const authenticated = ROUTES.filter((r) => !r.open);

function paramsOf(routePath: string, concrete: string): Record<string, string> {
  const names = routePath.split('/');
  const values = concrete.split('/');
  return Object.fromEntries(names.flatMap((n, i) => (n.startsWith(':') ? [[n.slice(1), values[i]!]] : [])));
}

/**
 * Every scope but those that grant `required` by API.md (admin, the scope itself, and `<op>:*` for a per-key
 * scope), plus the same operation on another key (scopes are per key).
 */
function lacking(required: string): string[] {
  const op = required.split(':')[0]!;
  const perKey = ['sign', 'verify', 'encrypt', 'decrypt'].includes(op);
  const kept = UNIVERSE.filter((s) => s !== 'admin' && s !== required && !(perKey && s === `${op}:*`));
  return perKey ? [...kept, `${op}:other-key`] : kept;
}

async function state(): Promise<string> {
  const keys = await api.call('GET', '/v1/keys');
  const clients = await api.call('GET', '/v1/clients');
  const names = (clients.json.clients as { name: string; scopes: string[] }[]).filter((c) => !c.name.startsWith('lack-') && !c.name.startsWith('hold-'));
  return JSON.stringify([keys.json, names]);
}

beforeAll(async () => {
  api = await startApi();
  await api.call('POST', '/v1/keys', { body: { name: 'mk', type: 'ecdsa-p256' } });
  await api.call('POST', '/v1/keys/mk/rotate');
  await api.call('POST', '/v1/keys/mk/rotate');
  await api.call('POST', '/v1/keys', { body: { name: 'mbox', type: 'aes-256-gcm' } });
  await api.client('victim', ['hash']);
  await api.client('rotated', ['hash']);
  signature = (await api.call('POST', '/v1/keys/mk/sign', { body: { input: b64('x') } })).json.signature;
  ciphertext = (await api.call('POST', '/v1/keys/mbox/encrypt', { body: { plaintext: b64('x') } })).json.ciphertext;
  await api.call('POST', '/v1/keys', { body: { name: 'partner', import: { public_key_pem: partnerPem } } });
  signedHeaders = (await api.call('POST', '/v1/http-signatures/sign', { body: { key: 'mk', message: httpMessage } })).json.headers;
  messageJws = (await api.call('POST', '/v1/messages/sign', { body: { key: 'mk', message: { a: 1 } } })).json.jws;
  sealed = (await api.call('POST', '/v1/messages/seal', { body: { sign_key: 'mk', encrypt_key: 'mbox', message: 1 } })).json.sealed;
});
afterAll(async () => api?.close());

describe('scope matrix', () => {
  it('has a sample request for every authenticated route', () => {
    const missing = authenticated.filter((r) => sample(r.method, r.path) === undefined).map((r) => `${r.method} ${r.path}`);
    expect(missing).toEqual([]);
    expect(authenticated.length).toBeGreaterThanOrEqual(23);
  });

  it('each route declares exactly the scopes API.md requires', () => {
    for (const route of authenticated) {
      const s = sample(route.method, route.path)!;
      const declared = [...route.scopes(paramsOf(route.path, s.path), s.body), ...(route.bodyScopes?.(s.body) ?? [])];
      expect(declared, `${route.method} ${route.path}`).toEqual(s.requires.filter((r) => !s.late?.includes(r)));
    }
  });

  it('every route × a client lacking its scope → 403 forbidden and nothing changes', async () => {
    let n = 0;
    for (const route of authenticated) {
      const s = sample(route.method, route.path)!;
      for (const required of s.requires) {
        const token = await api.client(`lack-${n++}`, lacking(required));
        const before = await state();
        const res = await api.call(route.method.toUpperCase(), s.path, { token, body: s.body });
        expect([res.status, res.json?.error?.code], `${route.method} ${route.path} without ${required}`).toEqual([403, 'forbidden']);
        expect(await state(), `${route.method} ${route.path} changed state`).toBe(before);
      }
    }
    expect(n).toBeGreaterThanOrEqual(authenticated.length);
  });

  it('a client holding exactly the route\'s scopes gets through', async () => {
    let n = 0;
    for (const route of authenticated) {
      const s = sample(route.method, route.path)!;
      const token = await api.client(`hold-${n++}`, [...s.requires]);
      const res = await api.call(route.method.toUpperCase(), s.path, { token, body: s.body });
      expect(res.status, `${route.method} ${route.path}: ${res.text}`).toBeGreaterThanOrEqual(200);
      expect(res.status, `${route.method} ${route.path}: ${res.text}`).toBeLessThan(300);
    }
  });

  it('admin grants everything; op:* grants every key; op:<key> grants only that key', async () => {
    const one = await api.client('scope-one', ['sign:mk']);
    expect((await api.call('POST', '/v1/keys/mk/sign', { token: one, body: { input: b64('y') } })).status).toBe(200);
    expect((await api.call('POST', '/v1/keys/mk/verify', { token: one, body: { input: b64('x'), signature } })).status).toBe(403);
    expect((await api.call('POST', '/v1/keys/mk2/sign', { token: one, body: { input: b64('y') } })).status).toBe(403);
    expect((await api.call('POST', '/v1/keys/m/sign', { token: one, body: { input: b64('y') } })).status).toBe(403);
    const star = await api.client('scope-star', ['verify:*']);
    expect((await api.call('POST', '/v1/keys/mk/verify', { token: star, body: { input: b64('x'), signature } })).json.valid).toBe(true);
    expect((await api.call('POST', '/v1/keys/unknown/verify', { token: star, body: { input: b64('x'), signature } })).status).toBe(404);
  });
});
