/**
 * ReplayGuard: remembers the `jti` of every payment message consumed (API.md `consume: true`), so that a
 * second consume of the same message is `replayed`, on every replica.
 *
 * Contract:
 * - consume(jti, expiresAt) records `jti` and resolves true if it was not recorded before; it resolves false
 *   if it was (a replay). The check and the record are one atomic step (for PostgreSQL: one
 *   INSERT … ON CONFLICT DO NOTHING on a primary key), so two replicas consuming the same jti at once see
 *   exactly one true.
 * - It resolves true only once the record is durable and visible to every replica; when it cannot record
 *   it rejects (PaysealError `unavailable`) rather than resolving true: failing open would let a replay in.
 * - `expiresAt` (unix seconds) is when the record may be deleted. verify.ts passes a time after which the
 *   message is `expired` for every consumer (see CONSUME_WINDOW_SECONDS), so forgetting it then is safe.
 *   A record is never deleted before its expiresAt; a record still present after it still counts.
 * - jti values are 22-character base64url strings (16 random bytes), checked before consume is called.
 */
export interface ReplayGuard {
  consume(jti: string, expiresAt: number): Promise<boolean>;
}
