/**
 * mutate(), the one way to change the store: one transaction that also bumps the change counter (NOTIFY on
 * commit), then drops this process's own caches at once. And KeyContext, what every key and client operation
 * works with: the database, the KEK ring and the change feed.
 */
import type { ChangeFeed } from './change-feed.ts';
import type { KekRing } from './kek/kek.ts';
import type { Db, Queryable } from './store/db.ts';

export interface KeyContext {
  readonly db: Db;
  readonly ring: KekRing;
  readonly feed: ChangeFeed;
}

export async function mutate<T>(ctx: KeyContext, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  const { result, value } = await ctx.db.transaction(async (tx) => {
    const r = await fn(tx);
    return { result: r, value: await ctx.feed.bump(tx) };
  });
  ctx.feed.changedHere(value);
  return result;
}
