/**
 * The stable error code a call fails with, for tests that assert on codes rather than messages (STYLE rule 7).
 * Anything thrown that is not a PaysealError is reported as such, so a test expecting a code fails loudly
 * instead of passing on an accidental TypeError.
 */
import { isPaysealError } from '../../src/errors.ts';

function describeFailure(e: unknown): string {
  return isPaysealError(e) ? e.code : `non-PaysealError: ${String(e)}`;
}

/** The code `fn` throws, or 'no error'. */
export function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return describeFailure(e);
  }
  return 'no error';
}

/** The code `fn` throws or rejects with (`fn` may be a promise already made), or 'no error'. */
export async function codeOfAsync(fn: (() => unknown) | Promise<unknown>): Promise<string> {
  try {
    await (typeof fn === 'function' ? fn() : fn);
  } catch (e) {
    return describeFailure(e);
  }
  return 'no error';
}
