/**
 * The ledger export: JSON lines (one JSON object per line, UTF-8, `\n`-terminated), what `GET /v1/ledger`
 * answers and `payseal ledger export` writes, and what `payseal ledger verify` reads.
 *
 * - An entry line is the entry object itself, members in the order seq, ts, actor, op, key, key_version,
 *   input_sha256, output_sha256, prev, hash.
 * - A checkpoint line is `{"checkpoint": {seq, hash, ts, key, key_version}, "signature": "payseal:vN:..."}`;
 *   it is told apart from an entry by its `checkpoint` member (an entry never has one).
 * - Entries appear in seq order, starting at seq 1 for a complete export; a checkpoint line comes right after
 *   the entry whose seq it names (a verifier matches checkpoints to entries by seq, not by position).
 */
import { PaysealError } from '../../errors.ts';
import { parseSignedCheckpoint, type ParsedCheckpoint, type SignedCheckpoint } from './checkpoint.ts';
import { parseEntry, type LedgerEntry } from './entry.ts';

export type LedgerLine = { readonly kind: 'entry'; readonly entry: LedgerEntry } | { readonly kind: 'checkpoint'; readonly checkpoint: ParsedCheckpoint };

/**
 * Written out member by member (a batch sign formats a thousand at once): equal to JSON.stringify of the entry
 * with its members in the order above, which test/ledger-entry.test.ts checks on random entries.
 */
export function formatEntryLine(e: LedgerEntry): string {
  const j = JSON.stringify;
  return (
    `{"seq":${j(e.seq)},"ts":${j(e.ts)},"actor":${j(e.actor)},"op":${j(e.op)},"key":${j(e.key)},"key_version":${j(e.key_version)},` +
    `"input_sha256":${j(e.input_sha256)},"output_sha256":${j(e.output_sha256)},"prev":${j(e.prev)},"hash":${j(e.hash)}}`
  );
}

export function formatCheckpointLine(c: SignedCheckpoint): string {
  const cp = c.checkpoint;
  return JSON.stringify({ checkpoint: { seq: cp.seq, hash: cp.hash, ts: cp.ts, key: cp.key, key_version: cp.key_version }, signature: c.signature });
}

/** Entries and checkpoints interleaved as the export lays them out, each line ending in `\n`. */
export function* exportLines(entries: Iterable<LedgerEntry>, checkpoints: readonly SignedCheckpoint[]): Generator<string> {
  const bySeq = new Map<number, SignedCheckpoint[]>();
  for (const c of checkpoints) bySeq.set(c.checkpoint.seq, [...(bySeq.get(c.checkpoint.seq) ?? []), c]);
  for (const e of entries) {
    yield formatEntryLine(e) + '\n';
    for (const c of bySeq.get(e.seq) ?? []) yield formatCheckpointLine(c) + '\n';
  }
}

/** One line of an export; invalid_request naming the line for anything that is not an entry or a checkpoint. */
export function parseLedgerLine(text: string, lineNumber: number): LedgerLine {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new PaysealError('invalid_request', `line ${lineNumber}: not JSON`);
  }
  try {
    if (typeof value === 'object' && value !== null && Object.hasOwn(value, 'checkpoint')) {
      return { kind: 'checkpoint', checkpoint: parseSignedCheckpoint(value) };
    }
    return { kind: 'entry', entry: parseEntry(value) };
  } catch (e) {
    throw new PaysealError('invalid_request', `line ${lineNumber}: ${e instanceof Error ? e.message : String(e)}`);
  }
}
