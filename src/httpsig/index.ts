/**
 * src/httpsig: RFC 9421 HTTP Message Signatures over payseal's keys (generated or imported), with Content-Digest
 * (RFC 9530) and a verification policy. Every export is listed by name.
 */
export { signHttpMessage } from './sign.ts';
export type { SignHttpRequest, SignHttpResult } from './sign.ts';
export { nonceJti, verifyHttpMessage } from './verify.ts';
export type { HttpVerifyReason, VerifyHttpAnswer, VerifyHttpOptions, VerifyHttpRequest } from './verify.ts';
export { mergePolicies, parsePolicy, policySchema } from './policy.ts';
export type { EffectivePolicy, HttpSignaturePolicy } from './policy.ts';
export { DIGEST_ALGORITHMS, checkContentDigest, contentDigest } from './content-digest.ts';
export type { DigestAlgorithm } from './content-digest.ts';
export type { HttpMessageInput } from './message.ts';
