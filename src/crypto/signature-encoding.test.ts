/**
 * DER SEQUENCE { INTEGER r, INTEGER s } ↔ IEEE P1363 r ‖ s (RFC 3279 §2.2.3, RFC 7518 §3.4): round trips for
 * random r, s (with leading zeros and high bits, at every scalar size payseal uses) and strict rejection of
 * BER and malformed encodings, the malleability Wycheproof probes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { derToP1363, p1363ToDer } from './index.ts';
import { codeOf } from '../../test/support/errors.ts';

/** Scalar sizes: P-256/secp256k1/DSA (N=256), P-384, P-521 (66 bytes, so DER needs long-form lengths). */
const SCALAR_SIZES = [32, 48, 66] as const;

/** A scalar of n bytes, biased towards the edge cases: leading zero bytes, high bit set, all zero, all 0xff. */
const scalar = (n: number) =>
  fc.oneof(
    fc.uint8Array({ minLength: n, maxLength: n }),
    fc.tuple(fc.integer({ min: 1, max: n }), fc.uint8Array({ minLength: n, maxLength: n })).map(([zeros, b]) => {
      b.fill(0, 0, zeros);
      return b;
    }),
    fc.uint8Array({ minLength: n, maxLength: n }).map((b) => {
      b[0] = (b[0] as number) | 0x80;
      return b;
    }),
    fc.uint8Array({ minLength: n, maxLength: n }).map((b) => {
      b[0] = 0;
      b[1] = (b[1] as number) | 0x80;
      return b;
    }),
    fc.constant(new Uint8Array(n)),
    fc.constant(new Uint8Array(n).fill(0xff)),
  );

/** Independent minimal DER INTEGER for a non-negative big-endian value (X.690 §8.3.2). */
function derInteger(b: Uint8Array): number[] {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  const v = [...b.subarray(i)];
  if ((v[0] as number) & 0x80) v.unshift(0);
  return [0x02, v.length, ...v];
}

describe.each(SCALAR_SIZES.map((n) => [n]))('scalar size %i bytes', (n) => {
  it('r ‖ s → DER → r ‖ s round-trips (property)', () => {
    fc.assert(
      fc.property(scalar(n), scalar(n), (r, s) => {
        const p1363 = Buffer.concat([r, s]);
        expect(derToP1363(p1363ToDer(p1363), n).equals(p1363)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('produces the minimal DER an independent encoder produces (property)', () => {
    fc.assert(
      fc.property(scalar(n), scalar(n), (r, s) => {
        const body = [...derInteger(r), ...derInteger(s)];
        const len = body.length < 0x80 ? [body.length] : [0x81, body.length];
        expect([...p1363ToDer(Buffer.concat([r, s]))]).toEqual([0x30, ...len, ...body]);
      }),
      { numRuns: 300 },
    );
  });

  it('DER → r ‖ s → DER round-trips for minimal DER (property)', () => {
    fc.assert(
      fc.property(scalar(n), scalar(n), (r, s) => {
        const der = p1363ToDer(Buffer.concat([r, s]));
        expect(p1363ToDer(derToP1363(der, n)).equals(der)).toBe(true);
      }),
    );
  });

  it('rejects integers longer than the scalar size', () => {
    const big = new Uint8Array(n + 1).fill(0x11);
    expect(codeOf(() => derToP1363(p1363ToDer(Buffer.concat([big, big])), n))).toBe('invalid_request');
  });
});

describe('strict DER', () => {
  const ok = Buffer.from([0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02]);

  it('accepts a minimal encoding', () => {
    expect([...derToP1363(ok, 32)].filter((b) => b !== 0)).toEqual([1, 2]);
  });

  it.each([
    ['empty input', []],
    ['not a SEQUENCE', [0x31, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02]],
    ['long-form SEQUENCE length for a short body (BER)', [0x30, 0x81, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02]],
    ['indefinite length (BER)', [0x30, 0x80, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02, 0x00, 0x00]],
    ['SEQUENCE length too long', [0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02]],
    ['SEQUENCE length too short', [0x30, 0x05, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02]],
    ['trailing byte after the SEQUENCE', [0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02, 0x00]],
    ['trailing INTEGER inside the SEQUENCE', [0x30, 0x09, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02, 0x02, 0x01, 0x03]],
    ['only one INTEGER', [0x30, 0x03, 0x02, 0x01, 0x01]],
    ['zero-length INTEGER', [0x30, 0x05, 0x02, 0x00, 0x02, 0x01, 0x02]],
    ['negative INTEGER (missing leading zero)', [0x30, 0x06, 0x02, 0x01, 0x81, 0x02, 0x01, 0x02]],
    ['non-minimal INTEGER (extra leading zero)', [0x30, 0x07, 0x02, 0x02, 0x00, 0x01, 0x02, 0x01, 0x02]],
    ['wrong INTEGER tag', [0x30, 0x06, 0x03, 0x01, 0x01, 0x02, 0x01, 0x02]],
    ['INTEGER running past the end', [0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x05, 0x02]],
    ['long-form INTEGER length (BER)', [0x30, 0x07, 0x02, 0x81, 0x01, 0x01, 0x02, 0x01, 0x02]],
  ])('rejects %s with invalid_request', (_name, bytes) => {
    expect(codeOf(() => derToP1363(Buffer.from(bytes), 32))).toBe('invalid_request');
  });

  it('rejects r ‖ s of odd or zero length', () => {
    expect(codeOf(() => p1363ToDer(Buffer.alloc(0)))).toBe('invalid_request');
    expect(codeOf(() => p1363ToDer(Buffer.alloc(63)))).toBe('invalid_request');
  });

  it('answers arbitrary bytes with invalid_request or a value that re-encodes to the same DER (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        const code = codeOf(() => derToP1363(bytes, 32));
        if (code === 'no error') expect(p1363ToDer(derToP1363(bytes, 32)).equals(Buffer.from(bytes))).toBe(true);
        else expect(code).toBe('invalid_request');
      }),
      { numRuns: 2000 },
    );
  });
});
