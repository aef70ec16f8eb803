/**
 * Zod pieces shared by several routes: base64 fields, sign options, batches, and the response shapes that the
 * OpenAPI document describes. Base64 is checked strictly (decodeBase64Strict) by the operation itself, so a bad
 * item in a batch fails alone; here a base64 field is only "a string".
 */
import { z } from 'zod';
import { HASHES, KEY_TYPES, RSA_PADDINGS, SIGNATURE_ENCODINGS } from '../../crypto/index.ts';
import { MAX_VERSION, NAME_PATTERN, NAME_SOURCE, VERSION_DIGITS } from '../../grammar.ts';

/** At most 1000 items per batch (API.md "Batches"). */
export const MAX_BATCH_ITEMS = 1000;

export const base64Field = (description: string) => z.string().meta({ description, contentEncoding: 'base64' });

/** Option values are checked by src/crypto (unsupported_algorithm), not here (which would say invalid_request). */
export const signOptionFields = {
  hash: z.string().nullable().optional().meta({ description: `one of ${HASHES.join(', ')}; default: the key type's hash` }),
  rsa_padding: z.string().nullable().optional().meta({ description: `one of ${RSA_PADDINGS.join(', ')}; RSA keys only; default pss` }),
  signature_encoding: z
    .string()
    .nullable()
    .optional()
    .meta({ description: `one of ${SIGNATURE_ENCODINGS.join(', ')}; ECDSA and DSA keys only; default der` }),
};

export const versionedField = (description: string) => z.string().meta({ description: `${description}, "payseal:v<N>:<base64>"` });

/** A batch as parsed: the items are validated one by one, so a bad item gets an error in its slot. */
export function batchEnvelope<T extends z.ZodRawShape>(shared: T) {
  return z.strictObject({ ...shared, batch_input: z.array(z.unknown()).min(1).max(MAX_BATCH_ITEMS) });
}

/** Single request or batch, for the OpenAPI document. */
export function singleOrBatchDoc(item: z.ZodObject, shared: z.ZodRawShape = {}) {
  return z.union([item, z.strictObject({ ...shared, batch_input: z.array(item).min(1).max(MAX_BATCH_ITEMS) })]);
}

export const errorBody = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

export const batchResults = (item: z.ZodType) => z.object({ batch_results: z.array(z.union([item, errorBody])) });

export const keyVersionInfo = z.object({
  version: z.number().int(),
  state: z.enum(['active', 'retired', 'revoked', 'destroyed', 'pending']),
  created_at: z.string(),
  revoked_at: z.string().optional(),
  destroyed_at: z.string().optional(),
  /** Extension, AES keys only: encryptions counted against the version's 2^32 bound (NIST SP 800-38D §8.3). */
  encryptions: z.number().int().optional(),
  /** Extension, imported keys: the partner's own key id; and what a certificate said. */
  external_kid: z.string().optional(),
  certificate: z
    .object({ subject: z.string(), issuer: z.string(), serial: z.string(), not_before: z.string(), not_after: z.string(), fingerprint256: z.string() })
    .optional(),
});

export const keyInfo = z.object({
  name: z.string(),
  type: z.enum(KEY_TYPES),
  purpose: z.enum(['sign', 'encrypt']),
  latest_version: z.number().int(),
  min_version: z.number().int(),
  rotation_period: z.string().nullable(),
  next_rotation_at: z.string().nullable(),
  created_at: z.string(),
  legacy: z.boolean().optional(),
  origin: z.enum(['imported']).optional(),
  pending_version: z.number().int().optional(),
  promotes_at: z.string().optional(),
  http_signature_policy: z.record(z.string(), z.unknown()).optional(),
  /** Extension, ECDSA keys only: verification accepts only low-S signatures in the requested encoding. */
  low_s_only: z.boolean().optional(),
  versions: z.array(keyVersionInfo),
});

/** `{v}` in a path: a positive 31-bit version number written without leading zeros. */
export const versionParam = z
  .string()
  .regex(VERSION_DIGITS, 'version must be a positive integer')
  .transform(Number)
  .refine((n) => n <= MAX_VERSION, 'version is too large');

/** A key or client name in a body (grammar.ts). */
export const nameField = z.string().regex(NAME_PATTERN, `name must match ^${NAME_SOURCE}$`);
