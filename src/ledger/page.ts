/**
 * One page of the ledger export (`GET /v1/ledger?from=&limit=`, `payseal ledger export`): the entries from
 * `from` and the checkpoints that name them, as the JSON lines of export.ts. Reading page after page from
 * seq 1 and concatenating gives the whole export.
 */
import { PaysealError } from '../errors.ts';
import { exportLines } from './format/export.ts';
import type { LedgerReader } from './ledger-store.ts';

export const MAX_PAGE = 10_000;

export interface LedgerPage {
  readonly lines: readonly string[];
  /** The `from` of the next page, null when this page reached the head. */
  readonly next: number | null;
}

export async function readLedgerPage(reader: LedgerReader, from: number, limit: number): Promise<LedgerPage> {
  if (!Number.isSafeInteger(from) || from < 1) throw new PaysealError('invalid_request', 'from must be a positive integer');
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE) throw new PaysealError('invalid_request', `limit must be 1-${MAX_PAGE}`);
  const entries = await reader.entries(from, limit);
  const last = entries.at(-1);
  if (last === undefined) return { lines: [], next: null };
  const checkpoints = await reader.checkpoints(from, last.seq);
  return { lines: [...exportLines(entries, checkpoints)], next: entries.length === limit ? last.seq + 1 : null };
}
