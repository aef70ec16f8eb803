/**
 * What a process (the service or the CLI) gets once the store is open, migrated and the KEK checked.
 * Implemented by src/keys/runtime.ts (openRuntime).
 */
import type { Config } from '../config.ts';
import type { KekRotateOptions, KekRotateResult } from './kek-rotate.ts';
import type { Db } from './store/db.ts';
import type { ClientService, KeyService } from './types.ts';

export interface Runtime {
  readonly config: Config;
  /** 'postgres' with DATABASE_URL, 'embedded' for PGlite in config.dataDir. */
  readonly mode: 'postgres' | 'embedded';
  readonly keys: KeyService;
  readonly clients: ClientService;
  /** One round trip to the database; throws PaysealError unavailable when it is down. */
  ping(): Promise<void>;
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
  /** Id (fingerprint) of the KEK that wraps new keys. Never the KEK itself. */
  readonly kekId: string;
  /** Re-wraps every private key under the KEK given as base64 (payseal kek rotate); resumable. */
  rotateKek(newKekBase64: string, options: KekRotateOptions): Promise<KekRotateResult>;
}

export interface RuntimeOptions {
  /** 'service' serves the embedded store to other local processes (the CLI); 'cli' connects to it if one runs. */
  readonly role: 'service' | 'cli';
}
