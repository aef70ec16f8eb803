/**
 * An administrative command never creates a store (issue 11: run with no PAYSEAL_DATA_DIR in a directory with no
 * store, `payseal keys list` used to create ./data with a new KEK, print "no keys" and exit 0). It says where it
 * looked and exits 2, leaving the directory as it was; only `payseal serve` creates a store. Pointed at a store
 * whose KEK it was not given, it does not generate one either. And `payseal --version`.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, type CliResult } from './support/cli.ts';
import { createTestStore, type TestStore } from './support/db.ts';

function paysealIn(cwd: string, args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const base = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? cwd };
    execFile(process.execPath, [BIN, ...args], { cwd, env: { ...base, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

const dirs: string[] = [];
const stores: TestStore[] = [];
afterAll(async () => {
  for (const s of stores) await s.cleanup();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function emptyDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'payseal-nostore-'));
  dirs.push(d);
  return d;
}

describe('administrative commands without a store', () => {
  it.each([
    [['keys', 'list']],
    [['keys', 'create', 'payments', '--type', 'ecdsa-p256']],
    [['keys', 'rotate', '--due']],
    [['clients', 'list']],
  ])('payseal %j with no PAYSEAL_DATA_DIR in an empty directory: exit 2, names ./data there, creates nothing', async (args) => {
    const cwd = emptyDir();
    const r = await paysealIn(cwd, args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: store_not_found: no payseal store in /m);
    expect(r.stderr).toContain(path.join(fs.realpathSync(cwd), 'data'));
    expect(r.stderr).toContain('PAYSEAL_DATA_DIR is not set');
    expect(fs.readdirSync(cwd)).toEqual([]);
  });

  it('a PAYSEAL_DATA_DIR that holds no store: exit 2, named, not created', async () => {
    const cwd = emptyDir();
    const where = path.join(cwd, 'elsewhere');
    const r = await paysealIn(cwd, ['keys', 'list'], { PAYSEAL_DATA_DIR: where });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^error: store_not_found: no payseal store in ${where} \\(PAYSEAL_DATA_DIR\\)`, 'm'));
    expect(fs.existsSync(where)).toBe(false);
  });

  it('a store without its KEK (none configured, no data/kek): kek_missing, and no KEK is generated', async () => {
    const store = await createTestStore({ backend: 'embedded' });
    stores.push(store);
    const r = await paysealIn(emptyDir(), ['keys', 'list'], { PAYSEAL_DATA_DIR: store.config.dataDir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: kek_missing: /m);
    expect(fs.existsSync(path.join(store.config.dataDir, 'kek'))).toBe(false);
  });
});

describe('payseal --version', () => {
  it('prints the package version and exits 0, touching no store', async () => {
    const cwd = emptyDir();
    const { version } = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '../package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = await paysealIn(cwd, [flag]);
      expect(r).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    }
    expect(fs.readdirSync(cwd)).toEqual([]);
  });
});
