/**
 * Encryption at rest: a missing KEK refuses start with DATABASE_URL, embedded mode generates one (0600, loud
 * notice), a wrong KEK is named at start, and neither the data dir nor the database holds a private key in
 * the clear (PKCS#8 DER bytes, their base64, or PEM).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { openRuntime } from '../src/runtime/open.ts';
import { createTestStore, postgresUrl, randomKek, testBackends, type TestStore } from './support/db.ts';
import { codeOfAsync as codeOf } from './support/errors.ts';

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true }).filter((d) => d.isFile()).map((d) => path.join(d.parentPath, d.name));
}

const stores: TestStore[] = [];
afterAll(async () => {
  for (const s of stores) await s.cleanup();
});

describe('KEK configuration', () => {
  it('refuses to start on DATABASE_URL without a KEK, naming PAYSEAL_KEK and PAYSEAL_KEK_FILE', async () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' });
    const err = await openRuntime(config, { role: 'service' }).catch((e: unknown) => e as { code: string; message: string });
    expect(err).toMatchObject({ code: 'kek_missing' });
    expect((err as { message: string }).message).toMatch(/PAYSEAL_KEK\b/);
    expect((err as { message: string }).message).toMatch(/PAYSEAL_KEK_FILE/);
  });

  it('rejects a KEK that is not base64 of 32 bytes', async () => {
    const bad = loadConfig({ PAYSEAL_DATA_DIR: os.tmpdir(), PAYSEAL_KEK: Buffer.alloc(16).toString('base64') });
    expect(await codeOf(openRuntime(bad, { role: 'cli' }))).toBe('config_invalid');
  });

  it('embedded mode generates a KEK into the data dir with mode 0600 and a loud notice, then reuses it', async () => {
    const store = await createTestStore({ backend: 'embedded', kekBase64: null });
    stores.push(store);
    const rt = await store.open();
    const kekFile = path.join(store.config.dataDir, 'kek');
    expect(fs.statSync(kekFile).mode & 0o777).toBe(0o600);
    expect(rt.notices.join('\n')).toMatch(/WARNING.*generated/);
    const kekText = fs.readFileSync(kekFile, 'utf8').trim();
    expect(rt.notices.join('\n')).not.toContain(kekText);
    await rt.keys.create('k1', 'ed25519', null, 'test');
    await rt.close();
    const again = await store.open();
    expect(again.notices.join('\n')).toMatch(/WARNING.*inside the data dir/);
    expect((await again.keys.latestFor('k1', 'sign')).version).toBe(1);
    expect(fs.readFileSync(kekFile, 'utf8').trim()).toBe(kekText);
    await again.close();
  });
});

describe.each(testBackends())('KEK at rest on %s', (backend) => {
  it('names a wrong KEK at start (kek_mismatch), even with no key yet, and never in the message', async () => {
    const store = await createTestStore({ backend });
    stores.push(store);
    const rt = await store.open();
    await rt.close();
    const wrong = randomKek();
    const err = await store.open({ kekBase64: wrong }).catch((e: unknown) => e as { code: string; message: string });
    expect(err).toMatchObject({ code: 'kek_mismatch' });
    expect((err as { message: string }).message).not.toContain(wrong);
    expect((err as { message: string }).message).not.toContain(store.config.kekBase64 as string);
    const ok = await store.open();
    await ok.keys.create('k', 'ecdsa-p256', null, 'test');
    await ok.close();
    expect(await codeOf(store.open({ kekBase64: wrong }))).toBe('kek_mismatch');
  });

  it('holds no plaintext private key in the data dir or the database', async () => {
    const store = await createTestStore({ backend });
    stores.push(store);
    const rt = await store.open();
    const secrets: Buffer[] = [];
    for (const [name, type] of [['e', 'ecdsa-p256'], ['r', 'rsa-2048'], ['d', 'ed25519'], ['a', 'aes-256-gcm']] as const) {
      await rt.keys.create(name, type, null, 'test');
      await rt.keys.rotate(name, 'test');
      for (const v of [1, 2]) {
        const k = v === 2 ? await (type.startsWith('aes') ? rt.keys.reserveEncryption(name) : rt.keys.latestFor(name, 'sign')) : null;
        const obj = k?.key ?? (type.startsWith('aes')
          ? (await rt.keys.versionFor(name, 1, 'encrypt', 'decrypt').then((l) => (l.ok ? l.key.key : null)))
          : null);
        if (!obj) continue;
        secrets.push(obj.type === 'secret' ? obj.export() : obj.export({ format: 'der', type: 'pkcs8' }));
      }
    }
    expect(secrets.length).toBeGreaterThanOrEqual(5);
    const needles = secrets.flatMap((s) => [s, Buffer.from(s.toString('base64')), Buffer.from(s.toString('hex'))]);
    needles.push(Buffer.from('PRIVATE KEY-----'));
    let haystacks: Buffer[];
    if (backend === 'embedded') {
      await rt.close();
      haystacks = filesUnder(store.config.dataDir).map((f) => fs.readFileSync(f));
      expect(haystacks.length).toBeGreaterThan(100);
    } else {
      const schema = new URL(store.config.databaseUrl as string).searchParams.get('options')?.split('=')[1] as string;
      const dump = execFileSync('pg_dump', ['--schema', schema, '--data-only', postgresUrl() as string], { maxBuffer: 1 << 28 });
      expect(dump.toString()).toContain('key_versions');
      haystacks = [dump];
      await rt.close();
    }
    for (const h of haystacks) for (const n of needles) expect(h.includes(n)).toBe(false);
  });
});
