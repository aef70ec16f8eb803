/**
 * The shapes of names and rotation periods (API.md "Keys"): checked at the boundary of every KeyService
 * and ClientService call so nothing else ever sees an unchecked one.
 */
import { PaysealError } from '../errors.ts';

const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export function assertKeyName(name: unknown): string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new PaysealError('invalid_request', 'a key name is 1-64 characters of a-z, 0-9, ".", "_", "-", starting with a letter or digit');
  }
  return name;
}

export function assertClientName(name: unknown): string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new PaysealError('invalid_request', 'a client name is 1-64 characters of a-z, 0-9, ".", "_", "-", starting with a letter or digit');
  }
  return name;
}

export function assertVersion(version: unknown): number {
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1 || version > 2_147_483_647) {
    throw new PaysealError('invalid_request', 'a key version is a whole number from 1');
  }
  return version;
}

const PERIOD = /^([1-9][0-9]{0,4})([dhm])$/;
const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000 } as const;
/** Ten years: anything longer is a typo, and keeps timestamps far from overflow. */
const MAX_PERIOD_MS = 3650 * UNIT_MS.d;

/** "90d", "12h", "30m" → milliseconds; null → null (no scheduled rotation). */
export function parseRotationPeriod(period: unknown): number | null {
  if (period === null) return null;
  const m = typeof period === 'string' ? PERIOD.exec(period) : null;
  if (!m) throw new PaysealError('invalid_request', 'rotation_period must be like "90d", "12h" or "30m", or null');
  const ms = Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  if (ms > MAX_PERIOD_MS) throw new PaysealError('invalid_request', 'rotation_period must be at most 3650d');
  return ms;
}
