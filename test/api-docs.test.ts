/**
 * "A command shown in docs is run by a test": every ```sh block of docs/api.md, in order, in one bash session
 * (`set -euo pipefail`, so each must exit 0) with the real `curl` against a running server on an ephemeral port,
 * `PAYSEAL_URL` and `TOKEN` (an admin token) in the environment, and the page's ```js files (first line
 * `// name.mjs`) written to the session's directory. A block followed directly by an ```http block must answer
 * the status shown, carry each header shown, and a body that conforms (see `conforms`); one followed by a
 * ```text block must print that text.
 *
 * The quick start (the block between `<!-- quickstart:begin -->` and `<!-- quickstart:end -->`, which README.md
 * carries too, byte for byte) runs separately and literally: line 1 (`npm start`) as a real process on a fresh
 * embedded store, then lines 2-5 in bash with only the printed admin token and the real address substituted
 * for the placeholders a newcomer replaces by hand.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES, createApp } from '../src/api/app.ts';
import { createLogger } from '../src/api/middleware/logger.ts';
import { ERROR_CODES, httpStatusOf } from '../src/errors.ts';
import type { Runtime } from '../src/runtime/types.ts';
import { listen } from './support/api.ts';
import { openTestRuntime, type TestRuntime } from './support/db.ts';
import { eventually } from './support/poll.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const DOC = fs.readFileSync(path.join(ROOT, 'docs/api.md'), 'utf8');

interface Fence {
  readonly lang: string;
  readonly body: string;
  /** 1-based line of the opening fence, for messages. */
  readonly line: number;
}

function fences(markdown: string): Fence[] {
  const out: Fence[] = [];
  for (const m of markdown.matchAll(/^```([a-z]*)\n([\s\S]*?)^```$/gm)) {
    out.push({ lang: m[1]!, body: m[2]!, line: markdown.slice(0, m.index).split('\n').length });
  }
  return out;
}

const QUICKSTART = /<!-- quickstart:begin -->\n```sh\n([\s\S]*?)```\n<!-- quickstart:end -->/;

function quickstartOf(markdown: string): string | null {
  return QUICKSTART.exec(markdown)?.[1] ?? null;
}

/** `…` in a documented string stands for any text: what is around it must match. */
function wildcardMatch(documented: string, actual: string): boolean {
  const parts = documented.split('…').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('[\\s\\S]*')}$`).test(actual);
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/**
 * Does the actual body conform to the documented one? Objects: every documented member is present and conforms
 * (members the page leaves out are allowed). Arrays: same length, element by element. Timestamps: any timestamp.
 * Other strings: equal, with `…` as a wildcard. Numbers, booleans, null: equal.
 */
function conforms(documented: unknown, actual: unknown, at = '$'): string[] {
  if (typeof documented === 'string') {
    if (typeof actual !== 'string') return [`${at}: expected a string, got ${JSON.stringify(actual)}`];
    if (ISO.test(documented)) return ISO.test(actual) ? [] : [`${at}: expected a timestamp, got ${actual}`];
    return wildcardMatch(documented, actual) ? [] : [`${at}: expected ${JSON.stringify(documented)}, got ${JSON.stringify(actual)}`];
  }
  if (Array.isArray(documented)) {
    if (!Array.isArray(actual) || actual.length !== documented.length) return [`${at}: expected ${documented.length} items, got ${JSON.stringify(actual)}`];
    return documented.flatMap((d, i) => conforms(d, actual[i], `${at}[${i}]`));
  }
  if (typeof documented === 'object' && documented !== null) {
    if (typeof actual !== 'object' || actual === null || Array.isArray(actual)) return [`${at}: expected an object, got ${JSON.stringify(actual)}`];
    return Object.entries(documented).flatMap(([k, v]) =>
      Object.hasOwn(actual, k) ? conforms(v, (actual as Record<string, unknown>)[k], `${at}.${k}`) : [`${at}: missing ${k}`]);
  }
  return Object.is(documented, actual) ? [] : [`${at}: expected ${JSON.stringify(documented)}, got ${JSON.stringify(actual)}`];
}

interface HttpAnswer {
  readonly status: number;
  readonly headers: [string, string][];
  readonly body: string;
}

/** The last HTTP response in curl -i output (or in a documented ```http block). */
function parseHttp(text: string): HttpAnswer | null {
  const normalized = text.replace(/\r\n/g, '\n');
  const start = normalized.lastIndexOf('HTTP/1.1 ');
  if (start < 0) return null;
  const rest = normalized.slice(start);
  const split = rest.indexOf('\n\n');
  const head = (split < 0 ? rest : rest.slice(0, split)).split('\n');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head[0]!)?.[1]);
  const headers = head.slice(1).filter(Boolean).map((h): [string, string] => {
    const colon = h.indexOf(':');
    return [h.slice(0, colon).trim().toLowerCase(), h.slice(colon + 1).trim()];
  });
  return { status, headers, body: split < 0 ? '' : rest.slice(split + 2).trim() };
}

