/**
 * Secrets on disk (issue 11): a KEK file readable or writable by group or others refuses start with a message
 * saying `chmod 600` (Kubernetes' root-owned, group-readable 0440 secret mount excepted); the data dir is made
 * 0700 and a wider existing one is warned about; the embedded service's CLI socket lives in a directory owned by
 * the service's user with mode 0700 (inside the data dir, or a fresh mkdtemp directory when the path is too long,
 * never a predictable shared name), checked by the service and by the CLI before use.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readLock } from '../src/keys/store/embedded/data-dir-lock.ts';
import { ensureDataDir } from '../src/keys/store/embedded/data-dir.ts';
import { createTestStore, randomKek, type TestStore } from './support/db.ts';
import { envFor, payseal } from './support/cli.ts';

const stores: TestStore[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const s of stores) await s.cleanup();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

async function store(): Promise<TestStore> {
  const s = await createTestStore({ backend: 'embedded' });
  stores.push(s);
  return s;
}

function errorOf(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  return p.then(
    () => ({ code: 'no error', message: '' }),
    (e: { code: string; message: string }) => ({ code: e.code, message: e.message }),
  );
}

describe('KEK files must be private to their user', () => {
  it.each(['644', '640', '604', '660', '620'])('PAYSEAL_KEK_FILE with mode 0%s refuses start, saying chmod 600', async (octal) => {
    const mode = parseInt(octal, 8);
    const s = await store();
    const file = path.join(s.config.dataDir, 'current.kek');
    fs.writeFileSync(file, s.config.kekBase64 + '\n', { mode: 0o600 });
    fs.chmodSync(file, mode);
    const err = await errorOf(s.open({ kekBase64: null, kekFile: file }));
    expect(err.code).toBe('config_invalid');
    expect(err.message).toContain(`chmod 600 ${file}`);
    expect(err.message).toContain(`mode 0${mode.toString(8)}`);
    expect(err.message).not.toContain(s.config.kekBase64!);
    fs.chmodSync(file, 0o600);
    await (await s.open({ kekBase64: null, kekFile: file })).close();
    fs.chmodSync(file, 0o400);
    await (await s.open({ kekBase64: null, kekFile: file })).close();
  });

  it('the previous KEK file and the data dir KEK are held to the same rule', async () => {
    const s = await store();
    const prev = path.join(s.config.dataDir, 'previous.kek');
    fs.writeFileSync(prev, randomKek() + '\n', { mode: 0o644 });
    fs.chmodSync(prev, 0o644);
    expect((await errorOf(s.open({ kekPreviousFile: prev }))).message).toContain(`chmod 600 ${prev}`);

    const own = await createTestStore({ backend: 'embedded', kekBase64: null });
    stores.push(own);
    await (await own.open()).close();
    const kek = path.join(own.config.dataDir, 'kek');
    fs.chmodSync(kek, 0o640);
    expect(await errorOf(own.open())).toMatchObject({ code: 'config_invalid', message: expect.stringContaining(`chmod 600 ${kek}`) });
  });

  it.runIf(process.getuid?.() === 0)('a root-owned secret mount read through the group (0440, Kubernetes fsGroup) is accepted; group-writable is not', async () => {
    const s = await store();
    const file = path.join(s.config.dataDir, 'mounted.kek');
    fs.writeFileSync(file, s.config.kekBase64 + '\n', { mode: 0o600 });
    fs.chownSync(file, 4321, 0);
    fs.chmodSync(file, 0o440);
    await (await s.open({ kekBase64: null, kekFile: file })).close();
    fs.chmodSync(file, 0o460);
    expect((await errorOf(s.open({ kekBase64: null, kekFile: file }))).code).toBe('config_invalid');
  });

  it('kek rotate refuses a --new-kek-file others can read (exit 1, nothing changed)', async () => {
    const s = await store();
    const file = path.join(s.config.dataDir, 'new.kek');
    fs.writeFileSync(file, randomKek() + '\n');
    fs.chmodSync(file, 0o644);
    const r = await payseal(['kek', 'rotate', '--new-kek-file', file], envFor(s.config));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^error: config_invalid: --new-kek-file: .*chmod 600 ${file}$`, 'm'));
  });
});

describe('the data dir', () => {
  it('is created 0700; an existing wider one is kept, with a warning saying chmod 700', async () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'payseal-dd-'));
    dirs.push(base);
    const fresh = path.join(base, 'a', 'data');
    expect(ensureDataDir(fresh)).toEqual([]);
    expect(fs.statSync(fresh).mode & 0o777).toBe(0o700);

    const s = await store();
    fs.chmodSync(s.config.dataDir, 0o755);
    const rt = await s.open();
    expect(rt.notices.join('\n')).toMatch(new RegExp(`WARNING: the data dir ${s.config.dataDir} has mode 0755.*chmod 700 ${s.config.dataDir}`));
    await rt.close();
    fs.chmodSync(s.config.dataDir, 0o700);
    const quiet = await s.open();
    expect(quiet.notices.join('\n')).not.toMatch(/has mode/);
    await quiet.close();
  });
});

describe('the CLI socket of the embedded service', () => {
  it('lives in <dataDir>/socket, mode 0700, owned by the service user; a CLI refuses a wider directory', async () => {
    const s = await store();
    const service = await s.open({ role: 'service' });
    const socket = readLock(s.config.dataDir)?.socket;
    expect(socket).toBe(path.join(s.config.dataDir, 'socket', '.s.PGSQL.5432'));
    const dir = fs.lstatSync(path.dirname(socket!));
    expect([dir.isDirectory(), dir.mode & 0o777, dir.uid]).toEqual([true, 0o700, process.getuid!()]);

    fs.chmodSync(path.dirname(socket!), 0o755);
    const refused = await errorOf(s.open({ role: 'cli' }));
    expect(refused.code).toBe('config_invalid');
    expect(refused.message).toMatch(/socket directory .* has mode 0755, not 0700: refusing to use it/);
    fs.chmodSync(path.dirname(socket!), 0o700);
    const cli = await s.open({ role: 'cli' });
    expect(cli.via).toBe('socket');
    await cli.close();
    await service.close();
  });

  it('with a data dir path too long for a socket: a fresh private mkdtemp directory, not a predictable shared name, removed at stop', async () => {
    const s = await store();
    const long = path.join(s.config.dataDir, 'x'.repeat(60), 'y'.repeat(30));
    fs.mkdirSync(long, { recursive: true, mode: 0o700 });
    fs.renameSync(path.join(s.config.dataDir, 'pgdata'), path.join(long, 'pgdata'));
    // What another account could have made at the old predictable name, waiting for the service.
    const predictable = path.join(os.tmpdir(), 'payseal-' + crypto.createHash('sha256').update(long).digest('hex').slice(0, 12));
    fs.mkdirSync(predictable, { recursive: true });
    fs.chmodSync(predictable, 0o777);
    dirs.push(predictable);

    const service = await s.open({ role: 'service', dataDir: long });
    const socket = readLock(long)!.socket!;
    const dir = path.dirname(socket);
    expect(dir).not.toBe(predictable);
    expect(path.dirname(dir)).toBe(os.tmpdir());
    expect(path.basename(dir)).toMatch(/^payseal-[A-Za-z0-9]{6}$/);
    expect(fs.lstatSync(dir).mode & 0o777).toBe(0o700);
    expect(fs.readdirSync(predictable)).toEqual([]);
    const cli = await s.open({ role: 'cli', dataDir: long });
    expect(cli.via).toBe('socket');
    await cli.close();
    await service.close();
    expect(fs.existsSync(dir)).toBe(false);
  });
});
