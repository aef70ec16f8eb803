/**
 * The grammar of API.md, in one place: key and client names, version numbers, scopes, rotation periods and
 * bearer tokens. Pure (no I/O): the zod schemas of the routes, the CLI's argument checks, the key and client
 * services and the envelope parser of src/crypto all read these, so a rule is written once. assert* throw
 * PaysealError invalid_request; messages never echo a whole value back.
 */
import { PaysealError } from './errors.ts';

/** Key and client names (API.md "Keys"): 1-64 characters of a-z, 0-9, ".", "_", "-", not starting with a symbol. */
export const NAME_SOURCE = '[a-z0-9][a-z0-9._-]{0,63}';
export const NAME_PATTERN = new RegExp(`^${NAME_SOURCE}$`);

/** Versions are positive 31-bit integers (PostgreSQL integer), written without leading zeros so each has one spelling. */
export const MAX_VERSION = 2 ** 31 - 1;
export const VERSION_DIGITS_SOURCE = '[1-9][0-9]{0,9}';
export const VERSION_DIGITS = new RegExp(`^${VERSION_DIGITS_SOURCE}$`);

/** Scopes (API.md "Scopes"): the fixed ones, and <operation>:<key name or *> for the per-key operations. */
export const FIXED_SCOPES: readonly string[] = Object.freeze(['admin', 'keys:manage', 'keys:read', 'hash', 'ledger:read']);
export const PER_KEY_OPERATIONS = ['sign', 'verify', 'encrypt', 'decrypt'] as const;
export const SCOPE_PATTERN = new RegExp(`^(${FIXED_SCOPES.join('|')}|(${PER_KEY_OPERATIONS.join('|')}):(\\*|${NAME_SOURCE}))$`);
export const MAX_SCOPES = 256;

/** Bearer tokens (RFC 6750 §2.1 b64token), bounded: anything longer is not a token payseal issued or accepts. */
export const MAX_TOKEN_LENGTH = 512;
export const MIN_ADMIN_TOKEN_LENGTH = 16;
export const BEARER_HEADER = new RegExp(`^Bearer +([A-Za-z0-9\\-._~+/]{1,${MAX_TOKEN_LENGTH}}=*) *$`, 'i');

/** Rotation periods: "90d", "12h", "30m"; at most ten years (anything longer is a typo). */
const PERIOD = /^([1-9][0-9]{0,4})([dhm])$/;
const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000 } as const;
const MAX_PERIOD_MS = 3650 * UNIT_MS.d;

export function isName(value: unknown): value is string {
  return typeof value === 'string' && NAME_PATTERN.test(value);
}

export function assertKeyName(name: unknown): string {
  if (!isName(name)) {
    throw new PaysealError('invalid_request', 'a key name is 1-64 characters of a-z, 0-9, ".", "_", "-", starting with a letter or digit');
  }
  return name;
}

export function assertClientName(name: unknown): string {
  if (!isName(name)) {
    throw new PaysealError('invalid_request', 'a client name is 1-64 characters of a-z, 0-9, ".", "_", "-", starting with a letter or digit');
  }
  return name;
}

export function isVersion(version: unknown): version is number {
  return typeof version === 'number' && Number.isSafeInteger(version) && version >= 1 && version <= MAX_VERSION;
}

export function assertVersion(version: unknown): number {
  if (!isVersion(version)) throw new PaysealError('invalid_request', 'a key version is a whole number from 1');
  return version;
}

export function isScope(scope: unknown): scope is string {
  return typeof scope === 'string' && SCOPE_PATTERN.test(scope);
}

/** "90d", "12h", "30m" → milliseconds; null → null (no scheduled rotation). */
export function parseRotationPeriod(period: unknown): number | null {
  if (period === null) return null;
  const m = typeof period === 'string' ? PERIOD.exec(period) : null;
  if (!m) throw new PaysealError('invalid_request', 'rotation_period must be like "90d", "12h" or "30m", or null');
  const ms = Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  if (ms > MAX_PERIOD_MS) throw new PaysealError('invalid_request', 'rotation_period must be at most 3650d');
  return ms;
}
