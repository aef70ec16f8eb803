/**
 * The client's HTTP behaviour against a real local HTTP server (test/client-standin.ts): Retry-After in
 * seconds and as an HTTP date, 429/503 retried until success or until `retries` is used up, no retry of other
 * 4xx or 5xx, per-attempt timeouts, which calls retry network failures, the error's shape, the token never in
 * an error, base64 of binary inputs and batch slots.
 */
import { inspect } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PaysealClient, PaysealClientError, isBatchItemError, type PaysealClientOptions } from '../src/client/index.ts';
import { _parseRetryAfter, _retryDelay, DEFAULT_RETRY_POLICY } from '../src/client/_retry.ts';
import { startStandIn, type StandIn } from './support/client-standin.ts';

let server: StandIn;
beforeAll(async () => {
  server = await startStandIn();
});
afterAll(async () => server?.close());
beforeEach(() => {
  server.requests.length = 0;
});

const client = (options: Partial<PaysealClientOptions> = {}) => new PaysealClient({ baseUrl: server.url, token: server.token, backoff: { baseDelayMs: 5 }, ...options });
const hashOf = (c: PaysealClient) => c.hash({ input: 'hello' });
const HELLO_SHA256 = '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824';

async function failure(promise: Promise<unknown>): Promise<PaysealClientError> {
  try {
    await promise;
  } catch (e) {
    expect(e).toBeInstanceOf(PaysealClientError);
    return e as PaysealClientError;
  }
  throw new Error('expected the call to fail');
}

describe('Retry-After', () => {
  it('429 with Retry-After: 1 (seconds): the retry comes no sooner than a second later and succeeds', async () => {
    server.script('/v1/hash', { status: 429, headers: { 'retry-after': '1' } });
    const delays: number[] = [];
    const result = await hashOf(client({ onRetry: (info) => delays.push(info.delayMs) }));
    expect(result.digest).toBe(HELLO_SHA256);
    const [first, second] = server.requests;
    expect(server.requests).toHaveLength(2);
    expect(delays).toHaveLength(1);
    expect(delays[0]).toBeGreaterThanOrEqual(1000);
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(1000);
  });

  it('503 with Retry-After as an HTTP date: the retry waits for that date', async () => {
    const at = Math.ceil(Date.now() / 1000) * 1000 + 2000;
    server.script('/v1/hash', { status: 503, headers: { 'retry-after': new Date(at).toUTCString() } });
    const result = await hashOf(client());
    expect(result.digest).toBe(HELLO_SHA256);
    expect(server.requests).toHaveLength(2);
    // Node timers may fire a millisecond early; the date has one-second resolution, so the bound is exact enough.
    expect(server.requests[1]!.at).toBeGreaterThanOrEqual(at - 5);
  });

  it('a Retry-After longer than maxRetryAfterMs is not waited for: the error carries it', async () => {
    server.script('/v1/hash', { status: 429, headers: { 'retry-after': '120' } });
    const e = await failure(hashOf(client({ retries: 3 })));
    expect([e.code, e.status, e.retryAfterMs, e.attempts]).toEqual(['rate_limited', 429, 120_000, 1]);
    expect(server.requests).toHaveLength(1);
  });

  it('parses delay-seconds and HTTP dates, ignores junk; waits never less than asked', () => {
    const now = Date.parse('Sun, 06 Nov 1994 08:49:37 GMT');
    expect(_parseRetryAfter('3', now)).toBe(3000);
    expect(_parseRetryAfter(' 0 ', now)).toBe(0);
    expect(_parseRetryAfter('Sun, 06 Nov 1994 08:49:40 GMT', now)).toBe(3000);
    expect(_parseRetryAfter('Sun, 06 Nov 1994 08:49:00 GMT', now)).toBe(0);
    for (const junk of [null, undefined, '', '-1', '1.5', 'soon', '12 GMT', 'Sun, garbage GMT']) expect(_parseRetryAfter(junk, now), String(junk)).toBeUndefined();
    for (const r of [0, 0.5, 0.999]) {
      expect(_retryDelay(DEFAULT_RETRY_POLICY, 0, 2000, () => r)).toBeGreaterThanOrEqual(2000);
      expect(_retryDelay(DEFAULT_RETRY_POLICY, 20, undefined, () => r)).toBeLessThanOrEqual(DEFAULT_RETRY_POLICY.maxDelayMs);
    }
  });
});

