/**
 * The log: JSON lines with a request id per request (the caller's X-Request-Id when well-formed, else a fresh
 * one, echoed in the response), no token and no private key in any line after requests that carry them, pino's
 * redaction as the second line of defence, and, for a real `payseal serve`, stdout holding JSON lines only
 * while the first-start admin token goes to stderr, outside any JSON line. Embedded mode runs one process
 * whatever PAYSEAL_WORKERS says, and logs why.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/api/middleware/logger.ts';
import { b64, request, startApi, type ApiHarness } from './support/api.ts';
import { httpCall, startServe, type ServeProcess } from './support/serve-process.ts';

/** Every 24-character window of each encoding of a secret, so a partial leak counts too. */
function leaks(logs: readonly string[], secrets: Record<string, string>): string[] {
  const found: string[] = [];
  for (const [label, secret] of Object.entries(secrets)) {
    for (let i = 0; i + 24 <= secret.length; i += 8) {
      const window = secret.slice(i, i + 24);
      if (logs.some((l) => l.includes(window))) {
        found.push(label);
        break;
      }
    }
  }
  return found;
}

describe('request ids and redaction (in-process app)', () => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApi();
    expect((await api.call('POST', '/v1/keys', { body: { name: 'logs', type: 'ecdsa-p256' } })).status).toBe(201);
  });
  afterAll(async () => api?.close());

  const lineFor = (reqId: string) => api.logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.reqId === reqId && l.msg === 'request');

  it('keeps a well-formed X-Request-Id (1 to 128 of [A-Za-z0-9._-]), echoes it and logs it', async () => {
    for (const id of ['a', 'trace-42.b_c', 'x'.repeat(128)]) {
      const res = await api.call('GET', '/v1/keys', { headers: { 'x-request-id': id } });
      expect(res.headers.get('x-request-id')).toBe(id);
      expect(lineFor(id)).toMatchObject({ method: 'GET', route: '/v1/keys', status: 200 });
    }
  });

  it('replaces a malformed, overlong or token-shaped X-Request-Id with a fresh UUID', async () => {
    for (const id of ['x'.repeat(129), 'a b', 'a"b', '{"level":60}', `pst_${crypto.randomBytes(32).toString('base64url')}`]) {
      const res = await api.call('GET', '/v1/keys', { headers: { 'x-request-id': id } });
      const given = res.headers.get('x-request-id')!;
      expect(given).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(lineFor(given)).toBeDefined();
    }
    const withoutHeader = await request(api.url, 'GET', '/healthz');
    expect(withoutHeader.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('writes no token and no private key after requests that carry them', async () => {
    const client = await api.client('logs-reader', ['sign:logs', 'keys:read']);
    const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const der = privateKey.export({ type: 'pkcs8', format: 'der' });
    const stranger = `pst_${crypto.randomBytes(32).toString('base64url')}`;
    const before = api.logs.length;

    // A caller signing a PEM (as payload), sending one in a refused field, in malformed JSON, and in headers.
    expect((await api.call('POST', '/v1/keys/logs/sign', { token: client, body: { input: b64(pem) } })).status).toBe(200);
    expect((await api.call('POST', '/v1/keys', { body: { name: 'imported', type: 'ecdsa-p256', private_key: pem } })).status).toBe(400);
    expect((await api.call('POST', '/v1/keys/logs/sign', { token: client, raw: `{"input": "${pem}`, headers: { 'content-type': 'application/json' } })).status).toBe(400);
    expect((await api.call('GET', '/v1/keys', { token: stranger })).status).toBe(401);
    expect((await api.call('GET', '/v1/keys', { token: client, headers: { 'x-request-id': client, cookie: `token=${client}`, 'x-api-key': stranger } })).status).toBe(200);
    expect((await api.call('GET', '/v1/keys', { token: null, headers: { authorization: `Basic ${b64(`u:${client}`)}` } })).status).toBe(401);

    const logs = api.logs.slice(before);
    expect(logs.length).toBeGreaterThanOrEqual(6);
    const pemBody = pem.split('\n').filter((l) => l && !l.startsWith('-----')).join('');
    expect(leaks(logs, { 'client token': client, 'unknown token': stranger, 'admin token': api.adminToken, 'PEM body': pemBody, 'PEM as base64': b64(pem), 'DER hex': der.toString('hex') })).toEqual([]);
    for (const l of logs) expect(l).not.toMatch(/PRIVATE KEY|Bearer /);
    // The detector itself finds a planted window.
    expect(leaks([`x${client.slice(10, 40)}x`], { client })).toEqual(['client']);
  });
});

describe('the logger redacts secret-named fields wherever a careless call puts them', () => {
  it('replaces tokens, Authorization headers, key material and a JWK private member with [redacted]', () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(chunk.toString()), done()) });
    const logger = createLogger('info', sink);
    const token = `pst_${crypto.randomBytes(32).toString('base64url')}`;
    const secret = crypto.randomBytes(32).toString('base64');
    logger.info(
      {
        token,
        authorization: `Bearer ${token}`,
        req: { headers: { authorization: `Bearer ${token}`, cookie: `t=${token}` } },
        key: { privateKey: secret, kek: secret, jwk: { kty: 'EC', d: secret, x: 'public-x' } },
        databaseUrl: `postgres://payseal:${secret}@db/payseal`,
        name: 'payments',
      },
      'careless',
    );
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]!) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(lines[0]).not.toContain(token.slice(4, 28));
    expect(lines[0]).not.toContain(secret.slice(0, 24));
    expect(entry.token).toBe('[redacted]');
    expect(entry.req.headers).toEqual({ authorization: '[redacted]', cookie: '[redacted]' });
    expect(entry.key.jwk).toEqual({ kty: 'EC', d: '[redacted]', x: 'public-x' });
    expect(entry).toMatchObject({ level: 30, service: 'payseal', pid: process.pid, name: 'payments', msg: 'careless' });
    expect(new Date(entry.time as string).toISOString()).toBe(entry.time);
  });
});

