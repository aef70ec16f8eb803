/**
 * What a process (the service or the CLI) gets once the store is open, migrated and the KEK checked.
 * Implemented by open.ts (openRuntime); src/runtime is where the rooms are composed for a process.
 */
import type { Config } from '../config.ts';
import type { KeyLog } from '../keys/_log.ts';
import type { KekRotateOptions, KekRotateResult } from '../keys/kek/rotate.ts';
import type { RotateDueResult } from '../keys/types.ts';
import type { SchedulerStats } from '../keys/rotation-scheduler.ts';
import type { AesUseLimits } from '../keys/use-limit/budget.ts';
import type { Db } from '../keys/store/db.ts';
import type { ClientService } from '../clients/types.ts';
import type { KeyService } from '../keys/types.ts';
import type { ReplayGuard } from '../messages/index.ts';
import type { RuntimeMetrics } from './metrics.ts';
import type { ShutdownHook } from './shutdown.ts';
import type { MessageService } from '../messages/service.ts';
import type { OperationRecorder } from '../keys/recorder.ts';
import type { RuntimeLedger } from './ledger.ts';

export interface Runtime {
  readonly config: Config;
  /** 'postgres' with DATABASE_URL, 'embedded' for PGlite in config.dataDir. */
  readonly mode: 'postgres' | 'embedded';
  readonly keys: KeyService;
  readonly clients: ClientService;
  /** Payment messages (API.md "Payment messages"): sign, verify, seal, open on these keys, recorded by `recorder`, replays refused across replicas. */
  readonly messages: MessageService;
  /**
   * Records signings in the ledger (src/keys/recorder.ts): resolves once durable, `unavailable` otherwise. The
   * key and client services already record through it; the message routes (message.sign, seal) pass it on.
   */
  readonly recorder: OperationRecorder;
  /** The ledger's export, the key bundle and checkpoints (GET /v1/ledger, GET /v1/bundle, the CLI exports). */
  readonly ledger: RuntimeLedger;
  /** One round trip to the database (at most 2 s); throws PaysealError unavailable when it is down or silent. */
  ping(): Promise<void>;
  /** Readiness (/readyz): ping, and kek_retired when a KEK rotation retired every KEK this process holds. */
  ready(): Promise<void>;
  /**
   * Prometheus registries of this process (src/runtime/metrics.ts): `process` for what a room counts (the
   * ledger's batch size and append latency), `store` for gauges read from the database when scraped. /metrics
   * serves both; names are reserved in docs/OPERATIONS.md.
   */
  readonly metrics: RuntimeMetrics;
  /**
   * Registers work to run at close(), after the scheduler stopped and before the store closes (the service
   * calls close() only once its HTTP server drained): the ledger flushes its last batch here. Newest first,
   * each bounded by timeoutMs (default 5 s); a failure is logged and the close goes on.
   */
  onShutdown(name: string, hook: ShutdownHook, timeoutMs?: number): void;
  /** Things the operator must see once at start (a generated KEK and where it lives, warnings). Never secrets. */
  readonly notices: readonly string[];
  close(): Promise<void>;
  /**
   * Added by the keys issue. The store itself (query / transaction / listen), for other rooms that keep
   * their own tables beside the keys (the ledger): one schema, one set of SQL on both backends.
   */
  readonly db: Db;
  /** Embedded mode: 'files' when this process opened the data dir, 'socket' when it reached a running service. */
  readonly via: 'postgres' | 'files' | 'socket';
  /** Id (fingerprint) of the KEK that wraps new keys (it changes when a KEK rotation completes). Never the KEK itself. */
  readonly kekId: string;
  /** Re-wraps every private key under the KEK given as base64 (payseal kek rotate); resumable. */
  rotateKek(newKekBase64: string, options: KekRotateOptions): Promise<KekRotateResult>;
  /**
   * The in-service rotation scheduler (src/keys/rotation-scheduler.ts), or null when this runtime runs none (the CLI,
   * or PAYSEAL_ROTATION_CHECK_SECONDS=0). stats() are counters since start (for /metrics); runOnce() runs a
   * round now and resolves null when another process held the lock.
   */
  readonly scheduler: { stats(): SchedulerStats; runOnce(): Promise<RotateDueResult | null> } | null;
  /**
   * The replay store shared by every replica (messages' `consume`, RFC 9421 nonces), once it is wired (the
   * PostgreSQL ReplayGuard of the messages routes). Absent: a verification that must consume a nonce answers
   * 503 unavailable rather than let a replay through.
   */
  readonly replay?: ReplayGuard;
}

export interface RuntimeOptions {
  /** 'service' serves the embedded store to other local processes (the CLI); 'cli' connects to it if one runs. */
  readonly role: 'service' | 'cli';
  /** Run the rotation scheduler; default: only with role 'service' (and a non-zero config.rotationCheckSeconds). */
  readonly scheduler?: boolean;
  /** The scheduler's interval in ms, overriding config.rotationCheckSeconds (tests). */
  readonly rotationCheckMs?: number;
  /** AES-GCM use accounting bounds; default AES_GCM_USE_LIMITS (2^32, rotate at 2^31, leases of 10,000). Tests lower them. */
  readonly aesUseLimits?: Partial<AesUseLimits>;
  /** Where the scheduler and usage rotations log (the service's pino logger); default JSON lines on stderr. */
  readonly log?: KeyLog;
  /** How often a service announces the KEKs it holds (kek_holders); default 5000 ms. Tests raise it. */
  readonly kekHeartbeatMs?: number;
  /** How often a service replica deletes expired consumed message jtis (ms; default 60,000; 0: never). Tests lower it. */
  readonly replaySweepMs?: number;
  /**
   * BENCHMARK ONLY: 'off' records nothing, for the ledger-off baseline of scripts/bench-server.ts (docs/
   * PERFORMANCE.md). No configuration, environment variable or command reaches it; default 'on'.
   */
  readonly ledger?: 'on' | 'off';
}
