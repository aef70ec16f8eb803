/**
 * README.md stays true: its key-administration commands run as shown (with the real `npx`, from the project
 * root, against a fresh store), every `npm run` it names exists, and every local link resolves to a file and,
 * for `#anchors`, to a heading of that file. The quick-start block is run by test/api-docs.test.ts. The
 * payment-message snippets run as written: ledger.mjs as a process, checkout.mjs against it, both importing
 * payseal/client from the built package (dist/: npm test builds first), against a real payseal.
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startApi } from './support/api.ts';
import { createTestStore, testBackends, type TestStore } from './support/db.ts';
import { eventually } from './support/poll.ts';
import { ROOT } from './support/cli.ts';

const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

/** The body of the first ```sh block after `## <heading>`. */
function shBlockUnder(markdown: string, heading: string): string {
  const section = markdown.split(/^## /m).find((s) => s.startsWith(`${heading}\n`));
  const block = section && /^```sh\n([\s\S]*?)^```$/m.exec(section);
  if (!block) throw new Error(`README.md has no sh block under "## ${heading}"`);
  return block[1]!;
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  for (const m of markdown.matchAll(/^#{1,6} (.+)$/gm)) {
    anchors.add(m[1]!.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-'));
  }
  return anchors;
}

function run(file: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, [...args], { cwd: ROOT, env, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** The caller's environment without anything that would point payseal at another store or KEK. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of Object.keys(env)) if (name === 'DATABASE_URL' || name.startsWith('PAYSEAL_')) delete env[name];
  return { ...env, ...extra };
}

const stores: TestStore[] = [];
afterAll(async () => {
  for (const s of stores) await s.cleanup();
});

describe('README.md', () => {
  it('names only npm scripts that exist', () => {
    const scripts = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    const named = [...README.matchAll(/npm run ([a-z:-]+)/g)].map((m) => m[1]!);
    expect(named.length).toBeGreaterThan(0);
    for (const name of named) expect(Object.keys(scripts), `npm run ${name}`).toContain(name);
    for (const name of ['start', 'test']) expect(Object.keys(scripts)).toContain(name);
  });

  it('links only to files that exist, and to headings those files have', () => {
    const links = [...README.matchAll(/\]\(([^)]+)\)/g)].map((m) => m[1]!).filter((l) => !/^[a-z]+:/.test(l));
    expect(links.length).toBeGreaterThan(3);
    for (const link of links) {
      const [file, anchor] = link.split('#') as [string, string | undefined];
      const target = path.join(ROOT, file);
      expect(fs.existsSync(target), link).toBe(true);
      if (anchor) expect([...anchorsOf(fs.readFileSync(target, 'utf8'))], link).toContain(anchor);
    }
  });

  it('points readers at nothing outside the project (the contract is summarised in docs/api.md)', () => {
    expect(README).not.toMatch(/\.\.\/shared|\.\.\/[A-Za-z]/);
  });

  it('`npx payseal` works from the project root', async () => {
    const r = await run('npx', ['--no-install', 'payseal', '--help'], cleanEnv({}));
    expect(r.code, r.stderr).toBe(0);
    for (const command of ['serve', 'keys', 'kek', 'clients']) expect(r.stdout).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'));
  });
});

describe.each(testBackends())('README.md key administration commands on %s', (backend) => {
  it('run as shown, with npx from the project root, and leave the key rotated with v1 revoked', async () => {
    const store = await createTestStore({ backend });
    stores.push(store);
    const env = cleanEnv({
      PAYSEAL_DATA_DIR: store.config.dataDir,
      PAYSEAL_KEK: store.config.kekBase64!,
      ...(store.config.databaseUrl ? { DATABASE_URL: store.config.databaseUrl } : {}),
    });
    const block = shBlockUnder(README, 'Key administration');
    expect(block).toMatch(/npx payseal keys create/);
    const r = await run('bash', ['-c', `set -euo pipefail\n${block}`], env);
    expect(r.code, r.stderr).toBe(0);

    const show = await run('npx', ['--no-install', 'payseal', 'keys', 'show', 'payments', '--json'], env);
    expect(show.code, show.stderr).toBe(0);
    const info = JSON.parse(show.stdout) as { latest_version: number; rotation_period: string; versions: { version: number; state: string }[] };
    expect(info.latest_version).toBe(2);
    expect(info.rotation_period).toBe('90d');
    expect(info.versions.map((v) => [v.version, v.state])).toEqual([
      [1, 'revoked'],
      [2, 'active'],
    ]);
  });
});


/** The ```js blocks under `## <heading>`, by the file name their first line gives (`// name.mjs: …`). */
function jsFilesUnder(markdown: string, heading: string): Map<string, string> {
  const section = markdown.split(/^## /m).find((s) => s.startsWith(`${heading}\n`)) ?? '';
  const files = new Map<string, string>();
  for (const m of section.matchAll(/^```js\n([\s\S]*?)^```$/gm)) {
    const name = /^\/\/ ([\w.-]+\.mjs)/.exec(m[1]!)?.[1];
    if (name) files.set(name, m[1]!);
  }
  return files;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('README.md payment messages with payseal/client', () => {
  it('checkout.mjs signs and checks locally; ledger.mjs books the message once and refuses the replay', async () => {
    expect(fs.existsSync(path.join(ROOT, 'dist/client/index.js')), 'dist/ is missing: npm run build').toBe(true);
    const files = jsFilesUnder(README, 'Payment messages from a microservice');
    expect([...files.keys()].sort()).toEqual(['checkout.mjs', 'ledger.mjs']);
    const api = await startApi();
    // Inside the package, so that `payseal/client` resolves to the package itself, as in a dependent's node_modules.
    fs.mkdirSync(path.join(ROOT, 'tmp'), { recursive: true });
    const dir = fs.mkdtempSync(path.join(ROOT, 'tmp', 'readme-'));
    let ledger: ReturnType<typeof spawn> | null = null;
    try {
      for (const [name, text] of files) fs.writeFileSync(path.join(dir, name), text);
      expect((await api.call('POST', '/v1/keys', { body: { name: 'payments', type: 'ecdsa-p256' } })).status).toBe(201);
      const sender = await api.client('checkout', ['sign:payments']);
      const receiver = await api.client('ledger', ['verify:payments']);
      const port = await freePort();
      ledger = spawn(process.execPath, [path.join(dir, 'ledger.mjs')], { cwd: dir, env: cleanEnv({ PAYSEAL_URL: api.url, PAYSEAL_TOKEN: receiver, PORT: String(port) }), stdio: 'ignore' });
      const ledgerUrl = `http://127.0.0.1:${port}`;
      const up = await eventually(30_000, async () => fetch(`${ledgerUrl}/`).then(() => true, () => false), 100);
      expect(up, 'ledger.mjs did not start').toBe(true);
      const r = await run(process.execPath, [path.join(dir, 'checkout.mjs')], cleanEnv({ PAYSEAL_URL: api.url, PAYSEAL_TOKEN: sender, LEDGER_URL: ledgerUrl }));
      expect(r.code, r.stderr).toBe(0);
      const lines = r.stdout.trim().split('\n');
      expect(lines).toHaveLength(3);
      expect(lines[0]).toBe('true');
      expect(lines[1]).toBe('201 {"booked":"A-1001","signed_by":"payments:v1"}');
      expect(lines[2]).toMatch(/^401 /);
      expect(JSON.parse(lines[2]!.slice(4))).toMatchObject({ error: { code: 'invalid_payment_message', reason: 'replayed' } });
    } finally {
      ledger?.kill('SIGTERM');
      fs.rmSync(dir, { recursive: true, force: true });
      await api.close();
    }
  }, 120_000);
});
