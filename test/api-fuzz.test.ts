/**
 * Property-based fuzzing (fast-check) of every route: random methods, paths built from the route table with
 * hostile parameters, random or hostile headers, and bodies that are random JSON, route-shaped objects with
 * hostile field values, or not JSON at all. Properties: never a 5xx, every error has API.md's shape, no
 * "unexpected error" is logged, and the process still serves a real signature afterwards. Runs are bounded.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../src/api/app.ts';
import { b64, startApi, type ApiHarness } from './support/api.ts';

let api: ApiHarness;
let goodSignature = '';
let goodCiphertext = '';

beforeAll(async () => {
  api = await startApi();
  for (const [name, type] of [['fz-ec', 'ecdsa-p256'], ['fz-ed', 'ed25519'], ['fz-box', 'aes-128-gcm']] as const) {
    await api.call('POST', '/v1/keys', { body: { name, type } });
  }
  goodSignature = (await api.call('POST', '/v1/keys/fz-ec/sign', { body: { input: b64('x') } })).json.signature;
  goodCiphertext = (await api.call('POST', '/v1/keys/fz-box/encrypt', { body: { plaintext: b64('x') } })).json.ciphertext;
});
afterAll(async () => api?.close());

const printable = (max: number) => fc.stringMatching(new RegExp(`^[\\x20-\\x7e]{0,${max}}$`));

const hostileString = () =>
  fc.oneof(
    fc.constantFrom('', 'AAAA', 'AAA=', 'AA==', '====', 'aGVsbG8=', 'aGVsbG9=', ' AAAA', 'AAAA\n', 'payseal:v1:AAAA', 'payseal:v0:AAAA',
      'payseal:v2147483648:AAAA', 'payseal:v1:', 'sha2-256', 'sha3-512', 'md5', 'pss', 'pkcs1v15', 'der', 'p1363', 'hex', 'base64',
      'ed25519', 'ecdsa-p256', 'aes-128-gcm', 'rsa-1', '90d', '0d', '-1h', 'admin', 'sign:*', 'sign:fz-ec', '__proto__', 'constructor',
      '\u0000', '\ud800', '𝔸', 'fz-ec', 'fz-box'),
    fc.string({ maxLength: 40 }),
    fc.base64String({ maxLength: 40 }),
  );

const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileString() },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, 0, -1, 1.5, 1e308, -0, 2 ** 53, 2 ** 31, {}, [], [null]) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);

const FIELDS = ['input', 'signature', 'plaintext', 'ciphertext', 'aad', 'hash', 'rsa_padding', 'signature_encoding', 'name', 'type',
  'scopes', 'rotation_period', 'min_version', 'algorithm', 'format', 'batch_input', '__proto__', 'constructor'];

const routeShapedBody = fc.oneof(
  fc.dictionary(fc.constantFrom(...FIELDS), hostileValue, { maxKeys: 5 }),
  fc.record({ batch_input: fc.array(fc.dictionary(fc.constantFrom(...FIELDS), hostileValue, { maxKeys: 4 }), { maxLength: 8 }) }),
  fc.constant(null).map(() => ({ input: b64('x'), signature: goodSignature })),
  fc.constant(null).map(() => ({ ciphertext: goodCiphertext, aad: 'AAAA' })),
);

type Body = { kind: 'json'; value: unknown } | { kind: 'raw'; value: string } | { kind: 'none' };
const bodyArb: fc.Arbitrary<Body> = fc.oneof(
  { weight: 4, arbitrary: routeShapedBody.map((value): Body => ({ kind: 'json', value })) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value): Body => ({ kind: 'json', value })) },
  { weight: 2, arbitrary: fc.oneof(fc.string({ maxLength: 60 }), fc.constantFrom('{', '{"input":', '[', 'nul', '{"a":1,}', '\ufeff{}', '{"input":"\\ud800"}'))
      .map((value): Body => ({ kind: 'raw', value })) },
  { weight: 1, arbitrary: fc.constant<Body>({ kind: 'none' }) },
);

const paramArb = fc.oneof(
  fc.constantFrom('fz-ec', 'fz-ed', 'fz-box', 'nope', '1', '0', '-1', '99999999999', '%', '%zz', '%00', '..', '%2e%2e', '*', 'a%2Fb', 'UPPER', 'x'.repeat(300)),
  fc.string({ maxLength: 20 }).map(encodeURIComponent),
);

const pathArb = fc.oneof(
  { weight: 5, arbitrary: fc.tuple(fc.constantFrom(...ROUTES.map((r) => r.path)), paramArb, paramArb).map(([p, a, b]) => {
      let i = 0;
      return p.replace(/:[a-z]+/g, () => (i++ === 0 ? a : b));
    }) },
  { weight: 1, arbitrary: fc.array(paramArb, { maxLength: 5 }).map((parts) => `/v1/${parts.join('/')}`) },
  { weight: 1, arbitrary: fc.constantFrom('/', '//', '/v1//keys', '/v1/keys/', '/v1/keys?x=1&x=2', '/healthz?', '/.well-known/', '/v1/keys/fz-ec/sign/') },
);

const headersArb = fc.record(
  {
    'content-type': fc.oneof(fc.constantFrom('application/json', 'application/json; charset=utf-8', 'application/json; charset=utf-16',
      'text/plain', 'application/jsonx', 'application/*', '*/*', 'application/json; charset', ''), printable(40)),
    authorization: fc.oneof(fc.constant('ADMIN'), fc.constantFrom('Bearer', 'Bearer ', 'bearer ADMIN', 'Basic x', 'Bearer a b'), printable(60).map((s) => `Bearer ${s}`)),
    'x-request-id': printable(80),
    'content-encoding': fc.constantFrom('identity', 'gzip', 'br', 'x-unknown'),
    accept: printable(30),
  },
  { requiredKeys: [] },
);

