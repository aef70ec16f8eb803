/**
 * /metrics reports the in-service rotation scheduler: rounds this replica ran or skipped and the keys it
 * rotated on schedule, as Prometheus counters, with no key name in any label.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, startApi, type ApiHarness } from './support/api.ts';

function sample(text: string, series: string): number | null {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? null : Number(line.slice(series.length + 1));
}

describe('scheduler metrics', () => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApi();
  });
  afterAll(async () => {
    await api?.close();
  });

  it('count a scheduled rotation and the round that made it', async () => {
    expect(api.runtime.scheduler).not.toBeNull();
    const before = (await request(api.url, 'GET', '/metrics')).text;
    expect(sample(before, 'payseal_scheduled_rotations_total{outcome="rotated"}')).toBe(0);
    expect(sample(before, 'payseal_rotation_rounds_total{result="ran"}')).toBe(0);

    expect((await api.call('POST', '/v1/keys', { body: { name: 'settlement-secret', type: 'ed25519', rotation_period: '12h' } })).status).toBe(201);
    // Make it due now rather than in twelve hours (the store's own clock decides what is due).
    await api.runtime.db.query(`UPDATE keys SET next_rotation_at = now() - interval '1 minute' WHERE name = 'settlement-secret'`);
    const result = await api.runtime.scheduler!.runOnce();
    expect(result?.rotated.map((r) => r.name)).toEqual(['settlement-secret']);

    const after = (await request(api.url, 'GET', '/metrics')).text;
    expect(sample(after, 'payseal_scheduled_rotations_total{outcome="rotated"}')).toBe(1);
    expect(sample(after, 'payseal_scheduled_rotations_total{outcome="failed"}')).toBe(0);
    expect(sample(after, 'payseal_rotation_rounds_total{result="ran"}')).toBe(1);
    expect(after).not.toContain('settlement-secret');
  });
});
