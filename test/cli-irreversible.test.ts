/**
 * Irreversible steps (issue 11): destroying a version and raising min_version need a reason, recorded with the
 * key event; the CLI asks for confirmation on a terminal (the key name typed back), refuses without a terminal
 * unless --yes; `payseal keys history NAME` shows who did what, when and why. Over HTTP the same steps take an
 * optional "reason" (extension), recorded the same way.
 */
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../src/cli/main.ts';
import type { CliIo } from '../src/cli/_io.ts';
import type { KeyHistoryEvent } from '../src/keys/history.ts';
import type { Runtime } from '../src/runtime/types.ts';
import { createTestStore, testBackends, type TestStore } from './support/db.ts';
import { envFor, payseal } from './support/cli.ts';
import { startApi, type ApiHarness } from './support/api.ts';

const ACTOR = `cli:${os.userInfo().username}`;

/** A terminal that answers every question with `answer`, recording the questions and everything printed. */
function terminal(answer: string) {
  const out: string[] = [];
  const err: string[] = [];
  const asked: string[] = [];
  const io: CliIo = {
    out: (t) => void out.push(t),
    err: (t) => void err.push(t),
    tty: true,
    interactive: true,
    ask: async (q) => {
      asked.push(q);
      return answer;
    },
  };
  return { io, out, err, asked };
}

describe.each(testBackends())('irreversible steps from the CLI on %s', (backend) => {
  let store: TestStore;
  let service: Runtime;
  let env: Record<string, string>;
  // Straight from the table: the service's cache takes up to a refresh to see another process's change.
  const states = async () =>
    (await service.db.query<{ s: string }>(
      "SELECT CASE WHEN destroyed_at IS NOT NULL THEN 'destroyed' WHEN revoked_at IS NOT NULL THEN 'revoked' ELSE 'live' END AS s FROM key_versions WHERE key = 'payments' ORDER BY version",
    )).map((r) => r.s);
  const minVersion = async () => (await service.db.query<{ m: number }>("SELECT min_version AS m FROM keys WHERE name = 'payments'"))[0]!.m;
  beforeAll(async () => {
    store = await createTestStore({ backend, cacheRefreshMs: 200 });
    service = await store.open({ role: 'service' });
    env = envFor(store.config);
    await service.keys.create('payments', 'ecdsa-p256', null, 'test');
    for (let i = 0; i < 3; i++) await service.keys.rotate('payments', 'test');
  });
  afterAll(async () => {
    await store?.cleanup();
  });

  it('without a terminal: no --reason or no --yes is a usage error (exit 2) and changes nothing', async () => {
    for (const args of [
      ['keys', 'destroy', 'payments', '--version', '1', '--yes'],
      ['keys', 'destroy', 'payments', '--version', '1', '--reason', 'leaked'],
      ['keys', 'configure', 'payments', '--min-version', '2', '--yes'],
      ['keys', 'configure', 'payments', '--min-version', '2', '--reason', 'leaked'],
    ]) {
      const r = await payseal(args, env);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^error: /m);
    }
    const noTty = await payseal(['keys', 'destroy', 'payments', '--version', '1', '--reason', 'leaked'], env);
    expect(noTty.stderr).toMatch(/no terminal to confirm on: pass --yes/);
    expect(await states()).toEqual(['live', 'live', 'live', 'live']);
    expect(await minVersion()).toBe(1);
  });

  it('on a terminal: a wrong answer declines (exit 1, nothing changed); the key name typed back confirms', async () => {
    const cfg = { PAYSEAL_DATA_DIR: env.PAYSEAL_DATA_DIR!, PAYSEAL_KEK: env.PAYSEAL_KEK!, ...(env.DATABASE_URL ? { DATABASE_URL: env.DATABASE_URL } : {}) };
    const no = terminal('y');
    expect(await run(['keys', 'destroy', 'payments', '--version', '1', '--reason', 'v1 leaked in a log'], no.io, cfg)).toBe(1);
    expect(no.asked).toEqual(['Destroy v1 of payments: its private half is erased for good. This cannot be undone.\nType the key name (payments) to confirm: ']);
    expect(no.err.join('')).toBe('error: declined: not confirmed; nothing was changed\n');
    expect(await states()).toEqual(['live', 'live', 'live', 'live']);

    const yes = terminal('payments');
    expect(await run(['keys', 'destroy', 'payments', '--version', '1', '--reason', 'v1 leaked in a log'], yes.io, cfg)).toBe(0);
    expect(await states()).toEqual(['destroyed', 'live', 'live', 'live']);

    const raise = terminal('payments');
    expect(await run(['keys', 'configure', 'payments', '--min-version', '3', '--reason', 'incident 7'], raise.io, cfg)).toBe(0);
    expect(await minVersion()).toBe(3);
    expect(raise.asked[0]).toMatch(/^Raise min_version of payments to 3: v1-v2 will never verify or decrypt again\. This cannot be undone\./);
    // Not a raise (same value, only the period changes): nothing irreversible, no question.
    const same = terminal('no');
    expect(await run(['keys', 'configure', 'payments', '--min-version', '3', '--reason', 'noop', '--rotation-period', '30d'], same.io, cfg)).toBe(0);
    expect(same.asked).toEqual([]);
  });

  it('revoke takes an optional --reason; keys history shows actor, time, what and reason, --json the same', async () => {
    const r = await payseal(['keys', 'revoke', 'payments', '--version', '2', '--reason', 'partner reported misuse'], env);
    expect(r.code).toBe(0);
    const h = await payseal(['keys', 'history', 'payments'], env);
    expect(h.code).toBe(0);
    const lines = h.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^TIME +ACTOR +WHAT +REASON$/);
    expect(lines[1]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ +test +create v1 type=ecdsa-p256/);
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^\\S+ \\S+Z +${ACTOR} +destroy v1 +v1 leaked in a log$`)));
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^\\S+ \\S+Z +${ACTOR} +configure min_version=3 +incident 7$`)));
    expect(lines.at(-1)).toMatch(new RegExp(`^\\S+ \\S+Z +${ACTOR} +revoke v2 +partner reported misuse$`));

    const j = JSON.parse((await payseal(['keys', 'history', 'payments', '--json'], env)).stdout) as { name: string; events: KeyHistoryEvent[] };
    expect(j.name).toBe('payments');
    expect(j.events.filter((e) => e.reason !== null).map((e) => [e.op, e.version, e.reason, e.actor])).toEqual([
      ['key_destroy', 1, 'v1 leaked in a log', ACTOR],
      ['key_configure', null, 'incident 7', ACTOR],
      ['key_configure', null, 'noop', ACTOR],
      ['key_revoke', 2, 'partner reported misuse', ACTOR],
    ]);
    for (const e of j.events) expect(e.ts).toMatch(/^\d{4}-\d\d-\d\dT/);
    const missing = await payseal(['keys', 'history', 'ghost'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: key_not_found: /m);
  });
});

