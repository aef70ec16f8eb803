/**
 * A key's recorded history (`payseal keys history NAME`): every change made to it, oldest first, with who made
 * it, when, what it was and, for irreversible steps, the reason given. Read from the append-only key_events
 * log that every mutation writes in its own transaction (store/events.ts).
 */
import { PaysealError } from '../errors.ts';
import { assertKeyName } from '../grammar.ts';
import type { Queryable } from './store/db.ts';
import { selectKeyEvents } from './store/events.ts';
import { selectKey } from './store/key-rows.ts';

export interface KeyHistoryEvent {
  readonly ts: string;
  readonly actor: string;
  /** key_create, key_rotate, key_configure, key_revoke, key_destroy. */
  readonly op: string;
  readonly version: number | null;
  /** What changed (key_configure: min_version, rotation_period; key_create: type…), without the reason. */
  readonly detail: Readonly<Record<string, unknown>>;
  readonly reason: string | null;
}

export async function keyHistory(q: Queryable, name: string): Promise<KeyHistoryEvent[]> {
  assertKeyName(name);
  if (!(await selectKey(q, name))) throw new PaysealError('key_not_found', `key ${name} does not exist`);
  return (await selectKeyEvents(q, name)).map((e) => {
    const { reason, ...detail } = e.detail;
    return { ts: e.ts, actor: e.actor, op: e.op, version: e.version, detail, reason: typeof reason === 'string' ? reason : null };
  });
}
