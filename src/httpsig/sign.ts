/**
 * Signing an HTTP message (RFC 9421 §3.1) with the signing version of a payseal key: the caller names the
 * components to cover (or takes the default: a request's @method, @target-uri; a response's @status; plus
 * content-type when present and content-digest when there is a body), payseal adds Content-Digest (RFC 9530)
 * for a body that has none and checks one that is there, builds the signature base and signs it with the
 * key's RFC 9421 algorithm (the key decides: crypto/http-signature-algorithms.ts). keyid is "<name>:v<N>", the
 * kid of the JWK Set, so any verifier holding the JWK Set finds the key. Returns the new members and the
 * full Signature-Input/Signature values (earlier signatures of the message kept).
 */
import { randomBytes } from 'node:crypto';
import { createSigner, encodeBase64Url, httpSignatureAlgorithmFor, type HttpSignatureAlg } from '../crypto/index.ts';
import { PaysealError } from '../errors.ts';
import type { KeyService } from '../keys/types.ts';
import { ComponentError, parseComponentId, type Component } from './components.ts';
import { checkContentDigest, contentDigest, type DigestAlgorithm } from './content-digest.ts';
import { LABEL, withSignature } from './fields.ts';
import { normalizeMessage, type HttpMessage, type HttpMessageInput } from './message.ts';
import { newInputMember, serializeInputMember, signatureBase } from './signature-base.ts';

export interface SignHttpRequest {
  readonly key: string;
  readonly message: HttpMessageInput;
  /** For a response: the request it answers (`;req` components). */
  readonly request?: HttpMessageInput | undefined;
  readonly components?: readonly string[] | undefined;
  readonly label?: string | undefined;
  /** Unix seconds; default now. */
  readonly created?: number | undefined;
  readonly expires_in_seconds?: number | undefined;
  /** A nonce to send, or true for 16 random bytes (base64url). */
  readonly nonce?: string | true | undefined;
  readonly tag?: string | undefined;
  /** RSA keys: rsa-pss-sha512 (default) or rsa-v1_5-sha256. */
  readonly algorithm?: HttpSignatureAlg | undefined;
  /** Put `alg` in the parameters (default true; RFC 9421 §3.2 lets the verifier know it from the key too). */
  readonly include_alg?: boolean | undefined;
  readonly digest_algorithms?: readonly DigestAlgorithm[] | undefined;
}

export interface SignHttpResult {
  readonly label: string;
  readonly keyid: string;
  readonly key_version: number;
  readonly alg: HttpSignatureAlg;
  readonly covered_components: readonly string[];
  readonly created: number;
  readonly expires?: number;
  readonly nonce?: string;
  /** The new members alone, `label=(…);…` and `label=:…:`. */
  readonly signature_input: string;
  readonly signature: string;
  /** The fields to send: Signature-Input and Signature whole, and Content-Digest when payseal made it. */
  readonly headers: Readonly<Record<string, string>>;
}

function bad(message: string): PaysealError {
  return new PaysealError('invalid_request', message);
}

function defaultComponents(msg: HttpMessage): string[] {
  const out = msg.status !== null && msg.method === null ? ['@status'] : ['@method', '@target-uri'];
  if (msg.fields.has('content-type')) out.push('content-type');
  if (msg.body !== null) out.push('content-digest');
  return out;
}

/** The message with a Content-Digest for its body, made (returned) or checked. */
function withDigest(msg: HttpMessage, algorithms: readonly DigestAlgorithm[]): { msg: HttpMessage; made: string | null } {
  if (msg.body === null) return { msg, made: null };
  const given = msg.fields.get('content-digest');
  if (given !== undefined) {
    if (checkContentDigest(given.map((l) => l.trim()).join(', '), msg.body) !== 'valid') throw bad('message Content-Digest does not match the body');
    return { msg, made: null };
  }
  const made = contentDigest(msg.body, algorithms);
  const fields = new Map(msg.fields);
  fields.set('content-digest', [made]);
  return { msg: { ...msg, fields }, made };
}

export async function signHttpMessage(keys: Pick<KeyService, 'latestFor'>, req: SignHttpRequest, nowSeconds = Math.floor(Date.now() / 1000)): Promise<SignHttpResult> {
  const label = req.label ?? 'sig1';
  if (!LABEL.test(label)) throw bad('label must be a lowercase Structured Field key, e.g. sig1');
  const { msg, made } = withDigest(normalizeMessage(req.message), req.digest_algorithms ?? ['sha-256']);
  const request = req.request === undefined ? null : normalizeMessage(req.request, 'request');
  const key = await keys.latestFor(req.key, 'sign');
  const algorithm = httpSignatureAlgorithmFor(key.spec, req.algorithm);
  const created = req.created ?? nowSeconds;
  const expires = req.expires_in_seconds === undefined ? undefined : created + req.expires_in_seconds;
  const nonce = req.nonce === true ? encodeBase64Url(randomBytes(16)) : req.nonce;
  const keyid = `${key.name}:v${key.version}`;
  let components: Component[];
  let base: Buffer;
  let member;
  try {
    components = (req.components ?? defaultComponents(msg)).map((id) => parseComponentId(id));
    member = newInputMember(components, {
      created,
      ...(expires !== undefined ? { expires } : {}),
      keyid,
      ...(req.include_alg === false ? {} : { alg: algorithm.alg }),
      ...(nonce !== undefined ? { nonce } : {}),
      ...(req.tag !== undefined ? { tag: req.tag } : {}),
    });
    base = signatureBase(member, msg, request);
  } catch (e) {
    if (e instanceof ComponentError) throw bad(`components: ${e.message}`);
    throw e;
  }
  const signature = await createSigner(key.spec, key.key).sign(base, algorithm.options);
  const inner: [never, never] = [member.components.map((c) => [c.name, new Map(c.params)]) as never, new Map(member.raw) as never];
  const fields = withSignature(msg, label, inner, signature);
  if (fields === 'label_taken') throw bad(`the message already has a signature labelled ${label}`);
  if (fields === 'fields_invalid') throw bad('the message has a Signature-Input or Signature field that does not parse');
  return {
    label,
    keyid,
    key_version: key.version,
    alg: algorithm.alg,
    covered_components: components.map((c) => c.id),
    created,
    ...(expires !== undefined ? { expires } : {}),
    ...(nonce !== undefined ? { nonce } : {}),
    signature_input: `${label}=${serializeInputMember(member)}`,
    signature: `${label}=:${signature.toString('base64')}:`,
    headers: { 'signature-input': fields.signatureInput, signature: fields.signature, ...(made !== null ? { 'content-digest': made } : {}) },
  };
}
