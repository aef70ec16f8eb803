/**
 * Where a process gets its KEKs: PAYSEAL_KEK or PAYSEAL_KEK_FILE (one of them), plus optionally the outgoing
 * KEK during a rotation (PAYSEAL_KEK_PREVIOUS or PAYSEAL_KEK_PREVIOUS_FILE). In embedded mode with no KEK
 * configured, one is generated into <dataDir>/kek (mode 0600) with a loud notice: a KEK stored beside the data
 * protects nothing against someone who copies the directory. With DATABASE_URL, a missing KEK refuses start.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../../config.ts';
import { PaysealError } from '../../errors.ts';
import { generateKekText, parseKek, readKekFile, type Kek, type KekRing } from './kek.ts';

export interface LoadedKeks {
  readonly ring: KekRing;
  readonly notices: readonly string[];
}

function one(b64: string | null | undefined, file: string | null | undefined, envName: string): Kek | null {
  if (b64 && file) throw new PaysealError('config_invalid', `set ${envName} or ${envName}_FILE, not both`);
  if (b64) return parseKek(b64, envName);
  if (file) return readKekFile(file, `${envName}_FILE`);
  return null;
}

export function embeddedKekPath(config: Config): string {
  return path.join(config.dataDir, 'kek');
}

export function loadKeks(config: Config): LoadedKeks {
  const notices: string[] = [];
  let current = one(config.kekBase64, config.kekFile, 'PAYSEAL_KEK');
  if (!current) {
    if (config.databaseUrl !== null) {
      throw new PaysealError(
        'kek_missing',
        'DATABASE_URL is set but no KEK is: set PAYSEAL_KEK (standard base64 of 32 random bytes) or PAYSEAL_KEK_FILE (a file holding it)',
      );
    }
    const file = embeddedKekPath(config);
    fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    try {
      fs.writeFileSync(file, generateKekText() + '\n', { mode: 0o600, flag: 'wx' });
      notices.push(
        `WARNING: no PAYSEAL_KEK or PAYSEAL_KEK_FILE was set, so a NEW key-encryption key was generated into ${file} (mode 0600). ` +
          'Anyone who copies the data dir can now unwrap every private key: move the KEK to a secret store, back it up, and set PAYSEAL_KEK_FILE.',
      );
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      notices.push(
        `WARNING: using the key-encryption key stored inside the data dir (${file}). ` +
          'Move it to a secret store and set PAYSEAL_KEK_FILE so a copy of the data dir alone does not expose the private keys.',
      );
    }
    current = readKekFile(file, 'embedded KEK');
  }
  const previous = one(config.kekPreviousBase64, config.kekPreviousFile, 'PAYSEAL_KEK_PREVIOUS');
  if (previous && previous.id === current.id) {
    throw new PaysealError('config_invalid', 'PAYSEAL_KEK_PREVIOUS is the same KEK as PAYSEAL_KEK');
  }
  if (previous) notices.push(`KEK rotation mode: wrapping under KEK ${current.id}, still accepting KEK ${previous.id}`);
  return { ring: { current, previous: previous ? [previous] : [] }, notices };
}
