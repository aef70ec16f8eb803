/**
 * Which version signs, computed from stored times only (Tink's add → propagate → promote): a version rotated
 * in with pre-publication is in the JWK Set, the public keys and the bundle from the moment it exists, and takes
 * over signing at its `signs_from`. The signing version at instant t is the highest version whose signs_from
 * is null (signs from creation) or ≤ t. That set only grows with t, so the signing version never goes back,
 * and every replica (and the CLI) that reads the same rows agrees, to within their clocks' skew, with no
 * timer and no announcement at promotion time.
 * Versions above the signing version are `pending`. Revocation does not change the answer: the signing
 * version can be neither revoked nor destroyed (revoke.ts), nor a pending one (it is the newest).
 */
import type { VersionRow } from './store/key-rows.ts';

export interface SigningState {
  /** The version that signs at `now` (for an imported key: the newest, which verifies as `active`). */
  readonly signing: number;
  /** The newest version waiting for its signs_from, if any, and when it takes over. */
  readonly pending: { readonly version: number; readonly promotesAt: string } | null;
  /** Epoch ms at which the answer next changes (the earliest pending signs_from), or null: never by itself. */
  readonly validUntil: number | null;
}

export function signingState(versions: Iterable<VersionRow>, nowMs: number): SigningState {
  let signing = 0;
  const waiting: VersionRow[] = [];
  for (const v of versions) {
    const from = v.signs_from === null ? null : Date.parse(v.signs_from);
    if (from === null || from <= nowMs) signing = Math.max(signing, v.version);
    else waiting.push(v);
  }
  const pendingRows = waiting.filter((v) => v.version > signing);
  if (pendingRows.length === 0) return { signing, pending: null, validUntil: null };
  const newest = pendingRows.reduce((a, b) => (b.version > a.version ? b : a));
  const validUntil = Math.min(...pendingRows.map((v) => Date.parse(v.signs_from as string)));
  return { signing, pending: { version: newest.version, promotesAt: newest.signs_from as string }, validUntil };
}
