/**
 * PostgreSQL going away under a running `payseal serve` (two workers), simulated by cutting a TCP proxy between
 * the service and the server (the machine's shared PostgreSQL is never stopped): /healthz stays 200, /readyz
 * and database-bound routes answer 503 `unavailable` on every worker; once the proxy is back the service
 * recovers by itself within 10 s (the pool reconnects), and each worker's LISTEN connection is re-established,
 * so a change made elsewhere reaches both workers within a second with the periodic refresh set to a minute.
 * Stopping during an outage works even when stdout is a broken pipe.
 * Needs DATABASE_URL (under CI an unreachable server fails the suite).
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../src/runtime/types.ts';
import { createTestStore, postgresUrl, type TestStore } from './support/db.ts';
import { eventually } from './support/poll.ts';
import { httpCall, startServe, type HttpResult, type ServeProcess } from './support/serve-process.ts';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.ts';

const token = `pst_${crypto.randomBytes(32).toString('base64url')}`;
let store: TestStore;
let proxy: TcpProxy;
let svc: ServeProcess;
let direct: Runtime;
let channel = '';
/** The service's connections name themselves, to tell them from this test's own. */
const APP = `payseal-ops-faults-${process.pid}`;

const call = (method: string, path: string, body?: unknown): Promise<HttpResult> => httpCall(svc.base, method, path, { token, body, timeoutMs: 8_000 });
const workerOf = (r: HttpResult): string => String(r.headers['x-payseal-worker']);

/** Answers from both workers: calls until each worker answered `times` times; returns their statuses and codes. */
async function fromBothWorkers(make: () => Promise<HttpResult>, times = 2): Promise<Map<string, HttpResult[]>> {
  const by = new Map<string, HttpResult[]>();
  for (let i = 0; i < 40 && (by.size < 2 || [...by.values()].some((l) => l.length < times)); i++) {
    const r = await make();
    by.set(workerOf(r), [...(by.get(workerOf(r)) ?? []), r]);
  }
  expect(by.size).toBe(2);
  return by;
}

