/**
 * The hostile-input matrix for JWS parsers (crypto/jws.ts, messages/verify, messages/detached): compact
 * strings that are wrong in one way each, on top of test/_hostile.ts's generic values and strings. Every
 * parser must answer each with a JwsError (or a valid:false answer), never another exception, never a hang.
 */
import { HOSTILE_STRINGS, HOSTILE_VALUES } from './hostile.ts';

const b64u = (s: string | Uint8Array): string => Buffer.from(s).toString('base64url');
const withHeader = (header: string): string => `${b64u(header)}.e30.AAAA`;

/** Header texts that no strict JWS parser may accept (each with payload `{}` and a 3-byte signature). */
export const HOSTILE_JWS_HEADERS: readonly string[] = [
  '',
  '[]',
  'null',
  '1',
  '"ES256"',
  '{"alg":"ES256"',
  '\uFEFF{"alg":"ES256"}',
  '{}',
  '{"alg":1}',
  '{"alg":null}',
  '{"alg":["ES256"]}',
  '{"__proto__":{"alg":"ES256"}}',
  '{"alg":"ES256","alg":"none"}',
  '{"alg":"ES256","\\u0061lg":"ES256"}',
  '{"alg":"ES256","x":{"a":1,"a":2}}',
  '{"alg":"ES256","crit":[]}',
  '{"alg":"ES256","crit":"b64","b64":false}',
  '{"alg":"ES256","crit":["b64","b64"],"b64":false}',
  '{"alg":"ES256","crit":["alg"]}',
  '{"alg":"ES256","crit":["kid"],"kid":"a:v1"}',
  '{"alg":"ES256","crit":["x"]}',
  '{"alg":"ES256","crit":["x"],"x":1}',
  '{"alg":"ES256","crit":[1]}',
  '{"alg":"ES256","crit":[""],"":1}',
  '{"alg":"ES256","b64":false}',
  '{"alg":"ES256","b64":true}',
  '{"alg":"ES256","b64":"false","crit":["b64"]}',
  '{"alg":"ES256","b64":0,"crit":["b64"]}',
];

/** Compact strings broken at the serialization level. */
const HOSTILE_COMPACT: readonly string[] = [
  '.',
  '..',
  '...',
  'e30',
  'e30.e30',
  '.e30.AAAA',
  'e30.e30.AAAA.AAAA',
  `${b64u('{"alg":"ES256"}')}=.e30.AAAA`,
  `${b64u('{"alg":"ES256"}')}.e30=.AAAA`,
  `${b64u('{"alg":"ES256"}')}.e30.AAAA=`,
  `${b64u('{"alg":"ES256"}')}.e3+.AAAA`,
  `${b64u('{"alg":"ES256"}')}.e30.AA/A`,
  `${b64u('{"alg":"ES256"}')}.e31.AAAA`,
  `${b64u('{"alg":"ES256"}')}.e30.AAB`,
  ` ${b64u('{"alg":"ES256"}')}.e30.AAAA`,
  `${b64u('{"alg":"ES256"}')}.e30.AAAA\n`,
  `${b64u(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))}.e30.AAAA`,
  `${b64u('{"alg":"ES256"}')}.${'A'.repeat(1 << 20)}!.AAAA`,
];

/** Every hostile input for a compact-JWS parser: non-strings, generic strings, JWS-specific strings. */
export const HOSTILE_JWS: readonly unknown[] = [...HOSTILE_VALUES, ...HOSTILE_STRINGS, ...HOSTILE_JWS_HEADERS.map(withHeader), ...HOSTILE_COMPACT];
