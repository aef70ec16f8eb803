/**
 * /metrics feeds what docs/OPERATIONS.md lists: operations by key, key type and outcome with a latency histogram
 * per operation, the age of each key's newest version against its rotation period, rate-limit refusals counted
 * where the 429 is answered (by client), and the runtime's registry hook through which the ledger registers
 * its own series. A name nobody created never becomes a label; no token appears on the page.
 */
import { Counter } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyAgeSamples } from '../src/runtime/metrics.ts';
import { b64, request, startApi, type ApiHarness } from './support/api.ts';

/** The value of one exact series (name with labels in exposition order), or null. */
function sample(text: string, series: string): number | null {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? null : Number(line.slice(series.length + 1));
}

const scrape = async (api: ApiHarness) => (await request(api.url, 'GET', '/metrics')).text;

describe('operation, key and refusal metrics', () => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApi();
    for (const body of [
      { name: 'settle', type: 'ecdsa-p256', rotation_period: '90d' },
      { name: 'vault', type: 'aes-256-gcm' },
    ]) {
      expect((await api.call('POST', '/v1/keys', { body })).status).toBe(201);
    }
  });
  afterAll(async () => api?.close());

  it('count operations by key, key type and outcome, items of a batch included, and time each item', async () => {
    const sig = await api.call('POST', '/v1/keys/settle/sign', { body: { input: b64('a') } });
    expect(sig.status).toBe(200);
    await api.call('POST', '/v1/keys/settle/sign', { body: { batch_input: [{ input: b64('b') }, { input: b64('c') }, { input: '!' }] } });
    await api.call('POST', '/v1/keys/settle/verify', { body: { input: b64('a'), signature: sig.json.signature } });
    await api.call('POST', '/v1/keys/settle/verify', { body: { input: b64('x'), signature: sig.json.signature } });
    await api.call('POST', '/v1/keys/vault/encrypt', { body: { plaintext: b64('p') } });
    // Keys that do not exist are refused before anything is counted: their names never become labels.
    expect((await api.call('POST', '/v1/keys/nobody-made-this/sign', { body: { input: b64('a') } })).status).toBe(404);

    const text = await scrape(api);
    expect(sample(text, 'payseal_operations_total{operation="sign",key="settle",key_type="ecdsa-p256",outcome="ok"}')).toBe(3);
    expect(sample(text, 'payseal_operations_total{operation="sign",key="settle",key_type="ecdsa-p256",outcome="error"}')).toBe(1);
    expect(sample(text, 'payseal_operations_total{operation="verify",key="settle",key_type="ecdsa-p256",outcome="ok"}')).toBe(1);
    expect(sample(text, 'payseal_operations_total{operation="verify",key="settle",key_type="ecdsa-p256",outcome="invalid"}')).toBe(1);
    expect(sample(text, 'payseal_operations_total{operation="encrypt",key="vault",key_type="aes-256-gcm",outcome="ok"}')).toBe(1);
    expect(sample(text, 'payseal_operation_duration_seconds_count{operation="sign",key_type="ecdsa-p256"}')).toBe(4);
    expect(sample(text, 'payseal_operation_duration_seconds_bucket{le="+Inf",operation="verify",key_type="ecdsa-p256"}')).toBe(2);
    expect(text).not.toContain('nobody-made-this');
    expect(text).not.toContain(api.adminToken.slice(4, 28));
  });

  it("report each key's newest-version age and its rotation period, and the age restarts at a rotation", async () => {
    await new Promise((r) => setTimeout(r, 1100));
    const before = await scrape(api);
    const age = sample(before, 'payseal_key_version_age_seconds{key="settle"}')!;
    expect(age).toBeGreaterThanOrEqual(1);
    expect(sample(before, 'payseal_key_rotation_period_seconds{key="settle"}')).toBe(90 * 86_400);
    // A key without scheduled rotation has an age but no period.
    expect(sample(before, 'payseal_key_version_age_seconds{key="vault"}')).not.toBeNull();
    expect(sample(before, 'payseal_key_rotation_period_seconds{key="vault"}')).toBeNull();

    expect((await api.call('POST', '/v1/keys/settle/rotate')).status).toBe(200);
    const after = await scrape(api);
    expect(sample(after, 'payseal_key_version_age_seconds{key="settle"}')!).toBeLessThan(age);
  });

  it('keyAgeSamples measures from the newest version and converts the period to seconds', () => {
    const versions = [
      { version: 1, state: 'retired' as const, created_at: '2026-01-01T00:00:00.000Z' },
      { version: 2, state: 'active' as const, created_at: '2026-01-02T00:00:00.000Z' },
    ];
    const keys = [
      { name: 'a', type: 'ed25519' as const, purpose: 'sign' as const, latest_version: 2, min_version: 1, rotation_period: '12h', next_rotation_at: null, created_at: '', versions },
      { name: 'b', type: 'ed25519' as const, purpose: 'sign' as const, latest_version: 1, min_version: 1, rotation_period: null, next_rotation_at: null, created_at: '', versions },
    ];
    expect(keyAgeSamples(keys, Date.parse('2026-01-02T00:01:00.000Z'))).toEqual([
      { key: 'a', ageSeconds: 60, periodSeconds: 43_200 },
      { key: 'b', ageSeconds: 86_460, periodSeconds: null },
    ]);
  });

  it('serve what a room registers in the runtime registry (the ledger hook), summed like the rest', async () => {
    const appended = new Counter({ name: 'payseal_test_hook_total', help: 'a metric a room registers', registers: [api.runtime.metrics.process] });
    appended.inc(7);
    try {
      expect(sample(await scrape(api), 'payseal_test_hook_total')).toBe(7);
    } finally {
      api.runtime.metrics.process.removeSingleMetric('payseal_test_hook_total');
    }
  });
});

describe('rate-limit refusals', () => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApi({ rateLimitRps: 1, rateLimitBurst: 2 });
  });
  afterAll(async () => api?.close());

  it('payseal_rate_limited_total counts each 429 by client, where it is answered', async () => {
    const token = await api.client('busy-service', ['keys:read']);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await api.call('GET', '/v1/keys', { token })).status);
    const refused = statuses.filter((s) => s === 429).length;
    expect(refused).toBeGreaterThanOrEqual(3);
    const text = await scrape(api);
    expect(sample(text, 'payseal_rate_limited_total{client="busy-service"}')).toBe(refused);
    // Refused before routing, so the request metrics carry the 429 under route "(unmatched)".
    expect(sample(text, 'payseal_http_requests_total{method="GET",route="(unmatched)",status="429"}')).toBe(refused);
  });
});
