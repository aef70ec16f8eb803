/**
 * `payseal kek rotate` and scripts/rotate-due.sh as child processes, plus the embedded store without a
 * service: the CLI then opens the data dir itself, and two CLIs at once take turns on the lock file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { kekIdOf } from '../src/keys/kek/kek.ts';
import { createTestStore, randomKek, testBackends, type TestStore } from './support/db.ts';
import { ROOT, envFor, payseal, runFile } from './support/cli.ts';

const stores: TestStore[] = [];
afterAll(async () => {
  for (const s of stores) await s.cleanup();
});

describe.each(testBackends())('payseal kek rotate and rotate-due.sh on %s', (backend) => {
  it('re-wraps every key under the new KEK while the service runs, with progress; a second run has nothing to do', async () => {
    const oldKek = randomKek();
    const newKek = randomKek();
    const store = await createTestStore({ backend, kekBase64: oldKek });
    stores.push(store);
    const seed = await store.open();
    for (let i = 0; i < 5; i++) await seed.keys.create(`k${i}`, i % 2 ? 'ed25519' : 'aes-256-gcm', null, 'test');
    await seed.close();
    const service = await store.open({ role: 'service', kekBase64: newKek, kekPreviousBase64: oldKek });
    const file = path.join(store.config.dataDir, 'new.kek');
    fs.writeFileSync(file, newKek + '\n', { mode: 0o600 });
    const env = envFor(store.config);

    const r = await payseal(['kek', 'rotate', '--new-kek-file', file, '--batch-size', '2'], env);
    expect(r.stderr).toMatch(/^re-wrapped 0\/6 private keys \(0%\)$/m);
    expect(r.stderr).toMatch(/^re-wrapped 6\/6 private keys \(100%\)$/m);
    expect(r.stdout).toBe(`KEK rotation complete: 6 private keys re-wrapped under KEK ${kekIdOf(Buffer.from(newKek, 'base64'))}; no row is left under an old KEK\n`);
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(newKek);
    expect(r.stdout + r.stderr).not.toContain(oldKek);

    const again = await payseal(['kek', 'rotate', '--new-kek-file', file, '--json'], { ...env, PAYSEAL_KEK: newKek });
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({ new_kek_id: kekIdOf(Buffer.from(newKek, 'base64')), rewrapped: 0, remaining: 0, completed: true });

    expect((await service.keys.latestFor('k1', 'sign')).version).toBe(1);
    const oldOnly = await payseal(['keys', 'list'], env);
    expect(oldOnly.code).toBe(1);
    expect(oldOnly.stderr).toMatch(/^error: kek_mismatch: /m);
    const bad = await payseal(['kek', 'rotate', '--new-kek-file', path.join(store.config.dataDir, 'missing')], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error: config_invalid: /m);
    await service.close();
  });

  it('rotate-due.sh rotates due keys (exit 0) and exits 1 when a rotation fails', async () => {
    const store = await createTestStore({ backend });
    stores.push(store);
    const rt = await store.open({ role: 'service' });
    await rt.keys.create('due', 'ecdsa-p256', '90d', 'test');
    await rt.keys.create('later', 'ecdsa-p256', '90d', 'test');
    await rt.keys.create('manual', 'ecdsa-p256', null, 'test');
    const script = path.join(ROOT, 'scripts/rotate-due.sh');
    const env = envFor(store.config);

    const none = await runFile(script, [], env);
    expect(none.code).toBe(0);
    expect(none.stdout).toMatch(/no key is due for rotation/);

    await rt.db.query("UPDATE keys SET next_rotation_at = now() - interval '1 minute' WHERE name = 'due'");
    const ok = await runFile(script, [], env);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^due +rotated to v2$/m);
    expect(ok.stdout).toMatch(/^1 rotated, 0 failed$/m);

    await rt.db.query("UPDATE keys SET next_rotation_at = now() - interval '1 minute' WHERE name IN ('due', 'later')");
    await rt.db.query("UPDATE keys SET type = 'rsa-1024' WHERE name = 'later'");
    const failed = await runFile(script, ['--json'], env);
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.stdout.slice(failed.stdout.indexOf('{')))).toEqual({
      rotated: [{ name: 'due', version: 3 }],
      failed: [{ name: 'later', code: 'unsupported_algorithm', message: expect.any(String) }],
    });
    await rt.close();
  });
});

describe('embedded store without a running service', () => {
  it('the CLI opens the data dir itself, and two CLIs at once take turns', async () => {
    const store = await createTestStore({ backend: 'embedded' });
    stores.push(store);
    const env = envFor(store.config);
    const created = await payseal(['keys', 'create', 'solo', '--type', 'ed25519'], env);
    expect(created.code).toBe(0);
    const [a, b] = await Promise.all([payseal(['keys', 'rotate', 'solo', '--json'], env), payseal(['keys', 'rotate', 'solo', '--json'], env)]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(fs.existsSync(path.join(store.config.dataDir, 'payseal.lock'))).toBe(false);
    const rt = await store.open({ role: 'cli' });
    expect(rt.via).toBe('files');
    expect((await rt.keys.get('solo')).versions.map((v) => v.version)).toEqual([1, 2, 3]);
    await rt.close();
  });
});
