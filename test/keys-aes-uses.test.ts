/**
 * AES-GCM use accounting (src/keys/use-limit/) against a real store, with the bound lowered from 2^32 to a
 * handful so it can be reached: uses are counted in key_versions.use_count by leased block (no database write
 * per encryption); the key rotates (actor system:usage-limit) before a version reaches its bound; no version is
 * ever used past the bound, even with two runtimes encrypting at once; when the bound is reached and rotation is
 * impossible, encryption answers key_exhausted instead of exceeding; old ciphertexts still decrypt; the API's
 * encrypt, batch and rewrap paths reserve one use per message; KeyInfo reports `encryptions` per version.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createAead, formatVersioned, parseVersioned } from '../src/crypto/index.ts';
import type { KeyLog } from '../src/keys/_log.ts';
import { openRuntime } from '../src/runtime/open.ts';
import type { Runtime, RuntimeOptions } from '../src/runtime/types.ts';
import type { AesUseLimits } from '../src/keys/use-limit/budget.ts';
import { createTestStore, testBackends, type TestStore } from './support/db.ts';
import { codeOfAsync as codeOf } from './support/errors.ts';
import { until } from './support/poll.ts';

const quiet: KeyLog = { info() {}, warn() {}, error() {} };
const stores: TestStore[] = [];
const runtimes: Runtime[] = [];
afterAll(async () => {
  for (const rt of runtimes) await rt.close().catch(() => {});
  for (const s of stores) await s.cleanup();
});

async function setup(backend: 'embedded' | 'postgres', limits: Partial<AesUseLimits>, second = false): Promise<Runtime[]> {
  const store = await createTestStore({ backend, cacheRefreshMs: 200 });
  stores.push(store);
  const base: RuntimeOptions = { role: 'service', scheduler: false, aesUseLimits: limits, log: quiet };
  const out = [await openRuntime(store.config, base)];
  if (second) out.push(await openRuntime(store.config, { ...base, role: backend === 'postgres' ? 'service' : 'cli' }));
  runtimes.push(...out);
  return out;
}

async function useCounts(rt: Runtime, name: string): Promise<number[]> {
  const rows = await rt.db.query<{ n: string }>('SELECT use_count::text AS n FROM key_versions WHERE key = $1 ORDER BY version', [name]);
  return rows.map((r) => Number(r.n));
}

/** Encrypts one message the way the API does: reserve a use, then seal under the version reserved. */
async function encryptOne(rt: Runtime, name: string, text: string): Promise<string> {
  const k = await rt.keys.reserveEncryption(name);
  return formatVersioned(k.version, createAead(k.spec, k.key).seal(Buffer.from(text)));
}

async function decryptOne(rt: Runtime, name: string, ciphertext: string): Promise<string> {
  const env = parseVersioned(ciphertext, 'ciphertext');
  const l = await rt.keys.versionFor(name, env.version, 'encrypt', 'decrypt');
  if (!l.ok) throw new Error(`v${env.version}: ${l.reason}`);
  return createAead(l.key.spec, l.key.key).open(env.bytes).toString();
}

