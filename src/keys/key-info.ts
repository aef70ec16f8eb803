/**
 * Rows → the API's views of a key (KeyInfo, PublicKeysInfo) and the state rule of API.md: the signing version
 * is active; an older one is revoked once revoked (revocation outranks destruction: a revoked version never
 * verifies, even though a destroyed signing key's public half otherwise would), destroyed once destroyed,
 * else retired. Extension: a version newer than the signing one (rotated in with pre-publication, not yet at
 * its signs_from) is pending. Without pre-publication the signing version is the newest, as API.md says.
 */
import { importPublic, publicJwk } from '../crypto/index.ts';
import type { KeyTypeSpec } from '../crypto/types.ts';
import { signingState } from './signing-version.ts';
import type { KeyRow, VersionRow } from './store/key-rows.ts';
import type { KeyInfo, KeyVersionInfo, PublicKeysInfo, PublicKeyVersion, VersionCertificate, VersionState } from './types.ts';

export function stateOf(v: VersionRow, signing: number): VersionState {
  if (v.revoked_at !== null) return 'revoked';
  if (v.destroyed_at !== null) return 'destroyed';
  if (v.version === signing) return 'active';
  return v.version > signing ? 'pending' : 'retired';
}

/** `useCounts` overrides the rows' use_count (the cache's rows are not refreshed by leases). */
export function toKeyInfo(
  k: KeyRow,
  spec: KeyTypeSpec,
  versions: readonly VersionRow[],
  useCounts?: ReadonlyMap<number, number>,
  nowMs: number = Date.now(),
): KeyInfo {
  const { signing, pending } = signingState(versions, nowMs);
  const vs: KeyVersionInfo[] = versions.map((v) => ({
    version: v.version,
    state: stateOf(v, signing),
    created_at: v.created_at,
    ...(v.revoked_at !== null ? { revoked_at: v.revoked_at } : {}),
    ...(v.destroyed_at !== null ? { destroyed_at: v.destroyed_at } : {}),
    ...(spec.purpose === 'encrypt' ? { encryptions: useCounts?.get(v.version) ?? v.use_count } : {}),
    ...(v.external_kid !== null ? { external_kid: v.external_kid } : {}),
    ...(v.certificate !== null ? { certificate: v.certificate as unknown as VersionCertificate } : {}),
  }));
  return {
    name: k.name,
    type: spec.type,
    purpose: spec.purpose,
    latest_version: k.latest_version,
    min_version: k.min_version,
    rotation_period: k.rotation_period,
    next_rotation_at: k.next_rotation_at,
    created_at: k.created_at,
    ...(spec.legacy ? { legacy: true } : {}),
    ...(k.origin === 'imported' ? { origin: 'imported' as const } : {}),
    ...(pending !== null ? { pending_version: pending.version, promotes_at: pending.promotesAt } : {}),
    ...(k.http_signature_policy !== null ? { http_signature_policy: k.http_signature_policy } : {}),
    ...(spec.family === 'ecdsa' ? { low_s_only: k.low_s_only } : {}),
    versions: vs,
  };
}

export function kidOf(name: string, version: number): string {
  return `${name}:v${version}`;
}

/** Public halves of every version of a signing key; jwk where JWK can express the type (not DSA). */
export function toPublicKeys(k: KeyRow, spec: KeyTypeSpec, versions: readonly VersionRow[], nowMs: number = Date.now()): PublicKeysInfo {
  const { signing } = signingState(versions, nowMs);
  const out: PublicKeyVersion[] = [];
  for (const v of versions) {
    if (v.public_pem === null) continue;
    const jwk = publicJwk(spec, importPublic(spec, v.public_pem), kidOf(k.name, v.version));
    out.push({
      version: v.version,
      state: stateOf(v, signing),
      public_key_pem: v.public_pem,
      ...(jwk ? { jwk } : {}),
    });
  }
  return { name: k.name, type: spec.type, ...(k.origin === 'imported' ? { origin: 'imported' as const } : {}), versions: out };
}
