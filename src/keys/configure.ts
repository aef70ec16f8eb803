/**
 * Changes a key's rotation_period, min_version and/or low_s_only (PATCH /v1/keys/{name}). min_version only
 * rises and never passes latest_version (Vault's min_decryption_version rule): lowering it would silently
 * re-enable versions an incident response meant to retire. low_s_only (ECDSA keys only) switches verification
 * to the one accepted form of a signature (src/crypto/ecdsa-low-s.ts) and may be switched back.
 */
import { PaysealError } from '../errors.ts';
import { mutate, type KeyContext } from './mutate.ts';
import { assertKeyName, parseRotationPeriod } from '../grammar.ts';
import { recordEvent } from './store/events.ts';
import { selectKey, setLowSOnly, setMinVersion, setRotationPeriod } from './store/key-rows.ts';
import { resolveKeyType } from '../crypto/index.ts';
import type { KeyConfigChange } from './types.ts';

export async function configureKey(ctx: KeyContext, name: string, change: KeyConfigChange, actor: string): Promise<void> {
  assertKeyName(name);
  const periodMs = change.rotation_period === undefined ? undefined : parseRotationPeriod(change.rotation_period);
  const min = change.min_version;
  if (min !== undefined && (typeof min !== 'number' || !Number.isSafeInteger(min) || min < 1)) {
    throw new PaysealError('invalid_request', 'min_version must be a whole number from 1');
  }
  await mutate(ctx, async (tx) => {
    const k = await selectKey(tx, name, true);
    if (!k) throw new PaysealError('key_not_found', `key ${name} does not exist`);
    const detail: Record<string, unknown> = {};
    if (min !== undefined) {
      if (min < k.min_version) throw new PaysealError('invalid_request', `min_version may only rise (it is ${k.min_version})`);
      if (min > k.latest_version) throw new PaysealError('invalid_request', `min_version may not exceed latest_version (${k.latest_version})`);
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
    await recordEvent(tx, { actor, op: 'key_configure', key: name, detail });
  });
}
