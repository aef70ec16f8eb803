/**
 * Signing with a key (API.md "Raw operations"): the newest version of a signing key signs the bytes; the
 * answer names the version in its `payseal:v<N>:` envelope (Vault transit's convention), so verification picks
 * the version from the signature. The algorithm comes from the key's type; options only choose among what the
 * type allows (src/crypto refuses the rest with unsupported_algorithm before any crypto runs).
 */
import { createSigner, formatVersioned, parseSignOptions, resolveSignOptions } from '../../crypto/index.ts';
import type { KeyTypeSpec } from '../../crypto/index.ts';
import type { KeyService } from '../types.ts';

/** Sign and verify options as a caller wrote them (API.md field names, any JSON value); checked by src/crypto. */
export interface SignOptionFields {
  readonly hash?: unknown;
  readonly rsa_padding?: unknown;
  readonly signature_encoding?: unknown;
}

export interface SignResult {
  readonly signature: string;
  readonly key_version: number;
}

/**
 * Runs one piece of thread-pool crypto when the caller's turn comes (the API's per-client fair queue); only the
 * crypto itself is scheduled, so whatever an operation does around it (a record, a lookup) never holds a turn.
 */
export type CryptoSchedule = <T>(work: () => Promise<T>) => Promise<T>;

/** No scheduling: the work starts at once (the CLI, tests, callers without a fair queue). */
export const runNow: CryptoSchedule = (work) => work();

/** One key opened for signing: the version and its Signer are resolved once, then sign() runs per message. */
export interface KeySigner {
  readonly spec: KeyTypeSpec;
  sign(input: Uint8Array, options: SignOptionFields, schedule?: CryptoSchedule): Promise<SignResult>;
}

/** Throws key_not_found, or key_type_mismatch for an encryption key, before any message is looked at. */
export async function openSigner(keys: Pick<KeyService, 'latestFor'>, name: string): Promise<KeySigner> {
  const key = await keys.latestFor(name, 'sign');
  const signer = createSigner(key.spec, key.key);
  return {
    spec: key.spec,
    async sign(input, fields, schedule = runNow) {
      const options = parseSignOptions(fields);
      resolveSignOptions(key.spec, options);
      const signature = await schedule(() => signer.sign(input, options));
      return { signature: formatVersioned(key.version, signature), key_version: key.version };
    },
  };
}
