/**
 * Audit routes (API.md "Audit: bundle and ledger"):
 * - GET /v1/bundle (keys:read): the offline key bundle `payseal-bundle/1`, every signing key with every version's
 *   public half (the ledger key payseal-ledger included, with all its versions, so old checkpoints verify).
 * - GET /v1/ledger?from=<seq>&limit=<n> (ledger:read): the ledger as JSON lines (`application/x-ndjson`), the
 *   entries from seq `from` (default 1) in seq order, at most `limit` (default 1000, at most 10000), each
 *   checkpoint line right after the entry it signs. When more entries follow, the answer carries
 *   `Payseal-Next-From: <seq>` and `Link: </v1/ledger?from=<seq>&limit=<n>>; rel="next"` (RFC 8288); the last
 *   page has neither. Concatenating the pages from seq 1 gives the export `payseal ledger verify` reads.
 */
import { z } from 'zod';
import { MAX_PAGE } from '../../ledger/page.ts';
import { defineRoute, type AnyRouteDef } from '../route.ts';

export const DEFAULT_PAGE = 1000;
export const NEXT_FROM_HEADER = 'Payseal-Next-From';
export const NDJSON = 'application/x-ndjson';

const seqText = z.string().regex(/^[1-9][0-9]{0,15}$/, 'a positive whole number');
const ledgerQuery = z.strictObject({
  from: seqText.optional().meta({ description: 'first seq to return (default 1)' }),
  limit: seqText.optional().meta({ description: `entries per page, 1-${MAX_PAGE} (default ${DEFAULT_PAGE})` }),
});

const bundleVersion = z.object({
  version: z.number().int(),
  state: z.enum(['active', 'retired', 'revoked', 'destroyed']),
  created_at: z.string(),
  revoked_at: z.string().optional(),
  public_key_pem: z.string(),
});
const bundleDoc = z.object({
  format: z.literal('payseal-bundle/1'),
  issued_at: z.string(),
  keys: z.array(z.object({ name: z.string(), type: z.string(), min_version: z.number().int(), versions: z.array(bundleVersion) })),
  ledger_public_key_pem: z.string().nullable(),
});

export const ledgerRoutes: AnyRouteDef[] = [
  defineRoute({
    method: 'get',
    path: '/v1/bundle',
    summary: 'The offline key bundle: public halves of every signing key version, the ledger key included',
    scopes: () => ['keys:read'],
    responses: { 200: { description: 'payseal-bundle/1', schema: bundleDoc } },
    async handle({ deps }) {
      return { json: await deps.runtime.ledger.bundle() };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/v1/ledger',
    summary: 'A page of the hash-chained ledger as JSON lines: entries from seq `from` and their checkpoints',
    scopes: () => ['ledger:read'],
    query: ledgerQuery,
    responses: {
      200: {
        description: 'one JSON object per line: entries ({seq, ts, actor, op, key, key_version, input_sha256, output_sha256, prev, hash}) and checkpoints ({checkpoint, signature}); empty past the head',
        contentType: NDJSON,
        headers: {
          [NEXT_FROM_HEADER]: 'the `from` of the next page; absent on the last page',
          Link: 'rel="next": the next page (RFC 8288); absent on the last page',
        },
      },
    },
    async handle({ query, deps }) {
      const from = query.from === undefined ? 1 : Number(query.from);
      const limit = query.limit === undefined ? DEFAULT_PAGE : Number(query.limit);
      const page = await deps.runtime.ledger.page(from, limit);
      const headers: Record<string, string> = page.next === null ? {} : { [NEXT_FROM_HEADER]: String(page.next), Link: `</v1/ledger?from=${page.next}&limit=${limit}>; rel="next"` };
      return { text: page.lines.join(''), contentType: NDJSON, headers };
    },
  }),
];
