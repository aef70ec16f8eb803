/**
 * `payseal serve` (what `npm start` runs) as a real process on a bare machine: no DATABASE_URL, no KEK, no
 * token. The README promises that this serves the API: a KEK is generated into the data dir (mode 0600, with
 * a warning), an admin token is printed once, the token works, SIGTERM stops the process cleanly, and a restart
 * keeps every key and client without printing the token again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT } from './support/cli.ts';

interface Running {
  readonly child: ChildProcess;
  readonly url: string;
  output(): string;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Starts `node bin/payseal.js serve` and resolves once it logs that it is serving. */
async function start(dataDir: string): Promise<Running> {
  const port = await freePort();
  // A bare machine: only what a newcomer's shell would have, and no DATABASE_URL even when CI sets one.
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir(), PAYSEAL_DATA_DIR: dataDir, PORT: String(port) };
  const child = spawn(process.execPath, [BIN, 'serve'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`payseal serve did not start within 60 s:\n${output}`)), 60_000);
    const check = (): void => {
      if (!output.includes('payseal is serving')) return;
      clearTimeout(timer);
      resolve();
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`payseal serve exited with ${code} before serving:\n${output}`));
    });
  });
  return { child, url: `http://127.0.0.1:${port}`, output: () => output };
}

/** SIGTERM, then the exit code (or the signal's name, had the process not handled it). */
async function stop(running: Running): Promise<number | string> {
  if (running.child.exitCode !== null || running.child.signalCode !== null) return running.child.exitCode ?? running.child.signalCode!;
  const exited = new Promise<number | string>((resolve) => running.child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  running.child.kill('SIGTERM');
  return exited;
}

async function call(url: string, method: string, route: string, token: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(url + route, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text === '' ? null : JSON.parse(text) };
}

describe('payseal serve on a bare machine (embedded store, nothing configured)', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'payseal-serve-'));
  let first: Running;
  let token = '';

  beforeAll(async () => {
    first = await start(dataDir);
    token = /^\s+(pst_[A-Za-z0-9_-]+)\s*$/m.exec(first.output())?.[1] ?? '';
  });
  afterAll(async () => {
    if (first) await stop(first);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('generates the KEK into the data dir with mode 0600 and says so loudly', () => {
    const kek = path.join(dataDir, 'kek');
    expect(fs.existsSync(kek)).toBe(true);
    expect(fs.statSync(kek).mode & 0o777).toBe(0o600);
    expect(first.output()).toMatch(/WARNING.*key-encryption key was generated into .*kek/);
    // The KEK's own bytes never appear in the output.
    const kekText = fs.readFileSync(kek, 'utf8').trim();
    expect(kekText.length).toBeGreaterThan(0);
    expect(first.output()).not.toContain(kekText);
  });

  it('prints an admin token once, with a curl line for the address it listens on', async () => {
    expect(token).toMatch(/^pst_/);
    expect(first.output().split(token)).toHaveLength(2);
    expect(first.output()).toContain(`curl -H "Authorization: Bearer <token>" ${first.url}/v1/keys`);
    expect((await call(first.url, 'GET', '/v1/keys', token)).status).toBe(200);
    expect((await call(first.url, 'GET', '/v1/keys', `${token}x`)).status).toBe(401);
  });

  it('creates a key and signs with the printed token; SIGTERM exits 0; a restart keeps key and token and prints no token', async () => {
    const created = await call(first.url, 'POST', '/v1/keys', token, { name: 'payments', type: 'ecdsa-p256' });
    expect(created.status).toBe(201);
    const input = Buffer.from('{"amount":100}').toString('base64');
    const signed = await call(first.url, 'POST', '/v1/keys/payments/sign', token, { input });
    expect(signed.status).toBe(200);
    expect(signed.json.signature).toMatch(/^payseal:v1:/);

    expect(await stop(first)).toBe(0);
    expect(first.output()).toContain('payseal stopped');

    const second = await start(dataDir);
    try {
      expect(second.output()).not.toMatch(/pst_/);
      // It keeps warning that the KEK sits beside the data, but generates no new one.
      expect(second.output()).toMatch(/WARNING: using the key-encryption key stored inside the data dir/);
      expect(second.output()).not.toMatch(/NEW key-encryption key was generated/);
      const verified = await call(second.url, 'POST', '/v1/keys/payments/verify', token, { input, signature: signed.json.signature });
      expect(verified).toEqual({ status: 200, json: { valid: true, key_version: 1 } });
    } finally {
      expect(await stop(second)).toBe(0);
    }
  });
});
