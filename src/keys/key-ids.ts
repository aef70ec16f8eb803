/**
 * How a foreign protocol's key id names a version of a key, and whether an imported certificate is in force.
 * RFC 9421 leaves keyid to the application (§2.3): payseal's own signatures use "<name>:v<N>" (the kid of its
 * JWK Set); a partner names its key its own way, so an imported version also answers to the kid it came with
 * (its JWK `kid`). Only names of the key the caller chose are looked at: a keyid never picks the key.
 */
import { MAX_VERSION, NAME_SOURCE, VERSION_DIGITS_SOURCE } from '../grammar.ts';
import type { VersionRow } from './store/key-rows.ts';

/** "<name>:v<N>", the one spelling of messages/kid.ts (grammar.ts), so a kid cannot be re-spelled. */
const KID = new RegExp(`^(${NAME_SOURCE}):v(${VERSION_DIGITS_SOURCE})$`);

export function versionOfKeyId(name: string, versions: Iterable<VersionRow>, keyid: string): number | null {
  const all = [...versions];
  const m = KID.exec(keyid);
  if (m !== null) {
    const version = Number(m[2]);
    return m[1] === name && version <= MAX_VERSION && all.some((v) => v.version === version) ? version : null;
  }
  const named = all.filter((v) => v.external_kid === keyid).map((v) => v.version);
  return named.length > 0 ? Math.max(...named) : null;
}

/** True while `nowMs` is inside the certificate's not_before..not_after (both inclusive, RFC 5280 §4.1.2.5). */
export function withinValidity(certificate: Readonly<Record<string, string>>, nowMs: number): boolean {
  const from = Date.parse(certificate.not_before ?? '');
  const to = Date.parse(certificate.not_after ?? '');
  return Number.isFinite(from) && Number.isFinite(to) && nowMs >= from && nowMs <= to;
}
