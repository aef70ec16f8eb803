/**
 * Local verification of a payment-message JWS against payseal's JWK Set, answering exactly like
 * `POST /v1/messages/verify` (`{valid, reason?, kid, key_version, iat, jti, message?}`).
 *
 * The algorithm is the JWK's `alg` member, never the header's alone (RFC 8725 §3.1, §2.1): the JWK is found
 * by `kid`, a header `alg` that differs from it (`none`, HS256 over the public key, another curve) is
 * `bad_signature` before any crypto runs, and jose is told to accept that one algorithm only (the one
 * exception, RS256 under a PS256 JWK, is sent to the server: see RSA_SIBLINGS). A JWK without
 * `alg` is not trusted to say what it verifies: the server decides. DSA keys (DS256, a private name, not
 * expressible as a JWK) and secp256k1 keys (ES256K, which jose refuses) go to the server as well, so the
 * client's token needs verify:<key> for them.
 *
 * What local verification cannot see: revocation is known only through the cached set (a revoked version
 * leaves it, so it answers `unknown_key` here, and only once the set is refreshed: `maxAgeMs`); `min_version`
 * is not in the JWK Set, so `below_min_version` is never answered locally; a local check never consumes the
 * `jti`. Where those matter, call `messages.verify({jws, consume: true})`.
 *
 * `maxAgeSeconds` rejects as `expired` a message whose `iat` is older than that, or in the future, beyond a
 * clock-skew allowance (`clockSkewSeconds`, default 60 s).
 */
import { compactVerify, errors } from 'jose';
import { _canonicalPayload, _invalid, _parseMessageJws } from './_jws.ts';
import { _JwksCache, type JwksCacheOptions } from './_jwks-cache.ts';
import type { JsonWebKeySet, MessageVerification, MessageVerifyRequest } from './types.ts';

export type { JwksCacheOptions } from './_jwks-cache.ts';

export interface VerifyLocallyOptions {
  /** Reject a message whose `iat` is older than this many seconds (beyond the clock skew) as `expired`. */
  readonly maxAgeSeconds?: number;
  /** Allowance for clocks that disagree, in seconds. Default 60. */
  readonly clockSkewSeconds?: number;
}

/** Algorithms the client leaves to the server: DSA (no JWK), secp256k1 (jose refuses it). */
const SERVER_ALGORITHMS: ReadonlySet<string> = new Set(['DS256', 'ES256K']);
/**
 * payseal's JWK for an RSA key names the default padding (PS256), while messages/sign with `rsa_padding:
 * "pkcs1v15"` signs RS256 with the same key. The JWK cannot say the key allows both, so such a message is
 * left to the server, which knows the key's type; any other disagreement is refused here.
 */
const RSA_SIBLINGS: ReadonlyMap<string, string> = new Map([
  ['PS256', 'RS256'],
  ['RS256', 'PS256'],
  ['PS384', 'RS384'],
  ['RS384', 'PS384'],
  ['PS512', 'RS512'],
  ['RS512', 'PS512'],
]);
/** What jose verifies here: RFC 7518 §3.1 (RSA, ECDSA on NIST curves) and RFC 8037 (EdDSA). No HMAC, no none. */
const LOCAL_ALGORITHMS: ReadonlySet<string> = new Set(['PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'EdDSA']);

export class _LocalVerifier {
  readonly #cache: _JwksCache;
  readonly #server: (request: MessageVerifyRequest) => Promise<MessageVerification>;

  constructor(loadJwks: () => Promise<JsonWebKeySet>, server: (request: MessageVerifyRequest) => Promise<MessageVerification>, options?: JwksCacheOptions) {
    this.#cache = new _JwksCache(loadJwks, options);
    this.#server = server;
  }

  async verify(jws: string, options: VerifyLocallyOptions = {}): Promise<MessageVerification> {
    const maxAge = options.maxAgeSeconds;
    if (maxAge !== undefined && !(Number.isInteger(maxAge) && maxAge >= 0)) throw new TypeError('maxAgeSeconds must be a whole number ≥ 0');
    const parsed = _parseMessageJws(jws);
    if ('valid' in parsed) return parsed;
    const header = parsed.header;
    const toServer = () => this.#server(maxAge === undefined ? { jws } : { jws, max_age_seconds: maxAge });

    // A DSA kid is never in the set, so it does not earn a refresh; the server knows the key's type.
    const found = await this.#cache.find(parsed.kid, !SERVER_ALGORITHMS.has(parsed.alg));
    if (found === undefined) return SERVER_ALGORITHMS.has(parsed.alg) ? toServer() : _invalid('unknown_key', header);
    const keyAlg = found.jwk.alg;
    if (typeof keyAlg !== 'string') return toServer();
    if (parsed.alg !== keyAlg) return RSA_SIBLINGS.get(keyAlg) === parsed.alg ? toServer() : _invalid('bad_signature', header);
    if (SERVER_ALGORITHMS.has(keyAlg)) return toServer();
    if (!LOCAL_ALGORITHMS.has(keyAlg)) return _invalid('bad_signature', header);

    let payload: Uint8Array;
    try {
      payload = (await compactVerify(jws, found.set, { algorithms: [keyAlg] })).payload;
    } catch (e) {
      // Fail closed with one generic reason for every failure of the math; structure errors are `malformed`.
      const math = e instanceof errors.JWSSignatureVerificationFailed || e instanceof errors.JWKSNoMatchingKey || e instanceof errors.JWKSMultipleMatchingKeys;
      return _invalid(math ? 'bad_signature' : 'malformed', header);
    }
    const canonical = _canonicalPayload(payload);
    if (canonical === undefined) return _invalid('malformed', header);
    if (maxAge !== undefined) {
      const skew = options.clockSkewSeconds ?? 60;
      const now = Math.floor(Date.now() / 1000);
      if (now - parsed.iat > maxAge + skew || parsed.iat - now > skew) return _invalid('expired', header);
    }
    return { valid: true, kid: parsed.kid, key_version: parsed.keyVersion, iat: parsed.iat, jti: parsed.jti, message: canonical.value };
  }
}
