/**
 * One ledger entry and its hash: the pure format shared by the appender, the store that will chain entries in
 * SQL, the export and the offline verifier (src/verify), which is why nothing here touches I/O.
 *
 * An entry is `{seq, ts, actor, op, key, key_version, input_sha256, output_sha256, prev, hash}` (API.md "Audit").
 * Every member is always present; an absent value is JSON `null`, never a missing member, so an entry has one
 * canonical form. The hash is
 *
 *     hash = SHA-256( prev_bytes ‖ UTF-8( JCS(entry without "hash") ) )
 *
 * where prev_bytes are the 32 raw bytes of the previous entry's hash (32 zero bytes before seq 1), JCS is RFC
 * 8785, and "entry without hash" keeps the other nine members, `prev` included as lowercase hex. Hashes and
 * digests travel as 64 lowercase hex characters. Because each entry carries its own `prev`, every hash can be
 * recomputed independently (in parallel); the link check `prev == hash of seq-1` is then a plain comparison.
 */
import { createHash } from 'node:crypto';
import { PaysealError } from '../../errors.ts';
import { MAX_VERSION, isName } from '../../grammar.ts';

export const LEDGER_OPS = [
  'sign',
  'message.sign',
  'seal',
  'key.create',
  'key.rotate',
  'key.revoke',
  'key.destroy',
  'key.configure',
  'client.create',
  'client.delete',
] as const;
export type LedgerOp = (typeof LEDGER_OPS)[number];

/** What a caller hands to the appender: an entry before the store gives it seq, prev and hash. */
export interface LedgerDraft {
  /** When the operation happened on its replica: `Date.prototype.toISOString()` form (UTC, milliseconds). */
  readonly ts: string;
  /** Who asked: `client:<name>`, `cli:<os user>`, `system:scheduler`, ... */
  readonly actor: string;
  readonly op: LedgerOp;
  /** The key used or changed; for client.* ops the client's name (the op says which namespace). */
  readonly key: string | null;
  readonly key_version: number | null;
  readonly input_sha256: string | null;
  readonly output_sha256: string | null;
}

export interface LedgerEntry extends LedgerDraft {
  readonly seq: number;
  readonly prev: string;
  readonly hash: string;
}

/** The chain head a new batch links to: the last committed entry, or null for an empty ledger. */
export interface ChainHead {
  readonly seq: number;
  readonly hash: string;
}

/** `prev` of seq 1: 32 zero bytes. */
export const GENESIS_PREV = '0'.repeat(64);

const HEX32 = /^[0-9a-f]{64}$/;
const TS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const MAX_ACTOR = 200;
const MEMBERS = ['seq', 'ts', 'actor', 'op', 'key', 'key_version', 'input_sha256', 'output_sha256', 'prev', 'hash'] as const;

/**
 * JCS (RFC 8785) of the nine hashed members, written out directly in JCS member order (§3.2.3: actor,
 * input_sha256, key, key_version, op, output_sha256, prev, seq, ts). Equal to canonicalJson(body) for every
 * entry (strings serialize as JSON.stringify does, §3.2.2.2; seq and key_version are safe integers, §3.2.2.3),
 * which test/ledger-entry.test.ts checks on random entries; about four times faster, and an auditor's
 * verification hashes every entry.
 */
function entryJcs(e: Omit<LedgerEntry, 'hash'>): string {
  const j = JSON.stringify;
  return (
    `{"actor":${j(e.actor)},"input_sha256":${j(e.input_sha256)},"key":${j(e.key)},"key_version":${j(e.key_version)},"op":${j(e.op)},` +
    `"output_sha256":${j(e.output_sha256)},"prev":${j(e.prev)},"seq":${j(e.seq)},"ts":${j(e.ts)}}`
  );
}

/** The exact bytes hashed into `hash` for an entry (all members but `hash`). */
export function entryHashInput(entry: Omit<LedgerEntry, 'hash'>): Buffer {
  return Buffer.concat([Buffer.from(entry.prev, 'hex'), Buffer.from(entryJcs(entry), 'utf8')]);
}

export function entryHash(entry: Omit<LedgerEntry, 'hash'>): string {
  return createHash('sha256').update(Buffer.from(entry.prev, 'hex')).update(entryJcs(entry), 'utf8').digest('hex');
}

/** Gives drafts their seq, prev and hash after `head`: what a store does inside its append transaction. */
export function chainEntries(head: ChainHead | null, drafts: readonly LedgerDraft[]): LedgerEntry[] {
  let seq = head?.seq ?? 0;
  let prev = head?.hash ?? GENESIS_PREV;
  return drafts.map((d) => {
    const entry = { seq: ++seq, ts: d.ts, actor: d.actor, op: d.op, key: d.key, key_version: d.key_version, input_sha256: d.input_sha256, output_sha256: d.output_sha256, prev, hash: '' };
    entry.hash = entryHash(entry);
    prev = entry.hash;
    return Object.freeze(entry) as LedgerEntry;
  });
}

