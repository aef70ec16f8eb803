/**
 * The append-only change log (key_events) and the change counter. Every mutation, in its own transaction,
 * writes one event naming its actor and bumps the counter with a NOTIFY, which PostgreSQL delivers only on
 * commit: other processes never see a change announced that did not happen.
 */
import { isoOrNull, type Queryable } from './db.ts';

export interface KeyEvent {
  readonly actor: string;
  /**
   * key_create, key_rotate, key_configure, key_revoke, key_destroy, client_create, client_remove,
   * client_rotate_token, client_admin, kek_rotate. Irreversible steps may carry detail.reason.
   */
  readonly op: string;
  readonly key?: string | null;
  readonly version?: number | null;
  readonly detail?: Readonly<Record<string, unknown>>;
}

export async function recordEvent(q: Queryable, e: KeyEvent): Promise<void> {
  await q.query('INSERT INTO key_events (actor, op, key, version, detail) VALUES ($1, $2, $3, $4, $5::jsonb)', [
    e.actor,
    e.op,
    e.key ?? null,
    e.version ?? null,
    JSON.stringify(e.detail ?? {}),
  ]);
}

export interface StoredKeyEvent {
  readonly id: number;
  readonly ts: string;
  readonly actor: string;
  readonly op: string;
  readonly version: number | null;
  readonly detail: Readonly<Record<string, unknown>>;
}

/** Every event recorded about key `key`, oldest first. */
export async function selectKeyEvents(q: Queryable, key: string): Promise<StoredKeyEvent[]> {
  const rows = await q.query<{ id: string; ts: unknown; actor: string; op: string; version: number | null; detail: unknown }>(
    'SELECT id::text AS id, ts, actor, op, version, detail FROM key_events WHERE key = $1 ORDER BY key_events.id',
    [key],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    ts: isoOrNull(r.ts) ?? '',
    actor: r.actor,
    op: r.op,
    version: r.version,
    detail: (typeof r.detail === 'string' ? JSON.parse(r.detail) : r.detail ?? {}) as Record<string, unknown>,
  }));
}

export async function bumpChangeCounter(q: Queryable, channel: string): Promise<number> {
  const rows = await q.query<{ value: string }>('UPDATE change_counter SET value = value + 1 RETURNING value::text AS value');
  const value = Number(rows[0]?.value ?? 0);
  await q.query('SELECT pg_notify($1, $2)', [channel, String(value)]);
  return value;
}

export async function readChangeCounter(q: Queryable): Promise<number> {
  const rows = await q.query<{ value: string }>('SELECT value::text AS value FROM change_counter');
  return Number(rows[0]?.value ?? 0);
}

/** NOTIFY channel per schema, so isolated test schemas on one server (and tenants) never hear each other. */
export async function changeChannel(q: Queryable): Promise<string> {
  const rows = await q.query<{ s: string }>('SELECT current_schema() AS s');
  const schema = (rows[0]?.s ?? 'public').toLowerCase().replace(/[^a-z0-9_]/g, '_');
  return `payseal_changes_${schema}`.slice(0, 63);
}
