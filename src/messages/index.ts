/**
 * src/messages: payment messages as JOSE objects, independent of the store. A later phase wires them to
 * KeyService (key lookups), the ledger and the HTTP routes. Every export is listed by name.
 */
export { canonicalMessageBytes, readCanonicalPayload } from './canonical.ts';
export type { CanonicalPayload } from './canonical.ts';
export { formatKid, parseKid } from './kid.ts';
export type { Kid } from './kid.ts';
export { JTI_BYTES, signMessage, unixNow } from './sign.ts';
export type { MessageSigningKey, SignMessageOptions, SignedMessage } from './sign.ts';
export { CLOCK_SKEW_SECONDS, CONSUME_WINDOW_SECONDS, verifyMessage } from './verify.ts';
export type {
  KeyLookup,
  KeyLookupFailure,
  KeyLookupResult,
  MessageVerificationKey,
  VerifyAnswer,
  VerifyDetail,
  VerifyMessageOptions,
  VerifyReason,
} from './verify.ts';
export type { ReplayGuard } from './replay-guard.ts';
export { signDetached, verifyDetached } from './detached.ts';
export type { DetachedAnswer, DetachedDetail, DetachedReason, DetachedSignature, SignDetachedOptions, VerifyDetachedOptions } from './detached.ts';
export { openMessage, sealJws, sealMessage } from './seal.ts';
export type { MessageEncryptionKey, OpenAnswer, OpenDetail, SealedMessage } from './seal.ts';
