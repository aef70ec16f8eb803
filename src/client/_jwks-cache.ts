/**
 * The cached `/.well-known/jwks.json` behind verifyLocally.
 *
 * Fetched once, on first use; fetched again when older than `maxAgeMs` (a revoked version leaves the set, so
 * this bounds how long a revoked version keeps verifying locally) and when a `kid` is not in it (a rotation
 * happened). Every fetch is at least `minRefreshIntervalMs` after the previous attempt, whatever asks for it, and
 * concurrent askers share one fetch in flight: a flood of made-up `kid`s costs payseal at most one fetch per
 * interval. A failed refresh keeps the set already held (verification goes on with it); with no set at all
 * the caller gets the error.
 */
import { createLocalJWKSet } from 'jose';
import { PaysealClientError } from './errors.ts';
import type { JsonWebKeySet, PaysealJwk } from './types.ts';

export interface JwksCacheOptions {
  /** Least time between two fetches of the JWK Set. Default 10 000 ms. */
  readonly minRefreshIntervalMs?: number;
  /** Fetch again when the held set is older than this. Default 60 000 ms. */
  readonly maxAgeMs?: number;
}

export type LocalKeySet = ReturnType<typeof createLocalJWKSet>;

export class _JwksCache {
  readonly #load: () => Promise<JsonWebKeySet>;
  readonly #minInterval: number;
  readonly #maxAge: number;
  #keys: ReadonlyMap<string, PaysealJwk> | undefined;
  #joseSet: LocalKeySet | undefined;
  #loadedAt = 0;
  #lastAttemptAt = Number.NEGATIVE_INFINITY;
  #lastError: unknown;
  #inFlight: Promise<void> | undefined;

  constructor(load: () => Promise<JsonWebKeySet>, options: JwksCacheOptions = {}) {
    this.#load = load;
    this.#minInterval = options.minRefreshIntervalMs ?? 10_000;
    this.#maxAge = options.maxAgeMs ?? 60_000;
  }

  /**
   * The JWK for `kid` and the jose key set it belongs to; refreshes first when the set is missing or stale,
   * and once more (within the interval rule) when `kid` is not in it. `allowRefreshOnMiss: false` skips the
   * second (for kids that are never in the set, DSA).
   */
  async find(kid: string, allowRefreshOnMiss = true): Promise<{ jwk: PaysealJwk; set: LocalKeySet } | undefined> {
    if (this.#keys === undefined || Date.now() - this.#loadedAt >= this.#maxAge) await this.#refresh();
    if (this.#keys === undefined) throw this.#unavailable();
    if (!this.#keys.has(kid) && allowRefreshOnMiss) await this.#refresh();
    const jwk = this.#keys.get(kid);
    return jwk === undefined ? undefined : { jwk, set: this.#joseSet as LocalKeySet };
  }

  #refresh(): Promise<void> {
    if (this.#inFlight) return this.#inFlight;
    const now = Date.now();
    if (now - this.#lastAttemptAt < this.#minInterval) return Promise.resolve();
    this.#lastAttemptAt = now;
    this.#inFlight = this.#load()
      .then((set) => this.#apply(set))
      .catch((e: unknown) => {
        this.#lastError = e;
      })
      .finally(() => {
        this.#inFlight = undefined;
      });
    return this.#inFlight;
  }

  #apply(set: JsonWebKeySet): void {
    if (!Array.isArray(set?.keys)) throw new PaysealClientError({ code: 'unexpected_response', status: 200, message: 'the JWK Set has no keys array' });
    const keys = new Map<string, PaysealJwk>();
    // A kid that appears twice is ambiguous: drop it rather than guess which key it names.
    const twice = new Set<string>();
    for (const jwk of set.keys) {
      if (jwk === null || typeof jwk !== 'object' || typeof jwk.kid !== 'string') continue;
      if (keys.has(jwk.kid)) twice.add(jwk.kid);
      keys.set(jwk.kid, jwk);
    }
    for (const kid of twice) keys.delete(kid);
    this.#joseSet = createLocalJWKSet({ keys: [...keys.values()] as never });
    this.#keys = keys;
    this.#loadedAt = Date.now();
    this.#lastError = undefined;
  }

  #unavailable(): unknown {
    return this.#lastError ?? new PaysealClientError({ code: 'unavailable', status: null, message: 'the JWK Set could not be fetched; retry later' });
  }
}
