/**
 * RFC 9421 HTTP Message Signatures from the client (docs/partners.md): `client.httpSignatures.sign/verify` call
 * `POST /v1/http-signatures/sign|verify`; `signOutgoingRequest` returns the fields to add to a request a service
 * is about to send (Signature-Input, Signature, and Content-Digest for its body). The key never leaves payseal.
 * Both calls are idempotent, except verify with a policy that consumes a nonce (a retry after a lost answer
 * would then say `replayed`), which is therefore not retried on a timeout.
 */
import { _toBase64 } from './_binary.ts';
import type { _Transport } from './_transport.ts';
import type { Binary } from './types.ts';

/** A request or response as the signature covers it; body bytes are base64-encoded by the client. */
export interface HttpSignatureMessage {
  readonly method?: string;
  readonly target_uri?: string;
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string | readonly string[]>>;
  readonly body?: Binary;
}

export type HttpSignatureAlgorithm = 'rsa-pss-sha512' | 'rsa-v1_5-sha256' | 'ecdsa-p256-sha256' | 'ecdsa-p384-sha384' | 'ed25519';

export interface HttpSignatureSignRequest {
  readonly key: string;
  readonly message: HttpSignatureMessage;
  /** For a response: the request it answers (`;req` components). */
  readonly request?: HttpSignatureMessage;
  /** Component identifiers, e.g. ['@method', '@target-uri', 'content-digest']; default: see docs/partners.md. */
  readonly components?: readonly string[];
  readonly label?: string;
  readonly created?: number;
  readonly expires_in_seconds?: number;
  readonly nonce?: string | true;
  readonly tag?: string;
  readonly algorithm?: HttpSignatureAlgorithm;
  readonly include_alg?: boolean;
  readonly digest_algorithms?: readonly ('sha-256' | 'sha-512')[];
}

export interface HttpSignatureSignResult {
  readonly label: string;
  readonly keyid: string;
  readonly key_version: number;
  readonly alg: HttpSignatureAlgorithm;
  readonly covered_components: readonly string[];
  readonly created: number;
  readonly expires?: number;
  readonly nonce?: string;
  readonly signature_input: string;
  readonly signature: string;
  /** Lowercase field names → values to set on the message (replacing any Signature-Input/Signature it had). */
  readonly headers: Readonly<Record<string, string>>;
}

/** The verification policy of RFC 9421 §1.4; a key may store one, a request can only tighten it. */
export interface HttpSignaturePolicy {
  readonly required_components?: readonly string[];
  readonly tag?: string;
  readonly max_age_seconds?: number;
  readonly require_created?: boolean;
  readonly require_expires?: boolean;
  readonly require_nonce?: boolean;
  readonly algorithm?: HttpSignatureAlgorithm;
}

export interface HttpSignatureVerifyRequest {
  readonly key: string;
  readonly message: HttpSignatureMessage;
  readonly request?: HttpSignatureMessage;
  readonly label?: string;
  readonly policy?: HttpSignaturePolicy;
}

export type HttpSignatureReason =
  | 'bad_signature'
  | 'malformed'
  | 'unknown_key'
  | 'key_version_revoked'
  | 'below_min_version'
  | 'expired'
  | 'replayed'
  | 'digest_mismatch'
  | 'policy_violation';

export interface HttpSignatureVerification {
  readonly valid: boolean;
  readonly reason?: HttpSignatureReason;
  readonly detail?: string;
  readonly label: string | null;
  readonly keyid: string | null;
  readonly key_version: number | null;
  readonly alg: string | null;
  readonly covered_components: readonly string[] | null;
  readonly created: number | null;
  readonly expires: number | null;
  readonly tag: string | null;
  readonly content_digest: 'valid' | 'unchecked' | 'not_covered' | null;
  readonly nonce_consumed: boolean;
}

function encodeMessage(m: HttpSignatureMessage): Record<string, unknown> {
  return m.body === undefined ? { ...m } : { ...m, body: _toBase64(m.body) };
}

export class HttpSignaturesApi {
  readonly #http: _Transport;

  constructor(http: _Transport) {
    this.#http = http;
  }

  /** Signs a message with the signing version of `key` (sign:key). */
  async sign(request: HttpSignatureSignRequest): Promise<HttpSignatureSignResult> {
    const body = { ...request, message: encodeMessage(request.message), ...(request.request ? { request: encodeMessage(request.request) } : {}) };
    return this.#http.send('POST', '/v1/http-signatures/sign', body, { idempotent: true });
  }

  /** Verifies a received message's signature against `key` and its policy (verify:key). A bad signature is `{valid: false}`. */
  async verify(request: HttpSignatureVerifyRequest): Promise<HttpSignatureVerification> {
    const body = { ...request, message: encodeMessage(request.message), ...(request.request ? { request: encodeMessage(request.request) } : {}) };
    return this.#http.send('POST', '/v1/http-signatures/verify', body, { idempotent: request.policy?.require_nonce !== true });
  }
}

/** An outgoing request as a service builds it for fetch. */
export interface OutgoingRequest {
  readonly method: string;
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Binary;
}

/**
 * The fields to add to `req` so that the receiver can verify it (RFC 9421, with Content-Digest for a body):
 *
 *   const extra = await signOutgoingRequest(payseal, 'callbacks', { method: 'POST', url, headers, body });
 *   await fetch(url, { method: 'POST', headers: { ...headers, ...extra }, body });
 */
export async function signOutgoingRequest(
  client: { readonly httpSignatures: Pick<HttpSignaturesApi, 'sign'> },
  key: string,
  req: OutgoingRequest,
  options: Omit<HttpSignatureSignRequest, 'key' | 'message'> = {},
): Promise<Record<string, string>> {
  const message: HttpSignatureMessage = { method: req.method.toUpperCase(), target_uri: req.url, headers: req.headers ?? {}, ...(req.body !== undefined ? { body: req.body } : {}) };
  const signed = await client.httpSignatures.sign({ ...options, key, message });
  return { ...signed.headers };
}
