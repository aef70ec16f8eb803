/**
 * `payseal clients create|list|delete|rotate-token` as staff run them (child processes against the store while
 * the service runs), so a fresh deployment without PAYSEAL_ADMIN_TOKEN has a way in: tokens printed once and
 * working at once, list without tokens, rotate-token retiring the old token, expiry (--expires-in) stored and
 * enforced with a distinct message, scopes naming missing keys flagged, and the last admin kept.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../src/runtime/types.ts';
import { createTestStore, testBackends, type TestStore } from './support/db.ts';
import { envFor, payseal } from './support/cli.ts';
import { codeOfAsync as codeOf } from './support/errors.ts';
import { until } from './support/poll.ts';

const TOKEN = /^ {4}(pst_[A-Za-z0-9_-]{43})$/m;

describe.each(testBackends())('payseal clients on %s', (backend) => {
  let store: TestStore;
  let service: Runtime;
  let env: Record<string, string>;
  beforeAll(async () => {
    store = await createTestStore({ backend, cacheRefreshMs: 200 });
    service = await store.open({ role: 'service' });
    env = envFor(store.config);
    await service.keys.create('payments', 'ecdsa-p256', null, 'test');
  });
  afterAll(async () => {
    await store?.cleanup();
  });

  it('a fresh store with no client: clients create makes the first admin; its token, printed once, works', async () => {
    expect(await service.clients.isEmpty()).toBe(true);
    const r = await payseal(['clients', 'create', 'ops', '--scopes', 'admin'], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^client ops created: admin; the token does not expire\n/);
    const token = TOKEN.exec(r.stdout)?.[1];
    expect(token).toBeDefined();
    expect(r.stdout.split(token!)).toHaveLength(2);
    expect(await service.clients.authenticate(token!)).toEqual({ name: 'ops', scopes: ['admin'] });
  });

  it('--json, --expires-in, and scopes naming a missing key flagged on stderr (and in unknown_keys)', async () => {
    const r = await payseal(['clients', 'create', 'checkout', '--scopes', 'sign:payments,verify:*,encrypt:cards,hash', '--expires-in', '90d', '--json'], env);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('warning: the scopes name keys that do not exist (yet): cards\n');
    const c = JSON.parse(r.stdout) as { name: string; scopes: string[]; token: string; expires_at: string; unknown_keys: string[] };
    expect(c).toMatchObject({ name: 'checkout', scopes: ['sign:payments', 'verify:*', 'encrypt:cards', 'hash'], unknown_keys: ['cards'] });
    const days = (Date.parse(c.expires_at) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(89.9);
    expect(days).toBeLessThan(90.1);
    // Another process made it: the service sees it within a second (the change feed).
    await until('the service to know the new client', async () => (await service.clients.authenticate(c.token)) !== null);

    const list = await payseal(['clients', 'list'], env);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^NAME +SCOPES +CREATED +EXPIRES\ncheckout +sign:payments,verify:\*,encrypt:cards,hash +\S+ \S+Z +\S+ \S+Z\nops +admin +\S+ \S+Z +never\n$/);
    expect(list.stdout).not.toContain(c.token);
    const listed = JSON.parse((await payseal(['clients', 'list', '--json'], env)).stdout) as { clients: { name: string; expires_at: string | null }[] };
    expect(listed.clients.map((x) => [x.name, x.expires_at])).toEqual([
      ['checkout', c.expires_at],
      ['ops', null],
    ]);
  });

  it('an expired token is refused with unauthorized saying it expired; rotate-token gives a new one with the same lifetime', async () => {
    const c = JSON.parse((await payseal(['clients', 'create', 'batch', '--scopes', 'hash', '--expires-in', '12h', '--json'], env)).stdout) as { token: string };
    await service.db.query("UPDATE clients SET expires_at = now() - interval '1 second' WHERE name = 'batch'");
    await service.db.query('UPDATE change_counter SET value = value + 1');
    await until('the expiry to be seen', async () => (await codeOf(service.clients.authenticate(c.token))) === 'unauthorized');
    const err = await service.clients.authenticate(c.token).catch((e: unknown) => e as Error);
    expect((err as Error).message).toMatch(/^the token expired at \d{4}-/);

    const r = await payseal(['clients', 'rotate-token', 'batch', '--json'], env);
    expect(r.code).toBe(0);
    const fresh = JSON.parse(r.stdout) as { token: string; expires_at: string };
    expect((Date.parse(fresh.expires_at) - Date.now()) / 3_600_000).toBeGreaterThan(11.9);
    await until('the service to know the new token', async () => (await service.clients.authenticate(fresh.token)) !== null);
    expect(await service.clients.authenticate(c.token)).toBeNull();
    const forever = JSON.parse((await payseal(['clients', 'rotate-token', 'batch', '--expires-in', 'none', '--json'], env)).stdout) as { expires_at: null };
    expect(forever.expires_at).toBeNull();
  });

  it('delete removes a client; the last working admin cannot be deleted (exit 1, conflict)', async () => {
    const gone = await payseal(['clients', 'delete', 'batch'], env);
    expect(gone).toMatchObject({ code: 0, stdout: 'client batch deleted; its token stops working within a second\n' });
    const last = await payseal(['clients', 'delete', 'ops'], env);
    expect(last.code).toBe(1);
    expect(last.stderr).toMatch(/^error: conflict: client ops is the last client with scope admin/m);
    // A second admin whose token expired does not count: ops is still the last working admin.
    await payseal(['clients', 'create', 'ops2', '--scopes', 'admin', '--expires-in', '1m'], env);
    await service.db.query("UPDATE clients SET expires_at = now() - interval '1 second' WHERE name = 'ops2'");
    expect((await payseal(['clients', 'delete', 'ops'], env)).code).toBe(1);
    await service.db.query("UPDATE clients SET expires_at = NULL WHERE name = 'ops2'");
    expect((await payseal(['clients', 'delete', 'ops'], env)).code).toBe(0);
    expect(await codeOf(service.clients.remove('ops2', 'test'))).toBe('conflict');
    const missing = await payseal(['clients', 'delete', 'ghost'], env);
    expect(missing.stderr).toMatch(/^error: client_not_found: /m);
  });

  it('usage errors exit 2', async () => {
    for (const args of [['clients', 'create', 'x'], ['clients', 'create', 'x', '--scopes', ','], ['clients', 'delete'], ['clients', 'frobnicate']]) {
      const r = await payseal(args, env);
      expect(r.code, args.join(' ')).toBe(2);
    }
    const bad = await payseal(['clients', 'create', 'x', '--scopes', 'hash', '--expires-in', 'soon'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error: invalid_request: expires_in must be like/m);
  });
});
