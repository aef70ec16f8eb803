/**
 * The store's one database interface, shared by the three backends (pg Pool on DATABASE_URL, in-process
 * PGlite, pg through the service's PGlite socket). Everything above this file speaks plain parameterised SQL
 * that runs unchanged on PostgreSQL and PGlite; rows come back as plain objects.
 */
import { PaysealError } from '../../errors.ts';

export type Row = Record<string, unknown>;

/** What a statement runs on: the database itself, or one open transaction. */
export interface Queryable {
  query<R extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<R[]>;
}

export interface Db extends Queryable {
  readonly kind: 'postgres' | 'pglite' | 'socket';
  /** BEGIN … COMMIT around fn; ROLLBACK when it throws. fn must use `tx`, never the Db itself (deadlock on PGlite). */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * LISTEN on a channel; resolves to an unlisten function. Backends that cannot listen resolve a no-op. A backend
   * whose listening connection can drop (PostgreSQL) re-subscribes by itself and then calls onResubscribed, so
   * the caller can catch up on what the gap lost.
   */
  listen(channel: string, onPayload: (payload: string) => void, onResubscribed?: () => void): Promise<() => Promise<void>>;
  /**
   * Runs fn on one database session held for its whole duration, outside any transaction: what a
   * session-level advisory lock needs. On PGlite, which is a single session shared by every user, fn gets
   * the Db itself (and may open transactions); elsewhere fn must use the given Queryable for the session's
   * own statements and the Db for anything else. A session whose fn threw is discarded, never pooled.
   */
  session<T>(fn: (s: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** SQLSTATE classes that mean "the database is not there", not "the statement is wrong". */
const UNAVAILABLE_CLASSES = ['08', '53', '57'];
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EPIPE', 'ENOENT', 'EHOSTUNREACH']);

/** Maps a driver error to PaysealError unavailable when the database is unreachable; anything else passes through. */
export function mapDbError(e: unknown): unknown {
  if (e instanceof PaysealError) return e;
  const code = (e as { code?: unknown } | null)?.code;
  const message = e instanceof Error ? e.message : String(e);
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code) || UNAVAILABLE_CLASSES.includes(code.slice(0, 2)) && code.length === 5) {
      return new PaysealError('unavailable', 'the database is unavailable', { cause: e });
    }
    return e;
  }
  if (/Connection terminated|connection.*(closed|ended)|Client was closed|Cannot use a pool after|PGlite is clos(ed|ing)/i.test(message)) {
    return new PaysealError('unavailable', 'the database is unavailable', { cause: e });
  }
  return e;
}

/** bytea arrives as Buffer from pg and as Uint8Array from PGlite; the rest of the code wants Buffer. */
export function asBuffer(v: unknown): Buffer {
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  throw new TypeError('expected bytea');
}

/** timestamptz arrives as Date from both drivers; null stays null. */
export function isoOrNull(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  return (v instanceof Date ? v : new Date(String(v))).toISOString();
}
