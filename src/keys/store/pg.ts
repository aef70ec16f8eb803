/**
 * The PostgreSQL backend over node-postgres: a Pool for statements and transactions and, when asked to
 * listen, one dedicated client holding LISTEN (re-subscribed after a failure, with backoff, for as long as the
 * Db is open; the change feed then re-reads the change counter, since notifications of the gap were lost). Also used to reach a running service's PGlite through its Unix socket, where LISTEN is not
 * offered (the multiplexed socket cannot route notifications to one connection).
 */
import pg from 'pg';
import { mapDbError, type Db, type Queryable, type Row } from './db.ts';

export interface PgDbOptions {
  readonly kind: 'postgres' | 'socket';
  readonly config: pg.PoolConfig;
}

/** Backoff of the LISTEN connection's re-subscription: quick at first, then every 2 s until the server is back. */
const LISTEN_RETRY_MIN_MS = 250;
const LISTEN_RETRY_MAX_MS = 2_000;

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

  /**
   * LISTEN on a dedicated connection. When that connection is lost (the server restarted, the network broke)
   * it is re-established with backoff (250 ms doubling to 2 s) for as long as the Db is open, and LISTEN is
   * issued again; then onResubscribed runs, because notifications sent during the gap were lost.
   */
  async function listen(channel: string, onPayload: (payload: string) => void, onResubscribed?: () => void): Promise<() => Promise<void>> {
    if (options.kind === 'socket') return async () => {};
    let client: pg.Client | null = null;
    let stopped = false;
    let retry: NodeJS.Timeout | null = null;
    let failures = 0;
    const reconnectLater = (): void => {
      if (stopped || closed || retry) return;
      const delay = Math.min(LISTEN_RETRY_MAX_MS, LISTEN_RETRY_MIN_MS * 2 ** Math.min(failures, 8));
      failures++;
      retry = setTimeout(() => {
        retry = null;
        subscribe().then(
          () => {
            failures = 0;
            if (!stopped && !closed) onResubscribed?.();
          },
          () => reconnectLater(),
        );
      }, delay);
      retry.unref();
    };
    const subscribe = async (): Promise<void> => {
      const c = new pg.Client(options.config);
      let established = false;
      let lost = false;
      const onLost = (): void => {
        if (lost) return;
        lost = true;
        listeners.delete(c);
        if (client === c) client = null;
        c.end().catch(() => {});
        if (established) reconnectLater();
      };
      // 'error' alone is not enough: a socket closed without an error (a proxy or the server hanging up) ends it.
      c.on('error', onLost);
      c.on('end', onLost);
      c.on('notification', (n) => {
        if (n.channel === channel) onPayload(n.payload ?? '');
      });
      try {
        await c.connect();
        await c.query(`LISTEN ${quoteIdent(channel)}`);
      } catch (e) {
        onLost();
        throw e;
      }
      if (lost) throw new Error('the LISTEN connection closed while subscribing');
      if (stopped || closed) {
        await c.end().catch(() => {});
        return;
      }
      established = true;
      listeners.add(c);
      client = c;
    };
    await subscribe();
    return async () => {
      stopped = true;
      if (retry) clearTimeout(retry);
      retry = null;
      const c = client;
      client = null;
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
