/**
 * KEKs on disk. Two concerns:
 * - Every KEK file payseal reads (PAYSEAL_KEK_FILE, PAYSEAL_KEK_PREVIOUS_FILE, the data dir's kek, the file given
 *   to `kek rotate`) must be private to its user: a KEK that other accounts can read protects nothing, and one
 *   they can write lets them choose the key new versions are wrapped under. Refused otherwise, with the chmod to
 *   run. The one allowance is Kubernetes' way of mounting secrets: a file owned by another user (root) that this
 *   process reads through its group (fsGroup, mode 0440), never group-writable, never readable by others.
 * - In embedded mode with no KEK configured, the service owns <dataDir>/kek. A KEK rotation first stages the new
 *   KEK as <dataDir>/kek.next (so the service and any restart hold it before a row is re-wrapped under it), and
 *   on completion installs it by renaming kek.next over kek. Both writes are atomic: a temp file created 0600,
 *   fsync'd, renamed into place, then the directory fsync'd, so a crash leaves the old file or the new one.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PaysealError } from '../../errors.ts';
import { parseKek, type Kek } from './kek.ts';

export const KEK_FILE = 'kek';
export const STAGED_KEK_FILE = 'kek.next';

export function embeddedKekPath(dataDir: string): string {
  return path.join(dataDir, KEK_FILE);
}

export function stagedKekPath(dataDir: string): string {
  return path.join(dataDir, STAGED_KEK_FILE);
}

const octal = (mode: number) => '0' + (mode & 0o777).toString(8).padStart(3, '0');

/** Throws config_invalid when `file` is readable or writable beyond its owner (see the header for the one allowance). */
export function assertPrivateKekFile(file: string, source: string): void {
  if (typeof process.getuid !== 'function') return; // no POSIX modes (Windows)
  let st: fs.Stats;
  try {
    st = fs.statSync(file); // follows symlinks: Kubernetes mounts secrets as links into ..data/
  } catch (e) {
    throw new PaysealError('config_invalid', `${source}: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const mode = st.mode & 0o777;
  const mine = st.uid === process.getuid();
  const sharedSecretMount = !mine && (mode & 0o020) === 0;
  if ((mode & 0o007) !== 0 || ((mode & 0o070) !== 0 && !sharedSecretMount)) {
    throw new PaysealError(
      'config_invalid',
      `${source}: ${file} is readable or writable by group or others (mode ${octal(mode)}); a KEK file must be private ` +
        `to the user that runs payseal: chmod 600 ${file}`,
    );
  }
}

/** Writes `text` to `file` atomically with mode 0600 (temp file, fsync, rename, fsync of the directory). */
export function writePrivateFileAtomic(file: string, text: string): void {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${crypto.randomBytes(4).toString('hex')}`);
  const fd = fs.openSync(tmp, 'wx', 0o600);
  try {
    fs.writeFileSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  syncDir(dir);
}

function syncDir(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // Some filesystems refuse fsync on a directory; the rename itself is still atomic.
  }
}

/** Reads a KEK file after checking its mode; `source` names it in errors. */
export function readPrivateKek(file: string, source: string): Kek {
  assertPrivateKekFile(file, source);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new PaysealError('config_invalid', `${source}: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return parseKek(text, `${source} (${file})`);
}

/** The KEK staged by an unfinished rotation, or null when none is. */
export function readStagedKek(dataDir: string): Kek | null {
  const file = stagedKekPath(dataDir);
  if (!fs.existsSync(file)) return null;
  return readPrivateKek(file, 'the staged KEK');
}

/**
 * Stages `kek` (given as its base64 text) as <dataDir>/kek.next. Refuses (conflict) when another KEK is staged:
 * rows may already be wrapped under it, and only that file holds it.
 */
export function stageKek(dataDir: string, kek: Kek, text: string): void {
  const staged = readStagedKek(dataDir);
  if (staged && staged.id !== kek.id) {
    throw new PaysealError(
      'conflict',
      `a rotation to KEK ${staged.id} is unfinished (${stagedKekPath(dataDir)}): finish it with that KEK first ` +
        '(`payseal kek rotate --new-kek-file` with a copy of that file)',
    );
  }
  if (!staged) writePrivateFileAtomic(stagedKekPath(dataDir), text.trim() + '\n');
}

/**
 * Makes the staged KEK `id` the data dir's KEK (rename kek.next over kek). True when data/kek now holds `id`
 * (installed now, or before by another process); false when neither file holds it.
 */
export function installStagedKek(dataDir: string, id: string): boolean {
  const staged = (() => {
    try {
      return readStagedKek(dataDir);
    } catch {
      return null;
    }
  })();
  if (staged?.id === id) {
    try {
      fs.renameSync(stagedKekPath(dataDir), embeddedKekPath(dataDir));
      syncDir(dataDir);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e; // installed meanwhile by the other process
    }
  }
  try {
    return parseKek(fs.readFileSync(embeddedKekPath(dataDir), 'utf8'), 'the data dir KEK').id === id;
  } catch {
    return false;
  }
}