function checkAgainst(expectation: Fence, output: string, where: string): void {
  if (expectation.lang === 'text') {
    expect(output.trim(), where).toBe(expectation.body.trim());
    return;
  }
  const documented = parseHttp(expectation.body)!;
  const actual = parseHttp(output);
  expect(actual, `${where}: no HTTP response in the output (curl -i?):\n${output}`).not.toBeNull();
  expect(actual!.status, `${where}: ${output}`).toBe(documented.status);
  for (const [name, value] of documented.headers) {
    const got = actual!.headers.find(([n]) => n === name)?.[1];
    expect(got !== undefined && wildcardMatch(value, got), `${where}: header ${name}: ${value}, got ${got}`).toBe(true);
  }
  if (documented.body === '') {
    expect(actual!.body, where).toBe('');
    return;
  }
  expect(conforms(JSON.parse(documented.body), JSON.parse(actual!.body)), `${where}: ${actual!.body}`).toEqual([]);
}

/** bash -c, asynchronously: the docs server runs in this process, so a synchronous spawn would deadlock it. */
function runBash(script: string, cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) if (name === 'DATABASE_URL' || name === 'PORT' || name === 'HOST' || name.startsWith('PAYSEAL_')) delete env[name];
  return { ...env, ...extra };
}

type Call = (method: string, route: string, body?: unknown) => Promise<unknown>;

/** One answer of each shape the payment-message routes give: signed, valid, refused, sealed, detached both ways. */
async function messageAnswers(call: Call): Promise<unknown[]> {
  const message = { amount: '1.00' };
  const signed = (await call('POST', '/v1/messages/sign', { key: 'members', message })) as { jws: string };
  const sealed = (await call('POST', '/v1/messages/seal', { sign_key: 'members', encrypt_key: 'cards', message })) as { sealed: string };
  const payload = Buffer.from('body').toString('base64');
  const detached = (await call('POST', '/v1/messages/sign', { key: 'members', detached: true, b64: false, payload })) as { jws: string };
  return [
    signed,
    await call('POST', '/v1/messages/verify', { jws: signed.jws }),
    await call('POST', '/v1/messages/verify', { jws: `${signed.jws}x` }),
    sealed,
    await call('POST', '/v1/messages/open', { sealed: sealed.sealed }),
    detached,
    await call('POST', '/v1/messages/verify', { jws: detached.jws, payload }),
  ];
}

