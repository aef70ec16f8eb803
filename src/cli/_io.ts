/**
 * The CLI's edges: where output goes, who the actor is, how failures become exit codes
 * (0 ok, 1 the operation failed, 2 usage error) and the one error line format `error: <code>: <message>`.
 */
import os from 'node:os';
import { PaysealError } from '../errors.ts';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** True when stderr is a terminal (progress lines redraw in place). */
  readonly tty: boolean;
  /** True when a person can answer a question (stdin and stderr are terminals). */
  readonly interactive?: boolean;
  /** Asks `question` on the terminal and resolves the line typed. */
  readonly ask?: (question: string) => Promise<string>;
}

/** A wrong command line, detected by us rather than by commander: exit 2. */
export class UsageError extends Error {}

/** The person at the terminal did not confirm an irreversible step: nothing changed, exit 1. */
export class Declined extends Error {}

export function cliActor(): string {
  let user: string;
  try {
    user = os.userInfo().username;
  } catch {
    user = `uid${process.getuid?.() ?? 'unknown'}`;
  }
  return `cli:${user}`;
}

export function errorLine(e: unknown): string {
  if (e instanceof PaysealError) return `error: ${e.code}: ${e.message}\n`;
  if (e instanceof UsageError) return `error: usage: ${e.message}\n`;
  if (e instanceof Declined) return `error: declined: ${e.message}\n`;
  // Our own code never puts key material or tokens in messages; driver messages name tables and constraints.
  return `error: internal: ${e instanceof Error ? e.message : 'unexpected failure'}\n`;
}

/** Usage errors, and a command pointed at no store (it says where it looked), are exit 2; the rest exit 1. */
export function exitCodeOf(e: unknown): number {
  return e instanceof UsageError || (e instanceof PaysealError && e.code === 'store_not_found') ? EXIT_USAGE : EXIT_FAILED;
}

export function json(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}
