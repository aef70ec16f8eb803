/**
 * The embedded backend: PGlite (PostgreSQL compiled to WASM) in a local directory, opened in-process.
 * Every unit of work (a statement or a whole transaction) holds the SessionLock, which the socket server
 * (socket-serve.ts) shares, so local CLI processes and the service never interleave inside a transaction.
 */
import { PGlite } from '@electric-sql/pglite';
import { SessionLock } from './session-lock.ts';
import { mapDbError, type Db, type Queryable, type Row } from '../db.ts';

export interface PgliteDb extends Db {
  readonly pglite: PGlite;
  readonly lock: SessionLock;
}

export async function openPgliteDb(pgdataDir: string): Promise<PgliteDb> {
  const pglite = await PGlite.create({ dataDir: pgdataDir });
  return wrapPglite(pglite);
}

function rethrowMapped(e: unknown): never {
  throw mapDbError(e);
}

export function wrapPglite(pglite: PGlite): PgliteDb {
  const lock = new SessionLock();
  let closed = false;
  const db: PgliteDb = {
    kind: 'pglite',
    pglite,
    lock,
    // Errors go through mapDbError as on pg, so a closed or broken store is 503 unavailable, not 500.
    async query<R extends Row>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
      return lock.run(async () => (await pglite.query<R>(sql, params as unknown[])).rows).catch(rethrowMapped);
    },
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      return lock
        .run(() =>
          pglite.transaction(async (t) =>
            fn({
              async query<R extends Row>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
                return (await t.query<R>(sql, params as unknown[])).rows;
              },
            }),
          ),
        )
        .catch(rethrowMapped);
    },
    async listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>> {
      const unlisten = await lock.run(() => pglite.listen(channel, onPayload));
      return () => lock.run(() => unlisten());
    },
    // One session for everyone: each statement takes the SessionLock itself, so fn may open transactions.
    session: (fn) => fn(db),
    async close() {
      if (closed) return;
      closed = true;
      await lock.run(() => pglite.close());
    },
  };
  return db;
}
