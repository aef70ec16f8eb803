/**
 * The `kid` of a payment message: "<key name>:v<N>" (API.md "Payment messages"; STYLE rule 10: every output
 * names its key and version). One spelling per (name, version): the name pattern of API.md "Keys", versions
 * 1..2^31-1 without leading zeros, so a kid can never be re-spelled to dodge a per-version check.
 */
import { decodeProtectedHeader } from '../crypto/index.ts';
import { MAX_VERSION, NAME_SOURCE, VERSION_DIGITS_SOURCE } from '../grammar.ts';

const KID = new RegExp(`^(${NAME_SOURCE}):v(${VERSION_DIGITS_SOURCE})$`);

export interface Kid {
  readonly name: string;
  readonly version: number;
}

export function formatKid(name: string, version: number): string {
  const kid = `${name}:v${version}`;
  if (parseKid(kid) === null) throw new RangeError('key name or version out of range');
  return kid;
}

/** The key name and version a kid names, or null when it is not exactly of the form name:vN. */
export function parseKid(kid: unknown): Kid | null {
  if (typeof kid !== 'string') return null;
  const m = KID.exec(kid);
  if (m === null) return null;
  const version = Number(m[2]);
  return version > MAX_VERSION ? null : { name: m[1] as string, version };
}

/**
 * The kid in the protected header of a compact JWS or JWE (its first part), read before anything else so the
 * caller's scopes for that key can be checked before any lookup. Null when the header or kid is unreadable:
 * the full parser then answers `malformed` without touching a key.
 */
export function peekKid(compact: unknown): Kid | null {
  if (typeof compact !== 'string') return null;
  const dot = compact.indexOf('.');
  if (dot <= 0) return null;
  try {
    return parseKid(decodeProtectedHeader(compact.slice(0, dot)).kid);
  } catch {
    return null;
  }
}
