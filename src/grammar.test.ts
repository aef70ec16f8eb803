/** The grammar of API.md (grammar.ts): names, versions, scopes, periods, bearer headers; hostile values refused. */
import { describe, expect, it } from 'vitest';
import { codeOf } from '../test/support/errors.ts';
import { HOSTILE_STRINGS, HOSTILE_VALUES } from '../test/support/hostile.ts';
import {
  BEARER_HEADER,
  MAX_VERSION,
  VERSION_DIGITS,
  assertClientName,
  assertKeyName,
  assertVersion,
  isScope,
  parseRotationPeriod,
} from './grammar.ts';

describe('names', () => {
  it.each(['a', '0', 'payments', 'p.a-y_s', 'a'.repeat(64)])('%s is a key and client name', (name) => {
    expect(assertKeyName(name)).toBe(name);
    expect(assertClientName(name)).toBe(name);
  });
  it.each(['', 'A', 'Payments', '-a', '.a', '_a', 'a'.repeat(65), 'a/b', 'a b', 'ä', 'a\n'])('%j is refused', (name) => {
    expect(codeOf(() => assertKeyName(name))).toBe('invalid_request');
    expect(codeOf(() => assertClientName(name))).toBe('invalid_request');
  });
  it('hostile values are refused with invalid_request, never a crash', () => {
    for (const v of [...HOSTILE_VALUES, ...HOSTILE_STRINGS]) {
      if (typeof v === 'string' && /^[a-z0-9][a-z0-9._-]{0,63}$/.test(v)) continue;
      expect(codeOf(() => assertKeyName(v))).toBe('invalid_request');
    }
  });
});

describe('versions', () => {
  it('1 to 2^31 - 1, whole numbers only', () => {
    expect(MAX_VERSION).toBe(2147483647);
    expect(assertVersion(1)).toBe(1);
    expect(assertVersion(2147483647)).toBe(2147483647);
    for (const v of [0, -1, 1.5, 2147483648, Number.NaN, Infinity, '1', null, undefined, 2 ** 53]) {
      expect(codeOf(() => assertVersion(v))).toBe('invalid_request');
    }
  });
  it('the digits of a version have one spelling: no sign, no leading zero, at most ten digits', () => {
    for (const ok of ['1', '9', '10', '2147483647', '9999999999']) expect(VERSION_DIGITS.test(ok)).toBe(true);
    for (const bad of ['', '0', '01', '+1', '-1', '1.0', ' 1', '1e3', '12345678901', '١']) expect(VERSION_DIGITS.test(bad)).toBe(false);
  });
});

describe('scopes (API.md "Scopes")', () => {
  it.each(['admin', 'keys:manage', 'keys:read', 'hash', 'ledger:read', 'sign:payments', 'verify:*', 'encrypt:a.b', 'decrypt:x-1'])('%s is a scope', (s) => {
    expect(isScope(s)).toBe(true);
  });
  it.each(['', 'Admin', 'admin ', 'keys:*', 'hash:x', 'sign', 'sign:', 'sign:Pay', 'sign:**', 'rotate:payments', 'ledger:write', 'sign:a:b'])(
    '%j is not',
    (s) => {
      expect(isScope(s)).toBe(false);
    },
  );
});

describe('rotation periods', () => {
  it('"90d", "12h", "30m" in milliseconds; null means none', () => {
    expect(parseRotationPeriod('90d')).toBe(90 * 86_400_000);
    expect(parseRotationPeriod('12h')).toBe(12 * 3_600_000);
    expect(parseRotationPeriod('30m')).toBe(30 * 60_000);
    expect(parseRotationPeriod('3650d')).toBe(3650 * 86_400_000);
    expect(parseRotationPeriod(null)).toBeNull();
  });
  it.each(['0d', '3651d', '90', 'd', '90D', '1w', '-1d', '1.5d', ' 90d', '090d', '123456d', undefined, 90, {}])('%j is refused', (p) => {
    expect(codeOf(() => parseRotationPeriod(p))).toBe('invalid_request');
  });
});

describe('bearer header (RFC 6750 §2.1)', () => {
  it('takes the b64token after "Bearer", case-insensitively; refuses other schemes and oversized tokens', () => {
    expect(BEARER_HEADER.exec('Bearer pst_abc-_.~+/=')?.[1]).toBe('pst_abc-_.~+/=');
    expect(BEARER_HEADER.exec('bearer   tok  ')?.[1]).toBe('tok');
    expect(BEARER_HEADER.exec(`Bearer ${'a'.repeat(512)}`)?.[1]).toHaveLength(512);
    for (const bad of ['Basic dXNlcg==', 'Bearer', 'Bearer ', 'Bearer a b', 'Bearer tök', `Bearer ${'a'.repeat(513)}`, 'Bearertok']) {
      expect(BEARER_HEADER.exec(bad), bad).toBeNull();
    }
  });
});