function bad(what: string): PaysealError {
  return new PaysealError('invalid_request', `ledger entry: ${what}`);
}

function nullableHex(v: unknown, field: string): string | null {
  if (v === null) return null;
  if (typeof v !== 'string' || !HEX32.test(v)) throw bad(`${field} must be null or 64 lowercase hex characters`);
  return v;
}

function nullableVersion(v: unknown): number | null {
  if (v === null) return null;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_VERSION) throw bad('key_version must be null or a positive integer');
  return v;
}

function isOp(v: unknown): v is LedgerOp {
  return typeof v === 'string' && (LEDGER_OPS as readonly string[]).includes(v);
}

/** The members every entry shares with its draft, checked for type and shape (no per-op rules). */
function draftFields(o: Record<string, unknown>): LedgerDraft {
  if (typeof o.ts !== 'string' || !TS.test(o.ts) || Number.isNaN(Date.parse(o.ts))) throw bad('ts must be an ISO 8601 UTC time with milliseconds');
  // Control characters would let an actor forge line breaks in a terminal report.
  if (typeof o.actor !== 'string' || o.actor.length === 0 || o.actor.length > MAX_ACTOR || /[\u0000-\u001f\u007f]/.test(o.actor)) {
    throw bad(`actor must be 1-${MAX_ACTOR} printable characters`);
  }
  if (!isOp(o.op)) throw bad(`op must be one of ${LEDGER_OPS.join(', ')}`);
  if (o.key !== null && (typeof o.key !== 'string' || !isName(o.key))) throw bad('key must be null or a key or client name');
  return {
    ts: o.ts,
    actor: o.actor,
    op: o.op,
    key: o.key as string | null,
    key_version: nullableVersion(o.key_version),
    input_sha256: nullableHex(o.input_sha256, 'input_sha256'),
    output_sha256: nullableHex(o.output_sha256, 'output_sha256'),
  };
}

/** Which members each op must fill (the rest may be null); see docs in digests.ts for what each digest covers. */
const REQUIRED: Readonly<Record<LedgerOp, readonly ('key' | 'key_version' | 'input_sha256' | 'output_sha256')[]>> = Object.assign(
  Object.create(null) as Record<LedgerOp, readonly ('key' | 'key_version' | 'input_sha256' | 'output_sha256')[]>,
  {
    sign: ['key', 'key_version', 'input_sha256', 'output_sha256'],
    'message.sign': ['key', 'key_version', 'input_sha256', 'output_sha256'],
    seal: ['key', 'key_version', 'input_sha256', 'output_sha256'],
    'key.create': ['key', 'key_version'],
    'key.rotate': ['key', 'key_version'],
    'key.revoke': ['key', 'key_version'],
    'key.destroy': ['key', 'key_version'],
    'key.configure': ['key', 'input_sha256'],
    'client.create': ['key', 'input_sha256'],
    'client.delete': ['key'],
  },
);

/** A draft from payseal's own code: shape plus the per-op rules. A failure here is a bug in the caller. */
export function checkDraft(draft: LedgerDraft): LedgerDraft {
  let d: LedgerDraft;
  try {
    d = draftFields(draft as unknown as Record<string, unknown>);
    for (const field of REQUIRED[d.op]) if (d[field] === null) throw bad(`${d.op} needs ${field}`);
  } catch (e) {
    throw new PaysealError('internal', e instanceof Error ? e.message : 'bad ledger draft');
  }
  return Object.freeze(d);
}

/**
 * An entry read from an export: exactly the ten members, each of the right type. Does not check the hash or
 * the per-op rules (a verifier reports a wrong hash by seq; it does not refuse to read the line).
 */
export function parseEntry(value: unknown): LedgerEntry {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('must be a JSON object');
  const o = value as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length !== MEMBERS.length || !MEMBERS.every((m) => Object.hasOwn(o, m))) throw bad(`must have exactly the members ${MEMBERS.join(', ')}`);
  if (typeof o.seq !== 'number' || !Number.isSafeInteger(o.seq) || o.seq < 1) throw bad('seq must be a positive integer');
  if (typeof o.prev !== 'string' || !HEX32.test(o.prev)) throw bad('prev must be 64 lowercase hex characters');
  if (typeof o.hash !== 'string' || !HEX32.test(o.hash)) throw bad('hash must be 64 lowercase hex characters');
  return { seq: o.seq, ...draftFields(o), prev: o.prev, hash: o.hash };
}
