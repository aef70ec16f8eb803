/**
 * The embedded data dir on disk: the service creates it private (0700) and warns when an existing one is wider
 * (other accounts could list it, and read whatever a wider umask left readable); an administrative command
 * never creates one: with no store where it looked, it says where that was (store_not_found, exit 2), so a CLI
 * run from the wrong directory cannot silently start a second, empty store with its own KEK.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PaysealError } from '../../../errors.ts';

const octal = (mode: number) => '0' + (mode & 0o777).toString(8).padStart(3, '0');

/** Creates `dataDir` with mode 0700 if missing; returns warnings about an existing one. */
export function ensureDataDir(dataDir: string): string[] {
  const st = fs.statSync(dataDir, { throwIfNoEntry: false });
  if (!st) {
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    return [];
  }
  if (!st.isDirectory()) throw new PaysealError('config_invalid', `PAYSEAL_DATA_DIR ${dataDir} is not a directory`);
  if ((st.mode & 0o077) !== 0) {
    return [
      `WARNING: the data dir ${dataDir} has mode ${octal(st.mode)}: other accounts can look inside. ` +
        `Run chmod 700 ${dataDir} (payseal creates it 0700).`,
    ];
  }
  return [];
}

/** True when `dataDir` holds an embedded store (an initialised PGlite data directory). */
export function storeExists(dataDir: string): boolean {
  return fs.existsSync(path.join(dataDir, 'pgdata', 'PG_VERSION'));
}

/**
 * For administrative commands: throws store_not_found, naming where it looked and why there, unless
 * `dataDir` holds a store.
 */
export function assertStoreExists(dataDir: string, fromEnv: boolean): void {
  if (storeExists(dataDir)) return;
  const why = fromEnv ? 'PAYSEAL_DATA_DIR' : `PAYSEAL_DATA_DIR is not set, so ./data under ${process.cwd()}`;
  throw new PaysealError(
    'store_not_found',
    `no payseal store in ${dataDir} (${why}); nothing was created. Set PAYSEAL_DATA_DIR to the service's data dir, ` +
      'or DATABASE_URL for PostgreSQL (only `payseal serve` creates a store)',
  );
}
