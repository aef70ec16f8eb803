/**
 * API clients as types: ClientService (clients, their bearer tokens and scopes), which the API's authentication
 * and client routes call. The implementation is service.ts.
 */
import type { Actor } from '../keys/types.ts';

export interface ClientInfo {
  readonly name: string;
  readonly scopes: readonly string[];
  readonly created_at: string;
}

export interface AuthenticatedClient {
  readonly name: string;
  readonly scopes: readonly string[];
}

export interface ClientService {
  /** Returns the token once; only its SHA-256 is stored. Throws client_exists, invalid_request. */
  create(name: string, scopes: readonly string[], actor: Actor): Promise<ClientInfo & { token: string }>;
  list(): Promise<ClientInfo[]>;
  /** Throws client_not_found. The token stops working on every process within a second. */
  remove(name: string, actor: Actor): Promise<void>;
  /** Looks the token's SHA-256 up (cached), compares in constant time; null when unknown. */
  authenticate(token: string): Promise<AuthenticatedClient | null>;
  /** Makes sure a client named `admin` with scope admin exists and holds this token (PAYSEAL_ADMIN_TOKEN). */
  ensureAdmin(token: string, actor: Actor): Promise<void>;
  /** True when no client exists yet (first start). */
  isEmpty(): Promise<boolean>;
}
