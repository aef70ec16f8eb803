/**
 * Reading a runtime's ledger the way an auditor's export does (pages of GET /v1/ledger, concatenated), and
 * checking it with the offline verifier against the runtime's own bundle.
 */
import { createHash } from 'node:crypto';
import { parseLedgerLine } from '../../src/ledger/format/export.ts';
import type { LedgerEntry } from '../../src/ledger/format/entry.ts';
import type { SignedCheckpoint } from '../../src/ledger/format/checkpoint.ts';
import type { Runtime } from '../../src/runtime/types.ts';
import { parseBundle } from '../../src/verify/bundle.ts';
import { verifyLedger, type LedgerVerdict } from '../../src/verify/ledger.ts';

export async function exportText(rt: Pick<Runtime, 'ledger'>, pageSize = 10_000): Promise<string> {
  let text = '';
  for (let next: number | null = 1; next !== null; ) {
    const page = await rt.ledger.page(next, pageSize);
    text += page.lines.join('');
    next = page.next;
  }
  return text;
}

export function linesOf(text: string): { entries: LedgerEntry[]; checkpoints: SignedCheckpoint[] } {
  const entries: LedgerEntry[] = [];
  const checkpoints: SignedCheckpoint[] = [];
  text
    .split('\n')
    .filter((l) => l !== '')
    .forEach((l, i) => {
      const line = parseLedgerLine(l, i + 1);
      if (line.kind === 'entry') entries.push(line.entry);
      else checkpoints.push(line.checkpoint);
    });
  return { entries, checkpoints };
}

export async function ledgerEntries(rt: Pick<Runtime, 'ledger'>): Promise<LedgerEntry[]> {
  return linesOf(await exportText(rt)).entries;
}

/** Checkpoints the head, exports and verifies offline against the runtime's bundle. */
export async function verifyRuntimeLedger(rt: Pick<Runtime, 'ledger'>, message?: string): Promise<LedgerVerdict> {
  await rt.ledger.checkpointHead();
  const bundle = parseBundle(JSON.parse(JSON.stringify(await rt.ledger.bundle())));
  return verifyLedger(bundle, Buffer.from(await exportText(rt)), { message, workers: 0 });
}

export const sha256 = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex');

/** The raw signature bytes of a `payseal:vN:<base64>` value (what a sign entry's output_sha256 covers). */
export const signatureBytes = (versioned: string): Buffer => Buffer.from(versioned.split(':')[2] as string, 'base64');