/** LISTEN sessions of the service on this store's change channel (one per worker when all is well). */
async function listeners(): Promise<number> {
  const rows = await direct.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE query = $1 AND application_name = $2`, [`LISTEN "${channel}"`, APP]);
  return rows[0]?.n ?? 0;
}

describe.skipIf(!postgresUrl())('PostgreSQL outage and recovery (TCP proxy cut under two workers)', () => {
  beforeAll(async () => {
    store = await createTestStore({ backend: 'postgres' });
    const target = new URL(store.config.databaseUrl!);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const viaProxy = new URL(target);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    viaProxy.searchParams.set('application_name', APP);
    svc = await startServe({
      DATABASE_URL: viaProxy.toString(),
      PAYSEAL_KEK: store.config.kekBase64!,
      PAYSEAL_ADMIN_TOKEN: token,
      PAYSEAL_WORKERS: '2',
      // Only LISTEN/NOTIFY can deliver a change within a second: the periodic re-read waits a minute.
      PAYSEAL_CACHE_REFRESH_MS: '60000',
      PAYSEAL_ROTATION_CHECK_SECONDS: '0',
    });
    direct = await store.open({ role: 'cli' });
    const schema = (await direct.db.query<{ s: string }>('SELECT current_schema() AS s'))[0]!.s;
    channel = `payseal_changes_${schema}`;
    expect((await call('POST', '/v1/keys', { name: 'outage', type: 'ecdsa-p256' })).status).toBe(201);
    expect(await eventually(10_000, async () => (await listeners()) === 2)).toBe(true);
  }, 120_000);
  afterAll(async () => {
    if (svc) await svc.stop('SIGTERM');
    await proxy?.close();
    await direct?.close();
    await store?.cleanup();
  });

  it('with the database away: /healthz 200, /readyz and database-bound routes 503 unavailable, on both workers', async () => {
    for (const [, rs] of await fromBothWorkers(() => call('POST', '/v1/keys/outage/sign', { input: 'aGVsbG8=' }), 1)) expect(rs[0]!.status).toBe(200);
    await proxy.cut();
    for (const [, rs] of await fromBothWorkers(() => httpCall(svc.base, 'GET', '/healthz'))) for (const r of rs) expect(r.status).toBe(200);
    for (const [, rs] of await fromBothWorkers(() => httpCall(svc.base, 'GET', '/readyz'))) {
      for (const r of rs) expect([r.status, r.json?.error?.code]).toEqual([503, 'unavailable']);
    }
    for (const [, rs] of await fromBothWorkers(() => call('GET', '/v1/keys'))) for (const r of rs) expect([r.status, r.json?.error?.code]).toEqual([503, 'unavailable']);
    for (const [, rs] of await fromBothWorkers(() => call('POST', '/v1/keys', { name: `k${crypto.randomBytes(3).toString('hex')}`, type: 'ed25519' }), 1)) {
      expect([rs[0]!.status, rs[0]!.json?.error?.code]).toEqual([503, 'unavailable']);
    }
    // An outage of several seconds, so LISTEN's reconnection backoff reaches its ceiling (2 s).
    await new Promise((r) => setTimeout(r, 6_000));
    expect((await httpCall(svc.base, 'GET', '/readyz')).status).toBe(503);
    // No worker crashed meanwhile.
    expect(svc.logLines().filter((l) => l.msg === 'worker died; starting a replacement')).toEqual([]);
  });

  it('recovers by itself within 10 s of the database coming back, LISTEN included', async () => {
    await proxy.restore();
    const back = Date.now();
    let ready = -1;
    const recovered = await eventually(
      15_000,
      async () => {
        const both = await fromBothWorkers(() => call('GET', '/v1/keys').catch(() => ({ status: 0, headers: {}, text: '', json: undefined })), 1);
        if (![...both.values()].every((rs) => rs.every((r) => r.status === 200))) return false;
        ready = Date.now() - back;
        return true;
      },
      50,
    );
    expect(recovered).toBe(true);
    expect(await eventually(10_000, async () => (await listeners()) === 2, 50)).toBe(true);
    const listening = Date.now() - back;
    console.info(`database back: both workers served database-bound requests after ${ready} ms, both LISTEN sessions back after ${listening} ms`);
    expect(ready).toBeLessThan(10_000);
    expect(listening).toBeLessThan(10_000);
    for (const [, rs] of await fromBothWorkers(() => httpCall(svc.base, 'GET', '/readyz'))) for (const r of rs) expect(r.status).toBe(200);
  });

  it('after recovery, a rotation made elsewhere reaches both workers within a second (re-subscribed LISTEN)', async () => {
    // Both workers hold v1 in their cache.
    for (const [, rs] of await fromBothWorkers(() => call('POST', '/v1/keys/outage/sign', { input: 'aGVsbG8=' }), 1)) expect(rs[0]!.json.key_version).toBe(1);
    await direct.keys.rotate('outage', 'test');
    const at = Date.now();
    const seen = new Map<string, number>();
    const both = await eventually(
      5_000,
      async () => {
        const r = await call('POST', '/v1/keys/outage/sign', { input: 'aGVsbG8=' });
        if (r.json?.key_version === 2 && !seen.has(workerOf(r))) seen.set(workerOf(r), Date.now() - at);
        return seen.size === 2;
      },
      0,
    );
    expect(both).toBe(true);
    console.info(`rotation outside the service seen by the workers after ${[...seen.values()].join(' and ')} ms`);
    for (const ms of seen.values()) expect(ms).toBeLessThan(1_000);
  });

  it('SIGTERM during an outage, with stdout gone (a log reader that died), still drains and exits 0', async () => {
    await proxy.cut();
    svc.child.stdout!.destroy();
    expect((await httpCall(svc.base, 'GET', '/readyz')).status).toBe(503);
    expect(await svc.stop('SIGTERM')).toBe(0);
  });
});
