/**
 * Runs the real `payseal` command (node bin/payseal.js) as a child process, asynchronously so a service
 * runtime in the test process keeps answering on its socket meanwhile.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import type { Config } from '../../src/config.ts';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const BIN = path.join(ROOT, 'bin/payseal.js');

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The environment a staff member would set for this store (DATABASE_URL or PAYSEAL_DATA_DIR, KEK). */
export function envFor(config: Config, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', PAYSEAL_DATA_DIR: config.dataDir };
  if (config.databaseUrl) env.DATABASE_URL = config.databaseUrl;
  if (config.kekBase64) env.PAYSEAL_KEK = config.kekBase64;
  return { ...env, ...extra };
}

export function runFile(file: string, args: readonly string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(file === BIN ? process.execPath : file, file === BIN ? [BIN, ...args] : [...args], { env, cwd: ROOT, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

export function payseal(args: readonly string[], env: Record<string, string>): Promise<CliResult> {
  return runFile(BIN, args, env);
}
