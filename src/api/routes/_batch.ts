/**
 * Batches (API.md "Batches"): items run concurrently (the crypto runs on libuv's pool) and results come back in
 * order. A PaysealError in one item becomes `{"error": {...}}` in its slot and does not fail the others; any
 * other error is a fault of payseal, not of the item, and fails the request (500 with an error id).
 */
import { isPaysealError } from '../../errors.ts';

export type Slot<R> = R | { error: { code: string; message: string } };

export async function runBatch<R>(items: readonly unknown[], run: (item: unknown, index: number) => Promise<R>): Promise<Slot<R>[]> {
  return Promise.all(
    items.map(async (item, index): Promise<Slot<R>> => {
      try {
        return await run(item, index);
      } catch (e) {
        if (isPaysealError(e)) return e.toBody();
        throw e;
      }
    }),
  );
}

export function isErrorSlot<R>(slot: Slot<R>): slot is { error: { code: string; message: string } } {
  return typeof slot === 'object' && slot !== null && 'error' in slot;
}
