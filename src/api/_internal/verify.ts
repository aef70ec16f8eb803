/**
 * Raw verification. The version comes from the signature's `payseal:v<N>:` envelope; the key service says
 * whether that version may verify (revoked → `key_version_revoked`, below min_version → `below_min_version`,
 * never existed → `unknown_version`), and each of those is a `valid: false` answer, not an error, as is a
 * well-formed signature that does not verify (`bad_signature`; the verifier fails closed and never says why the
 * math failed). A signature string that is not a well-formed envelope is 400 invalid_request.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { createVerifier, decodeBase64Strict, parseSignOptions, parseVersioned, resolveSignOptions } from '../../crypto/index.ts';
import type { KeyTypeSpec } from '../../crypto/index.ts';
import type { KeyService } from '../../keys/types.ts';
import { parseWith } from './route.ts';
import { base64Field, signOptionFields, versionedField } from './schemas.ts';

export const verifyItemSchema = z.strictObject({
  input: base64Field('the signed bytes'),
  signature: versionedField('the signature from sign'),
  ...signOptionFields,
});
export type VerifyItem = z.infer<typeof verifyItemSchema>;

export interface VerifyResult {
  readonly valid: boolean;
  readonly key_version: number;
  readonly reason?: string;
}

export interface OpenedVerifier {
  readonly spec: KeyTypeSpec;
  verify(raw: unknown, defaults?: Readonly<Record<string, unknown>>, prefix?: string): Promise<VerifyResult>;
}

/** Destroyed versions verify with their public half; whatever the store hands back, verify with a public key. */
const publicHalves = new WeakMap<KeyObject, KeyObject>();
function publicOf(key: KeyObject): KeyObject {
  if (key.type !== 'private') return key;
  let half = publicHalves.get(key);
  if (half === undefined) {
    half = createPublicKey(key);
    publicHalves.set(key, half);
  }
  return half;
}

export async function openVerifier(keys: Pick<KeyService, 'specFor' | 'versionFor'>, name: string): Promise<OpenedVerifier> {
  // Whether the key exists and signs (key_not_found / key_type_mismatch for the whole request).
  const spec = await keys.specFor(name, 'sign');
  return {
    spec,
    async verify(raw, defaults = {}, prefix = '') {
      const item = parseWith(verifyItemSchema, raw, prefix);
      const input = decodeBase64Strict(item.input, `${prefix}input`);
      const envelope = parseVersioned(item.signature, `${prefix}signature`);
      const options = parseSignOptions({
        hash: item.hash ?? defaults.hash,
        rsa_padding: item.rsa_padding ?? defaults.rsa_padding,
        signature_encoding: item.signature_encoding ?? defaults.signature_encoding,
      });
      resolveSignOptions(spec, options);
      const lookup = await keys.versionFor(name, envelope.version, 'sign', 'verify');
      if (!lookup.ok) return { valid: false, key_version: envelope.version, reason: lookup.reason };
      const verifier = createVerifier(lookup.key.spec, publicOf(lookup.key.key));
      const valid = await verifier.verify(input, envelope.bytes, options);
      return valid ? { valid: true, key_version: envelope.version } : { valid: false, key_version: envelope.version, reason: 'bad_signature' };
    },
  };
}
