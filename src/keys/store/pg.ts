/**
 * The PostgreSQL backend over node-postgres: a Pool for statements and transactions and, when asked to
 * listen, one dedicated client holding LISTEN (reconnected on failure; the periodic change-counter refresh
 * covers the gap). Also used to reach a running service's PGlite through its Unix socket, where LISTEN is not
 * offered (the multiplexed socket cannot route notifications to one connection).
 */
import pg from 'pg';
import { mapDbError, type Db, type Queryable, type Row } from './db.ts';

export interface PgDbOptions {
  readonly kind: 'postgres' | 'socket';
  readonly config: pg.PoolConfig;
}

function quoteIdent(s: string): string {
  return '"' + s.replace(/"/g, '""') + '"';
}

export function openPgDb(options: PgDbOptions): Db {
  const pool = new pg.Pool({ max: 10, idleTimeoutMillis: 10_000, ...options.config });
  // An idle client losing its connection must not crash the process; the next query reports it.
  pool.on('error', () => {});
  const listeners = new Set<pg.Client>();
  let closed = false;

  async function query<R extends Row>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
    try {
      const r = await pool.query(sql, params as unknown[]);
      return r.rows as R[];
    } catch (e) {
      throw mapDbError(e);
    }
  }

  /**
   * A pooled connection, and a Queryable on it whose errors are mapped like every other query's. While checked
   * out, a client's 'error' event (the server going away) has no listener of the pool's, and an unheard 'error'
   * would crash the process; the query in flight rejects with the same error, so the listener only absorbs it.
   * release() removes it and discards the connection when it broke.
   */
  async function connect(): Promise<{ client: pg.PoolClient; q: Queryable; release(broken: boolean): void }> {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (e) {
      throw mapDbError(e);
    }
    let failed = false;
    const onError = (): void => {
      failed = true;
    };
    client.on('error', onError);
    const q: Queryable = {
      async query<R extends Row>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
        try {
          return (await client.query(sql, params as unknown[])).rows as R[];
        } catch (e) {
          throw mapDbError(e);
        }
      },
    };
    const release = (broken: boolean): void => {
      client.off('error', onError);
      client.release(broken || failed);
    };
    return { client, q, release };
  }

  async function transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const { client, q: tx, release } = await connect();
    let broken = false;
    try {
      await tx.query('BEGIN');
      const result = await fn(tx);
      await tx.query('COMMIT');
      return result;
    } catch (e) {
      try {
        await client.query('ROLLBACK');
      } catch {
        broken = true;
      }
      throw e;
    } finally {
      release(broken);
    }
  }

  async function session<T>(fn: (s: Queryable) => Promise<T>): Promise<T> {
    const { q: s, release } = await connect();
    let broken = false;
    try {
      return await fn(s);
    } catch (e) {
      // Whatever the session still holds (an advisory lock whose unlock failed) dies with the connection.
      broken = true;
      throw e;
    } finally {
      release(broken);
    }
  }

  async function listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>> {
    if (options.kind === 'socket') return async () => {};
    let client: pg.Client | null = null;
    let stopped = false;
    const connect = async (): Promise<void> => {
      const c = new pg.Client(options.config);
      c.on('error', () => {
        listeners.delete(c);
        c.end().catch(() => {});
        if (!stopped && !closed) setTimeout(() => connect().catch(() => {}), 1000).unref();
      });
      c.on('notification', (n) => {
        if (n.channel === channel) onPayload(n.payload ?? '');
      });
      await c.connect();
      await c.query(`LISTEN ${quoteIdent(channel)}`);
      listeners.add(c);
      client = c;
    };
    await connect();
    return async () => {
      stopped = true;
      const c = client;
      if (c) {
        listeners.delete(c);
        await c.end().catch(() => {});
      }
    };
  }

  return {
    kind: options.kind,
    query,
    transaction,
    session,
    listen,
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([...listeners].map((c) => c.end().catch(() => {})));
      await pool.end();
    },
  };
}
