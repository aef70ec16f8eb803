/**
 * The rotation scheduler inside the service (src/keys/rotation-scheduler.ts) against a real store: it rotates a due
 * key with no CLI involved (actor system:scheduler); two schedulers on one store (two service replicas on
 * PostgreSQL; on PGlite the service and a second runtime through its socket) add exactly one version per due
 * key, also when their rounds are started at the same instant; a key whose rotation fails is logged, counted
 * and retried while the others rotate; close() stops it. Intervals are short; nothing asserts a timing:
 * every wait polls with a generous deadline.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import type { KeyLog } from '../src/keys/_log.ts';
import { openRuntime } from '../src/runtime/open.ts';
import type { Runtime, RuntimeOptions } from '../src/runtime/types.ts';
import { createTestStore, testBackends, type TestStore } from './support/db.ts';
import { codeOf as syncCodeOf } from './support/errors.ts';
import { until } from './support/poll.ts';

interface Captured extends KeyLog {
  readonly lines: { level: string; fields: Record<string, unknown>; message: string }[];
}

function captureLog(): Captured {
  const lines: Captured['lines'] = [];
  const at = (level: string) => (fields: Record<string, unknown>, message: string) => void lines.push({ level, fields, message });
  return { lines, info: at('info'), warn: at('warn'), error: at('error') };
}

const stores: TestStore[] = [];
const runtimes: Runtime[] = [];
afterAll(async () => {
  for (const rt of runtimes) await rt.close().catch(() => {});
  for (const s of stores) await s.cleanup();
});

async function freshStore(backend: 'embedded' | 'postgres'): Promise<TestStore> {
  const store = await createTestStore({ backend, cacheRefreshMs: 200 });
  stores.push(store);
  return store;
}

async function open(store: TestStore, options: RuntimeOptions): Promise<Runtime> {
  const rt = await openRuntime(store.config, options);
  runtimes.push(rt);
  return rt;
}

async function makeDue(rt: Runtime, names: readonly string[]): Promise<void> {
  await rt.db.query("UPDATE keys SET next_rotation_at = now() - interval '1 minute' WHERE name = ANY($1)", [names]);
}

async function versionsOf(rt: Runtime, name: string): Promise<number[]> {
  const rows = await rt.db.query<{ version: number }>('SELECT version FROM key_versions WHERE key = $1 ORDER BY version', [name]);
  return rows.map((r) => r.version);
}

describe.each(testBackends())('rotation scheduler on %s', (backend) => {
  it('rotates a due key on its own, with actor system:scheduler, and leaves keys not due alone', async () => {
    const store = await freshStore(backend);
    const log = captureLog();
    const service = await open(store, { role: 'service', rotationCheckMs: 100, log });
    expect(service.scheduler).not.toBeNull();
    await service.keys.create('due', 'ecdsa-p256', '90d', 'test');
    await service.keys.create('later', 'ed25519', '90d', 'test');
    await service.keys.create('manual', 'aes-256-gcm', null, 'test');
    await makeDue(service, ['due']);

    await until('the scheduler to rotate "due"', async () => (await service.keys.get('due')).latest_version === 2);
    const info = await service.keys.get('due');
    expect(new Date(info.next_rotation_at as string).getTime()).toBeGreaterThan(Date.now() + 89 * 86_400_000);
    const events = await service.db.query<{ actor: string; op: string; version: number; detail: Record<string, unknown> }>(
      "SELECT actor, op, version, detail FROM key_events WHERE key = 'due' AND op = 'key_rotate'",
    );
    expect(events).toEqual([{ actor: 'system:scheduler', op: 'key_rotate', version: 2, detail: { scheduled: true } }]);
    // A few more rounds change nothing else.
    const rounds = service.scheduler!.stats().rounds;
    await until('two more rounds', async () => service.scheduler!.stats().rounds >= rounds + 2);
    expect(await versionsOf(service, 'due')).toEqual([1, 2]);
    expect(await versionsOf(service, 'later')).toEqual([1]);
    expect(await versionsOf(service, 'manual')).toEqual([1]);
    expect(log.lines.filter((l) => l.message === 'scheduled rotation')).toEqual([
      { level: 'info', fields: { key: 'due', version: 2, actor: 'system:scheduler' }, message: 'scheduled rotation' },
    ]);
    expect(service.scheduler!.stats()).toMatchObject({ rotated: 1, failed: 0, errors: 0 });
  });

  it('two schedulers on one store add exactly one version per due key', async () => {
    const store = await freshStore(backend);
    const a = await open(store, { role: 'service', rotationCheckMs: 60_000, log: captureLog() });
    // PGlite: one service owns the data dir; the second scheduler reaches it through the socket, as a CLI would.
    const b = await open(store, { role: backend === 'postgres' ? 'service' : 'cli', scheduler: true, rotationCheckMs: 60_000, log: captureLog() });
    expect(b.via).toBe(backend === 'postgres' ? 'postgres' : 'socket');
    const names = ['r1', 'r2', 'r3', 'r4'];
    for (const n of names) await a.keys.create(n, n === 'r4' ? 'aes-128-gcm' : 'ecdsa-p256', '12h', 'test');

    // Rounds started at the same instant, several times over.
    for (let i = 0; i < 5; i++) {
      await makeDue(a, names);
      await Promise.all([a.scheduler!.runOnce(), b.scheduler!.runOnce(), a.scheduler!.runOnce(), b.scheduler!.runOnce()]);
      for (const n of names) expect(await versionsOf(a, n), `${n} after race ${i}`).toEqual(Array.from({ length: i + 2 }, (_, j) => j + 1));
    }
    const rotated = a.scheduler!.stats().rotated + b.scheduler!.stats().rotated;
    expect(rotated).toBe(names.length * 5);
    const n = await a.db.query<{ n: number }>("SELECT count(*)::int AS n FROM key_events WHERE op = 'key_rotate' AND actor = 'system:scheduler'");
    expect(n[0]!.n).toBe(names.length * 5);
  });

  it('two schedulers on timers rotate a due key once', async () => {
    const store = await freshStore(backend);
    const a = await open(store, { role: 'service', rotationCheckMs: 50, log: captureLog() });
    const b = await open(store, { role: backend === 'postgres' ? 'service' : 'cli', scheduler: true, rotationCheckMs: 50, log: captureLog() });
    await a.keys.create('timed', 'ed25519', '30m', 'test');
    await makeDue(b, ['timed']);
    await until('a rotation', async () => (await versionsOf(a, 'timed')).length === 2);
    const seen = [a.scheduler!.stats(), b.scheduler!.stats()].map((s) => s.rounds + s.skipped);
    await until('three more rounds of each', async () =>
      [a.scheduler!.stats(), b.scheduler!.stats()].every((s, i) => s.rounds + s.skipped >= seen[i]! + 3),
    );
    expect(await versionsOf(a, 'timed')).toEqual([1, 2]);
    expect(a.scheduler!.stats().rotated + b.scheduler!.stats().rotated).toBe(1);
  });

  it("one key's failure does not stop the others; it is logged without secrets, counted and retried", async () => {
    const store = await freshStore(backend);
    const log = captureLog();
    const service = await open(store, { role: 'service', rotationCheckMs: 100, log });
    for (const n of ['a-first', 'm-broken', 'z-last']) await service.keys.create(n, 'ecdsa-p256', '1h', 'test');
    // A key whose rotation cannot succeed: its type is one this payseal refuses to generate.
    await service.db.query("UPDATE keys SET type = 'rsa-1024' WHERE name = 'm-broken'");
    await makeDue(service, ['a-first', 'm-broken', 'z-last']);

    await until('the healthy keys to rotate and the broken one to fail twice', async () => {
      const s = service.scheduler!.stats();
      return s.rotated === 2 && s.failed >= 2;
    });
    expect(await versionsOf(service, 'a-first')).toEqual([1, 2]);
    expect(await versionsOf(service, 'z-last')).toEqual([1, 2]);
    expect(await versionsOf(service, 'm-broken')).toEqual([1]);
    const failures = log.lines.filter((l) => l.level === 'error');
    expect(failures.length).toBeGreaterThanOrEqual(2);
    expect(failures[0]!.fields).toEqual({ key: 'm-broken', code: 'unsupported_algorithm', error: expect.any(String), actor: 'system:scheduler' });
    const everything = JSON.stringify(log.lines);
    expect(everything).not.toContain(store.config.kekBase64 as string);
    expect(everything).not.toMatch(/PRIVATE KEY|BEGIN/);
  });

  it('close() stops the scheduler: no round runs after it', async () => {
    const store = await freshStore(backend);
    const service = await open(store, { role: 'service', rotationCheckMs: 20, log: captureLog() });
    await until('a few rounds', async () => service.scheduler!.stats().rounds >= 3);
    await service.close();
    const after = service.scheduler!.stats();
    await new Promise((r) => setTimeout(r, 200));
    expect(service.scheduler!.stats()).toEqual(after);
  });

  it('runs only where asked: not in a CLI runtime, not with PAYSEAL_ROTATION_CHECK_SECONDS=0', async () => {
    const store = await freshStore(backend);
    const off = await open(store, { role: 'service' });
    expect(off.scheduler).not.toBeNull();
    await off.close();
    const zero = await openRuntime({ ...store.config, rotationCheckSeconds: 0 }, { role: 'service' });
    runtimes.push(zero);
    expect(zero.scheduler).toBeNull();
    const cli = await open(store, { role: 'cli' });
    expect(cli.scheduler).toBeNull();
  });
});

describe('PAYSEAL_ROTATION_CHECK_SECONDS', () => {
  it('defaults to 60, accepts 0 (off) to 86400, and refuses anything else with config_invalid', () => {
    expect(loadConfig({}).rotationCheckSeconds).toBe(60);
    expect(loadConfig({ PAYSEAL_ROTATION_CHECK_SECONDS: '0' }).rotationCheckSeconds).toBe(0);
    expect(loadConfig({ PAYSEAL_ROTATION_CHECK_SECONDS: '86400' }).rotationCheckSeconds).toBe(86_400);
    for (const bad of ['-1', '1.5', 'soon', '86401', ' 5']) {
      expect(syncCodeOf(() => loadConfig({ PAYSEAL_ROTATION_CHECK_SECONDS: bad })), bad).toBe('config_invalid');
    }
  });
});

describe.runIf(testBackends().includes('postgres'))('the scheduler lock on postgres', () => {
  it('a replica whose round finds the lock held skips the round and rotates nothing', async () => {
    const store = await freshStore('postgres');
    const a = await open(store, { role: 'service', rotationCheckMs: 60_000, log: captureLog() });
    const b = await open(store, { role: 'service', rotationCheckMs: 60_000, log: captureLog() });
    await a.keys.create('held', 'ed25519', '1h', 'test');
    await makeDue(a, ['held']);
    const { withTryAdvisoryLock } = await import('../src/keys/store/advisory-lock.ts');
    let release!: () => void;
    const holding = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    const holder = withTryAdvisoryLock(a.db, 'rotate-due', async () => {
      entered();
      await holding;
    });
    await inside;
    expect(await b.scheduler!.runOnce()).toBeNull();
    expect(b.scheduler!.stats()).toMatchObject({ skipped: 1, rounds: 0, rotated: 0 });
    release();
    expect((await holder).won).toBe(true);
    expect(await b.scheduler!.runOnce()).toEqual({ rotated: [{ name: 'held', version: 2 }], failed: [] });
  });
});
