/**
 * ClientService on a real store: tokens shown once and stored as SHA-256 only, scope validation,
 * authentication from the cache, and removal taking effect in another process's runtime within a second.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../src/runtime/types.ts';
import { createTestStore, testBackends, type TestStore } from './support/db.ts';
import { codeOfAsync as codeOf } from './support/errors.ts';
import { eventually as within } from './support/poll.ts';

describe.each(testBackends())('clients on %s', (backend) => {
  let store: TestStore;
  let a: Runtime;
  let b: Runtime;
  beforeAll(async () => {
    store = await createTestStore({ backend, cacheRefreshMs: 500 });
    a = await store.open({ role: 'service' });
    b = await store.open({ role: 'cli' });
  });
  afterAll(async () => {
    await store?.cleanup();
  });

  it('starts empty, creates a client whose token is shown once and stored only as its SHA-256', async () => {
    expect(await a.clients.isEmpty()).toBe(true);
    const c = await a.clients.create('checkout', ['sign:payments', 'verify:*', 'sign:payments'], 'client:admin');
    expect(c.token).toMatch(/^pst_[A-Za-z0-9_-]{43}$/);
    expect(c.scopes).toEqual(['sign:payments', 'verify:*']);
    expect(await a.clients.isEmpty()).toBe(false);
    const rows = await a.db.query<{ token_sha256: Uint8Array }>("SELECT token_sha256 FROM clients WHERE name = 'checkout'");
    expect(Buffer.from(rows[0]!.token_sha256)).toEqual(crypto.createHash('sha256').update(c.token).digest());
    const dump = JSON.stringify(await a.db.query('SELECT * FROM clients')) + JSON.stringify(await a.db.query('SELECT * FROM key_events'));
    expect(dump).not.toContain(c.token);
    expect(await a.clients.authenticate(c.token)).toEqual({ name: 'checkout', scopes: ['sign:payments', 'verify:*'] });
    expect(await a.clients.authenticate(c.token + 'x')).toBeNull();
    expect(await a.clients.authenticate('')).toBeNull();
    expect((await a.clients.list()).map((x) => x.name)).toEqual(['checkout']);
    expect(await codeOf(a.clients.create('checkout', ['hash'], 'client:admin'))).toBe('client_exists');
  });

  it('rejects unknown scopes and bad names', async () => {
    for (const scopes of [[], ['root'], ['sign:'], ['sign:Bad'], ['keys:write'], [7]]) {
      expect(await codeOf(a.clients.create('x', scopes as string[], 'client:admin'))).toBe('invalid_request');
    }
    expect(await codeOf(a.clients.create('Bad Name', ['hash'], 'client:admin'))).toBe('invalid_request');
    expect(await codeOf(a.clients.remove('ghost', 'client:admin'))).toBe('client_not_found');
  });

  it('a removal in one process stops the token in another within a second', async () => {
    const c = await a.clients.create('batch', ['hash', 'ledger:read'], 'client:admin');
    expect(await b.clients.authenticate(c.token)).not.toBeNull();
    await b.clients.remove('batch', 'cli:ops');
    const t0 = Date.now();
    expect(await within(1000, async () => (await a.clients.authenticate(c.token)) === null)).toBe(true);
    expect(Date.now() - t0).toBeLessThan(1500);
  });

  it('ensureAdmin creates, keeps and replaces the admin token', async () => {
    const t1 = 'first-admin-token-0123456789';
    await a.clients.ensureAdmin(t1, 'system');
    expect(await a.clients.authenticate(t1)).toEqual({ name: 'admin', scopes: ['admin'] });
    await a.clients.ensureAdmin(t1, 'system');
    const t2 = 'second-admin-token-0123456789';
    await a.clients.ensureAdmin(t2, 'system');
    expect(await a.clients.authenticate(t1)).toBeNull();
    expect(await a.clients.authenticate(t2)).toEqual({ name: 'admin', scopes: ['admin'] });
    const events = await a.db.query<{ op: string }>("SELECT op FROM key_events WHERE op = 'client_admin'");
    expect(events).toHaveLength(2);
    expect(await codeOf(a.clients.ensureAdmin('short', 'system'))).toBe('config_invalid');
  });
});
