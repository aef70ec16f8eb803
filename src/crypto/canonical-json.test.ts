/**
 * RFC 8785 (JCS): the examples of the RFC, number serialisation (§3.2.2.3, ECMAScript's shortest form),
 * member ordering by UTF-16 code units (§3.2.3), idempotence and order-independence as properties, and
 * invalid_request for what JSON cannot express.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from './index.ts';
import { codeOf } from '../../test/support/errors.ts';

describe('canonicalJson', () => {
  it('matches the RFC 8785 §3.2.2 example', () => {
    const input = JSON.parse(
      '{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],' +
        '"string":"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/","literals":[null,true,false]}',
    );
    expect(canonicalJson(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it('orders members by UTF-16 code units, as the RFC 8785 §3.2.3 example', () => {
    const input = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    // A code-point sort would put U+1F600 after U+FB33; UTF-16 puts its high surrogate 0xD83D first.
    // (Compared as text: Object.keys would list the integer-like key "1" first whatever the order.)
    expect(canonicalJson(input)).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
        '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  it.each([
    [1e21, '1e+21'],
    [1e20, '100000000000000000000'],
    [-0, '0'],
    [0, '0'],
    [0.1, '0.1'],
    [1e-7, '1e-7'],
    [0.000001, '0.000001'],
    [-1.5, '-1.5'],
    [5e-324, '5e-324'],
    [1.7976931348623157e308, '1.7976931348623157e+308'],
    [9007199254740992, '9007199254740992'],
    [295147905179352830000, '295147905179352830000'],
    [333333333.33333329, '333333333.3333333'],
  ])('serialises the number %s as %s', (n, text) => {
    expect(canonicalJson(n)).toBe(text);
    expect(canonicalJson([n])).toBe(`[${text}]`);
  });

  it('escapes control characters in lowercase hex and leaves / and non-ASCII alone', () => {
    expect(canonicalJson('\u0000\u001f\b\t\n\f\r"\\/é€😀')).toBe('"\\u0000\\u001f\\b\\t\\n\\f\\r\\"\\\\/é€😀"');
  });

  it('is idempotent: canonicalJson(JSON.parse(canonicalJson(x))) === canonicalJson(x) (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (x) => {
        const once = canonicalJson(x);
        expect(canonicalJson(JSON.parse(once))).toBe(once);
        expect(JSON.parse(once)).toEqual(JSON.parse(JSON.stringify(x)));
      }),
      { numRuns: 500 },
    );
  });

  it('sorts any member names by UTF-16 code units and ignores insertion order (property)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ unit: 'binary', maxLength: 6 }), { maxLength: 12 }), fc.integer(), (names, seed) => {
        const forward = Object.fromEntries(names.map((k, i) => [k, i]));
        const shuffled = Object.fromEntries([...names].sort(() => (seed & 1 ? 1 : -1)).reverse().map((k) => [k, forward[k]]));
        // Array.prototype.sort without a comparator compares UTF-16 code units, which is what §3.2.3 asks.
        const expected = `{${[...names].sort().map((k) => `${JSON.stringify(k)}:${forward[k]}`).join(',')}}`;
        expect(canonicalJson(forward)).toBe(expected);
        expect(canonicalJson(shuffled)).toBe(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('has no whitespace outside strings', () => {
    expect(canonicalJson({ b: [1, { d: true, c: null }], a: 'x y' })).toBe('{"a":"x y","b":[1,{"c":null,"d":true}]}');
  });

  it.each([
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['-Infinity in an array', [Number.NEGATIVE_INFINITY]],
    ['NaN in an object', { a: Number.NaN }],
    ['a BigInt', 10n],
    ['undefined', undefined],
    ['a function', () => 1],
    ['a symbol', Symbol('s')],
  ])('refuses %s with invalid_request', (_name, value) => {
    expect(codeOf(() => canonicalJson(value))).toBe('invalid_request');
  });

  it('refuses a value nested deeper than the stack with invalid_request, not a crash', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(codeOf(() => canonicalJson(deep))).toBe('invalid_request');
  });
});
