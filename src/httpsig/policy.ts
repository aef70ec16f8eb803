/**
 * The verification policy of RFC 9421 §1.4 ("an application … MUST specify"): which components must be
 * covered, the `tag` expected, how old `created` may be, whether `expires` is required, whether a `nonce` is
 * required (and consumed, so a replay is refused), and, for RSA keys, which of the two registered algorithms the
 * partner uses when its signatures name no `alg`. A key may store one (PATCH /v1/keys/{name}); a request may add
 * its own. Merging only tightens: a caller with verify:<key> cannot loosen what keys:manage set.
 */
import { z } from 'zod';
import { HTTP_SIGNATURE_ALGS, type HttpSignatureAlg } from '../crypto/index.ts';
import { PaysealError } from '../errors.ts';
import { CONSUME_WINDOW_SECONDS } from '../messages/index.ts';
import { ComponentError, parseComponentId } from './components.ts';

export const policySchema = z
  .strictObject({
    required_components: z.array(z.string().min(1).max(200)).max(64).optional().meta({ description: 'component identifiers every accepted signature must cover, e.g. "@method", "content-digest", "@query-param;name=\\"id\\""' }),
    tag: z.string().min(1).max(200).optional().meta({ description: 'the tag parameter every accepted signature must carry' }),
    max_age_seconds: z.number().int().min(0).max(CONSUME_WINDOW_SECONDS).optional().meta({ description: 'refuse signatures whose created is older (created then required)' }),
    require_created: z.boolean().optional(),
    require_expires: z.boolean().optional(),
    require_nonce: z.boolean().optional().meta({ description: 'a nonce is required and consumed: a second use is replayed' }),
    algorithm: z.enum(HTTP_SIGNATURE_ALGS).optional().meta({ description: 'the only algorithm accepted (RSA keys: the one used when a signature names no alg)' }),
  })
  .meta({ description: 'RFC 9421 verification policy (docs/partners.md)' });

export type HttpSignaturePolicy = z.infer<typeof policySchema>;

export interface EffectivePolicy {
  /** Serialized identifiers (components.ts), compared with a signature's. */
  readonly requiredComponents: readonly string[];
  readonly tag: string | null;
  readonly maxAgeSeconds: number | null;
  readonly requireCreated: boolean;
  readonly requireExpires: boolean;
  readonly requireNonce: boolean;
  readonly algorithm: HttpSignatureAlg | null;
}

function conflict(what: string): PaysealError {
  return new PaysealError('invalid_request', `policy: ${what} differs from the key's stored policy; a request may only add to it`);
}

/** Checks a policy a caller gave (or a stored one); invalid_request when malformed. Returns it typed. */
export function parsePolicy(value: unknown, where = 'policy'): HttpSignaturePolicy {
  const r = policySchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new PaysealError('invalid_request', `${where}${issue?.path.length ? `.${issue.path.join('.')}` : ''}: ${issue?.message ?? 'invalid'}`);
  }
  for (const id of r.data.required_components ?? []) {
    try {
      parseComponentId(id);
    } catch (e) {
      if (e instanceof ComponentError) throw new PaysealError('invalid_request', `${where}.required_components: ${e.message}`);
      throw e;
    }
  }
  return r.data;
}

/** The key's policy tightened by the request's. */
export function mergePolicies(stored: HttpSignaturePolicy | null, request: HttpSignaturePolicy | null): EffectivePolicy {
  const k = stored ?? {};
  const r = request ?? {};
  if (k.tag !== undefined && r.tag !== undefined && k.tag !== r.tag) throw conflict('tag');
  if (k.algorithm !== undefined && r.algorithm !== undefined && k.algorithm !== r.algorithm) throw conflict('algorithm');
  const ages = [k.max_age_seconds, r.max_age_seconds].filter((a): a is number => a !== undefined);
  const ids = [...(k.required_components ?? []), ...(r.required_components ?? [])].map((id) => parseComponentId(id).id);
  return {
    requiredComponents: [...new Set(ids)],
    tag: k.tag ?? r.tag ?? null,
    maxAgeSeconds: ages.length > 0 ? Math.min(...ages) : null,
    requireCreated: Boolean(k.require_created || r.require_created),
    requireExpires: Boolean(k.require_expires || r.require_expires),
    requireNonce: Boolean(k.require_nonce || r.require_nonce),
    algorithm: k.algorithm ?? r.algorithm ?? null,
  };
}
