/**
 * Ownership of an embedded data dir. PGlite's files can be opened by one process only, so the process that
 * opens them (the service, or a CLI run while no service is up) holds <dataDir>/payseal.lock, a JSON file
 * naming its pid, its role and, for the service, the Unix socket where it serves the store to local CLIs.
 * The file is created atomically (written aside, then hard-linked into place, which fails if it exists); a
 * lock whose pid is gone is stale and taken over.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface LockInfo {
  readonly pid: number;
  readonly role: 'service' | 'cli';
  readonly socket?: string;
  readonly started_at: string;
}

export function lockPath(dataDir: string): string {
  return path.join(dataDir, 'payseal.lock');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function readLock(dataDir: string): LockInfo | null {
  try {
    const info = JSON.parse(fs.readFileSync(lockPath(dataDir), 'utf8')) as LockInfo;
    return typeof info.pid === 'number' ? info : null;
  } catch {
    return null;
  }
}

/** The live holder, or null when the dir is free (a stale lock is removed). */
export function liveHolder(dataDir: string): LockInfo | null {
  const info = readLock(dataDir);
  if (info && alive(info.pid)) return info;
  if (fs.existsSync(lockPath(dataDir))) {
    // Unreadable or dead: give a writer in the middle of creating it a moment before calling it stale.
    const age = Date.now() - (fs.statSync(lockPath(dataDir), { throwIfNoEntry: false })?.mtimeMs ?? 0);
    if (info || age > 2000) fs.rmSync(lockPath(dataDir), { force: true });
    else return { pid: -1, role: 'cli', started_at: '' };
  }
  return null;
}

function writeAside(dataDir: string, info: LockInfo): string {
  const tmp = path.join(dataDir, `.payseal.lock.${process.pid}.${crypto.randomBytes(4).toString('hex')}`);
  fs.writeFileSync(tmp, JSON.stringify(info), { mode: 0o600 });
  return tmp;
}

/** Takes the lock if free; returns the live holder otherwise. */
export function tryLock(dataDir: string, info: LockInfo): LockInfo | null {
  for (let attempt = 0; attempt < 3; attempt++) {
    const holder = liveHolder(dataDir);
    if (holder) return holder;
    const tmp = writeAside(dataDir, info);
    try {
      fs.linkSync(tmp, lockPath(dataDir));
      return null;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  }
  return liveHolder(dataDir) ?? { pid: -1, role: 'cli', started_at: '' };
}

/** Rewrites our own lock (e.g. to add the socket path once it listens). */
export function updateLock(dataDir: string, info: LockInfo): void {
  const tmp = writeAside(dataDir, info);
  fs.renameSync(tmp, lockPath(dataDir));
}

export function releaseLock(dataDir: string): void {
  const info = readLock(dataDir);
  if (info && info.pid === process.pid) fs.rmSync(lockPath(dataDir), { force: true });
}