describe('docs/api.md', () => {
  let runtime: TestRuntime;
  let url = '';
  let close: () => Promise<void> = async () => {};
  const token = `pst_${randomBytes(32).toString('base64url')}`;
  let work = '';

  beforeAll(async () => {
    runtime = await openTestRuntime();
    // As with PAYSEAL_ADMIN_TOKEN: the client `admin` holds a token we chose.
    await runtime.clients.ensureAdmin(token, 'system');
    const app = createApp({ runtime: runtime as Runtime, config: runtime.config, logger: createLogger('silent') }, { defaultMetrics: false });
    const { server, url: u } = await listen(app);
    url = u;
    close = async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    };
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'payseal-docs-'));
  });
  afterAll(async () => {
    await close();
    await runtime?.cleanup();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('every ```sh block runs with curl and answers what the page shows', { timeout: 150_000 }, async () => {
    const quick = quickstartOf(DOC);
    const all = fences(DOC);
    const blocks: { fence: Fence; expectation: Fence | null }[] = [];
    for (let i = 0; i < all.length; i++) {
      const f = all[i]!;
      if (f.lang === 'js') {
        const name = /^\/\/ ([\w.-]+\.mjs)/.exec(f.body)?.[1];
        if (name) fs.writeFileSync(path.join(work, name), f.body);
      }
      if (f.lang !== 'sh' || f.body === quick) continue;
      const next = all[i + 1];
      blocks.push({ fence: f, expectation: next && (next.lang === 'http' || next.lang === 'text') ? next : null });
    }
    expect(blocks.length).toBeGreaterThanOrEqual(20);
    expect(blocks.filter((b) => b.expectation !== null).length).toBeGreaterThanOrEqual(18);
    expect(blocks.every((b) => b.fence.body.includes('curl') || b.fence.body.includes('node '))).toBe(true);

    const marker = (i: number) => `@@payseal-docs-block-${i}@@`;
    const script = ['set -euo pipefail', ...blocks.flatMap((b, i) => [`printf '\\n%s\\n' '${marker(i)}'`, b.fence.body])].join('\n');
    const run = await runBash(script, work, cleanEnv({ PAYSEAL_URL: url, TOKEN: token }), 120_000);
    const outputs = run.stdout.split(/\n@@payseal-docs-block-\d+@@\n/).slice(1);
    const failedAt = blocks[outputs.length - 1]?.fence.line;
    expect(run.status, `bash exited ${run.status} in the block at docs/api.md:${failedAt}\n${run.stderr}`).toBe(0);
    expect(outputs).toHaveLength(blocks.length);
    blocks.forEach((b, i) => {
      if (b.expectation) checkAgainst(b.expectation, outputs[i]!, `docs/api.md:${b.fence.line}`);
    });
  });

  it('names every route the server mounts as "METHOD /path" (path parameters in braces, any name)', () => {
    const missing = ROUTES.filter((r) => {
      const pattern = r.path.split('/').map((part) => (part.startsWith(':') ? '\\{[a-z_]+\\}' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/');
      return !new RegExp(`\\b${r.method.toUpperCase()} ${pattern}(?![\\w/{])`).test(DOC);
    }).map((r) => `${r.method.toUpperCase()} ${r.path}`);
    expect(missing).toEqual([]);
  });

  it('mentions every member name the API answers with (JWK members aside, which RFC 7517/7518 define)', async () => {
    const call = async (method: string, route: string, body?: unknown): Promise<unknown> => {
      const res = await fetch(url + route, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return res.status === 204 ? {} : res.json();
    };
    // Every shape: a DSA key (legacy), a destroyed and a revoked version, an AES key, each operation and an error.
    await call('POST', '/v1/keys', { name: 'members-dsa', type: 'dsa-2048' });
    await call('POST', '/v1/keys', { name: 'members', type: 'ed25519' });
    await call('POST', '/v1/keys/members/rotate');
    await call('POST', '/v1/keys/members/rotate');
    await call('POST', '/v1/keys/members/versions/1/destroy');
    await call('POST', '/v1/keys/members/versions/2/revoke');
    const signature = ((await call('POST', '/v1/keys/members/sign', { input: 'AA==' })) as { signature: string }).signature;
    const ciphertext = ((await call('POST', '/v1/keys/cards/encrypt', { plaintext: 'AA==' })) as { ciphertext: string }).ciphertext;
    const answers = [
      await call('GET', '/v1/keys'),
      await call('GET', '/v1/keys/members/public'),
      await call('GET', '/v1/clients'),
      await call('POST', '/v1/clients', { name: 'members-client', scopes: ['hash'] }),
      await call('POST', '/v1/keys/members/sign', { batch_input: [{ input: 'AA==' }, { input: '!' }] }),
      await call('POST', '/v1/keys/members/verify', { input: 'AQ==', signature }),
      await call('POST', '/v1/keys/cards/decrypt', { ciphertext }),
      await call('POST', '/v1/keys/cards/rewrap', { ciphertext }),
      await call('POST', '/v1/hash', { input: 'AA==' }),
      ...(await messageAnswers(call)),
      await call('GET', '/healthz'),
      await call('GET', '/.well-known/jwks.json'),
    ];
    const names = new Set<string>();
    const walk = (node: unknown, parent: string) => {
      if (Array.isArray(node)) node.forEach((v) => walk(v, parent));
      else if (typeof node === 'object' && node !== null) {
        for (const [k, v] of Object.entries(node)) {
          if (parent === 'jwk' || (parent === 'keys' && 'kty' in node)) continue;
          names.add(k);
          walk(v, k);
        }
      }
    };
    answers.forEach((a) => walk(a, ''));
    expect(names.size).toBeGreaterThan(30);
    const unmentioned = [...names].filter((n) => !DOC.includes(`\`${n}\``) && !DOC.includes(`"${n}"`));
    expect(unmentioned).toEqual([]);
  });

  it('lists every error code an HTTP caller can get, with its status, in the errors table', () => {
    // Start-up and command-line codes never reach an HTTP caller (src/errors.ts says so).
    const http = ERROR_CODES.filter((c) => !['config_invalid', 'kek_missing', 'kek_mismatch', 'store_not_found'].includes(c));
    const rows = DOC.split('\n').filter((l) => /^\| \d{3} \|/.test(l));
    const missing = http.filter((code) => !rows.some((row) => row.startsWith(`| ${httpStatusOf(code)} |`) && row.includes(`\`${code}\``)));
    expect(missing).toEqual([]);
  });

  it('the checker catches a wrong status, a missing member and a wrong value (it can fail)', () => {
    const documented: Fence = { lang: 'http', line: 0, body: 'HTTP/1.1 200 OK\n\n{"valid": true, "key_version": 1}' };
    expect(() => checkAgainst(documented, 'HTTP/1.1 400 Bad Request\r\n\r\n{"error":{}}', 'x')).toThrow();
    expect(() => checkAgainst(documented, 'HTTP/1.1 200 OK\r\n\r\n{"valid":true}', 'x')).toThrow();
    expect(() => checkAgainst(documented, 'HTTP/1.1 200 OK\r\n\r\n{"valid":false,"key_version":1}', 'x')).toThrow();
    expect(() => checkAgainst(documented, 'HTTP/1.1 200 OK\r\nX-A: b\r\n\r\n{"valid":true,"key_version":1,"extra":2}', 'x')).not.toThrow();
    expect(conforms({ s: 'payseal:v1:…' }, { s: 'payseal:v2:AAAA' })).toHaveLength(1);
  });
});

/** The address from serve's JSON log line "payseal is serving" (PORT=0 picks a free port). */
function servingUrl(stdout: string): string | undefined {
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const entry = JSON.parse(line) as { msg?: string; url?: string };
      if (entry.msg === 'payseal is serving' && typeof entry.url === 'string') return entry.url;
    } catch {
      // a partial line: read again on the next chunk
    }
  }
  return undefined;
}

describe('the quick start (docs/api.md, and README.md when it carries it)', () => {
  const block = quickstartOf(DOC);
  let child: ChildProcess | null = null;
  let dataDir = '';

  afterAll(async () => {
    if (child?.pid !== undefined && child.exitCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      process.kill(-child.pid, 'SIGTERM');
      const timer = setTimeout(() => child?.pid !== undefined && process.kill(-child.pid, 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('is five lines: npm start, the exports, create a key, sign, verify', () => {
    expect(block).not.toBeNull();
    const lines = block!.trimEnd().split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(/^npm start(\s+#.*)?$/);
    expect(lines[1]).toContain('TOKEN=pst_PASTE_THE_PRINTED_TOKEN');
    expect(lines[1]).toContain('PAYSEAL_URL=http://127.0.0.1:8080');
  });

  it('README.md carries the same block, byte for byte, when it has one', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    if (readme.includes('<!-- quickstart:begin -->')) expect(quickstartOf(readme)).toBe(block);
  });

  it('runs: npm start on a fresh machine prints an admin token once, and the next four lines create, sign and verify', async () => {
    const lines = block!.trimEnd().split('\n');
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'payseal-quickstart-'));
    // Only the location differs from a newcomer's machine: a fresh data dir, and any free port instead of 8080.
    child = spawn('bash', ['-c', lines[0]!], {
      cwd: ROOT,
      env: cleanEnv({ PAYSEAL_DATA_DIR: path.join(dataDir, 'data'), PORT: '0' }),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    // The admin token is printed on stderr, apart from the JSON log on stdout.
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    let served: string | undefined;
    const proc = child;
    await eventually(90_000, async () => (served = servingUrl(stdout)) !== undefined || proc.exitCode !== null, 100);
    expect(served, `npm start did not come up:\n${stdout}`).toBeDefined();
    const tokens = [...stderr.matchAll(/^\s+(pst_[A-Za-z0-9_-]{43})\s*$/gm)].map((m) => m[1]!);
    expect(tokens, 'the admin token is printed exactly once').toHaveLength(1);

    const rest = lines.slice(1).join('\n').replace('pst_PASTE_THE_PRINTED_TOKEN', tokens[0]!).replace('http://127.0.0.1:8080', served!);
    const run = await runBash(`set -euo pipefail\n${rest}`, dataDir, cleanEnv({}), 60_000);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^\{"name":"payments","type":"ecdsa-p256","purpose":"sign","latest_version":1,/);
    expect(run.stdout.endsWith('{"valid":true,"key_version":1}'), run.stdout).toBe(true);
  }, 120_000);
});
