/**
 * `payseal keys …` as staff run it, a child process against the store while the service is up (on PGlite it
 * must go through the service's socket; on PostgreSQL it shares the database). Every command docs/keys.md
 * shows is run here, with the exit codes: 0 ok, 1 failed, 2 usage.
 */
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeyInfo } from '../src/keys/types.ts';
import type { Runtime } from '../src/runtime/types.ts';
import { createTestStore, testBackends, type TestStore } from './support/db.ts';
import { envFor, payseal } from './support/cli.ts';
import { eventually } from './support/poll.ts';

const ACTOR = `cli:${os.userInfo().username}`;

describe.each(testBackends())('payseal keys while serving on %s', (backend) => {
  let store: TestStore;
  let service: Runtime;
  let env: Record<string, string>;
  beforeAll(async () => {
    store = await createTestStore({ backend, cacheRefreshMs: 500 });
    service = await store.open({ role: 'service' });
    env = envFor(store.config);
  });
  afterAll(async () => {
    await store?.cleanup();
  });

  it('keys create prints a readable table, and --json the KeyInfo', async () => {
    const r = await payseal(['keys', 'create', 'payments', '--type', 'ecdsa-p256', '--rotation-period', '90d'], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^key payments: ecdsa-p256, sign, latest v1, min v1, rotation 90d \(next .*\)\nVERSION +STATE +CREATED/);
    expect(r.stdout).toMatch(/\nv1 +active +\d{4}-\d\d-\d\d \d\d:\d\dZ/);
    const j = await payseal(['keys', 'create', 'partner-dsa', '--type', 'dsa-2048', '--json'], env);
    expect(j.code).toBe(0);
    const info = JSON.parse(j.stdout) as KeyInfo;
    expect(info).toMatchObject({ name: 'partner-dsa', type: 'dsa-2048', purpose: 'sign', latest_version: 1, legacy: true, rotation_period: null });
  });

  it('the running service sees a CLI change within a second', async () => {
    expect((await service.keys.latestFor('payments', 'sign')).version).toBe(1);
    const r = await payseal(['keys', 'rotate', 'payments'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/latest v2/);
    expect(await eventually(1000, async () => (await service.keys.latestFor('payments', 'sign')).version === 2, 20)).toBe(true);
  });

  it('keys list shows every key; --json gives {"keys": [...]}', async () => {
    const r = await payseal(['keys', 'list'], env);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME +TYPE +LATEST +MIN +ROTATION +NEXT ROTATION +VERSIONS$/);
    expect(lines[1]).toMatch(/^partner-dsa +dsa-2048 \(legacy\) +v1 +v1 +- +- +1 active$/);
    expect(lines[2]).toMatch(/^payments +ecdsa-p256 +v2 +v1 +90d +\d{4}-.*Z +1 active, 1 retired$/);
    // The ledger key, made on first start, is listed like any key.
    expect(lines[3]).toMatch(/^payseal-ledger +ed25519 +v1 +v1 +- +- +1 active$/);
    const j = JSON.parse((await payseal(['keys', 'list', '--json'], env)).stdout) as { keys: KeyInfo[] };
    expect(j.keys.map((k) => k.name)).toEqual(['partner-dsa', 'payments', 'payseal-ledger']);
  });

  it('incident: rotate, revoke the old version, raise min_version, destroy it; events carry the OS user', async () => {
    await payseal(['keys', 'rotate', 'payments'], env);
    const revoke = await payseal(['keys', 'revoke', 'payments', '--version', '2'], env);
    expect(revoke.code).toBe(0);
    expect(revoke.stdout).toMatch(/\nv2 +revoked +\S+ \S+ +\S+ \S+Z +-/);
    const min = await payseal(['keys', 'configure', 'payments', '--min-version', '3', '--reason', 'incident 42', '--yes', '--json'], env);
    expect(min.code).toBe(0);
    expect(JSON.parse(min.stdout)).toMatchObject({ min_version: 3, latest_version: 3 });
    const destroy = await payseal(['keys', 'destroy', 'payments', '--version', '1', '--reason', 'incident 42', '--yes', '--json'], env);
    expect(destroy.code).toBe(0);
    expect((JSON.parse(destroy.stdout) as KeyInfo).versions.map((v) => v.state)).toEqual(['destroyed', 'revoked', 'active']);
    const show = await payseal(['keys', 'show', 'payments'], env);
    expect(show.stdout).toMatch(/\nv1 +destroyed/);
    const actors = await service.db.query<{ actor: string }>("SELECT DISTINCT actor FROM key_events WHERE key = 'payments'");
    expect(actors).toEqual([{ actor: ACTOR }]);
    const revoked = async () => {
      const l = await service.keys.versionFor('payments', 2, 'sign', 'verify');
      return !l.ok && l.reason === 'key_version_revoked';
    };
    expect(await eventually(1000, revoked, 20)).toBe(true);
  });

  it('operation failures exit 1 with "error: <code>: <message>"', async () => {
    const newest = await payseal(['keys', 'revoke', 'payments', '--version', '3'], env);
    expect(newest.code).toBe(1);
    expect(newest.stderr).toMatch(/^error: conflict: v3 is the newest version of payments/m);
    const dup = await payseal(['keys', 'create', 'payments', '--type', 'ed25519'], env);
    expect(dup).toMatchObject({ code: 1 });
    expect(dup.stderr).toMatch(/^error: key_exists: /m);
    const missing = await payseal(['keys', 'rotate', 'ghost'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: key_not_found: /m);
    const badType = await payseal(['keys', 'create', 'x', '--type', 'rsa-1024'], env);
    expect(badType.stderr).toMatch(/^error: unsupported_algorithm: /m);
  });

  it('usage errors exit 2', async () => {
    for (const args of [
      ['keys', 'create', 'x'],
      ['keys', 'rotate'],
      ['keys', 'rotate', 'payments', '--due'],
      ['keys', 'revoke', 'payments', '--version', 'two'],
      ['keys', 'configure', 'payments'],
      ['keys', 'frobnicate'],
      ['kek', 'rotate'],
    ]) {
      const r = await payseal(args, env);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^error: /m);
    }
    const help = await payseal(['keys', '--help'], env);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('rotate');
  });
});
