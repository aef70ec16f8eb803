/**
 * MessageService: the payment-message operations of API.md ("Payment messages") on live keys, for the HTTP
 * routes. It joins the pure core (sign, verify, detached, seal) to KeyService, the shared ReplayGuard and the
 * ledger's OperationRecorder:
 *
 * - Keys come from KeyService only: latestFor (signing), reserveEncryption (every seal counts one AES-GCM use
 *   against the version's bound, NIST SP 800-38D §8.3), versionFor (verify, open). A kid naming a key of the
 *   other purpose (versionFor's key_type_mismatch) is `unknown_key`, never a 400: the kid is the message's
 *   claim, not the caller's request.
 * - Every signature is recorded before it is handed out (API.md "Audit"): message.sign for messages/sign
 *   (attached and detached), seal for messages/seal; `record` rejects with `unavailable` and nothing is returned.
 *   Digests are the ledger's own definition (src/ledger/format/digests.ts messageDigests): input = SHA-256 of
 *   the JWS payload (the JCS message; for a detached signature the body bytes), output = SHA-256 of the
 *   compact JWS (ASCII; for seal, the JWS inside the JWE).
 * - Scopes are the API's: the route checks what the request names; `open` takes a hook for the one scope only
 *   known after decrypting (verify:<key of the inner JWS kid>), called before that key is looked up.
 */
import { parseSignOptions, type KeyTypeSpec, type RsaPadding } from '../crypto/index.ts';
import { PaysealError, isPaysealError } from '../errors.ts';
import type { OperationRecord, OperationRecorder, RecordedOp } from '../keys/recorder.ts';
import { messageDigests } from '../ledger/format/digests.ts';
import type { KeyService, UsableKey } from '../keys/types.ts';
import type { KeyLookup } from './_check-signature.ts';
import { signDetached, verifyDetached, type DetachedAnswer } from './detached.ts';
import type { ReplayGuard } from './replay-guard.ts';
import { openMessage, sealJws, type OpenAnswer } from './seal.ts';
import { newJti, signMessage, unixNow, type SignedMessage } from './sign.ts';
import { verifyMessage, type VerifyAnswer } from './verify.ts';

export interface MessageServiceDeps {
  readonly keys: Pick<KeyService, 'latestFor' | 'specFor' | 'reserveEncryption' | 'versionFor'>;
  readonly replay: ReplayGuard;
  readonly recorder: OperationRecorder;
}

export interface MessageSignRequest {
  readonly key: string;
  readonly message: unknown;
  /** "pss" (default) or "pkcs1v15"; RSA keys only (unsupported_algorithm otherwise). */
  readonly rsaPadding?: unknown;
}

export interface DetachedSignRequest {
  readonly key: string;
  /** The exact bytes to sign (an HTTP body); they are not part of the answer. */
  readonly payload: Uint8Array;
  /** false: RFC 7797 unencoded payload (b64 in crit); true or absent: base64url in the signing input, no b64 member. */
  readonly b64?: boolean | undefined;
  readonly crit?: readonly string[] | undefined;
  /** Extra protected header members; alg, kid, b64, crit, iat and jti are payseal's. */
  readonly header?: Readonly<Record<string, unknown>> | undefined;
  readonly rsaPadding?: unknown;
}

export interface MessageSealRequest {
  readonly signKey: string;
  readonly encryptKey: string;
  readonly message: unknown;
  readonly rsaPadding?: unknown;
}

export interface CheckOptions {
  readonly maxAgeSeconds?: number | undefined;
  /** Record the jti in the shared ReplayGuard; a second consume is `replayed`. */
  readonly consume?: boolean | undefined;
}

export interface DetachedCheckOptions extends CheckOptions {
  /** Critical header extensions the caller understands and checks in the answer's header. */
  readonly crit?: readonly string[] | undefined;
}

export interface OpenOptions extends CheckOptions {
  /** Called with the inner JWS's key name before that key is looked up; throws (forbidden) to refuse. */
  readonly authorizeVerify?: ((keyName: string) => void) | undefined;
}

export interface MessageService {
  sign(request: MessageSignRequest, actor: string): Promise<SignedMessage>;
  signDetached(request: DetachedSignRequest, actor: string): Promise<SignedMessage>;
  verify(jws: unknown, options?: CheckOptions): Promise<VerifyAnswer>;
  verifyDetached(jws: unknown, payload: Uint8Array, options?: DetachedCheckOptions): Promise<DetachedAnswer>;
  seal(request: MessageSealRequest, actor: string): Promise<{ sealed: string }>;
  open(sealed: unknown, options?: OpenOptions): Promise<OpenAnswer>;
}

