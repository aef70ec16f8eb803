/**
 * The `payseal:v<N>:<base64>` envelope: round trips for every version and byte string, one spelling per value
 * (no leading zeros, no v0, strict base64), and invalid_request for every hostile input.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HOSTILE_STRINGS, HOSTILE_VALUES } from '../../test/support/hostile.ts';
import { formatVersioned, parseVersioned } from './index.ts';
import { codeOf } from '../../test/support/errors.ts';

const MAX_VERSION = 2 ** 31 - 1;

describe('formatVersioned / parseVersioned', () => {
  it('round-trips every version and byte string (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX_VERSION }), fc.uint8Array({ maxLength: 100 }), (version, bytes) => {
        const s = formatVersioned(version, bytes);
        expect(s).toBe(`payseal:v${version}:${Buffer.from(bytes).toString('base64')}`);
        const parsed = parseVersioned(s, 'signature');
        expect(parsed.version).toBe(version);
        expect(parsed.bytes.equals(Buffer.from(bytes))).toBe(true);
      }),
    );
  });

  it('accepts only the one spelling formatVersioned produces (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), (tail) => {
        const s = `payseal:v${tail}`;
        const code = codeOf(() => parseVersioned(s, 'signature'));
        if (code === 'no error') {
          const { version, bytes } = parseVersioned(s, 'signature');
          expect(formatVersioned(version, bytes)).toBe(s);
        } else expect(code).toBe('invalid_request');
      }),
      { numRuns: 1000 },
    );
  });

  it('answers every non-string with invalid_request', () => {
    for (const v of HOSTILE_VALUES) expect(codeOf(() => parseVersioned(v, 'signature'))).toBe('invalid_request');
  });

  it('answers every hostile string with invalid_request or a value that formats back to it', () => {
    for (const s of HOSTILE_STRINGS) {
      const code = codeOf(() => parseVersioned(s, 'signature'));
      if (code === 'no error') {
        const { version, bytes } = parseVersioned(s, 'signature');
        expect(formatVersioned(version, bytes)).toBe(s);
      } else expect(code).toBe('invalid_request');
    }
  });

  it.each([
    'payseal:v0:',
    'payseal:v0:AAAA',
    'payseal:v-1:',
    'payseal:v-1:AAAA',
    'payseal:v01:AAAA',
    'payseal:v1:AAA',
    'payseal:v1:AAAA:',
    'payseal:v1',
    'payseal::AAAA',
    'payseal:v2147483648:AAAA',
    'payseal:v1.0:AAAA',
    'payseal:v1:AAAA\n',
    'PAYSEAL:v1:AAAA',
    'payseal:v1:A-_A',
    'vault:v1:AAAA',
    '',
    '\u0000',
  ])('rejects %j with invalid_request', (s) => {
    expect(codeOf(() => parseVersioned(s, 'signature'))).toBe('invalid_request');
  });

  it('accepts the largest version and refuses to format versions outside 1 … 2^31-1', () => {
    expect(parseVersioned(`payseal:v${MAX_VERSION}:AQ==`, 'signature').version).toBe(MAX_VERSION);
    for (const v of [0, -1, 1.5, MAX_VERSION + 1, Number.NaN]) expect(() => formatVersioned(v, Buffer.alloc(1))).toThrow();
  });
});