describe.each(testBackends())('AES-GCM use accounting on %s', (backend) => {
  it('counts uses in the database by leased block, not per encryption', async () => {
    const [rt] = (await setup(backend, { limit: 1000, rotateAt: 1000, lease: 10 })) as [Runtime];
    await rt.keys.create('blocks', 'aes-256-gcm', null, 'test');
    expect(await useCounts(rt, 'blocks')).toEqual([0]);
    await encryptOne(rt, 'blocks', 'first');
    expect(await useCounts(rt, 'blocks')).toEqual([10]);
    const transaction = vi.spyOn(rt.db, 'transaction');
    const query = vi.spyOn(rt.db, 'query');
    try {
      for (let i = 0; i < 9; i++) await encryptOne(rt, 'blocks', `msg ${i}`);
      expect(transaction).not.toHaveBeenCalled();
      expect(query.mock.calls.filter(([sql]) => !String(sql).includes('change_counter'))).toEqual([]);
      await encryptOne(rt, 'blocks', 'eleventh');
      expect(transaction).toHaveBeenCalledTimes(1);
    } finally {
      transaction.mockRestore();
      query.mockRestore();
    }
    expect(await useCounts(rt, 'blocks')).toEqual([20]);
    const info = await rt.keys.get('blocks');
    expect(info.versions).toEqual([{ version: 1, state: 'active', created_at: info.created_at, encryptions: 20 }]);
    expect((await rt.keys.list()).find((k) => k.name === 'blocks')?.versions[0]?.encryptions).toBe(20);
    // Signing keys carry no count.
    expect((await rt.keys.create('signer', 'ed25519', null, 'test')).versions[0]).not.toHaveProperty('encryptions');
  });

  it('rotates the key when a version reaches rotateAt, before the bound, with actor system:usage-limit', async () => {
    const [rt] = (await setup(backend, { limit: 10, rotateAt: 6, lease: 2 })) as [Runtime];
    await rt.keys.create('soft', 'aes-128-gcm', null, 'test');
    const sealed: string[] = [];
    for (let i = 0; i < 6; i++) sealed.push(await encryptOne(rt, 'soft', `m${i}`));
    // The lease that took v1 to 6 asked for a rotation; nothing else is encrypted meanwhile.
    await until('the usage rotation', async () => (await rt.keys.get('soft')).latest_version === 2);
    expect(await useCounts(rt, 'soft')).toEqual([6, 0]);
    sealed.push(await encryptOne(rt, 'soft', 'after'));
    expect(parseVersioned(sealed.at(-1)!, 'c').version).toBe(2);
    const events = await rt.db.query<{ actor: string; version: number; detail: unknown }>(
      "SELECT actor, version, detail FROM key_events WHERE key = 'soft' AND op = 'key_rotate'",
    );
    expect(events).toEqual([{ actor: 'system:usage-limit', version: 2, detail: { use_bound: true, previous_version: 1 } }]);
    for (let i = 0; i < 6; i++) expect(await decryptOne(rt, 'soft', sealed[i]!)).toBe(`m${i}`);
  });

  it('never uses a version past its bound, with two runtimes encrypting at once; every ciphertext decrypts', async () => {
    const [a, b] = (await setup(backend, { limit: 10, rotateAt: 7, lease: 3 }, true)) as [Runtime, Runtime];
    await a.keys.create('busy', 'aes-256-gcm', null, 'test');
    const sealed: { text: string; ciphertext: string }[] = [];
    await Promise.all(
      [a, b].map(async (rt, r) => {
        for (let round = 0; round < 6; round++) {
          await Promise.all(
            Array.from({ length: 8 }, async (_, i) => {
              const text = `runtime ${r} round ${round} item ${i}`;
              sealed.push({ text, ciphertext: await encryptOne(rt, 'busy', text) });
            }),
          );
        }
      }),
    );
    expect(sealed).toHaveLength(96);
    const perVersion = new Map<number, number>();
    for (const s of sealed) {
      const v = parseVersioned(s.ciphertext, 'c').version;
      perVersion.set(v, (perVersion.get(v) ?? 0) + 1);
    }
    const counts = await useCounts(a, 'busy');
    expect(counts.length).toBeGreaterThanOrEqual(10);
    for (const [v, n] of perVersion) {
      expect(n, `v${v} encryptions`).toBeLessThanOrEqual(10);
      expect(counts[v - 1], `v${v} use_count`).toBeGreaterThanOrEqual(n);
    }
    for (const c of counts) expect(c).toBeLessThanOrEqual(10);
    // Versions are consecutive, each rotation made once, by the usage limit.
    const latest = (await a.keys.get('busy')).latest_version;
    expect(counts).toHaveLength(latest);
    const rotations = await a.db.query<{ actor: string; n: number }>(
      "SELECT actor, count(*)::int AS n FROM key_events WHERE key = 'busy' AND op = 'key_rotate' GROUP BY actor",
    );
    expect(rotations).toEqual([{ actor: 'system:usage-limit', n: latest - 1 }]);
    for (const s of sealed) expect(await decryptOne(s.ciphertext.length % 2 ? a : b, 'busy', s.ciphertext)).toBe(s.text);
  });

  it('answers key_exhausted rather than exceed the bound when rotation fails, and recovers once it can rotate', async () => {
    const [rt] = (await setup(backend, { limit: 4, rotateAt: 4, lease: 2 })) as [Runtime];
    await rt.keys.create('stuck', 'aes-256-gcm', null, 'test');
    // Occupy version 2 so that no rotation of this key can insert it (a stand-in for any rotation failure).
    await rt.db.query("INSERT INTO key_versions (key, version, public_pem, wrapped, kek_id) VALUES ('stuck', 2, NULL, NULL, NULL)");
    for (let i = 0; i < 4; i++) await encryptOne(rt, 'stuck', `m${i}`);
    expect(await codeOf(encryptOne(rt, 'stuck', 'one too many'))).toBe('key_exhausted');
    expect(await codeOf(encryptOne(rt, 'stuck', 'and again'))).toBe('key_exhausted');
    expect(await useCounts(rt, 'stuck')).toEqual([4, 0]);
    await rt.db.query("DELETE FROM key_versions WHERE key = 'stuck' AND version = 2");
    const c = await encryptOne(rt, 'stuck', 'recovered');
    expect(parseVersioned(c, 'c').version).toBe(2);
    expect(await decryptOne(rt, 'stuck', c)).toBe('recovered');
  });

  it('the encrypter (each message of a batch) and the rewrapper each reserve exactly one use', async () => {
    const [rt] = (await setup(backend, { limit: 1000, rotateAt: 1000, lease: 1 })) as [Runtime];
    await rt.keys.create('api', 'aes-256-gcm', null, 'test');
    const enc = await rt.keys.encrypter('api');
    const one = await enc.encrypt(Buffer.from('single'), undefined);
    const batch = await Promise.all(Array.from({ length: 7 }, (_, i) => enc.encrypt(Buffer.from(`item ${i}`), undefined)));
    expect(await useCounts(rt, 'api')).toEqual([8]);
    await rt.keys.rotate('api', 'test');
    const rewrapper = await rt.keys.rewrapper('api');
    const moved = await Promise.all([one, ...batch.slice(0, 2)].map((c) => rewrapper.rewrap(c.ciphertext, undefined)));
    expect(moved.map((m) => m.key_version)).toEqual([2, 2, 2]);
    expect(await useCounts(rt, 'api')).toEqual([8, 3]);
    expect(await decryptOne(rt, 'api', moved[0]!.ciphertext)).toBe('single');
  });
});
