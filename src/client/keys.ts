/**
 * Key routes of the client: reads (keys:read) and create (keys:manage). Reads are retried like any read;
 * create is not idempotent, so a timeout or lost connection is not retried (only 429, 503 and a refused
 * connection, which show it was not applied): a create whose answer was lost is found with `get`, or answers
 * 409 `key_exists` when tried again.
 */
import type { _Transport } from './_transport.ts';
import type { CreateKeyRequest, KeyInfo, PublicKeys } from './types.ts';

export class KeysApi {
  readonly #http: _Transport;

  constructor(http: _Transport) {
    this.#http = http;
  }

  /** `GET /v1/keys/{name}`: 404 `key_not_found` when there is none. */
  async get(name: string): Promise<KeyInfo> {
    return this.#http.send('GET', `/v1/keys/${encodeURIComponent(name)}`, undefined, { idempotent: true });
  }

  /** `GET /v1/keys`. */
  async list(): Promise<KeyInfo[]> {
    return (await this.#http.send<{ keys: KeyInfo[] }>('GET', '/v1/keys', undefined, { idempotent: true })).keys;
  }

  /** `GET /v1/keys/{name}/public`: every version's SPKI PEM and (except DSA) JWK. */
  async public(name: string): Promise<PublicKeys> {
    return this.#http.send('GET', `/v1/keys/${encodeURIComponent(name)}/public`, undefined, { idempotent: true });
  }

  /** `POST /v1/keys` (keys:manage). Not idempotent: see the file header. */
  async create(request: CreateKeyRequest): Promise<KeyInfo> {
    return this.#http.send('POST', '/v1/keys', request, { idempotent: false });
  }
}
