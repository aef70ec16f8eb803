/**
 * loadConfig: the documented defaults, the one default that depends on the mode (rate limiting), and that a
 * malformed value is refused with config_invalid naming the variable, never silently replaced.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { codeOf } from '../test/support/errors.ts';
import { DEFAULT_RATE_LIMIT_RPS, loadConfig } from './config.ts';

describe('loadConfig', () => {
  it('defaults to embedded mode on 127.0.0.1:8080 in ./data with no rate limit', () => {
    const c = loadConfig({});
    expect([c.host, c.port, c.databaseUrl, c.dataDir]).toEqual(['127.0.0.1', 8080, null, path.resolve('./data')]);
    expect([c.kekBase64, c.kekFile, c.adminToken]).toEqual([null, null, null]);
    expect([c.rateLimitRps, c.rateLimitBurst, c.logLevel, c.cacheRefreshMs, c.rotationCheckSeconds]).toEqual([0, 0, 'info', 500, 60]);
  });

  it('turns the per-client rate limit on by default with DATABASE_URL, and 0 turns it off again', () => {
    const url = 'postgres://payseal@db.internal/payseal';
    expect(loadConfig({ DATABASE_URL: url }).rateLimitRps).toBe(DEFAULT_RATE_LIMIT_RPS);
    expect(loadConfig({ DATABASE_URL: url, PAYSEAL_RATE_LIMIT_RPS: '0' }).rateLimitRps).toBe(0);
    expect(loadConfig({ DATABASE_URL: url, PAYSEAL_RATE_LIMIT_RPS: '25' }).rateLimitRps).toBe(25);
    expect(loadConfig({ PAYSEAL_RATE_LIMIT_RPS: '25' }).rateLimitRps).toBe(25);
    // Blank counts as unset, as for every variable.
    expect(loadConfig({ DATABASE_URL: ' ' }).databaseUrl).toBeNull();
  });

  it.each([
    ['PORT', '80a'],
    ['PORT', '65536'],
    ['PORT', '-1'],
    ['PAYSEAL_RATE_LIMIT_RPS', '1.5'],
    ['PAYSEAL_CACHE_REFRESH_MS', '10'],
    ['PAYSEAL_ROTATION_CHECK_SECONDS', '86401'],
  ])('refuses %s=%s with config_invalid naming the variable', (name, value) => {
    expect(codeOf(() => loadConfig({ [name]: value }))).toBe('config_invalid');
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });
});
