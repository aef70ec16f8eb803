/**
 * Sign options: parsing a caller's JSON fields, then resolving them against the key type's policy (defaults,
 * what each family allows). Signing with them is in sign.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { HOSTILE_STRINGS, HOSTILE_VALUES } from '../../test/support/hostile.ts';
import { HASHES, keyTypeSpecs, parseSignOptions, resolveKeyType, resolveSignOptions, type SignOptions } from './index.ts';
import { codeOf } from '../../test/support/errors.ts';

describe('parseSignOptions', () => {
  it('maps the snake_case fields and leaves absent or null fields unset', () => {
    expect(parseSignOptions({ hash: 'sha3-384', rsa_padding: 'pkcs1v15', signature_encoding: 'p1363' })).toEqual({
      hash: 'sha3-384',
      rsaPadding: 'pkcs1v15',
      signatureEncoding: 'p1363',
    });
    const none = parseSignOptions({ hash: null, rsa_padding: undefined });
    expect([none.hash, none.rsaPadding, none.signatureEncoding]).toEqual([undefined, undefined, undefined]);
  });

  it.each(HASHES.map((h) => [h]))('accepts hash %s', (hash) => {
    expect(parseSignOptions({ hash }).hash).toBe(hash);
  });

  it.each([
    [{ hash: 'sha256' }],
    [{ hash: 'md5' }],
    [{ rsa_padding: 'oaep' }],
    [{ rsa_padding: 'PSS' }],
    [{ signature_encoding: 'raw' }],
    [{ signature_encoding: 'DER' }],
  ])('refuses %j with unsupported_algorithm', (raw) => {
    expect(codeOf(() => parseSignOptions(raw))).toBe('unsupported_algorithm');
  });

  it('answers hostile values in every field with a 4xx PaysealError', () => {
    for (const v of [...HOSTILE_VALUES, ...HOSTILE_STRINGS].filter((x) => x != null)) {
      for (const field of ['hash', 'rsa_padding', 'signature_encoding']) {
        expect(['unsupported_algorithm', 'invalid_request']).toContain(codeOf(() => parseSignOptions({ [field]: v })));
      }
    }
  });
});

describe('resolveSignOptions', () => {
  const resolved = (type: string, options?: SignOptions) => resolveSignOptions(resolveKeyType(type), options);

  it('applies the type defaults: its hash, pss for RSA, der for ECDSA and DSA, nothing for Ed25519', () => {
    expect(resolved('rsa-3072')).toEqual({ hash: 'sha2-256', rsaPadding: 'pss', signatureEncoding: null });
    expect(resolved('ecdsa-p384')).toEqual({ hash: 'sha2-384', rsaPadding: null, signatureEncoding: 'der' });
    expect(resolved('ecdsa-p521')).toEqual({ hash: 'sha2-512', rsaPadding: null, signatureEncoding: 'der' });
    expect(resolved('dsa-2048')).toEqual({ hash: 'sha2-256', rsaPadding: null, signatureEncoding: 'der' });
    expect(resolved('ed25519')).toEqual({ hash: null, rsaPadding: null, signatureEncoding: null });
  });

  it('keeps what the caller chose when the type allows it', () => {
    expect(resolved('rsa-2048', { hash: 'sha3-512', rsaPadding: 'pkcs1v15' })).toEqual({ hash: 'sha3-512', rsaPadding: 'pkcs1v15', signatureEncoding: null });
    expect(resolved('ecdsa-secp256k1', { hash: 'sha3-256', signatureEncoding: 'p1363' })).toEqual({
      hash: 'sha3-256',
      rsaPadding: null,
      signatureEncoding: 'p1363',
    });
  });

  it.each([
    ['rsa-2048', { signatureEncoding: 'p1363' }],
    ['ecdsa-p256', { rsaPadding: 'pss' }],
    ['dsa-3072', { rsaPadding: 'pkcs1v15' }],
    ['ed25519', { hash: 'sha2-512' }],
    ['ed25519', { rsaPadding: 'pss' }],
    ['ed25519', { signatureEncoding: 'p1363' }],
  ] as const)('%s refuses %j with unsupported_algorithm', (type, options) => {
    expect(codeOf(() => resolved(type, options))).toBe('unsupported_algorithm');
  });

  it('refuses encryption keys with key_type_mismatch, whatever the options', () => {
    for (const spec of keyTypeSpecs().filter((s) => s.purpose === 'encrypt')) {
      expect(codeOf(() => resolveSignOptions(spec))).toBe('key_type_mismatch');
      expect(codeOf(() => resolveSignOptions(spec, { hash: 'sha2-256' }))).toBe('key_type_mismatch');
    }
  });
});
