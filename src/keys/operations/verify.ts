/**
 * Verifying with a key. The version comes from the signature's `payseal:v<N>:` envelope; the key service says
 * whether that version may verify (revoked → `key_version_revoked`, below min_version → `below_min_version`,
 * never existed → `unknown_version`), and each of those is a `valid: false` answer, not an error, as is a
 * well-formed signature that does not verify (`bad_signature`; the verifier fails closed and never says why the
 * math failed). A signature string that is not a well-formed envelope is 400 invalid_request. versionFor hands
 * out the public half of every version (destroyed ones too), so verification never touches a private key.
 * An ECDSA key configured `low_s_only` verifies strictly: a high-S signature, or one in another form than the
 * requested encoding, is `bad_signature` (src/crypto/ecdsa-low-s.ts).
 */
import { createVerifier, parseSignOptions, parseVersioned, resolveSignOptions } from '../../crypto/index.ts';
import type { KeyTypeSpec } from '../../crypto/index.ts';
import type { KeyService } from '../types.ts';
import { runNow, type CryptoSchedule, type SignOptionFields } from './sign.ts';

/** `expired` (extension): the version came from a partner's certificate that is outside its validity period. */
export type VerifyFailure = 'bad_signature' | 'key_version_revoked' | 'below_min_version' | 'unknown_version' | 'key_version_destroyed' | 'expired';

export interface VerifyResult {
  readonly valid: boolean;
  readonly key_version: number;
  readonly reason?: VerifyFailure;
}

export interface KeyVerifier {
  readonly spec: KeyTypeSpec;
  /**
   * `field` names the signature in an invalid_request message (a batch slot's prefix included); `schedule` runs
   * the crypto in the caller's turn (sign.ts).
   */
  verify(input: Uint8Array, signature: string, options: SignOptionFields, field?: string, schedule?: CryptoSchedule): Promise<VerifyResult>;
}

/** Throws key_not_found, or key_type_mismatch for an encryption key, for the whole request. */
export async function openVerifier(keys: Pick<KeyService, 'specFor' | 'versionFor'>, name: string): Promise<KeyVerifier> {
  const spec = await keys.specFor(name, 'sign');
  return {
    spec,
    async verify(input, signature, fields, field = 'signature', schedule = runNow) {
      const envelope = parseVersioned(signature, field);
      const options = parseSignOptions(fields);
      resolveSignOptions(spec, options);
      const lookup = await keys.versionFor(name, envelope.version, 'sign', 'verify');
      if (!lookup.ok) return { valid: false, key_version: envelope.version, reason: lookup.reason };
      const verifier = createVerifier(lookup.key.spec, lookup.key.key, { lowSOnly: lookup.key.lowSOnly === true });
      const valid = await schedule(() => verifier.verify(input, envelope.bytes, options));
      return valid ? { valid: true, key_version: envelope.version } : { valid: false, key_version: envelope.version, reason: 'bad_signature' };
    },
  };
}