describe('which failures are retried', () => {
  it('429 then 503 without Retry-After: backoff, then success on the third attempt', async () => {
    server.script('/v1/hash', { status: 429 }, { status: 503 });
    const reasons: string[] = [];
    expect((await hashOf(client({ onRetry: (i) => reasons.push(i.reason) }))).digest).toBe(HELLO_SHA256);
    expect(reasons).toEqual(['rate_limited', 'unavailable']);
    expect(server.requests).toHaveLength(3);
  });

  it('gives up after `retries` retries with the last error', async () => {
    server.script('/v1/hash', { status: 503 }, { status: 503 }, { status: 503 });
    const e = await failure(hashOf(client({ retries: 2 })));
    expect([e.code, e.status, e.attempts]).toEqual(['unavailable', 503, 3]);
    expect(server.requests).toHaveLength(3);
    server.requests.length = 0;
    server.script('/v1/hash', { status: 503 });
    expect((await failure(hashOf(client({ retries: 0 })))).attempts).toBe(1);
    expect(server.requests).toHaveLength(1);
  });

  it('never retries 400, 401, 404 or 500', async () => {
    for (const status of [400, 401, 404, 500]) {
      server.requests.length = 0;
      server.script('/v1/hash', { status });
      const e = await failure(hashOf(client({ retries: 3 })));
      expect([e.status, e.attempts], String(status)).toEqual([status, 1]);
      expect(server.requests).toHaveLength(1);
    }
  });

  it('a proxy 503 without a payseal body is still unavailable and retried', async () => {
    server.script('/v1/hash', { status: 503, body: '<html>upstream down</html>', headers: { 'content-type': 'text/html' } });
    expect((await hashOf(client())).digest).toBe(HELLO_SHA256);
  });

  it('keys.create (not idempotent) is retried on 429 but not after a timeout', async () => {
    server.script('/v1/keys', { status: 429, headers: { 'retry-after': '0' } });
    const created = await client().keys.create({ name: 'made-once', type: 'ed25519' });
    expect(created.name).toBe('made-once');
    expect(server.count('/v1/keys')).toBe(2);
    server.requests.length = 0;
    server.script('/v1/keys', { delayMs: 1500, status: 201, body: {} });
    const e = await failure(client({ timeoutMs: 100, retries: 3 }).keys.create({ name: 'slow', type: 'ed25519' }));
    expect([e.code, e.status, e.attempts]).toEqual(['timeout', null, 1]);
    expect(server.count('/v1/keys')).toBe(1);
  });

  it('a dropped connection is retried for an idempotent call, not for a consuming verify', async () => {
    server.script('/v1/hash', { destroy: true });
    expect((await hashOf(client())).digest).toBe(HELLO_SHA256);
    expect(server.count('/v1/hash')).toBe(2);
    server.script('/v1/messages/verify', { destroy: true });
    const e = await failure(client({ retries: 3 }).messages.verify({ jws: 'a.b.c', consume: true }));
    expect([e.code, e.status]).toEqual(['network_error', null]);
    expect(server.count('/v1/messages/verify')).toBe(1);
  });

  it('a refused connection (nothing sent) is retried even for keys.create, then fails as network_error', async () => {
    const closed = await startStandIn();
    const url = closed.url;
    await closed.close();
    const retried: number[] = [];
    const c = new PaysealClient({ baseUrl: url, token: server.token, retries: 2, backoff: { baseDelayMs: 1 }, onRetry: (i) => retried.push(i.attempt) });
    const e = await failure(c.keys.create({ name: 'k', type: 'ed25519' }));
    expect([e.code, e.status, e.attempts]).toEqual(['network_error', null, 3]);
    expect(e.message).toContain('ECONNREFUSED');
    expect(retried).toEqual([1, 2]);
  });
});

