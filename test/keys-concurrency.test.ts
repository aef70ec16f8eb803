/**
 * Several processes on one store: 20 concurrent rotations spread over four runtimes (separate pools on
 * PostgreSQL; on PGlite one service and three CLIs through its socket) give consecutive versions with no
 * duplicate and no gap; a change made in one runtime reaches another's cache within a second; and the hot
 * path (latestFor, versionFor, authenticate) makes no database round trip once cached.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Runtime } from '../src/runtime/types.ts';
import { createTestStore, testBackends, type TestStore } from './support/db.ts';
import { eventually } from './support/poll.ts';


describe.each(testBackends())('concurrency on %s', (backend) => {
  let store: TestStore;
  let runtimes: Runtime[];
  beforeAll(async () => {
    store = await createTestStore({ backend, cacheRefreshMs: 500 });
    const service = await store.open({ role: 'service' });
    runtimes = [service];
    for (let i = 0; i < 3; i++) runtimes.push(await store.open({ role: 'cli' }));
  });
  afterAll(async () => {
    await store?.cleanup();
  });

  it('20 concurrent rotations yield versions 2..21, no duplicate, no gap', async () => {
    expect(runtimes.map((r) => r.via)).toEqual(backend === 'postgres' ? ['postgres', 'postgres', 'postgres', 'postgres'] : ['files', 'socket', 'socket', 'socket']);
    await runtimes[0]!.keys.create('busy', 'ecdsa-p256', null, 'test');
    await Promise.all(Array.from({ length: 20 }, (_, i) => runtimes[i % runtimes.length]!.keys.rotate('busy', `replica:${i % 4}`)));
    const rows = await runtimes[1]!.db.query<{ version: number }>("SELECT version FROM key_versions WHERE key = 'busy' ORDER BY version");
    expect(rows.map((r) => r.version)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
    const info = await runtimes[2]!.keys.get('busy');
    expect(info.latest_version).toBe(21);
    const events = await runtimes[3]!.db.query<{ n: number }>("SELECT count(*)::int AS n FROM key_events WHERE key = 'busy' AND op = 'key_rotate'");
    expect(events[0]!.n).toBe(20);
  });

  it("another runtime's rotate and revoke reach this cache within a second", async () => {
    const [a, b] = [runtimes[0]!, runtimes[1]!];
    await a.keys.create('shared', 'ed25519', null, 'test');
    expect((await a.keys.latestFor('shared', 'sign')).version).toBe(1);
    expect((await a.keys.versionFor('shared', 1, 'sign', 'verify')).ok).toBe(true);
    await b.keys.rotate('shared', 'test');
    expect(await eventually(1000, async () => (await a.keys.latestFor('shared', 'sign')).version === 2, 20)).toBe(true);
    await b.keys.revoke('shared', 1, 'test');
    expect(
      await eventually(1000, async () => {
        const l = await a.keys.versionFor('shared', 1, 'sign', 'verify');
        return !l.ok && l.reason === 'key_version_revoked';
      }, 20),
    ).toBe(true);
  });

  it('serves latestFor, versionFor and authenticate from memory once cached', async () => {
    const rt = runtimes[0]!;
    await rt.keys.create('hot', 'ecdsa-p256', null, 'test');
    await rt.keys.rotate('hot', 'test');
    const client = await rt.clients.create('hot-client', ['sign:hot'], 'test');
    await rt.keys.latestFor('hot', 'sign');
    await rt.keys.versionFor('hot', 1, 'sign', 'verify');
    await rt.clients.authenticate(client.token);
    await rt.clients.authenticate('pst_unknown');
    const query = vi.spyOn(rt.db, 'query');
    const transaction = vi.spyOn(rt.db, 'transaction');
    try {
      for (let i = 0; i < 2000; i++) {
        expect((await rt.keys.latestFor('hot', 'sign')).version).toBe(2);
        expect((await rt.keys.versionFor('hot', 1, 'sign', 'verify')).ok).toBe(true);
        expect(await rt.clients.authenticate(client.token)).not.toBeNull();
        expect(await rt.clients.authenticate('pst_unknown')).toBeNull();
      }
      const lookups = query.mock.calls.filter(([sql]) => !String(sql).includes('change_counter'));
      expect(lookups).toEqual([]);
      expect(transaction).not.toHaveBeenCalled();
    } finally {
      query.mockRestore();
      transaction.mockRestore();
    }
  });
});

describe.runIf(testBackends().includes('postgres'))('LISTEN/NOTIFY on postgres', () => {
  it('delivers a change to another runtime well before the periodic refresh would', async () => {
    const store = await createTestStore({ backend: 'postgres', cacheRefreshMs: 60_000 });
    try {
      const a = await store.open();
      const b = await store.open();
      await a.keys.create('n', 'ed25519', null, 'test');
      expect((await a.keys.latestFor('n', 'sign')).version).toBe(1);
      await b.keys.rotate('n', 'test');
      expect(await eventually(1000, async () => (await a.keys.latestFor('n', 'sign')).version === 2, 20)).toBe(true);
    } finally {
      await store.cleanup();
    }
  });
});
