/**
 * The ledger through the real API on a real store (PGlite, and PostgreSQL when DATABASE_URL is set): every raw
 * signature is in the ledger when its answer arrives (a batch: one entry per signed item, contiguous), key and
 * client changes are recorded with their actor in their own transaction (a refused change records nothing),
 * signing answers 503 and returns no signature when the ledger cannot be written (the store stopped under a
 * running server, where the key cache alone would have signed), the ledger key signs for nobody but rotates
 * and its old checkpoints still verify, GET /v1/ledger pages, GET /v1/bundle is what the offline parser reads,
 * and a wrapped key that fails to unwrap answers 409 key_corrupt with an error log naming key and version.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPublicKey } from 'node:crypto';
import type { KeyLog } from '../src/keys/_log.ts';
import { LEDGER_KEY_NAME } from '../src/ledger/format/checkpoint.ts';
import { parseBundle } from '../src/verify/bundle.ts';
import { b64, request, startApi, type ApiHarness } from './support/api.ts';
import { createTestStore, testBackends, type TestStore } from './support/db.ts';
import { ledgerEntries, exportText, sha256, signatureBytes, verifyRuntimeLedger } from './support/ledger.ts';
import { eventually } from './support/poll.ts';

const stores: TestStore[] = [];
afterAll(async () => {
  for (const s of stores) await s.cleanup();
});

describe.each(testBackends())('the ledger through the API on %s', (backend) => {
  let store: TestStore;
  let api: ApiHarness;
  const logged: { level: string; fields: Record<string, unknown>; message: string }[] = [];
  const log: KeyLog = {
    info: (fields, message) => void logged.push({ level: 'info', fields, message }),
    warn: (fields, message) => void logged.push({ level: 'warn', fields, message }),
    error: (fields, message) => void logged.push({ level: 'error', fields, message }),
  };

  beforeAll(async () => {
    store = await createTestStore({ backend });
    stores.push(store);
    api = await startApi({}, { runtime: await store.open({ log }) });
    await api.call('POST', '/v1/keys', { body: { name: 'pay', type: 'ecdsa-p256' } });
  });
  afterAll(async () => {
    await api?.close();
  });

  it('a raw signature is in the ledger when it is returned; a batch is one entry per signed item, contiguous', async () => {
    const single = await api.call('POST', '/v1/keys/pay/sign', { body: { input: b64('order 1') } });
    expect(single.status).toBe(200);
    // Read straight away: the answer came after the entry committed.
    let entries = await ledgerEntries(api.runtime);
    const own = entries.find((e) => e.output_sha256 === sha256(signatureBytes(single.json.signature)));
    expect(own).toMatchObject({ op: 'sign', key: 'pay', key_version: 1, input_sha256: sha256('order 1'), actor: expect.stringMatching(/^client:admin-/) });

    const batch = await api.call('POST', '/v1/keys/pay/sign', {
      body: { batch_input: [{ input: b64('a') }, { input: 'not base64' }, { input: b64('c'), hash: 'sha2-512' }, { input: b64('d'), hash: 'md5' }] },
    });
    expect(batch.status).toBe(200);
    const slots = batch.json.batch_results as { signature?: string; error?: { code: string } }[];
    expect(slots.map((s) => s.error?.code ?? 'signed')).toEqual(['signed', 'invalid_request', 'signed', 'unsupported_algorithm']);
    entries = await ledgerEntries(api.runtime);
    const found = [slots[0]!, slots[2]!].map((s) => entries.find((e) => e.output_sha256 === sha256(signatureBytes(s.signature!))));
    expect(found.map((e) => [e?.op, e?.input_sha256])).toEqual([['sign', sha256('a')], ['sign', sha256('c')]]);
    expect(found[1]!.seq).toBe(found[0]!.seq + 1);
    expect(entries.filter((e) => e.input_sha256 === sha256('d'))).toEqual([]);
  });

  it('key and client changes are recorded with their actor and digests; a refused change records nothing', async () => {
    const before = (await ledgerEntries(api.runtime)).length;
    await api.call('POST', '/v1/keys', { body: { name: 'audited', type: 'ed25519', rotation_period: '90d' } });
    await api.call('POST', '/v1/keys/audited/rotate');
    await api.call('PATCH', '/v1/keys/audited', { body: { min_version: 2 } });
    await api.call('POST', '/v1/keys/audited/versions/1/revoke');
    await api.call('POST', '/v1/keys/audited/versions/1/destroy');
    await api.client('auditor-client', ['ledger:read']);
    await api.call('DELETE', '/v1/clients/auditor-client');
    // Refused: nothing recorded.
    expect((await api.call('POST', '/v1/keys/audited/versions/2/revoke')).status).toBe(409);
    expect((await api.call('POST', '/v1/keys/nope/rotate')).status).toBe(404);
    expect((await api.call('POST', '/v1/keys', { body: { name: 'audited', type: 'ed25519' } })).status).toBe(409);
    const added = (await ledgerEntries(api.runtime)).slice(before);
    expect(added.map((e) => [e.op, e.key, e.key_version])).toEqual([
      ['key.create', 'audited', 1],
      ['key.rotate', 'audited', 2],
      ['key.configure', 'audited', null],
      ['key.revoke', 'audited', 1],
      ['key.destroy', 'audited', 1],
      ['client.create', 'auditor-client', null],
      ['client.delete', 'auditor-client', null],
    ]);
    expect(new Set(added.map((e) => e.actor))).toEqual(new Set([`client:${(await api.call('GET', '/v1/clients')).json.clients.find((c: { name: string }) => c.name.startsWith('admin-')).name}`]));
    const pub = (await api.call('GET', '/v1/keys/audited/public')).json.versions as { version: number; public_key_pem: string }[];
    const spki = (v: number) => sha256(createPublicKey(pub.find((x) => x.version === v)!.public_key_pem).export({ type: 'spki', format: 'der' }));
    expect(added[0]!.output_sha256).toBe(spki(1));
    expect(added[0]!.input_sha256).toBe(sha256('{"rotation_period":"90d","type":"ed25519"}'));
    expect(added[1]!.output_sha256).toBe(spki(2));
    expect(added[2]!.input_sha256).toBe(sha256('{"min_version":2}'));
    expect(added[5]!.input_sha256).toBe(sha256('{"name":"auditor-client","scopes":["ledger:read"]}'));
    expect((await verifyRuntimeLedger(api.runtime)).valid).toBe(true);
  });

  it('the ledger key signs for nobody, is left out of the JWK Set, rotates, and its old checkpoints still verify', async () => {
    for (const body of [{ input: b64('forged checkpoint') }, { batch_input: [{ input: b64('x') }] }]) {
      const res = await api.call('POST', `/v1/keys/${LEDGER_KEY_NAME}/sign`, { body });
      expect([res.status, res.json.error.code]).toEqual([403, 'key_reserved']);
    }
    expect((await api.call('GET', '/v1/keys')).json.keys.map((k: { name: string }) => k.name)).toContain(LEDGER_KEY_NAME);
    const jwks = (await request(api.url, 'GET', '/.well-known/jwks.json')).json.keys as { kid: string }[];
    expect(jwks.some((k) => k.kid.startsWith(`${LEDGER_KEY_NAME}:`))).toBe(false);

    const first = await api.runtime.ledger.checkpointHead();
    expect(first?.checkpoint.key_version).toBe(1);
    const rotated = await api.call('POST', `/v1/keys/${LEDGER_KEY_NAME}/rotate`);
    expect(rotated.json.latest_version).toBe(2);
    await api.call('POST', '/v1/keys/pay/sign', { body: { input: b64('after the ledger key rotated') } });
    expect((await api.runtime.ledger.checkpointHead())?.checkpoint.key_version).toBe(2);
    const bundle = (await api.call('GET', '/v1/bundle')).json;
    expect(bundle.keys.find((k: { name: string }) => k.name === LEDGER_KEY_NAME).versions.map((v: { version: number }) => v.version)).toEqual([1, 2]);
    const verdict = await verifyRuntimeLedger(api.runtime);
    expect([verdict.valid, verdict.problems]).toEqual([true, []]);
    expect(verdict.valid_checkpoints).toBeGreaterThanOrEqual(2);
  });

  it('GET /v1/ledger pages with Payseal-Next-From; pages concatenated are the export; bad queries are 400', async () => {
    const whole = await exportText(api.runtime);
    let text = '';
    let pages = 0;
    for (let from: string | null = '1'; from !== null; pages++) {
      const res = await api.call('GET', `/v1/ledger?from=${from}&limit=3`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
      text += res.text;
      from = res.headers.get('payseal-next-from');
      if (from !== null) expect(res.headers.get('link')).toBe(`</v1/ledger?from=${from}&limit=3>; rel="next"`);
    }
    expect(text).toBe(whole);
    expect(pages).toBeGreaterThan(3);
    const past = await api.call('GET', '/v1/ledger?from=999999');
    expect([past.status, past.text, past.headers.get('payseal-next-from')]).toEqual([200, '', null]);
    for (const q of ['limit=0', 'limit=10001', 'from=0', 'from=abc', 'from=1&from=2', 'other=1', 'limit=1.5']) {
      const res = await api.call('GET', `/v1/ledger?${q}`);
      expect([res.status, res.json?.error?.code], q).toEqual([400, 'invalid_request']);
    }
  });

  it('GET /v1/bundle is the bundle the offline verifier parses: signing keys only, every version', async () => {
    await api.call('POST', '/v1/keys', { body: { name: 'secret-box', type: 'aes-256-gcm' } });
    const res = await api.call('GET', '/v1/bundle');
    expect(res.status).toBe(200);
    const bundle = parseBundle(res.json);
    expect([...bundle.keys.keys()].sort()).toEqual(['audited', 'pay', LEDGER_KEY_NAME].sort());
    expect([...bundle.keys.get('audited')!.versions.values()].map((v) => [v.version, v.state])).toEqual([[1, 'revoked'], [2, 'active']]);
    expect(bundle.ledger?.spec.type).toBe('ed25519');
  });

  it('a wrapped key that fails to unwrap answers 409 key_corrupt and is logged at error level with key and version', async () => {
    await api.call('POST', '/v1/keys', { body: { name: 'tampered', type: 'ecdsa-p256' } });
    // Flip one byte of the stored blob and bump the change counter, so every cache reloads the row.
    await api.runtime.db.transaction(async (tx) => {
      await tx.query(`UPDATE key_versions SET wrapped = set_byte(wrapped, 20, (get_byte(wrapped, 20) + 1) % 256) WHERE key = 'tampered'`);
      await tx.query('UPDATE change_counter SET value = value + 1');
    });
    let res = await api.call('POST', '/v1/keys/tampered/sign', { body: { input: b64('x') } });
    expect(await eventually(3000, async () => (res = await api.call('POST', '/v1/keys/tampered/sign', { body: { input: b64('x') } })).status === 409)).toBe(true);
    expect(res.json.error.code).toBe('key_corrupt');
    expect(res.text).not.toMatch(/PRIVATE|wrapped|[A-Za-z0-9+/]{40,}/);
    const lines = logged.filter((l) => l.level === 'error' && l.fields.key === 'tampered');
    expect(lines.length).toBe(1);
    expect(lines[0]!.fields).toMatchObject({ key: 'tampered', version: 1 });
    // A second attempt answers the same and does not log again (once per load of the key).
    expect((await api.call('POST', '/v1/keys/tampered/sign', { body: { input: b64('y') } })).json.error.code).toBe('key_corrupt');
    expect(logged.filter((l) => l.level === 'error' && l.fields.key === 'tampered').length).toBe(1);
  });

  it('a scheduled rotation is recorded with actor system:scheduler; /metrics counts group commits and checkpoints', async () => {
    await api.call('POST', '/v1/keys', { body: { name: 'rolling', type: 'ed25519', rotation_period: '12h' } });
    await api.runtime.db.query(`UPDATE keys SET next_rotation_at = now() - interval '1 minute' WHERE name = 'rolling'`);
    expect((await api.runtime.scheduler!.runOnce())?.rotated.map((r) => r.name)).toEqual(['rolling']);
    const last = (await ledgerEntries(api.runtime)).filter((e) => e.key === 'rolling').at(-1);
    expect([last?.op, last?.key_version, last?.actor]).toEqual(['key.rotate', 2, 'system:scheduler']);
    const metrics = (await request(api.url, 'GET', '/metrics')).text;
    const value = (series: string) => Number(metrics.split('\n').find((l) => l.startsWith(`${series} `))?.split(' ')[1]);
    expect(value('payseal_ledger_entries_total')).toBeGreaterThanOrEqual(4); // the signatures made above
    expect(value('payseal_ledger_batches_total{result="committed"}')).toBeGreaterThan(0);
    expect(value('payseal_ledger_batches_total{result="failed"}')).toBe(0);
    expect(value('payseal_ledger_checkpoints_total{result="signed"}')).toBeGreaterThan(0);
  });

  it('the store stopped under a running server: signing answers 503 unavailable and returns no signature', async () => {
    // A key already cached: before the ledger, this would have signed from memory.
    const warm = await api.call('POST', '/v1/keys/pay/sign', { body: { input: b64('warm') } });
    expect(warm.status).toBe(200);
    const before = (await ledgerEntries(api.runtime)).length;
    await api.runtime.db.close();
    const answers = [
      await api.call('POST', '/v1/keys/pay/sign', { body: { input: b64('during the outage') } }),
      await api.call('POST', '/v1/keys/pay/sign', { body: { batch_input: [{ input: b64('o1') }, { input: b64('o2') }] } }),
    ];
    for (const res of answers) {
      expect([res.status, res.json.error.code]).toEqual([503, 'unavailable']);
      expect(res.text).not.toContain('payseal:v');
    }
    // Verification needs no ledger entry: it still answers from the cache.
    const verified = await api.call('POST', '/v1/keys/pay/verify', { body: { input: b64('warm'), signature: warm.json.signature } });
    expect([verified.status, verified.json.valid]).toEqual([200, true]);
    await api.runtime.close();
    const again = await store.open({ role: 'cli' });
    try {
      const entries = await ledgerEntries(again);
      expect(entries.length).toBe(before);
      expect(entries.some((e) => e.input_sha256 === sha256('during the outage') || e.input_sha256 === sha256('o1'))).toBe(false);
    } finally {
      await again.close();
    }
  });
});
