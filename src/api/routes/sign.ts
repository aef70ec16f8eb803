/**
 * POST /v1/keys/{name}/sign (sign:name): raw signatures with the newest version, single or batch. The route
 * parses and decodes; src/keys/operations/sign.ts signs and records every signature in the ledger before it
 * is returned (a batch: one entry per signed item, one append). When the ledger cannot be written the answer
 * is 503 `unavailable` and no signature is returned; the ledger key answers 403 `key_reserved`.
 */
import { z } from 'zod';
import { decodeBase64Strict } from '../../crypto/index.ts';
import { isPaysealError } from '../../errors.ts';
import type { SignItem } from '../../keys/operations/sign.ts';
import { parseWith } from '../route.ts';
import type { Slot } from './_batch.ts';
import { operationRoute, withDefaults, type BatchDefaults } from './_operation.ts';
import { base64Field, signOptionFields } from './_schemas.ts';

export const signItemSchema = z.strictObject({ input: base64Field('the bytes to sign'), ...signOptionFields });

function parseItem(raw: unknown, defaults: BatchDefaults, prefix: string): SignItem {
  const item = parseWith(signItemSchema, raw, prefix);
  return { input: decodeBase64Strict(item.input, `${prefix}input`), options: withDefaults(item, defaults) };
}

export const signRoute = operationRoute({
  verb: 'sign',
  summary: 'Sign with the newest version (recorded in the ledger before it is returned)',
  scopes: (name) => [`sign:${name}`],
  item: signItemSchema,
  shared: signOptionFields,
  result: z.object({ signature: z.string(), key_version: z.number().int() }),
  errors: {
    400: { description: 'invalid_request, unsupported_algorithm, key_type_mismatch' },
    403: { description: 'forbidden (scope), key_reserved (the ledger key payseal-ledger signs checkpoints only)' },
    404: { description: 'key_not_found' },
    409: { description: 'key_corrupt: the stored private key failed to unwrap (tamper evidence)' },
  },
  async open(deps, name, actor) {
    const signer = await deps.runtime.keys.signer(name, actor);
    return {
      spec: signer.spec,
      async run(raw, defaults, prefix, schedule) {
        const item = parseItem(raw, defaults, prefix);
        return signer.sign(item.input, item.options, schedule);
      },
      async runAll(items, defaults, schedule) {
        // Bad items get their error in their slot; the rest are signed and recorded together.
        const parsed = items.map((raw, i): SignItem | Slot<never> => {
          try {
            return parseItem(raw, defaults, `batch_input.${i}.`);
          } catch (e) {
            if (isPaysealError(e)) return e.toBody();
            throw e;
          }
        });
        const good = parsed.filter((p): p is SignItem => 'input' in p);
        const signed = await signer.signAll(good, schedule);
        let at = 0;
        return parsed.map((p) => {
          if (!('input' in p)) return p;
          const r = signed[at++]!;
          return isPaysealError(r) ? r.toBody() : r;
        });
      },
    };
  },
});
