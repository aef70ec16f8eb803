/**
 * Hashes of API.md: known answers for "abc" (FIPS 180-4 / FIPS 202 examples), digest lengths, createHasher
 * agreeing with digest, and unsupported_algorithm for anything else.
 */
import { describe, expect, it } from 'vitest';
import { HOSTILE_STRINGS, HOSTILE_VALUES } from '../../test/support/hostile.ts';
import { HASHES, createHasher, digest, digestLength, parseHashName, type HashName } from './index.ts';
import { codeOf } from '../../test/support/errors.ts';

const ABC: Readonly<Record<HashName, string>> = {
  'sha2-256': 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
  'sha2-384': 'cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7',
  'sha2-512':
    'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
  'sha3-256': '3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532',
  'sha3-384': 'ec01498288516fc926459f58e2c6ad8df9b473cb0fc08c2596da7cf0e49be4b298d88cea927ac7f539f1edf228376d25',
  'sha3-512':
    'b751850b1a57168a5693cd924b6b096e08f621827444f70d884f5d0240d2712e10e116e9192af3c91a7ec57647e3934057340b4cf408d5a56592f8274eec53f0',
};

describe.each(HASHES.map((h) => [h]))('%s', (name) => {
  it('gives the standard digest of "abc"', () => {
    expect(digest(name, Buffer.from('abc')).toString('hex')).toBe(ABC[name]);
    expect(createHasher(name).digest(Buffer.from('abc')).toString('hex')).toBe(ABC[name]);
  });

  it('has the digest length its name says', () => {
    const bytes = Number(name.slice(-3)) / 8;
    expect(digestLength(name)).toBe(bytes);
    expect(digest(name, new Uint8Array(0)).length).toBe(bytes);
  });

  it('parses its own name and hashes a subarray by its own bytes', () => {
    expect(parseHashName(name)).toBe(name);
    expect(createHasher(name).name).toBe(name);
    const backing = Buffer.from('xxabcxx');
    expect(digest(name, backing.subarray(2, 5)).toString('hex')).toBe(ABC[name]);
  });
});

describe('parseHashName', () => {
  it.each(['sha256', 'SHA-256', 'sha2-224', 'sha1', 'md5', 'sha3-224', 'shake256', 'SHA2-256', ' sha2-256', 'sha2-256\u0000'])(
    'refuses %j with unsupported_algorithm',
    (s) => expect(codeOf(() => parseHashName(s))).toBe('unsupported_algorithm'),
  );

  it('refuses every hostile value and string with a 4xx PaysealError', () => {
    for (const v of [...HOSTILE_VALUES, ...HOSTILE_STRINGS]) {
      expect(['unsupported_algorithm', 'invalid_request']).toContain(codeOf(() => parseHashName(v)));
    }
  });
});