describe('irreversible steps over HTTP take an optional "reason" (extension)', () => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApi();
    await api.call('POST', '/v1/keys', { body: { name: 'k', type: 'ed25519' } });
    for (let i = 0; i < 3; i++) await api.call('POST', '/v1/keys/k/rotate');
  });
  afterAll(async () => {
    await api?.close();
  });

  it('destroy, revoke and PATCH record the reason; no body still works; a bad reason is 400 and changes nothing', async () => {
    expect((await api.call('POST', '/v1/keys/k/versions/1/destroy', { body: { reason: 'leaked' } })).status).toBe(200);
    expect((await api.call('POST', '/v1/keys/k/versions/2/revoke', { body: { reason: 'misuse' } })).status).toBe(200);
    expect((await api.call('POST', '/v1/keys/k/versions/2/destroy')).status).toBe(200);
    expect((await api.call('PATCH', '/v1/keys/k', { body: { min_version: 3, reason: 'incident 9' } })).status).toBe(200);
    for (const reason of ['', ' ', 'line\nbreak', 'x'.repeat(501), 7]) {
      const bad = await api.call('POST', '/v1/keys/k/versions/3/revoke', { body: { reason } });
      expect(bad.status, JSON.stringify(reason)).toBe(400);
      expect(bad.json.error.code).toBe('invalid_request');
    }
    expect((await api.call('POST', '/v1/keys/k/versions/3/revoke', { body: { why: 'x' } })).status).toBe(400);
    const events = await api.runtime.db.query<{ op: string; version: number | null; reason: string | null; actor: string }>(
      "SELECT op, version, detail->>'reason' AS reason, actor FROM key_events WHERE key = 'k' AND op IN ('key_destroy', 'key_revoke', 'key_configure') ORDER BY id",
    );
    expect(events.map((e) => [e.op, e.version, e.reason])).toEqual([
      ['key_destroy', 1, 'leaked'],
      ['key_revoke', 2, 'misuse'],
      ['key_destroy', 2, null],
      ['key_configure', null, 'incident 9'],
    ]);
    expect(events[0]!.actor).toMatch(/^client:admin-/);
    expect((await api.runtime.keys.get('k')).versions[2]!.state).toBe('retired');
  });
});
