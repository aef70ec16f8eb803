/**
 * `payseal/client`: the TypeScript client for payment microservices. Runtime dependencies: node built-ins,
 * the global fetch, jose (local JWS verification) and canonicalize (RFC 8785); nothing from the service.
 *
 *   const payseal = new PaysealClient({ baseUrl: process.env.PAYSEAL_URL, token: process.env.PAYSEAL_TOKEN });
 *   const { jws } = await payseal.messages.sign({ key: 'payments', message: { amount: '100.10', currency: 'EUR' } });
 *   const result = await payseal.verifyLocally(jws, { maxAgeSeconds: 300 });
 */
export { PaysealClient } from './client.ts';
export type { PaysealClientOptions } from './client.ts';
export { KeysApi } from './keys.ts';
export { MessagesApi } from './messages.ts';
export { PaysealClientError, isPaysealClientError } from './errors.ts';
export type { PaysealApiErrorCode, PaysealClientErrorCode, PaysealClientErrorInit, PaysealClientOwnCode } from './errors.ts';
export { paysealMiddleware } from './middleware.ts';
export type { MessageVerifier, PaysealMiddlewareOptions, PaysealNext, PaysealRequest, PaysealResponse, VerifiedPaymentMessage } from './middleware.ts';
export type { JwksCacheOptions, VerifyLocallyOptions } from './verify-locally.ts';
export type { RetryPolicy } from './_retry.ts';
export type { FetchLike, RetryListener } from './_transport.ts';
export { isBatchItemError } from './types.ts';
export type {
  ApiErrorBody,
  BatchItemError,
  BatchSlot,
  Binary,
  CiphertextResult,
  CreateKeyRequest,
  DecryptRequest,
  DecryptResult,
  EncryptRequest,
  HashAlgorithm,
  HashRequest,
  HashResult,
  JsonValue,
  JsonWebKeySet,
  KeyInfo,
  KeyType,
  KeyVersionInfo,
  MessageOpenRequest,
  MessageReason,
  MessageSealRequest,
  MessageSealResult,
  MessageSignRequest,
  MessageSignResult,
  MessageVerification,
  MessageVerifyRequest,
  PaysealJwk,
  PublicKeys,
  RewrapRequest,
  RsaPadding,
  SignatureEncoding,
  SignOptions,
  SignRequest,
  SignResult,
  VerifyReason,
  VerifyRequest,
  VerifyResult,
} from './types.ts';
