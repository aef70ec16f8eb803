/**
 * POST /v1/hash: a digest of the decoded input with one of API.md's hashes (SHA-2 per FIPS 180-4, SHA-3 per
 * FIPS 202), as hex or base64. Needs no key.
 */
import { z } from 'zod';
import { HASHES, decodeBase64Strict, digest, encodeBase64, parseHashName } from '../../crypto/index.ts';
import { base64Field } from './schemas.ts';

export const hashRequestSchema = z.strictObject({
  input: base64Field('the bytes to hash'),
  algorithm: z.string().nullable().optional().meta({ description: `one of ${HASHES.join(', ')}; default sha2-256` }),
  format: z.enum(['hex', 'base64']).nullable().optional(),
});

export function hashInput(request: z.infer<typeof hashRequestSchema>): { digest: string } {
  const name = parseHashName(request.algorithm ?? 'sha2-256');
  const bytes = digest(name, decodeBase64Strict(request.input, 'input'));
  return { digest: request.format === 'base64' ? encodeBase64(bytes) : bytes.toString('hex') };
}
