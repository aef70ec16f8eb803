/**
 * What a process (the service or the CLI) gets once the store is open, migrated and the KEK checked.
 * Implemented by src/keys/runtime.ts (openRuntime).
 */
import type { Config } from '../config.ts';
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
}

export interface RuntimeOptions {
  /** 'service' serves the embedded store to other local processes (the CLI); 'cli' connects to it if one runs. */
  readonly role: 'service' | 'cli';
}
