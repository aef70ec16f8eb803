/**
 * Replay protection shared by every replica (API.md "Payment messages", `consume: true`): two app instances on
 * one store (PGlite through the first one's socket, and PostgreSQL when DATABASE_URL is set) each with its own
 * runtime, as two service processes are: a message consumed on one is `replayed` on the other, and when both
 * consume the same messages at once exactly one of them wins each. The store side: migration 003's table,
 * cleanup in bounded batches that never deletes a row before its expiry (plus the grace), the sweeper deleting
 * on its timer, and the guard failing closed (503, never valid) when the database is gone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeyLog } from '../src/keys/_log.ts';
import { ReplaySweeper, SqlReplayGuard, SWEEP_GRACE_SECONDS } from '../src/messages/replay-store.ts';
import type { Runtime } from '../src/runtime/types.ts';
import { startApi, type ApiHarness } from './support/api.ts';
import { createTestStore, testBackends, type TestStore } from './support/db.ts';
import { eventually } from './support/poll.ts';

const silent: KeyLog = { info: () => {}, warn: () => {}, error: () => {} };
const jti = (n: number) => `${String(n).padStart(4, '0')}${'A'.repeat(18)}`;

describe.each(testBackends())('replays across two replicas on one %s store', (backend) => {
  let store: TestStore;
  let ra: Runtime;
  let a: ApiHarness;
  let b: ApiHarness;
  const count = async () => Number((await ra.db.query<{ n: unknown }>('SELECT count(*)::int AS n FROM message_replays'))[0]!.n);

  beforeAll(async () => {
    store = await createTestStore({ backend, cacheRefreshMs: 500 });
    // Embedded: the first runtime owns the data dir and serves it on its socket, the second reaches it there.
    ra = await store.open({ role: 'service' });
    const rb = await store.open({ role: 'cli' });
    a = await startApi({}, { runtime: ra });
    b = await startApi({}, { runtime: rb });
    expect((await a.call('POST', '/v1/keys', { body: { name: 'gw', type: 'ed25519' } })).status).toBe(201);
    expect((await a.call('POST', '/v1/keys', { body: { name: 'vault', type: 'aes-256-gcm' } })).status).toBe(201);
  }, 60_000);
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await store?.cleanup();
  });

  it('consumed on one replica, replayed on the other (verify and open alike)', async () => {
    const { jws } = (await a.call('POST', '/v1/messages/sign', { body: { key: 'gw', message: { pay: 1 } } })).json;
    expect((await b.call('POST', '/v1/messages/verify', { body: { jws, consume: true } })).json.valid).toBe(true);
    expect((await a.call('POST', '/v1/messages/verify', { body: { jws, consume: true } })).json).toMatchObject({ valid: false, reason: 'replayed' });
    expect((await b.call('POST', '/v1/messages/verify', { body: { jws, consume: true } })).json).toMatchObject({ valid: false, reason: 'replayed' });
    const { sealed } = (await b.call('POST', '/v1/messages/seal', { body: { sign_key: 'gw', encrypt_key: 'vault', message: { pay: 2 } } })).json;
    expect((await a.call('POST', '/v1/messages/open', { body: { sealed, consume: true } })).json.valid).toBe(true);
    expect((await b.call('POST', '/v1/messages/open', { body: { sealed, consume: true } })).json).toMatchObject({ valid: false, reason: 'replayed' });
  });

  it('both replicas consuming the same 20 messages at once: exactly one valid answer per message', async () => {
    const signed = await Promise.all(Array.from({ length: 20 }, (_, i) => a.call('POST', '/v1/messages/sign', { body: { key: 'gw', message: { i } } })));
    const answers = await Promise.all(
      signed.flatMap((s) => [a, b, a, b].map((r) => r.call('POST', '/v1/messages/verify', { body: { jws: s.json.jws, consume: true } }))),
    );
    for (let i = 0; i < 20; i++) {
      const four = answers.slice(i * 4, i * 4 + 4).map((r) => r.json);
      expect(four.filter((x) => x.valid === true), `message ${i}`).toHaveLength(1);
      expect(four.filter((x) => x.reason === 'replayed'), `message ${i}`).toHaveLength(3);
    }
  });

  it('cleanup deletes only rows past expiry + grace, oldest first, in bounded batches; the sweeper does it on its timer', async () => {
    const guard = new SqlReplayGuard(ra.db);
    // The real clock: rows of the earlier tests expire a day from now and must survive every sweep here.
    const now = Math.floor(Date.now() / 1000);
    const before = await count();
    for (let i = 0; i < 7; i++) expect(await guard.consume(jti(i), now - 1000 - i)).toBe(true); // long expired
    expect(await guard.consume(jti(100), now - SWEEP_GRACE_SECONDS + 5)).toBe(true); // expired, but within the grace
    expect(await guard.consume(jti(101), now + 10)).toBe(true); // not expired
    expect(await guard.consume(jti(0), now + 10)).toBe(false); // still recorded: a replay
    expect(await guard.sweep(now, { batch: 3, maxBatches: 2 })).toBe(6);
    expect(await count()).toBe(before + 3);
    expect(await guard.sweep(now, { batch: 3, maxBatches: 2 })).toBe(1);
    expect(await guard.sweep(now, { batch: 3, maxBatches: 2 })).toBe(0);
    expect(await guard.consume(jti(6), now)).toBe(true); // gone, so new again (its message is expired for every verifier by then)
    expect(await guard.consume(jti(100), now)).toBe(false);

    // The sweeper, on a short timer, with the real clock: rows that expired long ago go, the rest stay.
    for (let i = 200; i < 205; i++) await guard.consume(jti(i), now - 3600);
    const sweeper = new ReplaySweeper(guard, 50, silent);
    sweeper.start();
    try {
      const gone = await eventually(20_000, async () => (await ra.db.query('SELECT 1 FROM message_replays WHERE jti = $1', [jti(204)])).length === 0);
      expect(gone).toBe(true);
    } finally {
      await sweeper.stop();
    }
    expect((await ra.db.query('SELECT 1 FROM message_replays WHERE jti = $1', [jti(101)])).length).toBe(1);
  });
});

describe('the replay guard fails closed', () => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApi();
    await api.call('POST', '/v1/keys', { body: { name: 'gw', type: 'ecdsa-p256' } });
  }, 60_000);
  afterAll(async () => api?.close());

  it('with the database gone: consume answers 503 (never valid), sign answers 503 with no JWS, plain verify still answers', async () => {
    const { jws } = (await api.call('POST', '/v1/messages/sign', { body: { key: 'gw', message: 1 } })).json;
    expect((await api.call('POST', '/v1/messages/verify', { body: { jws } })).json.valid).toBe(true);
    await api.runtime.db.close();
    const consumed = await api.call('POST', '/v1/messages/verify', { body: { jws, consume: true } });
    expect([consumed.status, consumed.json.error?.code]).toEqual([503, 'unavailable']);
    const signed = await api.call('POST', '/v1/messages/sign', { body: { key: 'gw', message: 2 } });
    expect([signed.status, signed.json.error?.code]).toEqual([503, 'unavailable']);
    expect(signed.text).not.toMatch(/"jws"/);
    // The key is cached and verification records nothing: it keeps answering through the outage.
    expect((await api.call('POST', '/v1/messages/verify', { body: { jws } })).json.valid).toBe(true);
  });
});
