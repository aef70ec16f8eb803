/**
 * Polling for effects that arrive asynchronously (another replica's cache, the rotation scheduler). Deadlines
 * are generous on purpose: they catch "never", not "slow", on a loaded 2-core CI machine.
 */

/** True as soon as `check` holds; false once `ms` have passed without it. */
export async function eventually(ms: number, check: () => Promise<boolean>, everyMs = 25): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Resolves once `check` holds; throws naming `what` after 20 s. */
export async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  if (!(await eventually(20_000, check, 50))) throw new Error(`timed out waiting for ${what}`);
}
