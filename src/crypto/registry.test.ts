/**
 * The key-type table: every type of API.md resolves to its row (purpose, default hash, sizes), nothing else
 * resolves (including inherited property names), and rows cannot be changed.
 */
import { describe, expect, it } from 'vitest';
import { HOSTILE_STRINGS, HOSTILE_VALUES } from '../../test/support/hostile.ts';
import { KEY_TYPES, isKeyType, keyTypeSpecs, resolveKeyType } from './index.ts';
import { codeOf } from '../../test/support/errors.ts';

/** API.md's table, restated independently. */
const EXPECTED = {
  'rsa-2048': ['sign', 'rsa', 'sha2-256', 2048, null, null],
  'rsa-3072': ['sign', 'rsa', 'sha2-256', 3072, null, null],
  'rsa-4096': ['sign', 'rsa', 'sha2-256', 4096, null, null],
  'ecdsa-p256': ['sign', 'ecdsa', 'sha2-256', 256, 'prime256v1', 32],
  'ecdsa-p384': ['sign', 'ecdsa', 'sha2-384', 384, 'secp384r1', 48],
  'ecdsa-p521': ['sign', 'ecdsa', 'sha2-512', 521, 'secp521r1', 66],
  'ecdsa-secp256k1': ['sign', 'ecdsa', 'sha2-256', 256, 'secp256k1', 32],
  'dsa-2048': ['sign', 'dsa', 'sha2-256', 2048, null, 32],
  'dsa-3072': ['sign', 'dsa', 'sha2-256', 3072, null, 32],
  ed25519: ['sign', 'eddsa', null, 255, null, null],
  'aes-128-gcm': ['encrypt', 'aes-gcm', null, 128, null, null],
  'aes-256-gcm': ['encrypt', 'aes-gcm', null, 256, null, null],
} as const;

describe('resolveKeyType', () => {
  it.each(Object.entries(EXPECTED))('%s resolves to its row', (type, [purpose, family, defaultHash, bits, curve, scalarBytes]) => {
    const spec = resolveKeyType(type);
    expect({ type: spec.type, purpose: spec.purpose, family: spec.family, defaultHash: spec.defaultHash, bits: spec.bits, curve: spec.curve, scalarBytes: spec.scalarBytes }).toEqual(
      { type, purpose, family, defaultHash, bits, curve, scalarBytes },
    );
    expect(spec.legacy).toBe(family === 'dsa');
    expect(isKeyType(type)).toBe(true);
  });

  it('lists every type once, in KEY_TYPES order, and nothing more', () => {
    expect(keyTypeSpecs().map((s) => s.type)).toEqual([...KEY_TYPES]);
    expect(Object.keys(EXPECTED).sort()).toEqual([...KEY_TYPES].sort());
  });

  it('hands out frozen rows', () => {
    const spec = resolveKeyType('rsa-2048');
    expect(Object.isFrozen(spec)).toBe(true);
    expect(() => {
      (spec as { defaultHash: string }).defaultHash = 'sha3-512';
    }).toThrow();
  });

  it.each(['RSA-2048', 'rsa-1024', 'rsa-2048 ', 'ecdsa-p224', 'ed448', 'aes-192-gcm', 'hmac-sha256', 'dsa-1024', 'x25519'])(
    'refuses %j with unsupported_algorithm',
    (t) => {
      expect(codeOf(() => resolveKeyType(t))).toBe('unsupported_algorithm');
      expect(isKeyType(t)).toBe(false);
    },
  );

  it('refuses every hostile value and string, including inherited names like __proto__ and constructor', () => {
    for (const v of [...HOSTILE_VALUES, ...HOSTILE_STRINGS]) {
      expect(codeOf(() => resolveKeyType(v))).toBe('unsupported_algorithm');
      expect(isKeyType(v)).toBe(false);
    }
  });
});
