/**
 * AES-GCM (NIST SP 800-38D) with payseal's fixed profile: 96-bit random IV (§8.2.2), 128-bit tag, optional
 * AAD, output `iv (12) ‖ ciphertext ‖ tag (16)`. With random IVs one key version may encrypt at most 2^32
 * messages (§8.3); src/keys counts uses per version and rotation keeps below the bound.
 * open() reports every failure as decryption_failed, without saying whether tag, IV, AAD or length was wrong.
 */
import { createCipheriv, createDecipheriv, randomBytes, type KeyObject } from 'node:crypto';
import { PaysealError } from '../errors.ts';
import type { Aead, KeyTypeSpec } from './types.ts';

export const GCM_IV_BYTES = 12;
export const GCM_TAG_BYTES = 16;

function cipherName(spec: KeyTypeSpec): 'aes-128-gcm' | 'aes-256-gcm' {
  if (spec.type === 'aes-128-gcm' || spec.type === 'aes-256-gcm') return spec.type;
  throw new PaysealError('key_type_mismatch', `${spec.type} keys sign; they do not encrypt`);
}

export function createAead(spec: KeyTypeSpec, key: KeyObject): Aead {
  const cipher = cipherName(spec);
  if (key.type !== 'secret' || key.symmetricKeySize !== spec.bits / 8) {
    throw new PaysealError('key_type_mismatch', `key material does not match type ${spec.type}`);
  }
  return Object.freeze({
    spec,
    seal(plaintext: Uint8Array, aad?: Uint8Array): Buffer {
      const iv = randomBytes(GCM_IV_BYTES);
      const c = createCipheriv(cipher, key, iv, { authTagLength: GCM_TAG_BYTES });
      if (aad !== undefined) c.setAAD(aad);
      const body = Buffer.concat([c.update(plaintext), c.final()]);
      return Buffer.concat([iv, body, c.getAuthTag()]);
    },
    open(sealed: Uint8Array, aad?: Uint8Array): Buffer {
      if (sealed.length < GCM_IV_BYTES + GCM_TAG_BYTES) throw new PaysealError('decryption_failed', 'decryption failed');
      const iv = sealed.subarray(0, GCM_IV_BYTES);
      const tag = sealed.subarray(sealed.length - GCM_TAG_BYTES);
      try {
        const d = createDecipheriv(cipher, key, iv, { authTagLength: GCM_TAG_BYTES });
        d.setAuthTag(tag);
        if (aad !== undefined) d.setAAD(aad);
        return Buffer.concat([d.update(sealed.subarray(GCM_IV_BYTES, sealed.length - GCM_TAG_BYTES)), d.final()]);
      } catch {
        throw new PaysealError('decryption_failed', 'decryption failed');
      }
    },
  });
}
