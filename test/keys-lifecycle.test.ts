/**
 * The key model of API.md against a real store: PGlite always, PostgreSQL too when DATABASE_URL is set.
 * Creation, rotation, states, min_version, revoke/destroy rules, the hot-path lookups and the event log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSigner, createVerifier, createAead } from '../src/crypto/index.ts';
import type { Runtime } from '../src/runtime/types.ts';
import { createTestStore, testBackends, type TestStore } from './support/db.ts';
import { codeOfAsync as codeOf } from './support/errors.ts';
import { signsAndVerifies } from './support/keys.ts';

const ACTOR = 'cli:tester';

describe.each(testBackends())('key lifecycle on %s', (backend) => {
  let store: TestStore;
  let rt: Runtime;
  beforeAll(async () => {
    store = await createTestStore({ backend });
    rt = await store.open();
  });
  afterAll(async () => {
    await store?.cleanup();
  });

  it('creates a key with version 1 active and KeyInfo exactly as API.md', async () => {
    const info = await rt.keys.create('payments', 'ecdsa-p256', '90d', ACTOR);
    expect(info).toMatchObject({ name: 'payments', type: 'ecdsa-p256', purpose: 'sign', latest_version: 1, min_version: 1, rotation_period: '90d' });
    expect(info.versions).toEqual([{ version: 1, state: 'active', created_at: info.created_at }]);
    const due = new Date(info.next_rotation_at as string).getTime() - new Date(info.created_at).getTime();
    expect(due).toBe(90 * 86_400_000);
    expect(await codeOf(rt.keys.create('payments', 'ed25519', null, ACTOR))).toBe('key_exists');
  });

  it('rejects bad names, types and periods with stable codes', async () => {
    expect(await codeOf(rt.keys.create('Bad Name', 'ed25519', null, ACTOR))).toBe('invalid_request');
    expect(await codeOf(rt.keys.create('-x', 'ed25519', null, ACTOR))).toBe('invalid_request');
    expect(await codeOf(rt.keys.create('a'.repeat(65), 'ed25519', null, ACTOR))).toBe('invalid_request');
    expect(await codeOf(rt.keys.create('ok', 'rsa-1024', null, ACTOR))).toBe('unsupported_algorithm');
    expect(await codeOf(rt.keys.create('ok', 'ed25519', '90', ACTOR))).toBe('invalid_request');
    expect(await codeOf(rt.keys.create('ok', 'ed25519', '0d', ACTOR))).toBe('invalid_request');
    expect(await codeOf(rt.keys.get('nope'))).toBe('key_not_found');
    expect(await codeOf(rt.keys.rotate('nope', ACTOR))).toBe('key_not_found');
  });

  it('rotates to consecutive versions; the newest signs, older ones verify as retired', async () => {
    const first = await rt.keys.latestFor('payments', 'sign');
    const sig = await createSigner(first.spec, first.key).sign(Buffer.from('m1'));
    const info = await rt.keys.rotate('payments', ACTOR);
    expect(info.latest_version).toBe(2);
    expect(info.versions.map((v) => v.state)).toEqual(['retired', 'active']);
    const latest = await rt.keys.latestFor('payments', 'sign');
    expect(latest.version).toBe(2);
    const old = await rt.keys.versionFor('payments', 1, 'sign', 'verify');
    expect(old.ok).toBe(true);
    if (old.ok) expect(await createVerifier(old.key.spec, old.key.key).verify(Buffer.from('m1'), sig)).toBe(true);
    expect(await rt.keys.versionFor('payments', 9, 'sign', 'verify')).toEqual({ ok: false, reason: 'unknown_version' });
  });

  it('min_version only rises and never above latest_version', async () => {
    expect(await codeOf(rt.keys.configure('payments', { min_version: 3 }, ACTOR))).toBe('invalid_request');
    const info = await rt.keys.configure('payments', { min_version: 2 }, ACTOR);
    expect(info.min_version).toBe(2);
    expect(await codeOf(rt.keys.configure('payments', { min_version: 1 }, ACTOR))).toBe('invalid_request');
    expect(await rt.keys.versionFor('payments', 1, 'sign', 'verify')).toEqual({ ok: false, reason: 'below_min_version' });
    const cleared = await rt.keys.configure('payments', { rotation_period: null }, ACTOR);
    expect(cleared.rotation_period).toBeNull();
    expect(cleared.next_rotation_at).toBeNull();
  });

  it('refuses to revoke or destroy the newest version (conflict) and names missing versions', async () => {
    expect(await codeOf(rt.keys.revoke('payments', 2, ACTOR))).toBe('conflict');
    expect(await codeOf(rt.keys.destroy('payments', 2, ACTOR))).toBe('conflict');
    expect(await codeOf(rt.keys.revoke('payments', 7, ACTOR))).toBe('key_version_not_found');
    expect(await codeOf(rt.keys.revoke('payments', 0, ACTOR))).toBe('invalid_request');
  });

  it('revoke makes a version fail verification; destroy keeps a signing key verifiable', async () => {
    await rt.keys.create('partner', 'ed25519', null, ACTOR);
    const v1 = await rt.keys.latestFor('partner', 'sign');
    const sig = await createSigner(v1.spec, v1.key).sign(Buffer.from('x'));
    await rt.keys.rotate('partner', ACTOR);
    await rt.keys.rotate('partner', ACTOR);
    const destroyed = await rt.keys.destroy('partner', 1, ACTOR);
    expect(destroyed.versions[0]).toMatchObject({ version: 1, state: 'destroyed' });
    expect(destroyed.versions[0]?.destroyed_at).toBeTypeOf('string');
    const after = await rt.keys.versionFor('partner', 1, 'sign', 'verify');
    expect(after.ok).toBe(true);
    if (after.ok) expect(await createVerifier(after.key.spec, after.key.key).verify(Buffer.from('x'), sig)).toBe(true);
    const pub = await rt.keys.publicKeys('partner');
    expect(pub.versions.map((v) => v.version)).toEqual([1, 2, 3]);
    expect(pub.versions[0]?.jwk).toMatchObject({ kid: 'partner:v1', alg: 'EdDSA' });
    const revoked = await rt.keys.revoke('partner', 2, ACTOR);
    expect(revoked.versions.map((v) => v.state)).toEqual(['destroyed', 'revoked', 'active']);
    expect(await rt.keys.versionFor('partner', 2, 'sign', 'verify')).toEqual({ ok: false, reason: 'key_version_revoked' });
    const jwks = await rt.keys.jwks();
    const kids = jwks.keys.map((k) => k.kid);
    expect(kids).toContain('partner:v1');
    expect(kids).toContain('partner:v3');
    expect(kids).not.toContain('partner:v2');
  });

  it('AES keys encrypt with the newest version; a destroyed version can no longer decrypt', async () => {
    await rt.keys.create('vault', 'aes-256-gcm', null, ACTOR);
    const k1 = await rt.keys.reserveEncryption('vault');
    const sealed = createAead(k1.spec, k1.key).seal(Buffer.from('secret'));
    await rt.keys.rotate('vault', ACTOR);
    const d = await rt.keys.versionFor('vault', 1, 'encrypt', 'decrypt');
    expect(d.ok).toBe(true);
    if (d.ok) expect(createAead(d.key.spec, d.key.key).open(sealed).toString()).toBe('secret');
    await rt.keys.destroy('vault', 1, ACTOR);
    expect(await rt.keys.versionFor('vault', 1, 'encrypt', 'decrypt')).toEqual({ ok: false, reason: 'key_version_destroyed' });
    expect(await codeOf(rt.keys.latestFor('vault', 'sign'))).toBe('key_type_mismatch');
    expect(await codeOf(rt.keys.reserveEncryption('payments'))).toBe('key_type_mismatch');
    expect(await codeOf(rt.keys.specFor('payments', 'encrypt'))).toBe('key_type_mismatch');
    expect((await rt.keys.specFor('vault', 'encrypt')).type).toBe('aes-256-gcm');
    expect(await codeOf(rt.keys.specFor('nope', 'sign'))).toBe('key_not_found');
    expect(await codeOf(rt.keys.publicKeys('vault'))).toBe('key_type_mismatch');
  });

  it('rotateDue rotates only due keys and reports each', async () => {
    await rt.keys.create('hourly', 'ecdsa-p256', '1h', ACTOR);
    await rt.keys.create('yearly', 'ecdsa-p256', '365d', ACTOR);
    const res = await rt.keys.rotateDue('system', new Date(Date.now() + 2 * 3_600_000));
    expect(res.failed).toEqual([]);
    expect(res.rotated).toEqual([{ name: 'hourly', version: 2 }]);
    const again = await rt.keys.rotateDue('system');
    expect(again).toEqual({ rotated: [], failed: [] });
    expect((await rt.keys.get('yearly')).latest_version).toBe(1);
  });

  it('records every change in key_events with its actor', async () => {
    const rows = await rt.db.query<{ actor: string; op: string; key: string; version: number | null }>(
      "SELECT actor, op, key, version FROM key_events WHERE key = 'partner' ORDER BY id",
    );
    expect(rows.map((r) => [r.op, r.version, r.actor])).toEqual([
      ['key_create', 1, ACTOR],
      ['key_rotate', 2, ACTOR],
      ['key_rotate', 3, ACTOR],
      ['key_destroy', 1, ACTOR],
      ['key_revoke', 2, ACTOR],
    ]);
  });

  it('lists every key, and a restart keeps every key and version', async () => {
    const before = await rt.keys.list();
    // payseal-ledger, the ledger key, is made on first start (src/ledger/ledger-key.ts).
    expect(before.map((k) => k.name)).toEqual(['hourly', 'partner', 'payments', 'payseal-ledger', 'vault', 'yearly']);
    await rt.close();
    rt = await store.open();
    expect(await rt.keys.list()).toEqual(before);
    const k = await rt.keys.latestFor('partner', 'sign');
    expect(k.version).toBe(3);
    expect(await signsAndVerifies(k, 'after restart')).toBe(true);
  });
});
