/**
 * Rotation with pre-publication (Tink's add → propagate → promote): `publish_first_seconds` publishes the new
 * version at once (JWK Set, public keys) and makes it the signing version only at `promotes_at`; KeyInfo shows
 * `pending_version` and `promotes_at`; two replicas on one store switch at the same stored instant (no timer, no
 * announcement); a local verifier that polls the JWK Set never meets an unknown kid across such a rotation, while
 * an immediate rotation does make a stale set miss; the rules around a pending version (revoke, min_version, a
 * second pre-published rotation, an immediate one); scheduled rotation takes the configured delay.
 * Needs a store (PGlite, or PostgreSQL with DATABASE_URL).
 */
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../src/runtime/types.ts';
import { b64, startApi, type ApiHarness } from './support/api.ts';
import { createTestStore, openTestRuntime, type TestStore } from './support/db.ts';
import { until } from './support/poll.ts';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => api?.close());

const signVersion = async (key: string) => (await api.call('POST', `/v1/keys/${key}/sign`, { body: { input: b64('x') } })).json.key_version as number;
const jwksKids = async () => ((await api.call('GET', '/.well-known/jwks.json', { token: null })).json.keys as { kid: string }[]).map((k) => k.kid);

describe('POST /v1/keys/{name}/rotate with publish_first_seconds', () => {
  it('publishes at once, keeps signing with the old version, and shows pending_version and promotes_at', async () => {
    await api.call('POST', '/v1/keys', { body: { name: 'pp', type: 'ecdsa-p256' } });
    const before = Date.now();
    const rotated = await api.call('POST', '/v1/keys/pp/rotate', { body: { publish_first_seconds: 3600 } });
    expect(rotated.status, rotated.text).toBe(200);
    expect(rotated.json).toMatchObject({ latest_version: 2, pending_version: 2 });
    expect(rotated.json.versions.map((v: { state: string }) => v.state)).toEqual(['active', 'pending']);
    const promotes = Date.parse(rotated.json.promotes_at);
    expect(promotes).toBeGreaterThanOrEqual(before + 3_599_000);
    expect(promotes).toBeLessThanOrEqual(Date.now() + 3_601_000);
    expect((await api.call('GET', '/v1/keys/pp')).json).toMatchObject({ pending_version: 2, promotes_at: rotated.json.promotes_at });
    expect(await jwksKids()).toEqual(expect.arrayContaining(['pp:v1', 'pp:v2']));
    expect((await api.call('GET', '/v1/keys/pp/public')).json.versions.map((v: { state: string }) => v.state)).toEqual(['active', 'pending']);
    expect(await signVersion('pp')).toBe(1);
  });

  it('while pending: the signing version cannot be revoked, min_version cannot pass it, a second pre-published rotation is a conflict', async () => {
    const revoke = await api.call('POST', '/v1/keys/pp/versions/1/revoke');
    expect([revoke.status, revoke.json.error.code]).toEqual([409, 'conflict']);
    const min = await api.call('PATCH', '/v1/keys/pp', { body: { min_version: 2 } });
    expect([min.status, min.json.error.code]).toEqual([400, 'invalid_request']);
    const again = await api.call('POST', '/v1/keys/pp/rotate', { body: { publish_first_seconds: 60 } });
    expect([again.status, again.json.error.code]).toEqual([409, 'conflict']);
    const aes = await api.call('POST', '/v1/keys', { body: { name: 'pp-aes', type: 'aes-256-gcm' } });
    expect(aes.status).toBe(201);
    const onAes = await api.call('POST', '/v1/keys/pp-aes/rotate', { body: { publish_first_seconds: 60 } });
    expect([onAes.status, onAes.json.error.code]).toEqual([400, 'invalid_request']);
  });

  it('an immediate rotation still wins at once (an incident cannot wait): the pending version is passed over', async () => {
    const now = await api.call('POST', '/v1/keys/pp/rotate');
    expect(now.json.latest_version).toBe(3);
    expect(now.json.pending_version).toBeUndefined();
    expect(now.json.versions.map((v: { state: string }) => v.state)).toEqual(['retired', 'retired', 'active']);
    expect(await signVersion('pp')).toBe(3);
  });
});

describe('promotion from stored times, the same on every replica', () => {
  let store: TestStore;
  let a: Runtime;
  let b: Runtime;
  beforeAll(async () => {
    store = await createTestStore();
    a = await store.open();
    b = await store.open({ role: 'cli' });
  });
  afterAll(async () => store?.cleanup());

  it('both replicas sign with v1 before promotes_at and with v2 from it, never going back', async () => {
    await a.keys.create('rep', 'ed25519', null, 'test');
    await a.keys.latestFor('rep', 'sign');
    await b.keys.latestFor('rep', 'sign'); // both cache v1 before the rotation
    const info = await a.keys.rotate('rep', 'test', { publishFirstSeconds: 2 });
    const promotesAt = Date.parse(info.promotes_at!);
    const seen: { replica: string; t0: number; t1: number; version: number }[] = [];
    await until('both replicas sign with v2', async () => {
      for (const [replica, rt] of [['a', a], ['b', b]] as const) {
        const t0 = Date.now();
        const { version } = await rt.keys.latestFor('rep', 'sign');
        seen.push({ replica, t0, t1: Date.now(), version });
      }
      return seen.slice(-2).every((s) => s.version === 2);
    });
    for (const s of seen) {
      if (s.t1 < promotesAt) expect(s.version, `${s.replica} before promotion`).toBe(1);
      if (s.t0 >= promotesAt) expect(s.version, `${s.replica} after promotion`).toBe(2);
    }
    for (const r of ['a', 'b']) {
      const versions = seen.filter((s) => s.replica === r).map((s) => s.version);
      expect(versions.indexOf(2)).toBeGreaterThan(0); // v1 was seen first, on both replicas
      expect(versions.slice(versions.indexOf(2)).every((v) => v === 2)).toBe(true);
    }
    expect((await b.keys.get('rep')).pending_version).toBeUndefined();
  });
});

