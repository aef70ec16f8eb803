/**
 * Strict base64 (RFC 4648 §4, padded) and base64url (§5, unpadded): every byte string has exactly one accepted
 * spelling. Property tests for the round trip and for each kind of non-canonical input Node would accept.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HOSTILE_STRINGS, HOSTILE_VALUES } from '../../test/support/hostile.ts';
import { decodeBase64Strict, decodeBase64UrlStrict, encodeBase64, encodeBase64Url } from './index.ts';
import { codeOf } from '../../test/support/errors.ts';

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** The same bytes spelled with the last data character's unused low bits set (RFC 4648 §3.5). */
function withPadBitsSet(canonical: string, alphabet: string): string | null {
  const data = canonical.replace(/=+$/, '');
  const unusedBits = (data.length * 6) % 8;
  if (unusedBits === 0) return null;
  const last = alphabet.indexOf(data.at(-1) as string);
  return `${data.slice(0, -1)}${alphabet[last | ((1 << unusedBits) - 1)]}${canonical.slice(data.length)}`;
}

describe('decodeBase64Strict', () => {
  it('round-trips every byte string (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        expect(decodeBase64Strict(encodeBase64(bytes), 'input').equals(Buffer.from(bytes))).toBe(true);
      }),
    );
  });

  it('encodes subarrays by their own bytes, not the whole backing buffer', () => {
    const backing = Uint8Array.from([1, 2, 3, 4, 5, 6]);
    expect(encodeBase64(backing.subarray(2, 4))).toBe(Buffer.from([3, 4]).toString('base64'));
  });

  it('rejects missing padding (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 100 }).filter((b) => b.length % 3 !== 0), (bytes) => {
        expect(codeOf(() => decodeBase64Strict(encodeBase64(bytes).replace(/=+$/, ''), 'input'))).toBe('invalid_request');
      }),
    );
  });

  it('rejects whitespace anywhere (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 100 }), fc.nat(), fc.constantFrom(' ', '\n', '\r', '\t', '\u00a0'), (bytes, at, ws) => {
        const s = encodeBase64(bytes);
        const i = at % (s.length + 1);
        expect(codeOf(() => decodeBase64Strict(`${s.slice(0, i)}${ws}${s.slice(i)}`, 'input'))).toBe('invalid_request');
      }),
    );
  });

  it('rejects non-zero pad bits (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 100 }).filter((b) => b.length % 3 !== 0), (bytes) => {
        const bad = withPadBitsSet(encodeBase64(bytes), B64) as string;
        expect(bad).not.toBe(encodeBase64(bytes));
        expect(Buffer.from(bad, 'base64').equals(Buffer.from(bytes))).toBe(true); // Node would accept it
        expect(codeOf(() => decodeBase64Strict(bad, 'input'))).toBe('invalid_request');
      }),
    );
  });

  it('rejects the url alphabet (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 100 }).filter((b) => /[+/]/.test(encodeBase64(b))), (bytes) => {
        const url = encodeBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_');
        expect(codeOf(() => decodeBase64Strict(url, 'input'))).toBe('invalid_request');
      }),
    );
  });

  it('rejects every non-string with invalid_request', () => {
    for (const v of HOSTILE_VALUES) expect(codeOf(() => decodeBase64Strict(v, 'input'))).toBe('invalid_request');
  });

  it('answers every hostile string with invalid_request or bytes that re-encode to exactly that string', () => {
    for (const s of HOSTILE_STRINGS) {
      const code = codeOf(() => decodeBase64Strict(s, 'input'));
      if (code === 'no error') expect(encodeBase64(decodeBase64Strict(s, 'input'))).toBe(s);
      else expect(code).toBe('invalid_request');
    }
    for (const s of ['=', '====', 'A===', 'AA=', 'AAA', 'AAAAA', 'AB==', 'AAB=', 'A-_A', 'AAAA\n', ' AAAA', 'AA\u0000A', 'ＡＡＡＡ']) {
      expect(codeOf(() => decodeBase64Strict(s, 'input'))).toBe('invalid_request');
    }
  });

  it('accepts the empty string as zero bytes', () => {
    expect(decodeBase64Strict('', 'input').length).toBe(0);
  });

  it('names the field but never echoes the value in its message', () => {
    try {
      decodeBase64Strict('c2VjcmV0LXZhbHVl!', 'plaintext');
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).toContain('plaintext');
      expect((e as Error).message).not.toContain('c2VjcmV0LXZhbHVl');
    }
  });
});

describe('decodeBase64UrlStrict', () => {
  it('round-trips every byte string (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const s = encodeBase64Url(bytes);
        expect(s).not.toMatch(/[=+/]/);
        expect(decodeBase64UrlStrict(s, 'jws').equals(Buffer.from(bytes))).toBe(true);
      }),
    );
  });

  it('rejects padding, the standard alphabet, whitespace and non-zero pad bits (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 100 }), (bytes) => {
        const s = encodeBase64Url(bytes);
        if (bytes.length % 3 !== 0) {
          expect(codeOf(() => decodeBase64UrlStrict(encodeBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_'), 'jws'))).toBe('invalid_request');
          expect(codeOf(() => decodeBase64UrlStrict(withPadBitsSet(s, B64URL), 'jws'))).toBe('invalid_request');
        }
        if (/[-_]/.test(s)) expect(codeOf(() => decodeBase64UrlStrict(encodeBase64(bytes), 'jws'))).toBe('invalid_request');
        expect(codeOf(() => decodeBase64UrlStrict(`${s} `, 'jws'))).toBe('invalid_request');
      }),
    );
  });

  it('answers every hostile value with invalid_request or bytes that re-encode to exactly that string', () => {
    for (const v of HOSTILE_VALUES) expect(codeOf(() => decodeBase64UrlStrict(v, 'jws'))).toBe('invalid_request');
    for (const s of HOSTILE_STRINGS) {
      const code = codeOf(() => decodeBase64UrlStrict(s, 'jws'));
      if (code === 'no error') expect(encodeBase64Url(decodeBase64UrlStrict(s, 'jws'))).toBe(s);
      else expect(code).toBe('invalid_request');
    }
    for (const s of ['A', 'AAAAA', 'AB', 'AAB', 'AA==', '+/+/', 'A.A']) expect(codeOf(() => decodeBase64UrlStrict(s, 'jws'))).toBe('invalid_request');
  });
});
