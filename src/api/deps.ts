/**
 * What the HTTP layer is given (AppDeps, from serve.ts or a test) and what its routes see (ApiDeps: the same
 * plus the per-app metrics, the fair queue of crypto work and the OpenAPI document).
 */
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { Runtime } from '../runtime/types.ts';
import type { FairQueue } from './middleware/fair-queue.ts';
import type { ApiMetrics } from './middleware/metrics.ts';

export interface AppDeps {
  readonly runtime: Pick<Runtime, 'keys' | 'clients' | 'messages' | 'ping' | 'ready' | 'ledger'> & { readonly scheduler?: Runtime['scheduler']; readonly replay?: Runtime['replay']; readonly metrics?: Runtime['metrics'] };
  readonly config: Config;
  readonly logger: Logger;
}

export interface ApiDeps extends AppDeps {
  readonly metrics: ApiMetrics;
  /** Schedules every raw-operation item fairly between clients (middleware/fair-queue.ts). */
  readonly cryptoQueue: FairQueue;
  /** The OpenAPI document of the app's own route table (built once, on first request). */
  readonly openapi: () => Record<string, unknown>;
}
