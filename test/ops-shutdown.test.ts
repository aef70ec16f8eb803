/**
 * Graceful shutdown of one service process (serve().close(), what SIGTERM runs): idle keep-alive connections
 * are closed at once, new connections are refused, a request in flight finishes and its answer carries
 * `Connection: close` before its connection is closed, and only then do the runtime's shutdown hooks run
 * (newest first, with the store still open; one failing does not stop the rest), before the store closes.
 * Ordering is asserted, not timing.
 */
import crypto from 'node:crypto';
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { createLogger } from '../src/api/middleware/logger.ts';
import { serve } from '../src/api/serve.ts';
import { createTestStore, type TestStore } from './support/db.ts';
import { eventually } from './support/poll.ts';

const stores: TestStore[] = [];
afterAll(async () => {
  for (const s of stores) await s.cleanup();
});

/** A raw HTTP/1.1 connection whose request bytes the test writes itself. */
function connectRaw(port: number): Promise<{ socket: net.Socket; received(): string; ended: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (data += d));
    const ended = new Promise<void>((r) => socket.once('close', () => r()));
    socket.once('error', reject);
    socket.once('connect', () => resolve({ socket, received: () => data, ended }));
  });
}

describe('serve().close(): drain, then shutdown hooks, then the store', () => {
  it('finishes the request in flight with Connection: close, closes idle connections, then runs hooks newest first', async () => {
    const store = await createTestStore();
    stores.push(store);
    const token = `pst_${crypto.randomBytes(32).toString('base64url')}`;
    const logs: string[] = [];
    const logger = createLogger('info', new Writable({ write: (c: Buffer, _e, done) => (logs.push(c.toString()), done()) }));
    const serving = await serve({ ...store.config, host: '127.0.0.1', port: 0, adminToken: token, rotationCheckSeconds: 0 }, { logger, handleSignals: false, print: () => {} });
    const port = Number(new URL(serving.url).port);
    const events: string[] = [];
    try {
      const created = await fetch(`${serving.url}/v1/keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'drain', type: 'ed25519' }),
      });
      expect(created.status).toBe(201);
      serving.runtime.onShutdown('first registered', async () => {
        const rows = await serving.runtime.db.query<{ n: number }>('SELECT count(*)::int AS n FROM key_versions WHERE key = $1', ['drain']);
        events.push(`first hook: ${rows[0]!.n} version(s) readable`);
      });
      serving.runtime.onShutdown('failing', async () => {
        events.push('failing hook');
        throw new Error('flush failed');
      });
      serving.runtime.onShutdown('last registered', async () => {
        // The access-log line is written when a response finishes: the request in flight was answered first.
        const answered = logs.some((l) => l.includes('"route":"/v1/keys/:name/sign"') && l.includes('"status":200'));
        events.push(`last hook: sign ${answered ? 'answered' : 'NOT answered'}`);
      });

      // An idle keep-alive connection, one whose request is half sent when the shutdown begins, and one just
      // opened that has not sent anything yet.
      const idle = await connectRaw(port);
      idle.socket.write(`GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n`);
      expect(await eventually(5_000, async () => idle.received().includes('"status":"ok"'))).toBe(true);
      void idle.ended.then(() => events.push('idle connection closed'));
      const busy = await connectRaw(port);
      const body = JSON.stringify({ input: Buffer.from('drain me').toString('base64') });
      // Expect: 100-continue (RFC 9110 §10.1.1): the interim answer proves the server is handling the request.
      busy.socket.write(
        `POST /v1/keys/drain/sign HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nExpect: 100-continue\r\n\r\n`,
      );
      expect(await eventually(5_000, async () => busy.received().startsWith('HTTP/1.1 100 Continue\r\n\r\n'))).toBe(true);
      const fresh = await connectRaw(port);
      expect(await eventually(5_000, async () => (await fetch(`${serving.url}/healthz`)).ok)).toBe(true);

      const closed = serving.close().then(() => events.push('closed'));
      expect(await eventually(5_000, async () => events.includes('idle connection closed'))).toBe(true);
      // No new connection is accepted while draining.
      const refused = await new Promise<string>((resolve) => {
        const s = net.connect(port, '127.0.0.1');
        s.once('connect', () => (s.destroy(), resolve('connected')));
        s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      });
      expect(refused).toBe('ECONNREFUSED');
      expect(events).toEqual(['idle connection closed']);

      // The connection opened before the shutdown may still send its first request, answered with Connection: close.
      fresh.socket.write(`GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n`);
      await fresh.ended;
      expect(fresh.received()).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      expect(fresh.received()).toMatch(/\r\nConnection: close\r\n/i);
      expect(fresh.received()).toContain('"status":"ok"');

      busy.socket.write(body);
      await busy.ended;
      const answer = busy.received();
      expect(answer).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
      expect(answer).toMatch(/\r\nConnection: close\r\n/i);
      expect(answer).toContain('"key_version":1');
      await closed;

      expect(events).toEqual(['idle connection closed', 'last hook: sign answered', 'failing hook', 'first hook: 1 version(s) readable', 'closed']);
      expect(logs.some((l) => l.includes('"hook":"failing"') && l.includes('shutdown hook failed'))).toBe(true);
      expect(logs.some((l) => l.includes('"msg":"payseal stopped"'))).toBe(true);
      // The store is closed once close() resolved.
      await expect(serving.runtime.db.query('SELECT 1')).rejects.toBeDefined();
    } finally {
      await serving.close();
    }
  });

  it('refuses a hook added once shutdown began', async () => {
    const store = await createTestStore();
    stores.push(store);
    const rt = await store.open();
    await rt.close();
    expect(() => rt.onShutdown('late', async () => {})).toThrow(/after shutdown began/);
  });
});
