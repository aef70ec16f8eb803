/**
 * Cluster mode against a real PostgreSQL (needs DATABASE_URL; under CI an unreachable server fails the suite):
 * `payseal serve` with PAYSEAL_WORKERS=2 runs two worker processes behind one port. Requests land on both; a
 * rotation answered by one worker is seen by requests the other serves within a second (LISTEN/NOTIFY);
 * concurrent rotations through both give consecutive versions; /metrics is the sum over the workers; a worker
 * killed with SIGKILL in the middle of rotations is replaced, and no committed version is lost or duplicated;
 * SIGTERM to the primary lets a request in flight finish, then every process exits 0.
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cgroupCpuLimit, defaultWorkerCount, resolveWorkerCount } from '../src/api/cluster/worker-count.ts';
import { loadConfig } from '../src/config.ts';
import { codeOf } from './support/errors.ts';
import { createTestStore, postgresUrl, type TestStore } from './support/db.ts';
import { eventually } from './support/poll.ts';
import { httpCall, startServe, type HttpResult, type ServeProcess } from './support/serve-process.ts';

const token = `pst_${crypto.randomBytes(32).toString('base64url')}`;
let store: TestStore;
let svc: ServeProcess;

const call = (method: string, path: string, body?: unknown): Promise<HttpResult> => httpCall(svc.base, method, path, { token, body });
const workerOf = (r: HttpResult): string => String(r.headers['x-payseal-worker']);
const sign = (key: string) => call('POST', `/v1/keys/${key}/sign`, { input: 'aGVsbG8=' });

function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

function childPids(pid: number): number[] {
  return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
    .split('\n')
    .map((s) => Number(s.trim()))
    .filter((n) => n > 0);
}

describe('how many workers', () => {
  const pg = 'postgres://payseal@db/payseal';

  it('reads PAYSEAL_WORKERS (1 to 256; unset means the default), refusing anything else with config_invalid', () => {
    expect(loadConfig({}).workers).toBeNull();
    expect(loadConfig({ PAYSEAL_WORKERS: ' ' }).workers).toBeNull();
    expect(loadConfig({ PAYSEAL_WORKERS: '3' }).workers).toBe(3);
    for (const bad of ['0', '257', '2.5', 'two', '-1']) expect(codeOf(() => loadConfig({ PAYSEAL_WORKERS: bad }))).toBe('config_invalid');
  });

  it('runs one per core by default with PostgreSQL, as asked otherwise, and always one in embedded mode', () => {
    expect(resolveWorkerCount(loadConfig({ DATABASE_URL: pg }), 4)).toEqual({ count: 4, note: null });
    expect(resolveWorkerCount(loadConfig({ DATABASE_URL: pg, PAYSEAL_WORKERS: '1' }), 4)).toEqual({ count: 1, note: null });
    expect(resolveWorkerCount(loadConfig({ DATABASE_URL: pg, PAYSEAL_WORKERS: '6' }), 4)).toEqual({ count: 6, note: null });
    const embedded = resolveWorkerCount(loadConfig({ PAYSEAL_WORKERS: '6' }), 4);
    expect(embedded.count).toBe(1);
    expect(embedded.note).toMatch(/PAYSEAL_WORKERS=6 ignored.*PGlite/);
    expect(resolveWorkerCount(loadConfig({}), 4).note).toMatch(/4 cores ignored/);
    expect(resolveWorkerCount(loadConfig({}), 1)).toEqual({ count: 1, note: null });
  });

  it("caps the default by the container's CPU quota (cgroup v2 cpu.max, or v1 cfs quota and period)", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'payseal-cgroup-'));
    try {
      expect(cgroupCpuLimit(root)).toBeNull();
      fs.writeFileSync(path.join(root, 'cpu.max'), 'max 100000\n');
      expect(cgroupCpuLimit(root)).toBeNull();
      fs.writeFileSync(path.join(root, 'cpu.max'), '150000 100000\n');
      expect(cgroupCpuLimit(root)).toBe(2);
      fs.rmSync(path.join(root, 'cpu.max'));
      fs.mkdirSync(path.join(root, 'cpu'));
      fs.writeFileSync(path.join(root, 'cpu/cpu.cfs_quota_us'), '300000\n');
      fs.writeFileSync(path.join(root, 'cpu/cpu.cfs_period_us'), '100000\n');
      expect(cgroupCpuLimit(root)).toBe(3);
      fs.writeFileSync(path.join(root, 'cpu/cpu.cfs_quota_us'), '-1\n');
      expect(cgroupCpuLimit(root)).toBeNull();
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
    expect(defaultWorkerCount(64, 2)).toBe(2);
    expect(defaultWorkerCount(2, null)).toBe(2);
    expect(defaultWorkerCount(8, 16)).toBe(8);
  });
});

describe.skipIf(!postgresUrl())('cluster mode (PAYSEAL_WORKERS=2) on PostgreSQL', () => {
  beforeAll(async () => {
    store = await createTestStore({ backend: 'postgres' });
    svc = await startServe({ DATABASE_URL: store.config.databaseUrl!, PAYSEAL_KEK: store.config.kekBase64!, PAYSEAL_ADMIN_TOKEN: token, PAYSEAL_WORKERS: '2' });
  }, 120_000);
  afterAll(async () => {
    if (svc && svc.child.exitCode === null) await svc.stop('SIGKILL');
    await store?.cleanup();
  });

  it('starts two workers behind one port, and requests land on both', async () => {
    expect(svc.logLines().find((l) => l.msg === 'payseal is serving')).toMatchObject({ workers: 2, mode: 'postgres' });
    const seen = new Set<string>();
    for (let i = 0; i < 10; i++) {
      const r = await httpCall(svc.base, 'GET', '/healthz');
      expect(r.status).toBe(200);
      seen.add(workerOf(r));
    }
    expect([...seen].sort()).toEqual(['1', '2']);
    expect(childPids(svc.child.pid!)).toHaveLength(2);
    const pids = new Set(svc.logLines().filter((l) => l.msg === 'request').map((l) => l.pid));
    expect(pids.size).toBe(2);
  });

  it("sums every worker's counters in /metrics, whichever worker answers the scrape", async () => {
    const count = async () => sample((await httpCall(svc.base, 'GET', '/metrics')).text, 'payseal_http_requests_total{method="GET",route="/readyz",status="200"}');
    const before = await count();
    for (let i = 0; i < 9; i++) expect((await httpCall(svc.base, 'GET', '/readyz')).status).toBe(200);
    // Consecutive scrapes reach different workers; each sees the same sum.
    expect(await count()).toBe(before + 9);
    expect(await count()).toBe(before + 9);
  });

  it('a rotation answered by one worker reaches requests served by the other within a second', async () => {
    expect((await call('POST', '/v1/keys', { name: 'spread', type: 'ecdsa-p256' })).status).toBe(201);
    // Both workers sign with v1 first, so each has the key cached.
    const cached = new Set<string>();
    while (cached.size < 2) {
      const r = await sign('spread');
      expect(r.json.key_version).toBe(1);
      cached.add(workerOf(r));
    }
    const rotated = await call('POST', '/v1/keys/spread/rotate');
    expect(rotated.status).toBe(200);
    const at = Date.now();
    const rotatingWorker = workerOf(rotated);
    let elapsed = -1;
    const seenOnOther = await eventually(5_000, async () => {
      const r = await sign('spread');
      if (workerOf(r) === rotatingWorker || r.json.key_version !== 2) return false;
      elapsed = Date.now() - at;
      return true;
    }, 0);
    expect(seenOnOther).toBe(true);
    console.info(`rotation by worker ${rotatingWorker} seen by the other worker after ${elapsed} ms`);
    expect(elapsed).toBeLessThan(1_000);
  });

  it('20 concurrent rotations through both workers give 20 consecutive versions, no duplicate, no gap', async () => {
    expect((await call('POST', '/v1/keys', { name: 'busy', type: 'ed25519' })).status).toBe(201);
    const results = await Promise.all(Array.from({ length: 20 }, () => call('POST', '/v1/keys/busy/rotate')));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(new Set(results.map(workerOf)).size).toBe(2);
    // Each answer is the key as read after its rotation committed (a later rotation may already show).
    for (const r of results) expect(r.json.latest_version).toBeGreaterThanOrEqual(2);
    const info = await call('GET', '/v1/keys/busy');
    expect(info.json.latest_version).toBe(21);
    expect(info.json.versions.map((v: { version: number }) => v.version)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
  });

  it('a worker killed with SIGKILL mid-rotations is replaced; every committed version stays, none is duplicated', async () => {
    expect((await call('POST', '/v1/keys', { name: 'crash', type: 'ed25519' })).status).toBe(201);
    const [victim] = childPids(svc.child.pid!);
    const inFlight = Array.from({ length: 20 }, (_, i) =>
      new Promise((r) => setTimeout(r, i * 5)).then(() => httpCall(svc.base, 'POST', '/v1/keys/crash/rotate', { token, timeoutMs: 5_000 }).catch((e: Error) => e)),
    );
    await new Promise((r) => setTimeout(r, 30));
    process.kill(victim!, 'SIGKILL');
    const outcomes = await Promise.all(inFlight);
    const answered = outcomes.filter((o): o is HttpResult => !(o instanceof Error) && o.status === 200);
    const cut = outcomes.filter((o) => o instanceof Error);
    console.info(`SIGKILL mid-rotations: ${answered.length} answered 200, ${cut.length} cut (${cut.map((e) => (e as Error).message).join('; ')})`);

    // What the store holds: versions 1..latest, each once, at least one per rotation a caller saw succeed,
    // at most one per request sent (a rotation cut before its answer may still have committed).
    const rt = await store.open({ role: 'cli' });
    try {
      const info = await rt.keys.get('crash');
      expect(info.versions.map((v) => v.version)).toEqual(Array.from({ length: info.latest_version }, (_, i) => i + 1));
      expect(info.latest_version - 1).toBeGreaterThanOrEqual(answered.length);
      expect(info.latest_version - 1).toBeLessThanOrEqual(outcomes.length);
      for (const o of answered) expect(o.json.latest_version).toBeLessThanOrEqual(info.latest_version);
    } finally {
      await rt.close();
    }
    expect(await eventually(20_000, async () => svc.logLines().some((l) => l.msg === 'worker died; starting a replacement'), 100)).toBe(true);
    expect(await eventually(30_000, async () => childPids(svc.child.pid!).length === 2 && !childPids(svc.child.pid!).includes(victim!), 100)).toBe(true);
    const seen = new Set<string>();
    expect(
      await eventually(30_000, async () => {
        const r = await httpCall(svc.base, 'GET', '/readyz');
        if (r.status === 200) seen.add(workerOf(r));
        return seen.size === 2 && [...seen].some((w) => Number(w) > 2);
      }, 20),
    ).toBe(true);
  });

  it('SIGTERM to the primary lets a request in flight finish, then every process exits 0', async () => {
    const workers = childPids(svc.child.pid!);
    const socket = net.connect(svc.port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    let answer = '';
    socket.setEncoding('utf8').on('data', (d: string) => (answer += d));
    const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    const body = JSON.stringify({ input: 'aGVsbG8=' });
    // Expect: 100-continue (RFC 9110 §10.1.1): the interim answer proves a worker is handling the request.
    socket.write(`POST /v1/keys/spread/sign HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nExpect: 100-continue\r\n\r\n`);
    expect(await eventually(10_000, async () => answer.startsWith('HTTP/1.1 100 Continue\r\n\r\n'), 10)).toBe(true);
    const exit = svc.stop('SIGTERM');
    // Every worker has begun draining before the body is sent.
    const shuttingDown = () => new Set(svc.logLines().filter((l) => l.msg === 'shutting down').map((l) => l.pid)).size;
    expect(await eventually(10_000, async () => shuttingDown() === workers.length, 20)).toBe(true);
    socket.write(body);
    await ended;
    expect(answer).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
    expect(answer).toMatch(/\r\nConnection: close\r\n/i);
    expect(await exit).toBe(0);
    for (const pid of workers) expect(() => process.kill(pid, 0)).toThrow();
    const drained = svc.logLines().filter((l) => l.msg === 'drained');
    expect(drained).toHaveLength(2);
    expect(svc.logLines().at(-1)).toMatchObject({ msg: 'payseal stopped', code: 0 });
  });
});
