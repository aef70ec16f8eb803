/**
 * Where a process gets its KEKs: PAYSEAL_KEK or PAYSEAL_KEK_FILE (one of them), plus optionally the outgoing
 * KEK during a rotation (PAYSEAL_KEK_PREVIOUS or PAYSEAL_KEK_PREVIOUS_FILE). In embedded mode with no KEK
 * configured, the data dir's own <dataDir>/kek is used ("self-managed"): the service generates it on first start
 * (mode 0600, with a loud notice: a KEK stored beside the data protects nothing against someone who copies the
 * directory), and a staged <dataDir>/kek.next of an unfinished KEK rotation is held beside it. The CLI never
 * generates a KEK: it would not match the store's. With DATABASE_URL, a missing KEK refuses start.
 * Every KEK file must be private to its user (files.ts).
 */
import fs from 'node:fs';
import type { Config } from '../../config.ts';
import { PaysealError } from '../../errors.ts';
import { embeddedKekPath, readPrivateKek, readStagedKek } from './files.ts';
import { generateKekText, parseKek, type Kek } from './kek.ts';
import { LiveKekRing } from './ring.ts';

export interface LoadedKeks {
  readonly ring: LiveKekRing;
  readonly notices: readonly string[];
  /** True when the KEK is the data dir's own (embedded mode, no KEK configured): KEK rotation installs into it. */
  readonly selfManaged: boolean;
}

function one(b64: string | null | undefined, file: string | null | undefined, envName: string): Kek | null {
  if (b64 && file) throw new PaysealError('config_invalid', `set ${envName} or ${envName}_FILE, not both`);
  if (b64) return parseKek(b64, envName);
  if (file) return readPrivateKek(file, `${envName}_FILE`);
  return null;
}

function dataDirKek(config: Config, role: 'service' | 'cli', notices: string[]): Kek {
  const file = embeddedKekPath(config.dataDir);
  if (role === 'cli' && !fs.existsSync(file)) {
    throw new PaysealError(
      'kek_missing',
      `no KEK: PAYSEAL_KEK and PAYSEAL_KEK_FILE are not set and ${file} does not exist: give this command the KEK the service uses`,
    );
  }
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
  return readPrivateKek(file, 'embedded KEK');
}

/**
 * `beforeDataDirKek` runs before the data dir's own KEK is read or generated (the runtime checks there that a CLI
 * is pointed at an existing store), after any configured KEK was parsed, so a malformed one is named as such.
 */
export function loadKeks(config: Config, role: 'service' | 'cli' = 'service', beforeDataDirKek?: () => void): LoadedKeks {
  const notices: string[] = [];
  let current = one(config.kekBase64, config.kekFile, 'PAYSEAL_KEK');
  const selfManaged = !current && config.databaseUrl === null;
  if (!current) {
    if (config.databaseUrl !== null) {
      throw new PaysealError(
        'kek_missing',
        'DATABASE_URL is set but no KEK is: set PAYSEAL_KEK (standard base64 of 32 random bytes) or PAYSEAL_KEK_FILE (a file holding it)',
      );
    }
    beforeDataDirKek?.();
    current = dataDirKek(config, role, notices);
  }
  const previous = one(config.kekPreviousBase64, config.kekPreviousFile, 'PAYSEAL_KEK_PREVIOUS');
  if (previous && previous.id === current.id) {
    throw new PaysealError('config_invalid', 'PAYSEAL_KEK_PREVIOUS is the same KEK as PAYSEAL_KEK');
  }
  if (previous) notices.push(`KEK rotation mode: wrapping under KEK ${current.id}, still accepting KEK ${previous.id}`);
  const ring = new LiveKekRing(current, previous ? [previous] : []);
  const staged = selfManaged ? readStagedKek(config.dataDir) : null;
  if (staged && ring.accept(staged)) notices.push(`an unfinished KEK rotation staged KEK ${staged.id} in the data dir: it is held for unwrapping`);
  return { ring, notices, selfManaged };
}
