/**
 * An in-memory ReplayGuard for unit tests of the message verifier: a Map, atomic because JS is
 * single-threaded. The service's guard is PostgreSQL (shared by every replica); this one never leaves a test.
 */
import type { ReplayGuard } from '../../src/messages/index.ts';

export function memoryGuard(): ReplayGuard & { seen: Map<string, number> } {
  const seen = new Map<string, number>();
  return {
    seen,
    async consume(jti, expiresAt) {
      if (seen.has(jti)) return false;
      seen.set(jti, expiresAt);
      return true;
    },
  };
}
