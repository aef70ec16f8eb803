/**
 * The signature base, byte for byte: each RFC 9421 Appendix B example's base rebuilt from the test message and
 * its Signature-Input equals the RFC's; component values of §2.1-§2.2 (combined field lines, sf, key, bs,
 * @authority normalization, @path/@query of an empty path, @query-param encoding of §2.2.8, ;req) and the
 * errors for missing or ambiguous components.
 */
import { parseDictionary, type InnerList } from 'structured-headers';
import { describe, expect, it } from 'vitest';
import { EXAMPLES, type RfcMessage } from '../../test/support/rfc9421.ts';
import { ComponentError, componentValue, parseComponentId } from './components.ts';
import { normalizeMessage, type HttpMessage } from './message.ts';
import { readInputMember, signatureBase } from './signature-base.ts';

function messageOf(m: RfcMessage): HttpMessage {
  return normalizeMessage({ method: m.method, target_uri: m.target_uri, status: m.status, headers: m.headers, body: Buffer.from(m.body) });
}

const value = (id: string, msg: HttpMessage, req: HttpMessage | null = null) => componentValue(parseComponentId(id), msg, req);
const request = (target: string, headers: Record<string, string | string[]> = {}) => normalizeMessage({ method: 'GET', target_uri: target, headers });

describe('RFC 9421 Appendix B signature bases', () => {
  for (const ex of EXAMPLES) {
    it(`${ex.section}: the base equals the RFC's`, () => {
      const input = parseDictionary(ex.signatureInput.slice(ex.label.length + 1).replace(/^/, 'x=')).get('x') as InnerList;
      const base = signatureBase(readInputMember(input), messageOf(ex.message), null);
      expect(base.toString('utf8')).toBe(ex.base);
    });
  }
});

describe('component values', () => {
  it('field lines are trimmed and joined with ", "; names are case-insensitive', () => {
    const msg = request('https://example.com/', { 'X-Multi': ['  a ', 'b,  c'], 'Cache-Control': 'max-age=60' });
    expect(value('x-multi', msg)).toBe('a, b,  c');
    expect(value('cache-control', msg)).toBe('max-age=60');
  });

  it('sf re-serializes, key picks a Dictionary member, bs wraps each line as a Byte Sequence (§2.1.1-§2.1.3)', () => {
    const msg = request('https://example.com/', { 'Example-Dict': ' a=1,    b=2;x=1;y=2,   c=(a   b   c)', 'Example-Header': ['value, with, lots', 'of, commas'] });
    expect(value('example-dict;sf', msg)).toBe('a=1, b=2;x=1;y=2, c=(a b c)');
    expect(value('example-dict;key="b"', msg)).toBe('2;x=1;y=2');
    expect(value('example-dict;key="c"', msg)).toBe('(a b c)');
    expect(value('example-header;bs', msg)).toBe(':dmFsdWUsIHdpdGgsIGxvdHM=:, :b2YsIGNvbW1hcw==:');
  });

  it('@authority drops the default port and lowercases; @path of an empty path is "/", @query of none is "?"', () => {
    expect(value('@authority', request('https://WWW.Example.com:443/x'))).toBe('www.example.com');
    expect(value('@authority', request('http://example.com:8080/x'))).toBe('example.com:8080');
    expect(value('@path', request('https://example.com'))).toBe('/');
    expect(value('@query', request('https://example.com/p'))).toBe('?');
    expect(value('@request-target', request('https://example.com/p?a=b'))).toBe('/p?a=b');
    expect(value('@scheme', request('HTTPS://example.com/'))).toBe('https');
  });

  it('@query-param decodes then re-encodes name and value (RFC 9421 §2.2.8 example)', () => {
    const msg = request('https://example.com/parameters?var=this%20is%20a%20big%0Avalue&bar=with+plus+whitespace&fa%C3%A7ade%22%3A%20=something');
    expect(value('@query-param;name="var"', msg)).toBe('this%20is%20a%20big%0Avalue');
    expect(value('@query-param;name="bar"', msg)).toBe('with%20plus%20whitespace');
    expect(value('@query-param;name="fa%C3%A7ade%22%3A%20"', msg)).toBe('something');
  });

  it(';req reads the request a response answers', () => {
    const req = request('https://example.com/foo?x=1');
    const res = normalizeMessage({ status: 200, headers: {} });
    expect(value('"@method";req', res, req)).toBe('GET');
    expect(value('"@path";req', res, req)).toBe('/foo');
  });

  it('missing, ambiguous and invalid components are errors, never empty values', () => {
    const msg = request('https://example.com/p?a=1&a=2');
    const failure = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e instanceof ComponentError ? e.failure : 'other';
      }
      return 'none';
    };
    expect(failure(() => value('x-absent', msg))).toBe('component_missing');
    expect(failure(() => value('@status', msg))).toBe('component_missing');
    expect(failure(() => value('@query-param;name="a"', msg))).toBe('component_ambiguous');
    expect(failure(() => value('"@method";req', msg))).toBe('component_missing');
    expect(failure(() => parseComponentId('@bogus'))).toBe('component_invalid');
    expect(failure(() => parseComponentId('Content-Type'))).toBe('component_invalid');
    expect(failure(() => parseComponentId('x;tr'))).toBe('component_invalid');
    expect(failure(() => parseComponentId('x;sf;bs'))).toBe('component_invalid');
  });
});