describe('a local verifier polling the JWK Set', () => {
  /** The verifier a microservice runs: a JWK Set fetched every `everyMs` (null: only when told), signatures checked against it alone. */
  function pollingVerifier(everyMs: number | null) {
    let set = new Map<string, Record<string, unknown>>();
    let stop = false;
    let wake: () => void = () => {};
    const refresh = async () => {
      set = new Map(((await api.call('GET', '/.well-known/jwks.json', { token: null })).json.keys as Record<string, unknown>[]).map((k) => [k.kid as string, k]));
    };
    const loop = (async () => {
      while (!stop && everyMs !== null) {
        await refresh();
        await new Promise<void>((r) => {
          const t = setTimeout(r, everyMs);
          wake = () => {
            clearTimeout(t);
            r();
          };
        });
      }
    })();
    return {
      refresh,
      /** 'unknown_kid', or whether the signature verifies with the cached JWK. */
      check(kid: string, signature: Buffer): 'unknown_kid' | boolean {
        const jwk = set.get(kid);
        if (!jwk) return 'unknown_kid';
        return nodeVerify('sha256', Buffer.from('x'), createPublicKey({ key: jwk as never, format: 'jwk' }), signature);
      },
      async close() {
        stop = true;
        wake();
        await loop;
      },
    };
  }

  async function signOnce(key: string): Promise<{ kid: string; signature: Buffer }> {
    const res = (await api.call('POST', `/v1/keys/${key}/sign`, { body: { input: b64('x') } })).json;
    return { kid: `${key}:v${res.key_version}`, signature: Buffer.from(res.signature.split(':')[2], 'base64') };
  }

  it('sees no unknown kid across a pre-published rotation (the delay longer than its polling interval)', async () => {
    await api.call('POST', '/v1/keys', { body: { name: 'live', type: 'ecdsa-p256' } });
    const verifier = pollingVerifier(200);
    await verifier.refresh();
    const outcomes: (string | boolean)[] = [];
    const kids = new Set<string>();
    try {
      await api.call('POST', '/v1/keys/live/rotate', { body: { publish_first_seconds: 1 } });
      await until('signatures come from v2', async () => {
        const { kid, signature } = await signOnce('live');
        kids.add(kid);
        outcomes.push(verifier.check(kid, signature));
        return kid === 'live:v2' && outcomes.length > 5;
      });
      for (let i = 0; i < 5; i++) {
        const { kid, signature } = await signOnce('live');
        outcomes.push(verifier.check(kid, signature));
      }
    } finally {
      await verifier.close();
    }
    expect([...kids].sort()).toEqual(['live:v1', 'live:v2']);
    expect(outcomes.filter((o) => o !== true)).toEqual([]);
  });

  it('an immediate rotation, by contrast, gives a kid that a set fetched before it does not know (the test can fail)', async () => {
    await api.call('POST', '/v1/keys', { body: { name: 'abrupt', type: 'ecdsa-p256' } });
    const verifier = pollingVerifier(null);
    await verifier.refresh();
    try {
      await api.call('POST', '/v1/keys/abrupt/rotate');
      const { kid, signature } = await signOnce('abrupt');
      expect(kid).toBe('abrupt:v2');
      expect(verifier.check(kid, signature)).toBe('unknown_kid');
    } finally {
      await verifier.close();
    }
  });
});

describe('scheduled rotation takes PAYSEAL_ROTATION_PUBLISH_FIRST_SECONDS', () => {
  it('a due signing key is rotated with the configured delay; an AES key at once', async () => {
    const rt = await openTestRuntime({ rotationPublishFirstSeconds: 600, rotationCheckSeconds: 0 });
    try {
      await rt.keys.create('sched', 'ecdsa-p256', '1m', 'test');
      await rt.keys.create('sched-aes', 'aes-256-gcm', '1m', 'test');
      const r = await rt.keys.rotateDue('system:scheduler', new Date(Date.now() + 120_000));
      expect(r.rotated.map((x) => x.name).sort()).toEqual(['sched', 'sched-aes']);
      const signing = await rt.keys.get('sched');
      expect(signing).toMatchObject({ latest_version: 2, pending_version: 2 });
      expect(Date.parse(signing.promotes_at!) - Date.now()).toBeGreaterThan(590_000);
      expect((await rt.keys.latestFor('sched', 'sign')).version).toBe(1);
      expect((await rt.keys.get('sched-aes')).pending_version).toBeUndefined();
    } finally {
      await rt.cleanup();
    }
  });
});
