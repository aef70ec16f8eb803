/**
 * KEK rotation mid-traffic: a service holding the new KEK (and the old one as PAYSEAL_KEK_PREVIOUS) keeps
 * signing, and keeps rotating keys, while another process re-wraps every row in small batches; the run is
 * interrupted after one batch and resumed. Afterwards every row is under the new KEK, a process holding only
 * the new KEK works, and one holding only the old KEK is refused at start.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createSigner, createVerifier } from '../src/crypto/index.ts';
import { kekIdOf } from '../src/keys/kek/kek.ts';
import { createTestStore, randomKek, testBackends, type TestStore } from './support/db.ts';
import { codeOfAsync as codeOf } from './support/errors.ts';
import { until } from './support/poll.ts';
import { signsAndVerifies } from './support/keys.ts';

const stores: TestStore[] = [];
afterAll(async () => {
  for (const s of stores) await s.cleanup();
});

describe.each(testBackends())('KEK rotation on %s', (backend) => {
  it('re-wraps every row in batches while the service signs; interrupted, resumed, then the old KEK is refused', async () => {
    const oldKek = randomKek();
    const newKek = randomKek();
    const newId = kekIdOf(Buffer.from(newKek, 'base64'));
    const store = await createTestStore({ backend, kekBase64: oldKek });
    stores.push(store);
    const admin = await store.open({ role: 'service' });
    const names = Array.from({ length: 12 }, (_, i) => `k${i}`);
    for (const n of names) await admin.keys.create(n, 'ecdsa-p256', null, 'test');
    for (const n of names.slice(0, 6)) await admin.keys.rotate(n, 'test');
    await admin.close();

    const service = await store.open({ role: 'service', kekBase64: newKek, kekPreviousBase64: oldKek });
    expect(service.notices.join('\n')).toContain(newId);
    const cli = await store.open({ role: 'cli' });

    // Interrupted after the first batch.
    const abort = new AbortController();
    const first = await cli.rotateKek(newKek, {
      actor: 'cli:ops',
      batchSize: 4,
      signal: abort.signal,
      onProgress: (p) => {
        if (p.done >= 4) abort.abort();
      },
    });
    // 18 versions of k0..k11 and the ledger key's v1 (made on first start).
    expect(first).toMatchObject({ completed: false, rewrapped: 4, remaining: 15 });
    const mixed = await cli.db.query<{ kek_id: string; n: number }>(
      'SELECT kek_id, count(*)::int AS n FROM key_versions GROUP BY kek_id ORDER BY n',
    );
    expect(mixed.map((r) => r.n)).toEqual([4, 15]);
    expect(await codeOf(store.open({ role: 'cli', kekBase64: newKek }))).toBe('kek_mismatch');

    // Resumed, with signing (and key rotations that force re-reading rows of both KEKs) running throughout.
    let running = true;
    let signs = 0;
    const traffic = (async () => {
      for (let i = 0; running || i < 30; i++) {
        const name = names[i % names.length]!;
        if (i % 7 === 0) await service.keys.rotate(name, 'test');
        const k = await service.keys.latestFor(name, 'sign');
        const sig = await createSigner(k.spec, k.key).sign(Buffer.from(`msg ${i}`));
        const v = await service.keys.versionFor(name, k.version, 'sign', 'verify');
        if (!v.ok || !(await createVerifier(v.key.spec, v.key.key).verify(Buffer.from(`msg ${i}`), sig))) throw new Error(`sign ${i} failed`);
        signs++;
      }
    })();
    const progress: number[] = [];
    const second = await cli.rotateKek(newKek, { actor: 'cli:ops', batchSize: 3, onProgress: (p) => progress.push(p.done) });
    running = false;
    await traffic;
    expect(second.completed).toBe(true);
    expect(second.remaining).toBe(0);
    expect(progress.length).toBeGreaterThan(3);
    expect(signs).toBeGreaterThanOrEqual(30);

    const left = await cli.db.query<{ kek_id: string }>('SELECT DISTINCT kek_id FROM key_versions WHERE wrapped IS NOT NULL');
    expect(left).toEqual([{ kek_id: newId }]);
    expect(await cli.db.query('SELECT kek_id FROM kek_checks WHERE retired_at IS NULL')).toEqual([{ kek_id: newId }]);
    const events = await cli.db.query<{ op: string; actor: string }>("SELECT op, actor FROM key_events WHERE op = 'kek_rotate'");
    expect(events).toEqual([{ op: 'kek_rotate', actor: 'cli:ops' }]);
    await cli.close();
    await service.close();

    expect(await codeOf(store.open({ role: 'cli', kekBase64: oldKek }))).toBe('kek_mismatch');
    const after = await store.open({ role: 'cli', kekBase64: newKek });
    for (const n of names) {
      const info = await after.keys.get(n);
      for (const v of info.versions) {
        const l = await after.keys.versionFor(n, v.version, 'sign', 'verify');
        expect(l.ok).toBe(true);
      }
      const k = await after.keys.latestFor(n, 'sign');
      expect(await signsAndVerifies(k, 'after')).toBe(true);
    }
    await after.close();
  });
  it('the rollout order of docs/keys.md: replicas accept N, then wrap with N, then the re-wrap completes and N alone works', async () => {
    const O = randomKek();
    const N = randomKek();
    const store = await createTestStore({ backend, kekBase64: O, cacheRefreshMs: 200 });
    stores.push(store);
    const seed = await store.open({ role: 'service' });
    for (const n of ['a', 'b']) await seed.keys.create(n, 'ecdsa-p256', null, 'test');
    await seed.close();
    // Step 2: a replica that still wraps with O but already accepts N. Step 3 under way: one that wraps with N.
    const onO = await store.open({ role: 'service', kekBase64: O, kekPreviousBase64: N });
    const onN = await store.open({ role: backend === 'postgres' ? 'service' : 'cli', kekBase64: N, kekPreviousBase64: O });
    expect((await onO.keys.latestFor('a', 'sign')).version).toBe(1);
    await onN.keys.rotate('a', 'test');
    await until('the O-replica to see version 2', async () => (await onO.keys.latestFor('a', 'sign')).version === 2);
    // The O-replica signs with the version wrapped under N; a replica holding O alone could not even start.
    const k = await onO.keys.latestFor('a', 'sign');
    expect(await signsAndVerifies(k, 'mixed')).toBe(true);
    expect(await codeOf(store.open({ role: 'cli', kekBase64: O }))).toBe('kek_mismatch');
    await onN.close();
    await onO.close();
    // Step 4 with the environment of step 3, then step 5: N alone.
    const cli = await store.open({ role: 'cli', kekBase64: N, kekPreviousBase64: O });
    const r = await cli.rotateKek(N, { actor: 'cli:ops' });
    expect(r).toMatchObject({ completed: true, remaining: 0, rewrapped: 3 }); // a, b and the ledger key
    await cli.close();
    const only = await store.open({ role: 'service', kekBase64: N });
    for (const n of ['a', 'b']) {
      const key = await only.keys.latestFor(n, 'sign');
      expect(await signsAndVerifies(key, 'after')).toBe(true);
    }
    await only.close();
  });
});

describe.each(testBackends())('KEK retirement on %s', (backend) => {
  it('a replica wrapping with the old KEK and holding the new one switches to the new one when the rotation completes; it cannot start on O; rotating back revives O', async () => {
    const O = randomKek();
    const N = randomKek();
    const oId = kekIdOf(Buffer.from(O, 'base64'));
    const nId = kekIdOf(Buffer.from(N, 'base64'));
    const store = await createTestStore({ backend, kekBase64: O });
    stores.push(store);
    const straggler = await store.open({ role: 'service', kekBase64: O, kekPreviousBase64: N });
    await straggler.keys.create('s', 'ed25519', null, 'test');
    const cli = await store.open({ role: 'cli', kekBase64: N, kekPreviousBase64: O });
    expect(await cli.rotateKek(N, { actor: 'cli:ops' })).toMatchObject({ completed: true, remaining: 0, rewrapped: 2, lagging: [] }); // s and the ledger key

    // The run returned once the replica wrapped with N: its writes land under N, never under the retired O.
    expect(straggler.kekId).toBe(nId);
    expect((await straggler.keys.rotate('s', 'test')).latest_version).toBe(2);
    await straggler.keys.create('t', 'ed25519', null, 'test');
    const underO = await cli.db.query<{ n: number }>('SELECT count(*)::int AS n FROM key_versions WHERE kek_id = $1', [oId]);
    expect(underO[0]?.n).toBe(0);
    const k = await straggler.keys.latestFor('s', 'sign');
    expect(await signsAndVerifies(k, 'still signing')).toBe(true);
    // A restart with O as the current KEK is refused, whatever it holds beside it; N alone rotates.
    expect(await codeOf(store.open({ role: 'cli', kekBase64: O, kekPreviousBase64: N }))).toBe('kek_mismatch');
    expect((await cli.keys.rotate('s', 'test')).latest_version).toBe(3);
    await cli.close();
    await straggler.close();

    // Rotating back to O makes it live again and retires N.
    const back = await store.open({ role: 'cli', kekBase64: N, kekPreviousBase64: O });
    expect(await back.rotateKek(O, { actor: 'cli:ops' })).toMatchObject({ completed: true, remaining: 0, rewrapped: 5 }); // and the ledger key
    await back.close();
    const onO = await store.open({ role: 'cli', kekBase64: O });
    expect((await onO.keys.rotate('s', 'test')).latest_version).toBe(4);
    await onO.close();
    expect(await codeOf(store.open({ role: 'cli', kekBase64: N, kekPreviousBase64: O }))).toBe('kek_mismatch');
  });
});
