/**
 * Serves the service's in-process PGlite to local processes (the CLI) on a Unix socket, with
 * @electric-sql/pglite-socket's protocol handler. Its stock query queue lets a remote statement run between
 * two statements of an in-process transaction (it only takes PGlite's per-statement mutex), so we give the
 * handlers our own queue: a remote connection owns the SessionLock from its first message until a Sync
 * ('S') or simple Query ('Q') leaves the session outside a transaction block (PostgreSQL protocol §55.2.3).
 */
import net from 'node:net';
import fs from 'node:fs';
import { PGLiteSocketHandler, type PGLiteSocketHandlerOptions } from '@electric-sql/pglite-socket';
import type { PgliteDb } from './pglite.ts';

const PROTOCOL_V3 = 196608;
const MSG_SYNC = 0x53;
const MSG_QUERY = 0x51;
const MSG_TERMINATE = 0x58;

function endsUnitOfWork(message: Uint8Array): boolean {
  const type = message[0];
  if (type === MSG_SYNC || type === MSG_QUERY || type === MSG_TERMINATE) return true;
  // The startup packet has no type byte: int32 length, int32 protocol version.
  return message.length >= 8 && Buffer.from(message.buffer, message.byteOffset, 8).readInt32BE(4) === PROTOCOL_V3;
}

/** Whether PGlite is inside a transaction block; false once it is closed (its WASM module is gone then). */
function inTransaction(pglite: PgliteDb['pglite']): boolean {
  return !pglite.closed && pglite.isInTransaction();
}

class SessionQueue {
  private readonly gone = new Set<number>();
  constructor(private readonly db: PgliteDb) {}

  async enqueue(handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void): Promise<number> {
    const owner = `socket:${handlerId}`;
    const { lock, pglite } = this.db;
    await lock.acquire(owner);
    let bytes = 0;
    try {
      if (this.gone.has(handlerId)) return 0;
      await pglite.runExclusive(() =>
        pglite.execProtocolRawStream(message, {
          onRawData: (d: Uint8Array) => {
            bytes += d.length;
            onData(d);
          },
        }),
      );
    } finally {
      if (this.gone.has(handlerId) || (endsUnitOfWork(message) && !inTransaction(pglite))) lock.release(owner);
    }
    return bytes;
  }

  clearQueueForHandler(handlerId: number): void {
    this.gone.add(handlerId);
  }

  async clearTransactionIfNeeded(handlerId: number): Promise<void> {
    const owner = `socket:${handlerId}`;
    const { lock, pglite } = this.db;
    if (!lock.heldBy(owner)) return;
    // Called by the socket handler when a client goes away, without awaiting: it must never reject.
    try {
      if (inTransaction(pglite)) await pglite.exec('ROLLBACK');
    } catch {
      // PGlite closed between the check and the ROLLBACK (the service stopping): nothing is left to roll back.
    } finally {
      lock.release(owner);
    }
  }
}

export interface SocketServer {
  readonly path: string;
  stop(): Promise<void>;
}

/** Listens on `socketPath` (removing a stale socket file first). */
export async function serveSocket(db: PgliteDb, socketPath: string): Promise<SocketServer> {
  const queue = new SessionQueue(db) as unknown as PGLiteSocketHandlerOptions['queryQueue'];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const handler = new PGLiteSocketHandler({ queryQueue: queue, closeOnDetach: true });
    handler.attach(socket).catch(() => socket.destroy());
  });
  fs.rmSync(socketPath, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  fs.chmodSync(socketPath, 0o600);
  return {
    path: socketPath,
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      fs.rmSync(socketPath, { force: true });
    },
  };
}
