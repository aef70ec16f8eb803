/**
 * Confirmation of irreversible steps (destroying a version, raising min_version): on a terminal the CLI says
 * what will happen and asks for the key's name to be typed back (a plain "y" is too easy to give by reflex);
 * scripts pass --yes. Without a terminal and without --yes the command refuses (exit 2) rather than guess.
 */
import { Declined, UsageError, type CliIo } from './_io.ts';

export async function confirmIrreversible(io: CliIo, yes: boolean | undefined, what: string, keyName: string): Promise<void> {
  if (yes) return;
  if (!io.interactive || !io.ask) {
    throw new UsageError(`${what}: this cannot be undone, and there is no terminal to confirm on: pass --yes to confirm`);
  }
  const answer = await io.ask(`${what}. This cannot be undone.\nType the key name (${keyName}) to confirm: `);
  if (answer.trim() !== keyName) throw new Declined('not confirmed; nothing was changed');
}
