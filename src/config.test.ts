/**
 * loadConfig: the documented defaults, the one default that depends on the mode (rate limiting), and that a
 * malformed value is refused with config_invalid naming the variable, never silently replaced. PAYSEAL_ADMIN_TOKEN
 * must be a bearer token as RFC 6750 §2.1 spells one (issue 11: a token with a space was accepted at start and then
 * never matched any Authorization header).
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

  it('keeps an admin token of the bearer grammar, and refuses one that could never be sent, without echoing it', () => {
    const good = 'pst_' + 'A'.repeat(20) + '-._~+/==';
    expect(loadConfig({ PAYSEAL_ADMIN_TOKEN: good }).adminToken).toBe(good);
    for (const bad of ['correct horse battery staple', 'tab\tseparated-token-value', 'short', 'x'.repeat(513), 'token=with=inner=equals', 'ünïcödé-token-value-here']) {
      expect(codeOf(() => loadConfig({ PAYSEAL_ADMIN_TOKEN: bad })), bad).toBe('config_invalid');
      let message = '';
      try {
        loadConfig({ PAYSEAL_ADMIN_TOKEN: bad });
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toMatch(/^PAYSEAL_ADMIN_TOKEN must be 16 to 512 characters of A-Z a-z 0-9/);
      expect(message).not.toContain(bad);
      expect(message).not.toMatch(/API\.md|\.\.\/shared/);
    }
    expect(() => loadConfig({ PAYSEAL_ADMIN_TOKEN: 'correct horse battery staple' })).toThrow(/white space/);
  });

  it('says whether PAYSEAL_DATA_DIR was set (for "where the CLI looked")', () => {
    expect(loadConfig({}).dataDirFromEnv).toBe(false);
    expect(loadConfig({ PAYSEAL_DATA_DIR: '/srv/payseal' }).dataDirFromEnv).toBe(true);
  });
});
