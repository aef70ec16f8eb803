/**
 * Signing with a key (API.md "Raw operations"): the newest version of a signing key signs the bytes; the
 * answer names the version in its `payseal:v<N>:` envelope (Vault transit's convention), so verification picks
 * the version from the signature. The algorithm comes from the key's type; options only choose among what the
 * type allows (src/crypto refuses the rest with unsupported_algorithm before any crypto runs).
 *
 * Every signature is recorded in the ledger before it is returned (API.md "Audit"): `sign` and `signAll` resolve
 * only once the entries are durable, and reject with `unavailable` (returning no signature at all) when they
 * cannot be written. A batch is one `sign` entry per signed item, appended as one unit.
 */
import { createSigner, formatVersioned, parseSignOptions, resolveSignOptions } from '../../crypto/index.ts';
import type { KeyTypeSpec } from '../../crypto/index.ts';
import { PaysealError, isPaysealError } from '../../errors.ts';
import { signDigests } from '../../ledger/format/digests.ts';
import type { OperationRecord, OperationRecorder } from '../recorder.ts';
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

export interface SignItem {
  readonly input: Uint8Array;
  readonly options: SignOptionFields;
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
  /** Signs and records one input; `schedule` runs the crypto in the caller's turn of the fair queue. */
  sign(input: Uint8Array, options: SignOptionFields, schedule?: CryptoSchedule): Promise<SignResult>;
  /**
   * Signs each item (concurrently, on libuv's pool, each in the caller's turn); an item whose options the key
   * refuses gets its PaysealError in its slot. The signatures made are recorded in one append; if that fails,
   * the whole call rejects with `unavailable` and no signature leaves.
   */
  signAll(items: readonly SignItem[], schedule?: CryptoSchedule): Promise<(SignResult | PaysealError)[]>;
}

/** Throws key_not_found, or key_type_mismatch for an encryption key, before any message is looked at. */
export async function openSigner(keys: Pick<KeyService, 'latestFor'>, name: string, recorder: OperationRecorder, actor: string): Promise<KeySigner> {
  const key = await keys.latestFor(name, 'sign');
  const signer = createSigner(key.spec, key.key);

  async function signUnrecorded(item: SignItem, schedule: CryptoSchedule): Promise<{ result: SignResult; record: OperationRecord }> {
    const options = parseSignOptions(item.options);
    resolveSignOptions(key.spec, options);
    const signature = await schedule(() => signer.sign(item.input, options));
    const record: OperationRecord = { actor, op: 'sign', key: key.name, key_version: key.version, ...signDigests(item.input, signature) };
    return { result: { signature: formatVersioned(key.version, signature), key_version: key.version }, record };
  }

  return {
    spec: key.spec,
    async sign(input, options, schedule = runNow) {
      const { result, record } = await signUnrecorded({ input, options }, schedule);
      await recorder.record([record]);
      return result;
    },
    async signAll(items, schedule = runNow) {
      const signed = await Promise.all(
        items.map(async (item) => {
          try {
            return await signUnrecorded(item, schedule);
          } catch (e) {
            if (isPaysealError(e)) return e;
            throw e;
          }
        }),
      );
      const records = signed.flatMap((s) => (s instanceof PaysealError ? [] : [s.record]));
      if (records.length > 0) await recorder.record(records);
      return signed.map((s) => (s instanceof PaysealError ? s : s.result));
    },
  };
}
