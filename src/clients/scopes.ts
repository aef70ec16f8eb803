/**
 * Scopes (API.md "Scopes"): what a client's scopes grant (holdsScope, checked on every /v1 request) and the
 * check made when a client is created (assertScopes), so a typo cannot silently grant nothing (or be read
 * later as something else).
 */
import { PaysealError } from '../errors.ts';

const FIXED = new Set(['admin', 'keys:manage', 'keys:read', 'hash', 'ledger:read']);
const PER_KEY = /^(sign|verify|encrypt|decrypt):(\*|[a-z0-9][a-z0-9._-]{0,63})$/;
const MAX_SCOPES = 256;

export function assertScopes(scopes: unknown): string[] {
  if (!Array.isArray(scopes) || scopes.length === 0 || scopes.length > MAX_SCOPES) {
    throw new PaysealError('invalid_request', `scopes must be a list of 1 to ${MAX_SCOPES} scopes`);
  }
  const out: string[] = [];
  for (const s of scopes) {
    if (typeof s !== 'string' || !(FIXED.has(s) || PER_KEY.test(s))) {
      throw new PaysealError('invalid_request', `unknown scope ${JSON.stringify(typeof s === 'string' ? s.slice(0, 80) : s)}`);
    }
    if (!out.includes(s)) out.push(s);
  }
  return out;
}

/**
 * True when `scopes` grant `required`: `admin` grants everything; `op:<key>` is granted by itself or by `op:*`.
 * Scopes are compared as whole strings, so `sign:pay` never grants `sign:payments`.
 */
export function holdsScope(scopes: readonly string[], required: string): boolean {
  if (scopes.includes('admin') || scopes.includes(required)) return true;
  const colon = required.indexOf(':');
  if (colon < 0) return false;
  const operation = required.slice(0, colon);
  return ['sign', 'verify', 'encrypt', 'decrypt'].includes(operation) && scopes.includes(`${operation}:*`);
}
