/**
 * Opening the embedded store (PGlite in <dataDir>/pgdata) for a role:
 * - service: takes the data-dir lock (waiting for a CLI run that holds it), opens PGlite, serves it on a
 *   Unix socket for local CLIs and records the socket in the lock file;
 * - cli: when a live service's socket answers, talks to it through pg (never opening the files twice);
 *   otherwise takes the lock and opens the files itself, so a service starting meanwhile waits.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PaysealError } from '../../../errors.ts';
import type { Db } from '../db.ts';
import { liveHolder, releaseLock, tryLock, updateLock, type LockInfo } from './data-dir-lock.ts';
import { openPgDb } from '../pg.ts';
import { openPgliteDb } from './pglite.ts';
import { serveSocket } from './socket-serve.ts';

const SOCKET_FILE = '.s.PGSQL.5432';
/** sun_path holds 108 bytes on Linux (104 on macOS); longer data dirs get their socket under the temp dir. */
const MAX_SOCKET_PATH = 100;
const WAIT_MS = 60_000;

export interface EmbeddedStore {
  readonly db: Db;
  /** How the store was reached, for notices and tests. */
  readonly via: 'files' | 'socket';
}

export function pgdataDir(dataDir: string): string {
  return path.join(dataDir, 'pgdata');
}

function socketPathFor(dataDir: string): string {
  const inside = path.join(dataDir, SOCKET_FILE);
  if (inside.length <= MAX_SOCKET_PATH) return inside;
  const dir = path.join(os.tmpdir(), 'payseal-' + crypto.createHash('sha256').update(dataDir).digest('hex').slice(0, 12));
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  return path.join(dir, SOCKET_FILE);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function trySocket(holder: LockInfo): Promise<Db | null> {
  if (holder.role !== 'service' || !holder.socket || !fs.existsSync(holder.socket)) return null;
  const db = openPgDb({
    kind: 'socket',
    config: { host: path.dirname(holder.socket), port: 5432, user: 'postgres', database: 'postgres', max: 4, connectionTimeoutMillis: 3000 },
  });
  try {
    await db.query('SELECT 1');
    return db;
  } catch {
    await db.close().catch(() => {});
    return null;
  }
}

function busy(dataDir: string, holder: LockInfo): PaysealError {
  return new PaysealError(
    'unavailable',
    `the embedded store in ${dataDir} is held by another payseal process (pid ${holder.pid}, ${holder.role})`,
  );
}

export async function openEmbedded(dataDir: string, role: 'service' | 'cli'): Promise<EmbeddedStore & { close(): Promise<void> }> {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const me: LockInfo = { pid: process.pid, role, started_at: new Date().toISOString() };
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const holder = role === 'cli' ? liveHolder(dataDir) : null;
    if (holder) {
      const db = await trySocket(holder);
      if (db) return { db, via: 'socket', close: () => db.close() };
    }
    const blocker = tryLock(dataDir, me);
    if (!blocker) break;
    if (role === 'service' && blocker.role === 'service' && blocker.pid !== -1) throw busy(dataDir, blocker);
    if (Date.now() > deadline) throw busy(dataDir, blocker);
    await sleep(100);
  }
  try {
    const db = await openPgliteDb(pgdataDir(dataDir));
    if (role === 'cli') {
      return { db, via: 'files', close: async () => { await db.close(); releaseLock(dataDir); } };
    }
    const socket = await serveSocket(db, socketPathFor(dataDir));
    updateLock(dataDir, { ...me, socket: socket.path });
    return {
      db,
      via: 'files',
      async close() {
        await socket.stop().catch(() => {});
        await db.close();
        releaseLock(dataDir);
      },
    };
  } catch (e) {
    releaseLock(dataDir);
    throw e;
  }
}
