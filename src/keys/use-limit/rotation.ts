/**
 * Rotation at the AES-GCM use bound, beside the budget that counts the uses (budget.ts). reserve() hands out
 * the newest version of an encryption key with `uses` encryptions counted against its bound (NIST SP 800-38D
 * §8.3), from memory while this process's leased block lasts. When a lease takes a version to `rotateAt`, or
 * the newest version is at its bound, the key is rotated (actor system:usage-limit): one rotation per (key,
 * exhausted version) at a time in this process, and the ifLatest check makes it one across processes. If the
 * bound is reached and rotation fails, reserve() answers key_exhausted rather than exceed it.
 */
import { PaysealError } from '../../errors.ts';
import { failureOf, type KeyLog } from '../_log.ts';
import type { KeyCache } from '../key-cache.ts';
import type { KeyContext } from '../mutate.ts';
import { rotateKey } from '../rotate.ts';
import type { UsableKey } from '../types.ts';
import { UseBudget, type AesUseLimits } from './budget.ts';

/** The actor of a rotation made because a version neared its AES-GCM use bound. */
export const USAGE_LIMIT_ACTOR = 'system:usage-limit';
/** Rotations one reserve call may wait for before answering key_exhausted. */
const MAX_EXHAUSTED_ROTATIONS = 5;

export interface UseLimit {
  readonly budget: UseBudget;
  /** Throws key_not_found, key_type_mismatch, unavailable, key_exhausted (see KeyService.reserveEncryption). */
  reserve(name: string, uses: number): Promise<UsableKey>;
}

export function createUseLimit(
  ctx: KeyContext,
  cache: KeyCache,
  limits: AesUseLimits,
  log: KeyLog,
  latestFor: (name: string, purpose: 'encrypt') => Promise<UsableKey>,
): UseLimit {
  const usageRotations = new Map<string, Promise<void>>();
  function rotateForUse(name: string, version: number): Promise<void> {
    const id = `${name}\0${version}`;
    let p = usageRotations.get(id);
    if (!p) {
      p = (async () => {
        try {
          const rotated = await rotateKey(ctx, name, USAGE_LIMIT_ACTOR, { ifLatest: version });
          if (rotated !== null) {
            log.info({ key: name, version: rotated, previous_version: version, actor: USAGE_LIMIT_ACTOR }, 'rotated an AES key nearing its use bound (NIST SP 800-38D 8.3)');
          } else if (cache.peek(name)?.row.latest_version === version) {
            // Another process rotated first and its notification has not arrived yet.
            cache.clear();
          }
        } catch (e) {
          const f = failureOf(e);
          log.error({ key: name, version, code: f.code, error: f.message }, 'rotation at the AES-GCM use bound failed');
          throw e;
        } finally {
          usageRotations.delete(id);
        }
      })();
      usageRotations.set(id, p);
    }
    return p;
  }
  const budget = new UseBudget(ctx, limits, (name, version) => {
    rotateForUse(name, version).catch(() => {});
  });

  async function reserve(name: string, uses: number): Promise<UsableKey> {
    if (!Number.isSafeInteger(uses) || uses < 1 || uses > budget.limits.limit) {
      throw new PaysealError('invalid_request', 'uses must be a whole number from 1');
    }
    let failure: { code: string } | null = null;
    for (let attempt = 0; attempt <= MAX_EXHAUSTED_ROTATIONS; attempt++) {
      const key = await latestFor(name, 'encrypt');
      let ok = true;
      while (ok && !budget.take(name, key.version, uses)) ok = await budget.refill(name, key.version, uses);
      if (ok) return key;
      if (attempt === MAX_EXHAUSTED_ROTATIONS) break;
      // The newest version is at its bound: rotate (or see another process's rotation), then use the new one.
      try {
        await rotateForUse(name, key.version);
      } catch (e) {
        failure = failureOf(e);
        break;
      }
    }
    throw new PaysealError(
      'key_exhausted',
      `the newest version of key ${name} reached its AES-GCM use bound of ${budget.limits.limit} encryptions (NIST SP 800-38D 8.3)` +
        (failure ? ` and rotating it failed (${failure.code})` : ' and keeps being exhausted by concurrent rotations') +
        ': rotate the key, then retry',
    );
  }

  return { budget, reserve };
}
