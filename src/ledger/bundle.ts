/**
 * The offline key bundle, `payseal-bundle/1` (API.md "Audit"), built from the store: every signing key with
 * every version's public half, state and dates, so an auditor can check any signature or checkpoint payseal
 * ever made, offline (src/verify/bundle.ts parses exactly this). The ledger key `payseal-ledger` is listed with
 * all its versions, so checkpoints signed before a rotation still verify; `ledger_public_key_pem` is its newest
 * version. Encryption keys have no public half and are left out. Destroyed versions keep their public half (it
 * still verifies); revoked versions are listed as revoked with `revoked_at`.
 */
import { resolveKeyType } from '../crypto/index.ts';
import { stateOf } from '../keys/key-info.ts';
import { signingState } from '../keys/signing-version.ts';
import type { Queryable } from '../keys/store/db.ts';
import { selectAllKeys } from '../keys/store/key-rows.ts';
import type { VersionState } from '../keys/types.ts';
import { LEDGER_KEY_NAME } from './format/checkpoint.ts';

export const BUNDLE_FORMAT = 'payseal-bundle/1';

export interface BundleVersionDoc {
  readonly version: number;
  readonly state: VersionState;
  readonly created_at: string;
  readonly revoked_at?: string;
  readonly public_key_pem: string;
}

export interface BundleDoc {
  readonly format: typeof BUNDLE_FORMAT;
  readonly issued_at: string;
  readonly keys: readonly { readonly name: string; readonly type: string; readonly origin?: 'imported'; readonly min_version: number; readonly versions: readonly BundleVersionDoc[] }[];
  /** The ledger key's newest public half; null only before the ledger key exists (never once a runtime opened). */
  readonly ledger_public_key_pem: string | null;
}

export async function buildBundle(q: Queryable, now: Date = new Date()): Promise<BundleDoc> {
  const { keys, versions } = await selectAllKeys(q);
  const out: BundleDoc['keys'][number][] = [];
  let ledgerPem: string | null = null;
  for (const k of keys) {
    if (resolveKeyType(k.type).purpose !== 'sign') continue;
    const vs: BundleVersionDoc[] = [];
    // The signing version from the stored times (a pre-published version is `pending` until it takes over).
    const { signing } = signingState(versions.filter((v) => v.key === k.name), now.getTime());
    for (const v of versions) {
      if (v.key !== k.name || v.public_pem === null) continue;
      vs.push({
        version: v.version,
        state: stateOf(v, signing),
        created_at: v.created_at,
        ...(v.revoked_at !== null ? { revoked_at: v.revoked_at } : {}),
        public_key_pem: v.public_pem,
      });
      if (k.name === LEDGER_KEY_NAME && v.version === k.latest_version) ledgerPem = v.public_pem;
    }
    if (vs.length > 0) out.push({ name: k.name, type: k.type, ...(k.origin === 'imported' ? { origin: 'imported' as const } : {}), min_version: k.min_version, versions: vs });
  }
  return { format: BUNDLE_FORMAT, issued_at: now.toISOString(), keys: out, ledger_public_key_pem: ledgerPem };
}
