/**
 * Changes a key's rotation_period and/or min_version (PATCH /v1/keys/{name}). min_version only rises and
 * never passes latest_version (Vault's min_decryption_version rule): lowering it would silently re-enable
 * versions an incident response meant to retire; nor above the signing version while a pre-published one
 * waits. Extension: the key's RFC 9421 verification policy (validated by the caller, stored as given). A `reason`, when given, is
 * recorded with the event.
 * low_s_only (ECDSA keys only) switches verification to the one accepted form of a signature
 * (src/crypto/ecdsa-low-s.ts) and may be switched back.
 */
import { PaysealError } from '../errors.ts';
import { mutate, type KeyContext } from './mutate.ts';
import { assertKeyName, assertReason, parseRotationPeriod } from '../grammar.ts';
import { keyConfigureDigests } from '../ledger/format/digests.ts';
import { recordEvent } from './store/events.ts';
import { selectKey, selectVersions, setHttpSignaturePolicy, setLowSOnly, setMinVersion, setRotationPeriod } from './store/key-rows.ts';
import { signingState } from './signing-version.ts';
import { resolveKeyType } from '../crypto/index.ts';
import type { KeyConfigChange } from './types.ts';

export async function configureKey(ctx: KeyContext, name: string, change: KeyConfigChange, actor: string): Promise<void> {
  assertKeyName(name);
  const periodMs = change.rotation_period === undefined ? undefined : parseRotationPeriod(change.rotation_period);
  const min = change.min_version;
  const reason = assertReason(change.reason);
  if (min !== undefined && (typeof min !== 'number' || !Number.isSafeInteger(min) || min < 1)) {
    throw new PaysealError('invalid_request', 'min_version must be a whole number from 1');
  }
  const requested = { ...(min !== undefined ? { min_version: min } : {}), ...(change.rotation_period !== undefined ? { rotation_period: change.rotation_period } : {}) };
  await mutate(ctx, async (tx, record) => {
    const k = await selectKey(tx, name, true);
    if (!k) throw new PaysealError('key_not_found', `key ${name} does not exist`);
    const detail: Record<string, unknown> = {};
    if (periodMs !== undefined && periodMs !== null && k.origin === 'imported') {
      throw new PaysealError('key_verify_only', `key ${name} is a partner's imported public key: only the partner rotates it`);
    }
    if (min !== undefined) {
      if (min < k.min_version) throw new PaysealError('invalid_request', `min_version may only rise (it is ${k.min_version})`);
      if (min > k.latest_version) throw new PaysealError('invalid_request', `min_version may not exceed latest_version (${k.latest_version})`);
      // A pre-published version is not signing yet: min_version above the signing one would make new signatures unverifiable.
      const signing = signingState(await selectVersions(tx, name), Date.now()).signing;
      if (min > signing) throw new PaysealError('invalid_request', `min_version may not exceed the signing version (v${signing}) while v${k.latest_version} is pending`);
      if (min !== k.min_version) {
        await setMinVersion(tx, name, min);
        detail.min_version = min;
      }
    }
    const lowSOnly = change.low_s_only;
    if (lowSOnly !== undefined) {
      if (typeof lowSOnly !== 'boolean') throw new PaysealError('invalid_request', 'low_s_only must be true or false');
      if (lowSOnly && resolveKeyType(k.type).family !== 'ecdsa') {
        throw new PaysealError('unsupported_algorithm', `low_s_only applies to ECDSA keys, not to ${k.type} keys`);
      }
      if (lowSOnly !== k.low_s_only) {
        await setLowSOnly(tx, name, lowSOnly);
        detail.low_s_only = lowSOnly;
      }
    }
    if (periodMs !== undefined) {
      await setRotationPeriod(tx, name, change.rotation_period ?? null, periodMs);
      detail.rotation_period = change.rotation_period ?? null;
    }
    if (change.http_signature_policy !== undefined) {
      await setHttpSignaturePolicy(tx, name, change.http_signature_policy);
      detail.http_signature_policy = change.http_signature_policy;
    }
    if (reason !== undefined) detail.reason = reason;
    await recordEvent(tx, { actor, op: 'key_configure', key: name, detail });
    // The change as requested (a repeated min_version is still a request someone made).
    record({ actor, op: 'key.configure', key: name, key_version: null, ...keyConfigureDigests(requested) });
  });
}
