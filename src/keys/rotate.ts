/**
 * Rotation: a new version becomes the newest. New material is generated first, outside any transaction;
 * then one transaction locks the key row (SELECT … FOR UPDATE), so concurrent rotations from any mix of
 * replicas and scripts serialise on it and number their versions consecutively, with no duplicate and no
 * gap; the blob is wrapped with the AAD of the version number read under that lock.
 * A conditional rotation re-checks its condition under that lock: a due-rotation (`dueAt`) that the key is
 * still due, so two schedulers racing on one key rotate it once; a usage rotation (`ifLatest`) that the
 * version which reached its AES-GCM use bound is still the newest, so every process that notices the bound
 * at once adds one version between them, not one each.
 */
import { generateKeyMaterial, resolveKeyType } from '../crypto/index.ts';
import { PaysealError } from '../errors.ts';
import { mutate, type KeyContext } from './mutate.ts';
import { failureOf } from './_log.ts';
import { assertKeyName, parseRotationPeriod } from '../grammar.ts';
import { keyRotateDigests } from '../ledger/format/digests.ts';
import { recordEvent } from './store/events.ts';
import { insertVersion, selectKey, selectDueKeyNames, setLatest } from './store/key-rows.ts';
import type { RotateDueResult } from './types.ts';

export interface RotateCondition {
  /** Rotate only if next_rotation_at is at or before this instant. */
  readonly dueAt?: Date;
  /** Rotate only if this is still the newest version. */
  readonly ifLatest?: number;
}

/** Returns the new version, or null when a condition was given and no longer held. */
export async function rotateKey(ctx: KeyContext, name: string, actor: string, condition: RotateCondition = {}): Promise<number | null> {
  const { dueAt, ifLatest } = condition;
  assertKeyName(name);
  const before = await selectKey(ctx.db, name);
  if (!before) throw new PaysealError('key_not_found', `key ${name} does not exist`);
  const spec = resolveKeyType(before.type);
  const material = await generateKeyMaterial(spec);
  try {
    return await mutate(ctx, async (tx, record) => {
      const k = await selectKey(tx, name, true);
      if (!k) throw new PaysealError('key_not_found', `key ${name} does not exist`);
      if (dueAt && (k.next_rotation_at === null || new Date(k.next_rotation_at) > dueAt)) return null;
      if (ifLatest !== undefined && k.latest_version !== ifLatest) return null;
      const version = k.latest_version + 1;
      const kek = ctx.ring.current;
      const wrapped = kek.wrap(material.secret, name, version);
      await insertVersion(tx, { key: name, version, publicPem: material.publicPem, wrapped, kekId: kek.id });
      await setLatest(tx, name, version, k.rotation_period === null ? null : parseRotationPeriod(k.rotation_period));
      const detail = dueAt ? { scheduled: true } : ifLatest !== undefined ? { use_bound: true, previous_version: ifLatest } : {};
      await recordEvent(tx, { actor, op: 'key_rotate', key: name, version, detail });
      record({ actor, op: 'key.rotate', key: name, key_version: version, ...keyRotateDigests(material.publicPem) });
      return version;
    });
  } finally {
    material.secret.fill(0);
  }
}

/**
 * Rotates every key whose next_rotation_at is at or before `now`. As in Vault's auto-rotation, one key's
 * failure does not stop the rest: failures are collected, not thrown. `signal` stops between keys (the
 * service shutting down); the keys not reached stay due for the next run.
 */
export async function rotateDueKeys(ctx: KeyContext, actor: string, now: Date = new Date(), signal?: AbortSignal): Promise<RotateDueResult> {
  const rotated: { name: string; version: number }[] = [];
  const failed: { name: string; code: string; message: string }[] = [];
  for (const name of await selectDueKeyNames(ctx.db, now)) {
    if (signal?.aborted) break;
    try {
      const version = await rotateKey(ctx, name, actor, { dueAt: now });
      if (version !== null) rotated.push({ name, version });
    } catch (e) {
      const f = failureOf(e);
      failed.push({ name, code: f.code, message: f.code === 'internal' ? 'rotation failed' : f.message });
    }
  }
  return { rotated, failed };
}
