/**
 * src/ledger: the hash-chained signing ledger (entry format, digests per op, checkpoints, JSON-lines export,
 * the group-committing appender and the store interface it writes through). Every export is listed by name.
 */
export { LEDGER_OPS, GENESIS_PREV, chainEntries, checkDraft, entryHash, entryHashInput, parseEntry } from './entry.ts';
export type { ChainHead, LedgerDraft, LedgerEntry, LedgerOp } from './entry.ts';
export {
  clientCreateDigests,
  keyConfigureDigests,
  keyCreateDigests,
  keyRotateDigests,
  messageDigests,
  publicKeyDigest,
  sha256Hex,
  signDigests,
} from './digests.ts';
export type { EntryDigests } from './digests.ts';
export { CHECKPOINT_FORMAT, LEDGER_KEY_NAME, checkpointSigningBytes, parseSignedCheckpoint, signCheckpoint } from './checkpoint.ts';
export type { Checkpoint, LedgerSigningKey, ParsedCheckpoint, SignedCheckpoint } from './checkpoint.ts';
export { exportLines, formatCheckpointLine, formatEntryLine, parseLedgerLine } from './export.ts';
export type { LedgerLine } from './export.ts';
export { MAX_PAGE, readLedgerPage } from './page.ts';
export type { LedgerPage } from './page.ts';
export type { LedgerReader, LedgerStore } from './ledger-store.ts';
export { LedgerAppender } from './appender.ts';
export type { AppenderOptions } from './appender.ts';