describe('payseal serve (embedded, PAYSEAL_WORKERS=4): stdout is JSON only, the admin token is on stderr', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'payseal-ops-logs-'));
  let svc: ServeProcess;
  beforeAll(async () => {
    svc = await startServe({ PAYSEAL_DATA_DIR: dataDir, PAYSEAL_WORKERS: '4' });
  }, 120_000);
  afterAll(async () => {
    if (svc) await svc.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints the token once on stderr, never on stdout nor inside a JSON line, and it works', async () => {
    const tokens = [...svc.stderr().matchAll(/^\s+(pst_[A-Za-z0-9_-]{43})\s*$/gm)].map((m) => m[1]!);
    expect(tokens).toHaveLength(1);
    const token = tokens[0]!;
    expect(svc.stdout()).not.toContain(token.slice(4, 28));
    for (const line of svc.stderr().split('\n')) if (line.includes(token)) expect(line.trim()).toBe(token);
    expect((await httpCall(svc.base, 'GET', '/v1/keys', { token })).status).toBe(200);
  });

  it('writes only JSON objects to stdout, each with level, ISO time, pid and message', async () => {
    await httpCall(svc.base, 'GET', '/healthz');
    const lines = svc.logLines();
    expect(lines.length).toBeGreaterThan(3);
    for (const l of lines) {
      expect(l.unparsed).toBeUndefined();
      expect(l).toMatchObject({ level: expect.any(Number), time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), pid: expect.any(Number), msg: expect.any(String) });
    }
  });

  it('runs one process in embedded mode and says why', async () => {
    const note = svc.logLines().find((l) => typeof l.msg === 'string' && l.msg.startsWith('embedded mode runs one process'));
    expect(note).toMatchObject({ workers: 1 });
    expect(note!.msg).toContain('PAYSEAL_WORKERS=4');
    const res = await httpCall(svc.base, 'GET', '/healthz');
    expect(res.headers['x-payseal-worker']).toBeUndefined();
    expect(new Set(svc.logLines().map((l) => l.pid)).size).toBe(1);
  });
});