const requestArb = fc.record({ method: fc.constantFrom('GET', 'POST', 'PATCH', 'DELETE', 'PUT', 'OPTIONS', 'HEAD'), path: pathArb, headers: headersArb, body: bodyArb });

type FuzzRequest = typeof requestArb extends fc.Arbitrary<infer T> ? T : never;

async function send(r: FuzzRequest): Promise<{ status: number; text: string }> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.headers)) if (v !== undefined) headers[k] = v === 'ADMIN' || v === 'bearer ADMIN' ? v.replace('ADMIN', `Bearer ${api.adminToken}`).replace('bearer Bearer', 'bearer') : v;
  const body = r.body.kind === 'none' || r.method === 'GET' || r.method === 'HEAD' ? undefined : r.body.kind === 'raw' ? r.body.value : JSON.stringify(r.body.value);
  const res = await fetch(api.url + r.path, { method: r.method, headers, body });
  return { status: res.status, text: await res.text() };
}

function assertWellFormed(method: string, status: number, text: string): void {
  expect(status).toBeLessThan(500);
  if (status >= 400 && method !== 'HEAD') {
    const json = JSON.parse(text);
    expect(Object.keys(json)).toEqual(['error']);
    expect(typeof json.error.code).toBe('string');
    expect(typeof json.error.message).toBe('string');
  }
}

describe('fuzzing every route', () => {
  it('random requests never answer 5xx and errors keep the API shape', async () => {
    await fc.assert(
      fc.asyncProperty(requestArb, async (r) => {
        const res = await send(r);
        assertWellFormed(r.method, res.status, res.text);
      }),
      { numRuns: 600, seed: Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31) },
    );
  });

  it('authenticated, JSON-typed requests to each operation with hostile bodies never answer 5xx', async () => {
    const withBodies = ROUTES.filter((r) => r.method !== 'get' && r.method !== 'delete');
    const opArb = fc.record({
      route: fc.constantFrom(...withBodies),
      key: fc.constantFrom('fz-ec', 'fz-ed', 'fz-box'),
      body: routeShapedBody,
    });
    await fc.assert(
      fc.asyncProperty(opArb, async ({ route, key, body }) => {
        const method = route.method.toUpperCase();
        const res = await api.call(method, route.path.replace(':name', key).replace(':version', '1'), { body });
        assertWellFormed(method, res.status, res.text);
      }),
      { numRuns: 500 },
    );
  });

  it('pathological JSON: deep nesting, huge numbers, long strings, many keys', async () => {
    const cases = ['['.repeat(100_000) + ']'.repeat(100_000), `{"input":${'9'.repeat(10_000)}}`, JSON.stringify({ input: 'A'.repeat(900_000) }),
      JSON.stringify(Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k${i}`, i]))), JSON.stringify({ batch_input: Array(1000).fill({ input: '!' }) })];
    for (const raw of cases) {
      for (const path of ['/v1/keys/fz-ec/sign', '/v1/keys/fz-box/decrypt', '/v1/hash', '/v1/keys']) {
        const res = await api.call('POST', path, { raw, headers: { 'content-type': 'application/json' } });
        assertWellFormed('POST', res.status, res.text);
      }
    }
  });

  it('the process is alive and correct afterwards, and nothing unexpected was logged', async () => {
    expect((await api.call('GET', '/healthz')).status).toBe(200);
    const sig = await api.call('POST', '/v1/keys/fz-ed/sign', { body: { input: b64('after fuzzing') } });
    expect(sig.status).toBe(200);
    const ok = await api.call('POST', '/v1/keys/fz-ed/verify', { body: { input: b64('after fuzzing'), signature: sig.json.signature } });
    expect(ok.json.valid).toBe(true);
    expect(api.logs.filter((l) => l.includes('"unexpected error"'))).toEqual([]);
  });
});
