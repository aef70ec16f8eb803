/**
 * The append-only change log (key_events) and the change counter. Every mutation, in its own transaction,
 * writes one event naming its actor and bumps the counter with a NOTIFY, which PostgreSQL delivers only on
 * commit: other processes never see a change announced that did not happen.
 */
import type { Queryable } from './db.ts';

export interface KeyEvent {
  readonly actor: string;
  /** key_create, key_rotate, key_configure, key_revoke, key_destroy, client_create, client_remove, client_admin, kek_rotate */
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
