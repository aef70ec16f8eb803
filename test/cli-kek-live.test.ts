/**
 * `payseal kek rotate` next to live services (issue 11, "KEK rotation took signing down"):
 * - embedded, the service on its generated KEK: the command stages the new KEK in the data dir, the service
 *   accepts it before any row is re-wrapped, and on completion data/kek is replaced atomically and the service
 *   wraps with the new KEK; signing never stops and a plain restart works;
 * - a live service (or replica) that holds only the old KEK: the command refuses (exit 1, conflict, saying what
 *   to do) and changes nothing; once it holds the new KEK beside the old, the rotation completes and it switches;
 * - a replica the rotation could not see (its heartbeat was lost) answers 503 kek_retired and /readyz goes red.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { kekIdOf } from '../src/keys/kek/kek.ts';
import { openRuntime } from '../src/runtime/open.ts';
import { createTestStore, randomKek, testBackends, type TestStore } from './support/db.ts';
import { envFor, payseal } from './support/cli.ts';
import { startApi } from './support/api.ts';
import { signsAndVerifies } from './support/keys.ts';
import { codeOfAsync as codeOf } from './support/errors.ts';
import { until } from './support/poll.ts';

const stores: TestStore[] = [];
afterAll(async () => {
  for (const s of stores) await s.cleanup();
});

const idOf = (b64: string) => kekIdOf(Buffer.from(b64, 'base64'));

describe('KEK rotation against the embedded service on its generated KEK', () => {
  it('keeps signing, installs the new KEK in data/kek (0600), and a plain restart works', async () => {
    const store = await createTestStore({ backend: 'embedded', kekBase64: null, cacheRefreshMs: 200 });
    stores.push(store);
    const service = await store.open({ role: 'service' });
    await service.keys.create('pay', 'ecdsa-p256', null, 'test');
    await service.keys.create('box', 'aes-256-gcm', null, 'test');
    expect(await signsAndVerifies(await service.keys.latestFor('pay', 'sign'), 'before')).toBe(true);
    const kekFile = path.join(store.config.dataDir, 'kek');
    const oldText = fs.readFileSync(kekFile, 'utf8').trim();
    const newKek = randomKek();
    const newFile = path.join(store.config.dataDir, '..', `${path.basename(store.config.dataDir)}-new.kek`);
    fs.writeFileSync(newFile, newKek + '\n', { mode: 0o600 });
    try {
      const env = envFor(store.config);
      delete env.PAYSEAL_KEK;
      const r = await payseal(['kek', 'rotate', '--new-kek-file', newFile], env);
      expect(r.stderr).not.toMatch(/^error:/m);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^KEK rotation complete: 3 private keys re-wrapped under KEK [0-9a-f]{16}/);
      expect(r.stdout + r.stderr).not.toContain(newKek);
      expect(r.stdout + r.stderr).not.toContain(oldText);

      // data/kek holds the new KEK, 0600; nothing staged is left behind.
      expect(fs.readFileSync(kekFile, 'utf8').trim()).toBe(newKek);
      expect(fs.statSync(kekFile).mode & 0o777).toBe(0o600);
      expect(fs.readdirSync(store.config.dataDir).filter((f) => f.startsWith('kek'))).toEqual(['kek']);

      // The running service signs, decrypts, creates and rotates at once, and says it is ready.
      expect(service.kekId).toBe(idOf(newKek));
      await service.ready();
      await until('the service to drop its cached rows', async () => (await service.db.query('SELECT 1')).length === 1);
      expect(await signsAndVerifies(await service.keys.latestFor('pay', 'sign'), 'after')).toBe(true);
      expect((await service.keys.rotate('pay', 'test')).latest_version).toBe(2);
      await service.keys.create('fresh', 'ed25519', null, 'test');
      const under = await service.db.query<{ kek_id: string }>('SELECT DISTINCT kek_id FROM key_versions WHERE wrapped IS NOT NULL');
      expect(under).toEqual([{ kek_id: idOf(newKek) }]);
      await service.close();

      // A plain restart (nothing configured) uses the installed KEK.
      const again = await store.open({ role: 'service' });
      expect(again.kekId).toBe(idOf(newKek));
      expect(await signsAndVerifies(await again.keys.latestFor('pay', 'sign'), 'restarted')).toBe(true);
      await again.close();
    } finally {
      fs.rmSync(newFile, { force: true });
    }
  });
});

describe('a crash between the end of a KEK rotation and the install of data/kek', () => {
  it('the next start finds the staged KEK live and the old one retired, and finishes the install', async () => {
    const store = await createTestStore({ backend: 'embedded', kekBase64: null });
    stores.push(store);
    const first = await store.open({ role: 'service' });
    await first.keys.create('pay', 'ed25519', null, 'test');
    await first.close();
    const kekFile = path.join(store.config.dataDir, 'kek');
    const oldText = fs.readFileSync(kekFile, 'utf8');
    const newKek = randomKek();
    const cli = await store.open({ role: 'cli' });
    expect(await cli.rotateKek(newKek, { actor: 'cli:ops' })).toMatchObject({ completed: true });
    await cli.close();
    // As if the process died right after the finishing transaction: kek still old, kek.next the new one.
    fs.writeFileSync(path.join(store.config.dataDir, 'kek.next'), newKek + '\n', { mode: 0o600 });
    fs.writeFileSync(kekFile, oldText, { mode: 0o600 });

    const again = await store.open({ role: 'service' });
    expect(again.kekId).toBe(idOf(newKek));
    expect(fs.readFileSync(kekFile, 'utf8').trim()).toBe(newKek);
    expect(fs.existsSync(path.join(store.config.dataDir, 'kek.next'))).toBe(false);
    expect(await signsAndVerifies(await again.keys.latestFor('pay', 'sign'), 'recovered')).toBe(true);
    await again.close();
  });
});

describe.each(testBackends())('KEK rotation with a live service on %s', (backend) => {
  it('refuses (exit 1, nothing changed) while a live service holds only the old KEK; completes once it holds both, and the service switches', async () => {
    const O = randomKek();
    const N = randomKek();
    const store = await createTestStore({ backend, kekBase64: O, cacheRefreshMs: 200 });
    stores.push(store);
    const replica = await store.open({ role: 'service' });
    await replica.keys.create('pay', 'ecdsa-p256', null, 'test');
    const newFile = path.join(store.config.dataDir, 'new.kek');
    fs.writeFileSync(newFile, N + '\n', { mode: 0o600 });
    const env = envFor(store.config, { PAYSEAL_KEK: N, PAYSEAL_KEK_PREVIOUS: O });

    const refused = await payseal(['kek', 'rotate', '--new-kek-file', newFile], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error: conflict: .*holds? only KEK/m);
    expect(refused.stderr).toMatch(/PAYSEAL_KEK_PREVIOUS/);
    const rows = await replica.db.query<{ kek_id: string }>('SELECT DISTINCT kek_id FROM key_versions');
    expect(rows).toEqual([{ kek_id: idOf(O) }]);
    expect(await replica.db.query('SELECT kek_id FROM kek_checks WHERE retired_at IS NOT NULL')).toEqual([]);
    expect(await signsAndVerifies(await replica.keys.latestFor('pay', 'sign'), 'still')).toBe(true);
    await replica.close();

    // Step 2 of docs/keys.md: the replica holds N beside O. Now the rotation completes, and the replica wraps with N.
    const ready = await store.open({ role: 'service', kekBase64: O, kekPreviousBase64: N });
    const done = await payseal(['kek', 'rotate', '--new-kek-file', newFile], env);
    expect(done.stderr).not.toMatch(/^error:/m);
    expect(done.code).toBe(0);
    expect(ready.kekId).toBe(idOf(N));
    await ready.ready();
    expect((await ready.keys.rotate('pay', 'test')).latest_version).toBe(2);
    expect(await signsAndVerifies(await ready.keys.latestFor('pay', 'sign'), 'after')).toBe(true);
    const under = await ready.db.query<{ kek_id: string }>('SELECT DISTINCT kek_id FROM key_versions WHERE wrapped IS NOT NULL');
    expect(under).toEqual([{ kek_id: idOf(N) }]);
    await ready.close();
  });

  it('a replica whose KEK was retired behind its back answers 503 kek_retired and /readyz goes red', async () => {
    const O = randomKek();
    const N = randomKek();
    const store = await createTestStore({ backend, kekBase64: O, cacheRefreshMs: 200 });
    stores.push(store);
    // A replica that announces itself once and then loses its heartbeat (a network partition, say).
    const lost = await openRuntime(store.config, { role: 'service', kekHeartbeatMs: 3_600_000 });
    const api = await startApi({}, { runtime: lost });
    try {
      await lost.keys.create('pay', 'ecdsa-p256', null, 'test');
      expect((await api.call('GET', '/readyz')).status).toBe(200);
      await lost.db.query('DELETE FROM kek_holders');

      const cli = await store.open({ role: 'cli', kekBase64: N, kekPreviousBase64: O });
      expect(await cli.rotateKek(N, { actor: 'cli:ops' })).toMatchObject({ completed: true });
      await cli.close();

      await until('the replica to notice', async () => (await api.call('GET', '/readyz')).status === 503);
      const ready = await api.call('GET', '/readyz');
      expect(ready.json.error.code).toBe('kek_retired');
      const signed = await api.call('POST', '/v1/keys/pay/sign', { token: api.adminToken, body: { input: 'aGVsbG8=' } });
      expect(signed.status).toBe(503);
      expect(signed.json.error.code).toBe('kek_retired');
      expect(await codeOf(lost.keys.create('other', 'ed25519', null, 'test'))).toBe('kek_retired');
      expect(JSON.stringify([ready.json, signed.json])).not.toContain(N);
    } finally {
      await api.close();
      await lost.close();
    }
  });
});
