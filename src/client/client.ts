/**
 * PaysealClient: typed calls to payseal's HTTP API for microservices (docs/api.md): raw operations and their
 * batches, key reads, the JWK Set, payment messages (`client.messages`), and `verifyLocally` for payment-message
 * JWSs against a cached JWK Set.
 *
 * Retry safety, call by call (the policy itself is in _retry.ts: 429 and 503 are retried for every call, a
 * timeout or lost connection only for the calls marked idempotent here):
 * - sign, messages.sign, messages.seal: idempotent. A retry makes a fresh signature (and a second ledger
 *   entry), which is as good as the first: nothing depends on getting one particular signature back.
 * - verify, decrypt, hash, key reads, JWK Set, messages.verify / messages.open without `consume`: read-only.
 * - encrypt, rewrap: idempotent. A retry makes a fresh ciphertext under a fresh IV; the lost one is never used.
 *   (Each counts one use of the AES version against its 2^32 bound: negligible.)
 * - messages.verify / messages.open with `consume: true`: NOT idempotent. The first attempt may have recorded
 *   the `jti` before its answer was lost, and a second would then answer `replayed`.
 * - keys.create: NOT idempotent (a second attempt after an applied first answers 409 `key_exists`).
 */
import { _fromBase64, _toBase64 } from './_binary.ts';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './_retry.ts';
import { _Transport, type FetchLike, type RetryListener } from './_transport.ts';
import { KeysApi } from './keys.ts';
import { MessagesApi } from './messages.ts';
import { _LocalVerifier, type JwksCacheOptions, type VerifyLocallyOptions } from './verify-locally.ts';
import type {
  BatchSlot,
  CiphertextResult,
  DecryptRequest,
  DecryptResult,
  EncryptRequest,
  HashRequest,
  HashResult,
  JsonWebKeySet,
  MessageVerification,
  RewrapRequest,
  SignOptions,
  SignRequest,
  SignResult,
  VerifyRequest,
  VerifyResult,
} from './types.ts';

export interface PaysealClientOptions {
  /** e.g. `http://payseal.internal:8080` */
  readonly baseUrl: string;
  /** The client's bearer token. Kept in a private field; never in an error message. */
  readonly token: string;
  /** Per attempt, reading the answer included. Default 10 000 ms. */
  readonly timeoutMs?: number;
  /** Retries after the first attempt (see _retry.ts for which failures). Default 2. */
  readonly retries?: number;
  /** Backoff tuning: base and cap of the exponential backoff, longest `Retry-After` waited for. */
  readonly backoff?: Partial<Omit<RetryPolicy, 'retries'>>;
  /** A fetch to use instead of the global one (a proxy agent, instrumentation). */
  readonly fetch?: FetchLike;
  readonly onRetry?: RetryListener;
  /** The JWK Set cache of `verifyLocally`. */
  readonly jwks?: JwksCacheOptions;
}

type Item = Record<string, unknown>;
const enc = (name: string) => encodeURIComponent(name);
const idempotent = { idempotent: true } as const;

/** Turns a request's binary members into base64, leaving the others as they are. */
function encodeBinary<T extends object>(request: T, members: readonly string[]): Item {
  const out: Item = { ...(request as Item) };
  for (const m of members) if (out[m] !== undefined) out[m] = _toBase64(out[m] as Uint8Array | string);
  return out;
}

function decodePlaintext(slot: unknown): unknown {
  const s = slot as { plaintext?: unknown };
  return typeof s?.plaintext === 'string' ? { ...s, plaintext: _fromBase64(s.plaintext) } : slot;
}

export class PaysealClient {
  readonly #http: _Transport;
  readonly #local: _LocalVerifier;
  /** Key reads (and create): `client.keys.get(name)`. */
  readonly keys: KeysApi;
  /** Payment messages: `client.messages.sign({key, message})`. */
  readonly messages: MessagesApi;

