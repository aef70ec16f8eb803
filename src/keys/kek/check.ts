/**
 * Start-up check that this process holds the right KEK(s), so a wrong KEK is named at start (kek_mismatch)
 * instead of surfacing later as keys that fail to unwrap. Rules:
 * - every private half still stored must be wrapped under a KEK the process holds;
 * - once a KEK is established (a live kek_checks row), a process must hold one whose check row unwraps;
 * - the current KEK must not be retired (a completed KEK rotation retires the KEKs it replaced);
 * - the current KEK gets its own check row (fresh store, or a new KEK introduced beside an accepted previous one).
 */
import crypto from 'node:crypto';
import { PaysealError } from '../../errors.ts';
import { isoOrNull, type Queryable } from '../store/db.ts';
import { countWrappedByKek, insertKekCheck, selectKekChecks } from '../store/kek-rows.ts';
import { ringFind, ringIds, type Kek, type KekRing } from './kek.ts';

/** The check value is wrapped as the (impossible) key name "" version 0, so it can never pass for a real row. */
const CHECK_NAME = '';
const CHECK_VERSION = 0;
const CHECK_VALUE = Buffer.from('payseal kek check v1');

/**
 * Records `kek`'s check row. A retired KEK stays retired, except as the target of a KEK rotation (`revive`),
 * which may legitimately return to a KEK used before.
 */
export async function registerKek(q: Queryable, kek: Kek, options: { revive?: boolean } = {}): Promise<void> {
  await insertKekCheck(q, kek.id, kek.wrap(CHECK_VALUE, CHECK_NAME, CHECK_VERSION), options.revive === true);
}

export async function checkKeks(q: Queryable, ring: KekRing): Promise<void> {
  const ids = ringIds(ring);
  const inUse = await countWrappedByKek(q);
  for (const row of inUse) {
    if (!ids.includes(row.kek_id)) {
      throw new PaysealError(
        'kek_mismatch',
        `${row.n} private key(s) are wrapped under KEK ${row.kek_id}, but this process holds KEK ${ids.join(' and ')}: ` +
          'check PAYSEAL_KEK / PAYSEAL_KEK_FILE (and PAYSEAL_KEK_PREVIOUS during a KEK rotation)',
      );
    }
  }
  const checks = await selectKekChecks(q);
  let established = false;
  for (const row of checks) {
    const kek = ringFind(ring, row.kek_id);
    if (!kek) continue;
    const value = kek.unwrap(row.wrapped, CHECK_NAME, CHECK_VERSION);
    if (!crypto.timingSafeEqual(value, CHECK_VALUE)) throw new PaysealError('kek_mismatch', `KEK ${kek.id} fails its check row`);
    if (row.retired) {
      if (kek === ring.current) {
        throw new PaysealError(
          'kek_mismatch',
          `PAYSEAL_KEK is KEK ${kek.id}, which a KEK rotation retired at ${isoOrNull(row.retired_at)}: set PAYSEAL_KEK / ` +
            'PAYSEAL_KEK_FILE to the new KEK (the old one may stay as PAYSEAL_KEK_PREVIOUS)',
        );
      }
      continue;
    }
    established = true;
  }
  const live = checks.filter((c) => !c.retired);
  if (live.length > 0 && !established) {
    throw new PaysealError(
      'kek_mismatch',
      `this store was set up with KEK ${live.map((c) => c.kek_id).join(', ')}, but this process holds KEK ${ids.join(' and ')}: ` +
        'check PAYSEAL_KEK / PAYSEAL_KEK_FILE',
    );
  }
  await registerKek(q, ring.current);
}
