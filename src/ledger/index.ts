/**
 * src/ledger: the hash-chained signing ledger (entry format, digests per op, checkpoints, JSON-lines export,
 * the group-committing appender and the store interface it writes through). Every export is listed by name.
 */
export { LEDGER_OPS, GENESIS_PREV, chainEntries, checkDraft, entryHash, entryHashInput, parseEntry } from './format/entry.ts';
export type { ChainHead, LedgerDraft, LedgerEntry, LedgerOp } from './format/entry.ts';
export {
  clientCreateDigests,
  keyConfigureDigests,
  keyCreateDigests,
  keyRotateDigests,
  messageDigests,
  publicKeyDigest,
  sha256Hex,
  signDigests,
} from './format/digests.ts';
export type { EntryDigests } from './format/digests.ts';
export { CHECKPOINT_FORMAT, LEDGER_KEY_NAME, checkpointSigningBytes, parseSignedCheckpoint, signCheckpoint } from './format/checkpoint.ts';
export type { Checkpoint, LedgerSigningKey, ParsedCheckpoint, SignedCheckpoint } from './format/checkpoint.ts';
export { exportLines, formatCheckpointLine, formatEntryLine, parseLedgerLine } from './format/export.ts';
export type { LedgerLine } from './format/export.ts';
export { MAX_PAGE, readLedgerPage } from './page.ts';
export type { LedgerPage } from './page.ts';
export type { LedgerReader, LedgerStore } from './ledger-store.ts';
export { LedgerAppender } from './appender.ts';
export type { AppenderOptions } from './appender.ts';
