/**
 * KEK rotation: re-wraps every stored private half under a new KEK, in batches of `batchSize` rows, each
 * batch its own short transaction (row locks held for milliseconds, so the service keeps rotating and
 * signing meanwhile). Rows record their kek_id, which makes the job resumable: a run that is interrupted
 * (signal, crash) leaves some rows under the old KEK and some under the new, and the next run picks up the
 * rest. Only when no row is left under another KEK are the old KEKs retired (migration 002), after which a
 * process holding only an old KEK, or wrapping with one, is refused: it can neither start nor write a version
 * that the processes holding only the new KEK could not read.
 *
 * So that a rotation can never take signing down, it also reads who holds which KEK (kek_holders, announced by
 * every running service, kek/watch.ts): it refuses (conflict, nothing changed) while a live service holds
 * neither the new KEK nor a way to take it up; a self-managed embedded service takes it up from the data dir
 * (`staging`), and the run waits for it before re-wrapping anything and, at the end, for every service to wrap
 * with the new KEK. The finishing transaction checks the holders again, so a replica started meanwhile with
 * only the old KEK rolls the retirement back.
 */
import { PaysealError } from '../../errors.ts';
import { mutate, type KeyContext } from '../mutate.ts';
import { registerKek } from './check.ts';
import { ringFind, type Kek } from './kek.ts';
import { countWrappedNotUnder, lockKeks, retireKeksExcept, selectWrappedNotUnder, updateWrapped } from '../store/kek-rows.ts';
import { selectLiveHolders, type KekHolder } from '../store/kek-holder-rows.ts';
import type { Queryable } from '../store/db.ts';
import { recordEvent } from '../store/events.ts';

export interface KekRotateProgress {
  readonly done: number;
  readonly total: number;
}

export interface KekRotateOptions {
  readonly actor: string;
  readonly batchSize?: number;
  readonly onProgress?: (p: KekRotateProgress) => void;
  /** Stops between batches; the run reports completed: false and can be resumed. */
  readonly signal?: AbortSignal;
  /** How long to wait for live services to take the new KEK up (default 15 s). */
  readonly waitMs?: number;
}

/** Embedded mode: puts the new KEK where a self-managed service takes it up, and installs it on completion. */
export interface KekStaging {
  /** Stage even when no live service asks for it (this process's own KEK is the data dir's). */
  readonly always: boolean;
  stage(): void;
  install(): void;
}

export interface KekRotateResult {
  readonly newKekId: string;
  readonly rewrapped: number;
  readonly remaining: number;
  readonly completed: boolean;
  /** Live services that had not switched to the new KEK when the run ended (normally none). */
  readonly lagging: readonly string[];
}

/** Rolls the finishing transaction back when rows are still under an old KEK. */
class IncompleteRotation extends Error {
  constructor(readonly left: number) {
    super(`${left} row(s) still under an old KEK`);
  }
}

const countRemaining = (ctx: KeyContext, newId: string): Promise<number> => countWrappedNotUnder(ctx.db, newId);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const named = (hs: readonly KekHolder[]) => hs.map((h) => `${h.host} pid ${h.pid} (KEK ${h.kek_ids.join(', ')})`).join('; ');

function stillOnOldKek(hs: readonly KekHolder[], newId: string, when: string): PaysealError {
  return new PaysealError(
    'conflict',
    `${hs.length} running payseal service(s) hold only KEK(s) other than the new KEK ${newId}: ${named(hs)}. ${when} ` +
      'Restart each with the new KEK beside its own (PAYSEAL_KEK_PREVIOUS or PAYSEAL_KEK_PREVIOUS_FILE; docs/keys.md, ' +
      '"Rotating the KEK", step 2), then run this command again.',
  );
}

async function lacking(q: Queryable, test: (h: KekHolder) => boolean): Promise<KekHolder[]> {
  return (await selectLiveHolders(q)).filter((h) => !test(h));
}

