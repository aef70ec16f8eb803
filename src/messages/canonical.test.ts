/**
 * messages/canonical and messages/kid: what JCS can carry exactly (refusals with invalid_request and a message
 * that tells the caller to send amounts as strings), which payload bytes count as canonical, and the one
 * spelling of a kid.
 */
import { describe, expect, it } from 'vitest';
import { codeOf } from '../../test/support/errors.ts';
import { PaysealError } from '../errors.ts';
import { canonicalMessageBytes, formatKid, parseKid, readCanonicalPayload } from './index.ts';

describe('canonicalMessageBytes', () => {
  it('is the JCS form: members sorted by UTF-16 code units, shortest numbers, no whitespace', () => {
    const bytes = canonicalMessageBytes({ b: [123.456, 0.1, -0, 1.5e-7, 2.5], a: 'é', '\u20ac': null, '\ud83d\ude02': true, A: { y: 2, x: 1 } });
    expect(bytes.toString('utf8')).toBe('{"A":{"x":1,"y":2},"a":"é","b":[123.456,0.1,0,1.5e-7,2.5],"€":null,"😂":true}');
  });

  it('refuses unsafe integers and says to send money as strings', () => {
    for (const n of [2 ** 53, -(2 ** 53), 1e30, Number.MAX_VALUE]) {
      let err: unknown;
      try {
        canonicalMessageBytes({ amount: n });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(PaysealError);
      expect((err as PaysealError).code).toBe('invalid_request');
      expect((err as PaysealError).message).toMatch(/money amounts as strings/);
    }
    expect(canonicalMessageBytes({ amount: 2 ** 53 - 1 }).toString()).toBe('{"amount":9007199254740991}');
  });

  it('refuses what JSON or JCS cannot carry exactly', () => {
    class Money {
      amount = '1.00';
    }
    const getter = Object.defineProperty({}, 'a', { get: () => 1, enumerable: true });
    const values: unknown[] = [
      Number.NaN,
      Number.POSITIVE_INFINITY,
      [Number.NEGATIVE_INFINITY],
      undefined,
      { a: undefined },
      10n,
      Symbol('s'),
      () => 1,
      new Date(0),
      new Money(),
      getter,
      { toJSON: () => 'x' },
      { [Symbol('k')]: 1 },
      'lone \ud800 surrogate',
      { '\udc00': 1 },
      // eslint-disable-next-line no-sparse-arrays
      [1, , 3],
      new Uint8Array(2),
    ];
    for (const v of values) expect(codeOf(() => canonicalMessageBytes(v))).toBe('invalid_request');
  });

  it('walks deep values without exhausting the stack in its own checks', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    // canonicalize itself recurses; its RangeError is turned into invalid_request by crypto's canonicalJson.
    expect(codeOf(() => canonicalMessageBytes(deep))).toBe('invalid_request');
  });
});

describe('readCanonicalPayload', () => {
  it('accepts exactly the JCS bytes of a value', () => {
    expect(readCanonicalPayload(Buffer.from('{"a":[1,"x"],"b":null}'))).toEqual({ ok: true, message: { a: [1, 'x'], b: null } });
    expect(readCanonicalPayload(Buffer.from('"€"'))).toEqual({ ok: true, message: '€' });
  });

  it('refuses any other spelling of the same value, and what is not JSON', () => {
    for (const text of ['{"b":null,"a":[1,"x"]}', '{"a":[1, "x"],"b":null}', '{"a":1,"a":1}', '1.0', '1E2', '"\\u20ac"', '"\\/"', ' 1', '1\n', '', 'nul', '9007199254740993']) {
      expect([text, readCanonicalPayload(Buffer.from(text)).ok]).toEqual([text, false]);
    }
    expect(readCanonicalPayload(Buffer.from([0x22, 0xff, 0x22])).ok).toBe(false);
    expect(readCanonicalPayload(Buffer.from('\uFEFF1')).ok).toBe(false);
  });
});

describe('kid', () => {
  it('has one spelling per (name, version)', () => {
    expect(formatKid('payments', 3)).toBe('payments:v3');
    expect(parseKid('payments.eu-1_x:v2147483647')).toEqual({ name: 'payments.eu-1_x', version: 2147483647 });
    for (const bad of ['payments:v0', 'payments:v03', 'payments:v2147483648', 'Payments:v1', '-p:v1', 'p:v1 ', 'p:1', 'p', `${'a'.repeat(65)}:v1`, 7, null]) {
      expect(parseKid(bad)).toBeNull();
    }
    expect(() => formatKid('Bad Name', 1)).toThrow(RangeError);
  });
});
