/**
 * holdsScope against a table written by hand from API.md "Scopes": `admin` grants everything, `<op>:<key>`
 * grants that operation on that key only, `<op>:*` every key, and nothing else grants anything it does not
 * name. Also assertScopes, the check made when a client is created.
 */
import { describe, expect, it } from 'vitest';
import { codeOf } from '../../test/support/errors.ts';
import { assertScopes, holdsScope } from './scopes.ts';

/** [scopes the client holds, scope a route requires, granted?] */
const TABLE: readonly (readonly [readonly string[], string, boolean])[] = [
  [['admin'], 'keys:manage', true],
  [['admin'], 'sign:payments', true],
  [['admin'], 'ledger:read', true],
  [['keys:manage'], 'keys:manage', true],
  [['keys:manage'], 'keys:read', false],
  [['keys:read'], 'keys:manage', false],
  [['keys:read'], 'admin', false],
  [['hash'], 'hash', true],
  [['hash'], 'sign:payments', false],
  [['ledger:read'], 'ledger:read', true],
  [['ledger:read'], 'keys:read', false],
  [['sign:payments'], 'sign:payments', true],
  [['sign:payments'], 'verify:payments', false],
  [['sign:payments'], 'sign:payments2', false],
  [['sign:pay'], 'sign:payments', false],
  [['sign:*'], 'sign:payments', true],
  [['sign:*'], 'sign:anything.else', true],
  [['sign:*'], 'verify:payments', false],
  [['verify:*'], 'verify:payments', true],
  [['encrypt:*'], 'encrypt:box', true],
  [['encrypt:*'], 'decrypt:box', false],
  [['decrypt:box'], 'decrypt:box', true],
  [['decrypt:box', 'encrypt:box'], 'encrypt:box', true],
  [['keys:*'], 'keys:manage', false],
  [['*'], 'hash', false],
  [['hash:*'], 'hash', false],
  [[], 'hash', false],
  [['hash', 'keys:read'], 'keys:read', true],
];

describe('holdsScope', () => {
  it.each(TABLE)('%j holding, %s required → %s', (held, required, granted) => {
    expect(holdsScope(held, required)).toBe(granted);
  });
});

describe('assertScopes', () => {
  it('keeps the scopes of API.md once each, in order', () => {
    expect(assertScopes(['sign:a', 'hash', 'sign:a', 'verify:*'])).toEqual(['sign:a', 'hash', 'verify:*']);
  });
  it.each([[[]], [['hash', 'nope']], [['Sign:a']], ['hash'], [[1]], [null], [Array.from({ length: 257 }, (_, i) => `sign:k${i}`)]])(
    '%j is invalid_request',
    (scopes) => {
      expect(codeOf(() => assertScopes(scopes))).toBe('invalid_request');
    },
  );
});
