/**
 * Where the service's Unix socket for local CLIs lives, and the check made before it is used. The socket is as
 * good as the directory holding it: whoever can write there can put their own socket in its place (and read
 * what a CLI sends, or answer it), so the directory must be owned by the service's user, mode 0700, and not a
 * symlink, checked by the service before it listens and by the CLI before it connects.
 * Normally <dataDir>/socket/; when that path is too long for sun_path (108 bytes on Linux, 104 on macOS), a
 * private directory made by mkdtemp under the temp dir (random name, created 0700 atomically), never a
 * predictable shared name that another account could create first. Its path is recorded in the lock file.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PaysealError } from '../../../errors.ts';

export const SOCKET_FILE = '.s.PGSQL.5432';
const MAX_SOCKET_PATH = 100;

const octal = (mode: number) => '0' + (mode & 0o777).toString(8).padStart(3, '0');

/** Throws config_invalid unless `dir` is a real directory owned by this user (or, for root, by the data dir's owner), mode 0700. */
export function assertPrivateSocketDir(dir: string, dataDir: string): void {
  if (typeof process.getuid !== 'function') return;
  const st = fs.lstatSync(dir, { throwIfNoEntry: false });
  const uid = process.getuid();
  const owner = fs.statSync(dataDir, { throwIfNoEntry: false })?.uid;
  const problem = !st
    ? 'does not exist'
    : st.isSymbolicLink() || !st.isDirectory()
      ? 'is not a directory'
      : st.uid !== uid && !(uid === 0 && st.uid === owner)
        ? `is owned by uid ${st.uid}, not by this user (uid ${uid})`
        : (st.mode & 0o077) !== 0
          ? `has mode ${octal(st.mode)}, not 0700`
          : null;
  if (problem) {
    throw new PaysealError(
      'config_invalid',
      `the socket directory ${dir} ${problem}: refusing to use it (it must be owned by the service's user, mode 0700; ` +
        'stop the service, remove the directory, and start the service again)',
    );
  }
}

export interface SocketDir {
  readonly socketPath: string;
  /** Removes what was made for the socket (the temp dir); the socket file itself is removed by its server. */
  cleanup(): void;
}

/** Makes (or checks) the private directory for the service's socket. */
export function prepareSocketDir(dataDir: string): SocketDir {
  const inside = path.join(dataDir, 'socket');
  if (path.join(inside, SOCKET_FILE).length <= MAX_SOCKET_PATH) {
    try {
      fs.mkdirSync(inside, { mode: 0o700 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    assertPrivateSocketDir(inside, dataDir);
    return { socketPath: path.join(inside, SOCKET_FILE), cleanup: () => {} };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'payseal-'));
  assertPrivateSocketDir(dir, dataDir);
  return { socketPath: path.join(dir, SOCKET_FILE), cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
