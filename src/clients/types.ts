/**
 * API clients as types: ClientService (clients, their bearer tokens and scopes), which the API's authentication
 * and client routes and the `payseal clients` commands call. The implementation is service.ts.
 */
import type { Actor } from '../keys/types.ts';

export interface ClientInfo {
  readonly name: string;
  readonly scopes: readonly string[];
  readonly created_at: string;
  /** Extension: when the token stops working (ISO 8601), or null for a token that does not expire. */
  readonly expires_at: string | null;
}

/** A token, shown this once (only its SHA-256 is stored). */
export interface IssuedClient extends ClientInfo {
  readonly token: string;
  /**
   * Keys named by per-key scopes (`sign:<key>`…) that do not exist (yet): flagged, not refused, so a client can
   * be set up before its keys; empty when every named key exists.
   */
  readonly unknown_keys: readonly string[];
}

export interface AuthenticatedClient {
  readonly name: string;
  readonly scopes: readonly string[];
}

export interface TokenOptions {
  /** "90d", "12h", "30m": the token expires that long after it is issued; null or absent: it does not expire. */
  readonly expiresIn?: string | null;
}

export interface ClientService {
  /** Returns the token once; only its SHA-256 is stored. Throws client_exists, invalid_request. */
  create(name: string, scopes: readonly string[], actor: Actor, options?: TokenOptions): Promise<IssuedClient>;
  list(): Promise<ClientInfo[]>;
  /**
   * Throws client_not_found, and conflict for the last client holding scope admin with a working token (nobody
   * could manage clients any more). The token stops working on every process within a second.
   */
  remove(name: string, actor: Actor): Promise<void>;
  /**
   * A new token for an existing client (shown once); the old one stops working on every process within a second.
   * Without `expiresIn` the new token gets the lifetime the old one was issued with. Throws client_not_found.
   */
  rotateToken(name: string, actor: Actor, options?: TokenOptions): Promise<IssuedClient>;
  /**
   * Looks the token's SHA-256 up (cached), compares in constant time; null when unknown. An expired token throws
   * unauthorized saying so (the code stays unauthorized; the message differs).
   */
  authenticate(token: string): Promise<AuthenticatedClient | null>;
  /** Makes sure a client named `admin` with scope admin exists and holds this token (PAYSEAL_ADMIN_TOKEN). */
  ensureAdmin(token: string, actor: Actor): Promise<void>;
  /** True when no client exists yet (first start). */
  isEmpty(): Promise<boolean>;
}
