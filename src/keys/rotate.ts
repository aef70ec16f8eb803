/**
 * Rotation: a new version becomes the newest. New material is generated first, outside any transaction;
 * then one transaction locks the key row (SELECT … FOR UPDATE), so concurrent rotations from any mix of
 * replicas and scripts serialise on it and number their versions consecutively, with no duplicate and no
 * gap; the blob is wrapped with the AAD of the version number read under that lock.
 * A due-rotation (`dueAt`) re-checks under the lock that the key is still due, so two schedulers racing on
 * one key rotate it once.
 */
import { generateKeyMaterial, resolveKeyType } from '../crypto/index.ts';
import { PaysealError } from '../errors.ts';
import { mutate, type KeyContext } from './_context.ts';
import { assertKeyName, parseRotationPeriod } from './naming.ts';
import { recordEvent } from './store/events.ts';
import { insertVersion, selectKey, selectDueKeyNames, setLatest } from './store/key-rows.ts';
import type { RotateDueResult } from './types.ts';

/** Returns the new version, or null when `dueAt` was given and the key was no longer due. */
export async function rotateKey(ctx: KeyContext, name: string, actor: string, dueAt?: Date): Promise<number | null> {
  assertKeyName(name);
  const before = await selectKey(ctx.db, name);
  if (!before) throw new PaysealError('key_not_found', `key ${name} does not exist`);
  const spec = resolveKeyType(before.type);
  const material = await generateKeyMaterial(spec);
  try {
    return await mutate(ctx, async (tx) => {
      const k = await selectKey(tx, name, true);
      if (!k) throw new PaysealError('key_not_found', `key ${name} does not exist`);
      if (dueAt && (k.next_rotation_at === null || new Date(k.next_rotation_at) > dueAt)) return null;
      const version = k.latest_version + 1;
      const kek = ctx.ring.current;
      const wrapped = kek.wrap(material.secret, name, version);
      await insertVersion(tx, { key: name, version, publicPem: material.publicPem, wrapped, kekId: kek.id });
      await setLatest(tx, name, version, k.rotation_period === null ? null : parseRotationPeriod(k.rotation_period));
      await recordEvent(tx, { actor, op: 'key_rotate', key: name, version, detail: dueAt ? { scheduled: true } : {} });
      return version;
    });
  } finally {
    material.secret.fill(0);
  }
}

/** Rotates every key whose next_rotation_at is at or before `now`; failures are collected, not thrown. */
export async function rotateDueKeys(ctx: KeyContext, actor: string, now: Date = new Date()): Promise<RotateDueResult> {
  const rotated: { name: string; version: number }[] = [];
  const failed: { name: string; code: string; message: string }[] = [];
  for (const name of await selectDueKeyNames(ctx.db, now)) {
    try {
      const version = await rotateKey(ctx, name, actor, now);
      if (version !== null) rotated.push({ name, version });
    } catch (e) {
      failed.push({
        name,
        code: e instanceof PaysealError ? e.code : 'internal',
        message: e instanceof PaysealError ? e.message : 'rotation failed',
      });
    }
  }
  return { rotated, failed };
}
