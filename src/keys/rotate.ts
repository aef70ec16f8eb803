/**
 * Rotation: a new version becomes the newest. New material is generated first, outside any transaction;
 * then one transaction locks the key row (SELECT … FOR UPDATE), so concurrent rotations from any mix of
 * replicas and scripts serialise on it and number their versions consecutively, with no duplicate and no
 * gap; the blob is wrapped with the AAD of the version number read under that lock.
 * A conditional rotation re-checks its condition under that lock: a due-rotation (`dueAt`) that the key is
 * still due, so two schedulers racing on one key rotate it once; a usage rotation (`ifLatest`) that the
 * version which reached its AES-GCM use bound is still the newest, so every process that notices the bound
 * at once adds one version between them, not one each.
 * Pre-publication (`publishFirstSeconds`, Tink's add → propagate → promote): the new version is inserted with
 * signs_from = now + delay, so it is in the JWK Set at once and signs only from then (signing-version.ts).
 * Scheduled rotations of signing keys use the deployment's delay (PAYSEAL_ROTATION_PUBLISH_FIRST_SECONDS,
 * KeyContext.publishFirstSeconds). A second pre-published rotation while one is pending is a conflict (the
 * first would never sign); an immediate rotation is always allowed (an incident cannot wait).
 * Imported keys are never rotated here: their next version is the partner's next public key (import.ts).
 */
import { generateKeyMaterial, resolveKeyType } from '../crypto/index.ts';
import { PaysealError } from '../errors.ts';
import { mutate, type KeyContext } from './mutate.ts';
import { failureOf } from './_log.ts';
import { assertKeyName, parseRotationPeriod } from '../grammar.ts';
import { keyRotateDigests } from '../ledger/format/digests.ts';
import { recordEvent } from './store/events.ts';
import { insertVersion, selectKey, selectDueKeyNames, selectVersions, setLatest } from './store/key-rows.ts';
import { signingState } from './signing-version.ts';
import type { RotateDueResult } from './types.ts';

export interface RotateCondition {
  /** Rotate only if next_rotation_at is at or before this instant. */
  readonly dueAt?: Date;
  /** Rotate only if this is still the newest version. */
  readonly ifLatest?: number;
  /** Publish the new version now, let it sign after this many seconds (signing keys only). */
  readonly publishFirstSeconds?: number;
}

/** Longest pre-publication: 30 days (a longer one is a typo, and the key would be due again meanwhile). */
export const MAX_PUBLISH_FIRST_SECONDS = 30 * 86_400;

/** Returns the new version, or null when a condition was given and no longer held. */
export async function rotateKey(ctx: KeyContext, name: string, actor: string, condition: RotateCondition = {}): Promise<number | null> {
  const { dueAt, ifLatest } = condition;
  assertKeyName(name);
  const before = await selectKey(ctx.db, name);
  if (!before) throw new PaysealError('key_not_found', `key ${name} does not exist`);
  if (before.origin === 'imported') {
    throw new PaysealError('key_verify_only', `key ${name} is a partner's imported public key: import its next version instead of rotating it`);
  }
  const spec = resolveKeyType(before.type);
  const delay = publishFirstOf(condition, spec.purpose, ctx.publishFirstSeconds ?? 0);
  const material = await generateKeyMaterial(spec);
  try {
    return await mutate(ctx, async (tx, record) => {
      const k = await selectKey(tx, name, true);
      if (!k) throw new PaysealError('key_not_found', `key ${name} does not exist`);
      if (dueAt && (k.next_rotation_at === null || new Date(k.next_rotation_at) > dueAt)) return null;
      if (ifLatest !== undefined && k.latest_version !== ifLatest) return null;
      if (delay > 0 && signingState(await selectVersions(tx, name), Date.now()).pending !== null) {
        throw new PaysealError('conflict', `key ${name} already has a version waiting to sign: let it take over, or rotate at once`);
      }
      const version = k.latest_version + 1;
      const kek = ctx.ring.current;
      const wrapped = kek.wrap(material.secret, name, version);
      await insertVersion(tx, { key: name, version, publicPem: material.publicPem, wrapped, kekId: kek.id, publishFirstSeconds: delay });
      await setLatest(tx, name, version, k.rotation_period === null ? null : parseRotationPeriod(k.rotation_period));
      const why = dueAt ? { scheduled: true } : ifLatest !== undefined ? { use_bound: true, previous_version: ifLatest } : {};
      const detail = delay > 0 ? { ...why, publish_first_seconds: delay } : why;
      await recordEvent(tx, { actor, op: 'key_rotate', key: name, version, detail });
      record({ actor, op: 'key.rotate', key: name, key_version: version, ...keyRotateDigests(material.publicPem) });
      return version;
    });
  } finally {
    material.secret.fill(0);
  }
}

/** The pre-publication delay of one rotation: asked for (checked), or, for scheduled ones, the deployment's. */
function publishFirstOf(condition: RotateCondition, purpose: string, scheduledDelay: number): number {
  const asked = condition.publishFirstSeconds;
  if (asked !== undefined && (!Number.isSafeInteger(asked) || asked < 0 || asked > MAX_PUBLISH_FIRST_SECONDS)) {
    throw new PaysealError('invalid_request', `publish_first_seconds must be a whole number from 0 to ${MAX_PUBLISH_FIRST_SECONDS}`);
  }
  if (purpose !== 'sign') {
    if (asked !== undefined && asked > 0) throw new PaysealError('invalid_request', 'publish_first_seconds applies to signing keys only (an AES key has no public half to publish)');
    return 0;
  }
  return asked ?? (condition.dueAt ? scheduledDelay : 0);
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
