/**
 * The AES-GCM use bound over HTTP (an extension of API.md, docs/api.md and docs/keys.md): when the newest
 * version of an encryption key has reached its bound and cannot be rotated, /encrypt answers 409 key_exhausted
 * (alone, and per slot in a batch) instead of encrypting once more, and recovers as soon as rotation works.
 * The bound is made tiny through the runtime's aesUseLimits; production's is 2^32 (NIST SP 800-38D §8.3).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRuntime } from '../src/runtime/open.ts';
import type { Runtime } from '../src/runtime/types.ts';
import { b64, startApi, type ApiHarness } from './support/api.ts';
import { createTestStore, testBackends, type TestStore } from './support/db.ts';

const quiet = { info() {}, warn() {}, error() {} };

describe.each(testBackends())('the AES-GCM use bound over HTTP on %s', (backend) => {
  let store: TestStore;
  let runtime: Runtime;
  let api: ApiHarness;
  beforeAll(async () => {
    store = await createTestStore({ backend });
    runtime = await openRuntime(store.config, { role: 'service', scheduler: false, log: quiet, aesUseLimits: { limit: 4, rotateAt: 4, lease: 2 } });
    api = await startApi({}, { runtime });
  });
  afterAll(async () => {
    await api?.close();
    await runtime?.close();
    await store?.cleanup();
  });

  it('answers 409 key_exhausted at the bound when rotation is impossible, per slot in a batch, and recovers', async () => {
    expect((await api.call('POST', '/v1/keys', { body: { name: 'cards', type: 'aes-256-gcm' } })).status).toBe(201);
    // Occupy version 2, so no rotation of this key can insert it: a stand-in for any rotation failure.
    await runtime.db.query("INSERT INTO key_versions (key, version, public_pem, wrapped, kek_id) VALUES ('cards', 2, NULL, NULL, NULL)");
    for (let i = 0; i < 4; i++) {
      const res = await api.call('POST', '/v1/keys/cards/encrypt', { body: { plaintext: b64(`pan ${i}`) } });
      expect([res.status, res.json.key_version]).toEqual([200, 1]);
    }
    const refused = await api.call('POST', '/v1/keys/cards/encrypt', { body: { plaintext: b64('one too many') } });
    expect([refused.status, refused.json]).toEqual([409, { error: { code: 'key_exhausted', message: expect.stringContaining('rotate') } }]);
    const batch = await api.call('POST', '/v1/keys/cards/encrypt', { body: { batch_input: [{ plaintext: b64('a') }, { plaintext: 'not base64' }] } });
    expect(batch.status).toBe(200);
    expect(batch.json.batch_results.map((r: { error: { code: string } }) => r.error.code)).toEqual(['key_exhausted', 'invalid_request']);
    const counted = await runtime.db.query<{ n: number }>("SELECT use_count::int AS n FROM key_versions WHERE key = 'cards' ORDER BY version");
    expect(counted.map((r) => r.n)).toEqual([4, 0]);

    await runtime.db.query("DELETE FROM key_versions WHERE key = 'cards' AND version = 2");
    const recovered = await api.call('POST', '/v1/keys/cards/encrypt', { body: { plaintext: b64('recovered') } });
    expect([recovered.status, recovered.json.key_version]).toEqual([200, 2]);
    const opened = await api.call('POST', '/v1/keys/cards/decrypt', { body: { ciphertext: recovered.json.ciphertext } });
    expect(Buffer.from(opened.json.plaintext, 'base64').toString()).toBe('recovered');
  });
});