/** Polls until every live holder passes `test`; returns those that still do not at the deadline. */
async function waitFor(ctx: KeyContext, test: (h: KekHolder) => boolean, ms: number): Promise<KekHolder[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const left = await lacking(ctx.db, test);
    if (left.length === 0 || Date.now() > deadline) return left;
    await sleep(100);
  }
}

export async function rotateKek(ctx: KeyContext, newKek: Kek, options: KekRotateOptions, staging?: KekStaging): Promise<KekRotateResult> {
  const batchSize = options.batchSize ?? 100;
  const waitMs = options.waitMs ?? 15_000;
  const holds = (h: KekHolder) => h.kek_ids.includes(newKek.id);
  const before = await lacking(ctx.db, holds);
  const stuck = before.filter((h) => !(h.adopts && staging));
  if (stuck.length > 0) throw stillOnOldKek(stuck, newKek.id, 'Nothing was changed.');
  const staged = staging !== undefined && (staging.always || before.length > 0);
  if (staged) staging.stage();
  // Registering bumps the change counter: services re-read kek_checks and take a staged KEK up.
  await mutate(ctx, async (tx) => {
    await lockKeks(tx);
    await registerKek(tx, newKek, { revive: true });
  });
  const late = await waitFor(ctx, holds, waitMs);
  if (late.length > 0) throw stillOnOldKek(late, newKek.id, 'They did not take the staged KEK up; nothing was re-wrapped.');

  const total = await countRemaining(ctx, newKek.id);
  let done = 0;
  options.onProgress?.({ done, total });
  for (;;) {
    if (options.signal?.aborted) {
      return { newKekId: newKek.id, rewrapped: done, remaining: await countRemaining(ctx, newKek.id), completed: false, lagging: [] };
    }
    const n = await ctx.db.transaction(async (tx) => {
      const rows = await selectWrappedNotUnder(tx, newKek.id, batchSize);
      for (const r of rows) {
        const old = ringFind(ctx.ring, r.kek_id);
        if (!old) throw new PaysealError('kek_mismatch', `${r.key} v${r.version} is wrapped under KEK ${r.kek_id}, which this process does not hold`);
        const plain = old.unwrap(r.wrapped, r.key, r.version);
        try {
          await updateWrapped(tx, r.key, r.version, newKek.wrap(plain, r.key, r.version), newKek.id);
        } finally {
          plain.fill(0);
        }
      }
      return rows.length;
    });
    if (n === 0) break;
    done += n;
    options.onProgress?.({ done, total: Math.max(total, done) });
  }
  // Finish: retire the old KEKs, then count what is left under them. The retirement waits for every insert
  // under an old KEK in flight (they hold its check row FOR SHARE) and stops any later one, so the count that
  // follows is final. Rows a process still wrapping with an old KEK added meanwhile leave the run incomplete:
  // the retirement is rolled back, and the next run re-wraps them. So does a live service without the new KEK.
  const remaining = await mutate(ctx, async (tx) => {
    await lockKeks(tx);
    await retireKeksExcept(tx, newKek.id);
    const left = await countWrappedNotUnder(tx, newKek.id);
    if (left > 0) throw new IncompleteRotation(left);
    const without = await lacking(tx, holds);
    if (without.length > 0) throw stillOnOldKek(without, newKek.id, 'Every row is re-wrapped, but no KEK was retired.');
    await recordEvent(tx, { actor: options.actor, op: 'kek_rotate', detail: { kek_id: newKek.id, rewrapped: done } });
    return 0;
  }).catch((e: unknown) => {
    if (e instanceof IncompleteRotation) return e.left;
    throw e;
  });
  if (remaining > 0) return { newKekId: newKek.id, rewrapped: done, remaining, completed: false, lagging: [] };
  if (staged) staging.install();
  const lagging = await waitFor(ctx, (h) => h.current_kek === newKek.id, waitMs);
  return { newKekId: newKek.id, rewrapped: done, remaining: 0, completed: true, lagging: lagging.map((h) => `${h.host} pid ${h.pid}`) };
}
