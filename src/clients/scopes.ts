/**
 * Scopes (API.md "Scopes"): what a client's scopes grant (holdsScope, checked on every /v1 request) and the
 * check made when a client is created (assertScopes), so a typo cannot silently grant nothing (or be read
 * later as something else).
 */
import { PaysealError } from '../errors.ts';
import { MAX_SCOPES, PER_KEY_OPERATIONS, isScope } from '../grammar.ts';

export function assertScopes(scopes: unknown): string[] {
  if (!Array.isArray(scopes) || scopes.length === 0 || scopes.length > MAX_SCOPES) {
    throw new PaysealError('invalid_request', `scopes must be a list of 1 to ${MAX_SCOPES} scopes`);
  }
  const out: string[] = [];
  for (const s of scopes) {
    if (!isScope(s)) {
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
  return (PER_KEY_OPERATIONS as readonly string[]).includes(operation) && scopes.includes(`${operation}:*`);
}
