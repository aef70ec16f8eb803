/**
 * The shape shared by the raw-operation routes (sign, verify, encrypt, decrypt, rewrap): authorise per key,
 * open the key once (key_not_found / key_type_mismatch fail the whole request), then run either the single item
 * in the body or each item of `batch_input` (at most 1000; a bad item gets an error in its slot). Shared option
 * fields at the top of a batch are defaults for its items. Every item is counted in the operation metrics (by
 * key, key type and outcome) and timed; every item's crypto runs in its client's turn of the fair queue
 * (middleware/fair-queue.ts).
 */
import { z } from 'zod';
import { isPaysealError } from '../../errors.ts';
import type { CryptoSchedule, SignOptionFields } from '../../keys/operations/sign.ts';
import { runBatch, isErrorSlot, type Slot } from './_batch.ts';
import type { ApiDeps } from '../deps.ts';
import { defineRoute, parseWith, type AnyRouteDef, type ResponseDoc } from '../route.ts';
import { batchEnvelope, batchResults, singleOrBatchDoc } from './_schemas.ts';

/** Batch-wide option fields, already checked against the route's `shared` schema. */
export type BatchDefaults = Readonly<Record<string, unknown>>;

export interface OpenedOperation {
  readonly spec: { readonly type: string };
  /** `schedule` runs the item's crypto in its client's turn of the fair queue (middleware/fair-queue.ts). */
  run(item: unknown, defaults: BatchDefaults, prefix: string, schedule: CryptoSchedule): Promise<unknown>;
  /**
   * A whole batch at once, for operations that must finish their items together (sign: one ledger append for
   * every signature, none returned unless all are recorded). Absent: each item runs on its own (runBatch).
   */
  runAll?(items: readonly unknown[], defaults: BatchDefaults, schedule: CryptoSchedule): Promise<Slot<unknown>[]>;
}

export interface OperationRouteSpec<S extends z.ZodRawShape> {
  readonly verb: 'sign' | 'verify' | 'encrypt' | 'decrypt' | 'rewrap';
  readonly summary: string;
  readonly scopes: (name: string) => readonly string[];
  readonly item: z.ZodObject;
  /** Fields a batch may give once for all its items (sign options); {} when there are none. */
  readonly shared: S;
  readonly result: z.ZodType;
  readonly errors: Readonly<Record<number, ResponseDoc>>;
  /** `actor` ("client:<name>") is who the ledger records for a signature. */
  readonly open: (deps: ApiDeps, name: string, actor: string) => Promise<OpenedOperation>;
}

/** An item's sign options, each falling back to the batch-wide default (API.md "Batches"). */
export function withDefaults(item: SignOptionFields, defaults: BatchDefaults): SignOptionFields {
  return {
    hash: item.hash ?? defaults.hash,
    rsa_padding: item.rsa_padding ?? defaults.rsa_padding,
    signature_encoding: item.signature_encoding ?? defaults.signature_encoding,
  };
}

function outcomeOf(slot: unknown): 'ok' | 'invalid' | 'error' {
  if (typeof slot !== 'object' || slot === null) return 'error';
  if (isErrorSlot(slot as object)) return 'error';
  return (slot as { valid?: unknown }).valid === false ? 'invalid' : 'ok';
}

export function operationRoute<S extends z.ZodRawShape>(spec: OperationRouteSpec<S>): AnyRouteDef {
  const envelope = batchEnvelope(spec.shared);
  return defineRoute({
    method: 'post',
    path: `/v1/keys/:name/${spec.verb}`,
    summary: spec.summary,
    scopes: (params) => spec.scopes(params.name ?? ''),
    body: z.record(z.string(), z.unknown()),
    docBody: singleOrBatchDoc(spec.item, spec.shared),
    responses: { 200: { description: 'the result, or batch_results in order', schema: z.union([spec.result, batchResults(spec.result)]) }, ...spec.errors },
    async handle({ params, body, actor, client, deps }) {
      const name = params.name!;
      // Counted only once the key is found, so a label never carries a name nobody created.
      const operation = await spec.open(deps, name, actor);
      const keyType = operation.spec.type;
      // Each item's crypto waits for its client's turn (fair-queue.ts), singles and batch items alike.
      const lane = client?.name ?? 'anonymous';
      const schedule: CryptoSchedule = (work) => deps.cryptoQueue.run(lane, work);
      const timed = async (item: unknown, defaults: BatchDefaults, prefix: string): Promise<unknown> => {
        const started = performance.now();
        try {
          return await operation.run(item, defaults, prefix, schedule);
        } finally {
          deps.metrics.observeOperationLatency(spec.verb, keyType, (performance.now() - started) / 1000);
        }
      };
      const count = (outcome: ReturnType<typeof outcomeOf>, n = 1) => deps.metrics.observeOperation({ operation: spec.verb, key: name, keyType, outcome, n });
      if (!Object.hasOwn(body, 'batch_input')) {
        try {
          const result = await timed(body, {}, '');
          count(outcomeOf(result));
          return { json: result };
        } catch (e) {
          if (isPaysealError(e)) count('error');
          throw e;
        }
      }
      const { batch_input: items, ...defaults } = parseWith(envelope, body) as { batch_input: unknown[] } & BatchDefaults;
      let results: unknown[];
      if (operation.runAll) {
        // One ledger append for the whole batch: every item finishes together, so each is observed at the mean.
        const started = performance.now();
        results = await operation.runAll(items, defaults, schedule);
        const each = (performance.now() - started) / 1000 / Math.max(1, items.length);
        for (let i = 0; i < items.length; i++) deps.metrics.observeOperationLatency(spec.verb, keyType, each);
      } else {
        results = await runBatch(items, (item, i) => timed(item, defaults, `batch_input.${i}.`));
      }
      // One labelled increment per outcome, not per item (up to 1000 of them).
      const outcomes = new Map<ReturnType<typeof outcomeOf>, number>();
      for (const slot of results) {
        const outcome = outcomeOf(slot);
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }
      for (const [outcome, n] of outcomes) count(outcome, n);
      return { json: { batch_results: results } };
    },
  });
}