const STAMPED = ['iat', 'jti'];

/** The ledger entry of one signing, with the digests the ledger defines for message.sign and seal. */
function entryOf(actor: string, op: RecordedOp, key: UsableKey, payload: Uint8Array, jws: string): OperationRecord {
  return { actor, op, key: key.name, key_version: key.version, ...messageDigests(payload, jws) };
}

/** The payload bytes of an attached compact JWS payseal just produced (its middle part, base64url). */
function payloadOf(jws: string): Buffer {
  return Buffer.from(jws.slice(jws.indexOf('.') + 1, jws.lastIndexOf('.')), 'base64url');
}

function paddingFor(spec: KeyTypeSpec, raw: unknown): RsaPadding | undefined {
  if (raw === undefined || raw === null) return undefined;
  const { rsaPadding } = parseSignOptions({ rsa_padding: raw });
  if (spec.family !== 'rsa') throw new PaysealError('unsupported_algorithm', `rsa_padding does not apply to ${spec.type} keys`);
  return rsaPadding;
}

export function createMessageService(deps: MessageServiceDeps): MessageService {
  const { keys, recorder } = deps;

  function lookup(purpose: 'sign' | 'encrypt', use: 'verify' | 'decrypt', authorize?: (name: string) => void): KeyLookup {
    return async (name, version) => {
      authorize?.(name);
      try {
        const found = await keys.versionFor(name, version, purpose, use);
        return found.ok ? { ok: true, key: found.key } : { ok: false, reason: found.reason };
      } catch (e) {
        if (isPaysealError(e) && e.code === 'key_type_mismatch') return { ok: false, reason: 'key_type_mismatch' };
        throw e;
      }
    };
  }
  const verifyLookup = lookup('sign', 'verify');
  const replayOf = (options: CheckOptions) => (options.consume === true ? deps.replay : undefined);

  return {
    async sign(request, actor) {
      const key = await keys.latestFor(request.key, 'sign');
      const signed = await signMessage(key, request.message, { rsaPadding: paddingFor(key.spec, request.rsaPadding) });
      await recorder.record([entryOf(actor, 'message.sign', key, payloadOf(signed.jws), signed.jws)]);
      return signed;
    },

    async signDetached(request, actor) {
      const header = request.header ?? {};
      for (const name of STAMPED) {
        if (Object.hasOwn(header, name)) throw new PaysealError('invalid_request', `header must not set ${name}; payseal sets iat and jti`);
      }
      const key = await keys.latestFor(request.key, 'sign');
      const iat = unixNow();
      const jti = newJti();
      const signed = await signDetached(key, request.payload, {
        b64: request.b64 !== false,
        header: { ...header, iat, jti },
        crit: request.crit,
        rsaPadding: paddingFor(key.spec, request.rsaPadding),
      });
      await recorder.record([entryOf(actor, 'message.sign', key, request.payload, signed.jws)]);
      return { jws: signed.jws, kid: signed.kid, key_version: signed.key_version, iat, jti };
    },

    verify(jws, options = {}) {
      return verifyMessage(jws, verifyLookup, { maxAgeSeconds: options.maxAgeSeconds, replay: replayOf(options) });
    },

    verifyDetached(jws, payload, options = {}) {
      return verifyDetached(jws, payload, verifyLookup, { crit: options.crit, maxAgeSeconds: options.maxAgeSeconds, replay: replayOf(options) });
    },

    async seal(request, actor) {
      const signKey = await keys.latestFor(request.signKey, 'sign');
      // The encryption key's existence and type first: nothing is signed for a seal that cannot happen.
      await keys.specFor(request.encryptKey, 'encrypt');
      const signed = await signMessage(signKey, request.message, { rsaPadding: paddingFor(signKey.spec, request.rsaPadding) });
      // Only now, with a message that signed, is one AES-GCM use counted.
      const encryptKey = await keys.reserveEncryption(request.encryptKey, 1);
      const sealed = sealJws(encryptKey, signed.jws);
      await recorder.record([entryOf(actor, 'seal', signKey, payloadOf(signed.jws), signed.jws)]);
      return { sealed };
    },

    open(sealed, options = {}) {
      return openMessage(sealed, lookup('encrypt', 'decrypt'), lookup('sign', 'verify', options.authorizeVerify), {
        maxAgeSeconds: options.maxAgeSeconds,
        replay: replayOf(options),
      });
    },
  };
}