describe('timeouts', () => {
  it('an attempt slower than timeoutMs is aborted (timeout, status null); an idempotent call then retries', async () => {
    server.script('/v1/hash', { delayMs: 1500, body: { digest: 'late' } });
    const e = await failure(hashOf(client({ timeoutMs: 100, retries: 0 })));
    expect([e.code, e.status]).toEqual(['timeout', null]);
    server.script('/v1/hash', { delayMs: 1500, body: { digest: 'late' } });
    expect((await hashOf(client({ timeoutMs: 300, retries: 1 }))).digest).toBe(HELLO_SHA256);
  });
});

describe('errors', () => {
  it("carry the API's code, status and request id; the token is in no message, stack, JSON or inspect output", async () => {
    const c = client({ retries: 0 });
    // A proxy that echoes the Authorization header into its error: the client must still not repeat it.
    server.script('/v1/hash', { status: 401, body: { error: { code: 'unauthorized', message: `token Bearer ${server.token} is not valid` } } });
    const e = await failure(hashOf(c));
    expect([e.name, e.code, e.status]).toEqual(['PaysealClientError', 'unauthorized', 401]);
    expect(e.requestId).toMatch(/^req-/);
    server.script('/v1/hash', { delayMs: 1000 });
    const timeout = await failure(hashOf(client({ retries: 0, timeoutMs: 50 })));
    const wrong = await failure(new PaysealClient({ baseUrl: server.url, token: 'pst_wrong_token_value', retries: 0 }).hash({ input: 'x' }));
    expect(wrong.code).toBe('unauthorized');
    for (const err of [e, timeout]) {
      for (const text of [err.message, String(err.stack), JSON.stringify(err), inspect(err, { depth: 5 })]) expect(text).not.toContain(server.token);
    }
    expect(inspect(c, { depth: 5, showHidden: true })).not.toContain(server.token);
    expect(JSON.stringify(c)).not.toContain(server.token);
  });

  it('the token goes only to /v1 routes: the open JWK Set is fetched without it', async () => {
    const c = client();
    await c.jwks();
    await hashOf(c);
    expect(server.requests.map((r) => [r.path, r.headers.authorization])).toEqual([
      ['/.well-known/jwks.json', undefined],
      ['/v1/hash', `Bearer ${server.token}`],
    ]);
  });
});

describe('encoding and batches', () => {
  it('Buffer, Uint8Array (a view with an offset) and string inputs are sent as padded base64', async () => {
    const c = client();
    const backing = new Uint8Array([0, 0, 104, 105, 0]);
    await c.sign('payments', { input: Buffer.from('hi') });
    await c.sign('payments', { input: backing.subarray(2, 4) });
    await c.sign('payments', { input: 'hi', signature_encoding: 'p1363' });
    expect(server.requests.map((r) => r.body)).toEqual([{ input: 'aGk=' }, { input: 'aGk=' }, { input: 'aGk=', signature_encoding: 'p1363' }]);
  });

  it('a value that is neither bytes nor text is a rejected call (TypeError), with nothing sent', async () => {
    await expect(client().sign('payments', { input: 42 as never })).rejects.toThrow(TypeError);
    await expect(client().encrypt('cards', { plaintext: 'x', aad: { no: 1 } as never })).rejects.toThrow(TypeError);
    expect(server.requests).toHaveLength(0);
  });

  it('batch: results in order, a bad item has its own typed error, defaults are sent beside batch_input', async () => {
    const results = await client().signBatch('payments', [{ input: 'one' }, { input: '' }, { input: new Uint8Array([1]) }], { signature_encoding: 'p1363' });
    expect(server.requests[0]!.body).toEqual({ signature_encoding: 'p1363', batch_input: [{ input: 'b25l' }, { input: '' }, { input: 'AQ==' }] });
    expect(results.map((slot) => (isBatchItemError(slot) ? slot.error.code : slot.key_version))).toEqual([1, 'invalid_request', 1]);
  });

  it('messages with NaN, Infinity or an unsafe integer are refused before anything is sent', async () => {
    const c = client();
    for (const message of [{ amount: Number.NaN }, { amount: [Number.POSITIVE_INFINITY] }, { cents: 2 ** 53 + 2 }]) {
      const e = await failure(c.messages.sign({ key: 'payments', message }));
      expect([e.code, e.status]).toEqual(['invalid_request', null]);
    }
    expect(server.requests).toHaveLength(0);
  });
});
