/**
 * Configuration: read from the environment once, validated, then passed around as a plain object.
 * Nothing else in payseal reads process.env. Secrets (KEK, admin token) are held only as far as start-up
 * needs them and are never logged.
 */
import path from 'node:path';
import { PaysealError } from './errors.ts';
import { MAX_TOKEN_LENGTH, MIN_ADMIN_TOKEN_LENGTH, TOKEN_PATTERN } from './grammar.ts';

export interface Config {
  readonly host: string;
  readonly port: number;
  /** PostgreSQL connection string; null means embedded PostgreSQL (PGlite) in dataDir. */
  readonly databaseUrl: string | null;
  readonly dataDir: string;
  /** Whether PAYSEAL_DATA_DIR was set (else dataDir is ./data of the working directory); for messages. */
  readonly dataDirFromEnv?: boolean;
  /** PAYSEAL_KEK, base64 of 32 bytes, as given (decoded and checked by src/keys/kek/kek.ts). */
  readonly kekBase64: string | null;
  /** PAYSEAL_KEK_FILE: path of a file holding the base64 KEK. */
  readonly kekFile: string | null;
  /**
   * PAYSEAL_KEK_PREVIOUS / PAYSEAL_KEK_PREVIOUS_FILE: during a KEK rotation, the outgoing KEK, accepted for
   * unwrapping only (src/keys/kek/load.ts). Optional so hand-built configs need not name them.
   */
  readonly kekPreviousBase64?: string | null;
  readonly kekPreviousFile?: string | null;
  /** PAYSEAL_ADMIN_TOKEN: bootstrap token with scope admin, checked against the bearer token grammar at load. */
  readonly adminToken: string | null;
  /**
   * Requests per second allowed per client and replica; 0 turns rate limiting off. PAYSEAL_RATE_LIMIT_RPS.
   * Default: off in embedded mode (one machine, one operator), DEFAULT_RATE_LIMIT_RPS with DATABASE_URL, so a
   * runaway or compromised client cannot starve the others of a shared deployment unless someone chose that.
   */
  readonly rateLimitRps: number;
  /** Burst size of the per-client token bucket. PAYSEAL_RATE_LIMIT_BURST. */
  readonly rateLimitBurst: number;
  /** pino level: PAYSEAL_LOG_LEVEL. */
  readonly logLevel: string;
  /** How often (ms) each process re-reads the change counter, in addition to LISTEN/NOTIFY. */
  readonly cacheRefreshMs: number;
  /**
   * PAYSEAL_ROTATION_CHECK_SECONDS: how often the service looks for keys due for scheduled rotation (one
   * replica per round, under an advisory lock); 0 turns the in-service scheduler off (cron only). Default 60.
   * Optional so hand-built configs need not name it.
   */
  readonly rotationCheckSeconds?: number;
  /**
   * PAYSEAL_ROTATION_PUBLISH_FIRST_SECONDS: scheduled rotations of signing keys publish the new version at once
   * and let it sign only this many seconds later, so verifiers with a cached JWK Set never meet an unknown kid
   * (docs/keys.md). Default 0 (signs at once); at most 30 days. Optional so hand-built configs need not name it.
   */
  readonly rotationPublishFirstSeconds?: number;
  /**
   * PAYSEAL_WORKERS: how many service processes share the listening port (node:cluster); 1 runs no cluster.
   * null (unset) means one per usable core (src/api/cluster/worker-count.ts). Embedded mode always runs one,
   * since PGlite's data dir belongs to a single process. Optional so hand-built configs need not name it.
   */
  readonly workers?: number | null;
  /**
   * Ledger checkpoints (DESIGN.md "The ledger"): PAYSEAL_LEDGER_CHECKPOINT_EVERY signs the head at every seq that
   * is a multiple of it (default 1000, across all replicas); PAYSEAL_LEDGER_CHECKPOINT_SECONDS signs the head
   * that often when entries arrived since the last checkpoint (default 60; 0: only by count). Optional so
   * hand-built configs need not name them.
   */
  readonly ledgerCheckpointEvery?: number;
  readonly ledgerCheckpointSeconds?: number;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Per client and replica: far above one microservice's steady signing rate, far below what starves the others. */
export const DEFAULT_RATE_LIMIT_RPS = 1000;

function intFrom(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new PaysealError('config_invalid', `${name} must be a whole number, got ${JSON.stringify(raw)}`);
  const n = Number(raw);
  if (n < min || n > max) throw new PaysealError('config_invalid', `${name} must be between ${min} and ${max}`);
  return n;
}

function nonEmpty(env: Env, name: string): string | null {
  const v = env[name];
  return v === undefined || v.trim() === '' ? null : v.trim();
}

/**
 * A token that breaks the grammar of RFC 6750 §2.1 (b64token) could never arrive in an Authorization header,
 * so the admin client would silently be locked out: refuse it at start. The message never echoes the token.
 */
function adminToken(env: Env): string | null {
  const token = nonEmpty(env, 'PAYSEAL_ADMIN_TOKEN');
  if (token === null) return null;
  if (token.length < MIN_ADMIN_TOKEN_LENGTH || token.length > MAX_TOKEN_LENGTH || !TOKEN_PATTERN.test(token)) {
    const why = /\s/.test(token) ? 'it contains white space' : token.length < MIN_ADMIN_TOKEN_LENGTH || token.length > MAX_TOKEN_LENGTH ? `it has ${token.length} characters` : 'it contains other characters';
    throw new PaysealError(
      'config_invalid',
      `PAYSEAL_ADMIN_TOKEN must be ${MIN_ADMIN_TOKEN_LENGTH} to ${MAX_TOKEN_LENGTH} characters of A-Z a-z 0-9 - . _ ~ + / ` +
        `(optionally ending in =), as a bearer token is sent (RFC 6750 §2.1); ${why}`,
    );
  }
  return token;
}

export function loadConfig(env: Env = process.env): Config {
  const databaseUrl = nonEmpty(env, 'DATABASE_URL');
  return Object.freeze({
    host: nonEmpty(env, 'HOST') ?? '127.0.0.1',
    port: intFrom(env, 'PORT', 8080, 0, 65535),
    databaseUrl,
    dataDir: path.resolve(nonEmpty(env, 'PAYSEAL_DATA_DIR') ?? './data'),
    dataDirFromEnv: nonEmpty(env, 'PAYSEAL_DATA_DIR') !== null,
    kekBase64: nonEmpty(env, 'PAYSEAL_KEK'),
    kekFile: nonEmpty(env, 'PAYSEAL_KEK_FILE'),
    kekPreviousBase64: nonEmpty(env, 'PAYSEAL_KEK_PREVIOUS'),
    kekPreviousFile: nonEmpty(env, 'PAYSEAL_KEK_PREVIOUS_FILE'),
    adminToken: adminToken(env),
    rateLimitRps: intFrom(env, 'PAYSEAL_RATE_LIMIT_RPS', databaseUrl ? DEFAULT_RATE_LIMIT_RPS : 0, 0, 1_000_000),
    rateLimitBurst: intFrom(env, 'PAYSEAL_RATE_LIMIT_BURST', 0, 0, 1_000_000),
    logLevel: nonEmpty(env, 'PAYSEAL_LOG_LEVEL') ?? 'info',
    cacheRefreshMs: intFrom(env, 'PAYSEAL_CACHE_REFRESH_MS', 500, 50, 60_000),
    rotationCheckSeconds: intFrom(env, 'PAYSEAL_ROTATION_CHECK_SECONDS', 60, 0, 86_400),
    rotationPublishFirstSeconds: intFrom(env, 'PAYSEAL_ROTATION_PUBLISH_FIRST_SECONDS', 0, 0, 30 * 86_400),
    workers: nonEmpty(env, 'PAYSEAL_WORKERS') === null ? null : intFrom(env, 'PAYSEAL_WORKERS', 1, 1, 256),
    ledgerCheckpointEvery: intFrom(env, 'PAYSEAL_LEDGER_CHECKPOINT_EVERY', 1000, 1, 1_000_000),
    ledgerCheckpointSeconds: intFrom(env, 'PAYSEAL_LEDGER_CHECKPOINT_SECONDS', 60, 0, 86_400),
  });
}