  constructor(options: PaysealClientOptions) {
    if (typeof options.baseUrl !== 'string' || !/^https?:\/\//.test(options.baseUrl)) throw new TypeError('baseUrl must be an http(s) URL');
    if (typeof options.token !== 'string' || options.token.length === 0) throw new TypeError('token is required');
    const retries = options.retries ?? DEFAULT_RETRY_POLICY.retries;
    if (!Number.isInteger(retries) || retries < 0) throw new TypeError('retries must be a whole number ≥ 0');
    this.#http = new _Transport({
      baseUrl: options.baseUrl,
      token: options.token,
      timeoutMs: options.timeoutMs ?? 10_000,
      policy: { ...DEFAULT_RETRY_POLICY, ...options.backoff, retries },
      fetch: options.fetch ?? ((input, init) => fetch(input, init)),
      onRetry: options.onRetry,
    });
    this.keys = new KeysApi(this.#http);
    this.messages = new MessagesApi(this.#http);
    this.#local = new _LocalVerifier(() => this.jwks(), (request) => this.messages.verify(request), options.jwks);
  }

  /** Signs bytes with the newest version of `key` (sign:key). Idempotent. */
  async sign(key: string, request: SignRequest): Promise<SignResult> {
    return this.#http.send('POST', `/v1/keys/${enc(key)}/sign`, encodeBinary(request, ['input']), idempotent);
  }

  /** Verifies a `payseal:v<N>:` signature (verify:key). A wrong signature is `{valid: false}`, not an error. */
  async verify(key: string, request: VerifyRequest): Promise<VerifyResult> {
    return this.#http.send('POST', `/v1/keys/${enc(key)}/verify`, encodeBinary(request, ['input']), idempotent);
  }

  /** AES-GCM under the newest version (encrypt:key). Idempotent: a retry makes a fresh ciphertext. */
  async encrypt(key: string, request: EncryptRequest): Promise<CiphertextResult> {
    return this.#http.send('POST', `/v1/keys/${enc(key)}/encrypt`, encodeBinary(request, ['plaintext', 'aad']), idempotent);
  }

  /** Decrypts (decrypt:key); `plaintext` comes back as bytes. A wrong aad or tampering throws `decryption_failed`. */
  async decrypt(key: string, request: DecryptRequest): Promise<DecryptResult> {
    return decodePlaintext(await this.#http.send('POST', `/v1/keys/${enc(key)}/decrypt`, encodeBinary(request, ['aad']), idempotent)) as DecryptResult;
  }

  /** Re-encrypts under the newest version without the plaintext leaving payseal (decrypt:key and encrypt:key). */
  async rewrap(key: string, request: RewrapRequest): Promise<CiphertextResult> {
    return this.#http.send('POST', `/v1/keys/${enc(key)}/rewrap`, encodeBinary(request, ['aad']), idempotent);
  }

  /** Digest of bytes (hash scope). */
  async hash(request: HashRequest): Promise<HashResult> {
    return this.#http.send('POST', '/v1/hash', encodeBinary(request, ['input']), idempotent);
  }

  /** Up to 1000 signatures in one call; `defaults` apply to every item that does not set the option itself. */
  async signBatch(key: string, items: readonly SignRequest[], defaults: SignOptions = {}): Promise<BatchSlot<SignResult>[]> {
    return this.#batch(key, 'sign', items, ['input'], defaults);
  }

  async verifyBatch(key: string, items: readonly VerifyRequest[], defaults: SignOptions = {}): Promise<BatchSlot<VerifyResult>[]> {
    return this.#batch(key, 'verify', items, ['input'], defaults);
  }

  async encryptBatch(key: string, items: readonly EncryptRequest[]): Promise<BatchSlot<CiphertextResult>[]> {
    return this.#batch(key, 'encrypt', items, ['plaintext', 'aad']);
  }

  async decryptBatch(key: string, items: readonly DecryptRequest[]): Promise<BatchSlot<DecryptResult>[]> {
    return (await this.#batch(key, 'decrypt', items, ['aad'])).map(decodePlaintext) as BatchSlot<DecryptResult>[];
  }

  /** Rewrap of many ciphertexts (docs/api.md extension: rewrap takes batch_input too). */
  async rewrapBatch(key: string, items: readonly RewrapRequest[]): Promise<BatchSlot<CiphertextResult>[]> {
    return this.#batch(key, 'rewrap', items, ['aad']);
  }

  /** `GET /.well-known/jwks.json` (open: sent without the token). */
  async jwks(): Promise<JsonWebKeySet> {
    return this.#http.send('GET', '/.well-known/jwks.json', undefined, { idempotent: true, auth: false });
  }

  /**
   * Verifies a payment-message JWS without a round trip when its key is in the JWK Set (see verify-locally.ts):
   * the algorithm is the JWK's `alg`, the payload must be canonical JSON (RFC 8785). DS256 and ES256K keys are
   * verified by `POST /v1/messages/verify` instead (needs verify:key). Does not consume the `jti`: use
   * `messages.verify({jws, consume: true})` where replays matter.
   */
  async verifyLocally(jws: string, options: VerifyLocallyOptions = {}): Promise<MessageVerification> {
    return this.#local.verify(jws, options);
  }

  async #batch<T>(key: string, op: string, items: readonly object[], binary: readonly string[], defaults: object = {}): Promise<BatchSlot<T>[]> {
    const body = { ...defaults, batch_input: items.map((item) => encodeBinary(item, binary)) };
    const answer = await this.#http.send<{ batch_results: BatchSlot<T>[] }>('POST', `/v1/keys/${enc(key)}/${op}`, body, idempotent);
    return answer.batch_results;
  }
}
