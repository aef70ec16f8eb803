/**
 * KEK rotation: re-wraps every stored private half under a new KEK, in batches of `batchSize` rows, each
 * batch its own short transaction (row locks held for milliseconds, so the service keeps rotating and
 * signing meanwhile). Rows record their kek_id, which makes the job resumable: a run that is interrupted
 * (signal, crash) leaves some rows under the old KEK and some under the new, and the next run picks up the
 * rest. Only when no row is left under another KEK are the old KEKs retired (migration 002), after which a
 * process holding only an old KEK, or wrapping with one, is refused (kek_mismatch): it can neither start nor
 * write a version that the processes holding only the new KEK could not read.
 */
import { PaysealError } from '../../errors.ts';
import { mutate, type KeyContext } from '../mutate.ts';
import { registerKek } from './check.ts';
import { ringFind, type Kek } from './kek.ts';
import { countWrappedNotUnder, lockKeks, retireKeksExcept, selectWrappedNotUnder, updateWrapped } from '../store/kek-rows.ts';
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
}

export interface KekRotateResult {
  readonly newKekId: string;
  readonly rewrapped: number;
  readonly remaining: number;
  readonly completed: boolean;
}

/** Rolls the finishing transaction back when rows are still under an old KEK. */
class IncompleteRotation extends Error {
  constructor(readonly left: number) {
    super(`${left} row(s) still under an old KEK`);
  }
}

const countRemaining = (ctx: KeyContext, newId: string): Promise<number> => countWrappedNotUnder(ctx.db, newId);

export async function rotateKek(ctx: KeyContext, newKek: Kek, options: KekRotateOptions): Promise<KekRotateResult> {
  const batchSize = options.batchSize ?? 100;
  await ctx.db.transaction(async (tx) => {
    await lockKeks(tx);
    await registerKek(tx, newKek, { revive: true });
  });
  const total = await countRemaining(ctx, newKek.id);
  let done = 0;
  options.onProgress?.({ done, total });
  for (;;) {
    if (options.signal?.aborted) {
      return { newKekId: newKek.id, rewrapped: done, remaining: await countRemaining(ctx, newKek.id), completed: false };
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
  // the retirement is rolled back, and the next run re-wraps them.
  const remaining = await mutate(ctx, async (tx) => {
    await lockKeks(tx);
    await retireKeksExcept(tx, newKek.id);
    const left = await countWrappedNotUnder(tx, newKek.id);
    if (left > 0) throw new IncompleteRotation(left);
    await recordEvent(tx, { actor: options.actor, op: 'kek_rotate', detail: { kek_id: newKek.id, rewrapped: done } });
    return 0;
  }).catch((e: unknown) => {
    if (e instanceof IncompleteRotation) return e.left;
    throw e;
  });
  return { newKekId: newKek.id, rewrapped: done, remaining, completed: remaining === 0 };
}
