/**
 * An HTTP server that can drain: on drain() it stops accepting connections, lets every request in flight finish,
 * and closes each keep-alive connection right after its current response (`Connection: close` on responses not
 * yet started; connections closed as they become idle), instead of waiting out the keep-alive timeout.
 * Whatever is still open after the grace period is cut. RFC 9112 §9.6: a server that intends to close sends
 * `Connection: close` in its response, so the client does not send another request on that connection.
 *
 * What node's server.close() does alone (v20): it closes keep-alive connections idle at that moment, but answers a
 * request still arriving on an open connection with `Connection: keep-alive` and then waits out the keep-alive
 * timeout, and leaves a connection that has not sent its first request open until its headers timeout. Here
 * every answer given while draining carries `Connection: close`, a connection is closed as soon as it is idle
 * after an answer, and one that has not carried a request gets FRESH_CONNECTION_GRACE_MS to start one.
 */
import { createServer, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export const FRESH_CONNECTION_GRACE_MS = 1_000;

export interface DrainResult {
  /** Connections cut because they were still busy when the grace period ended. */
  readonly forced: boolean;
}

export interface DrainingServer {
  readonly server: Server;
  /** Requests being answered right now. */
  inFlight(): number;
  /** Resolves once every connection is closed (at most graceMs, then connections are cut). Idempotent. */
  drain(graceMs: number): Promise<DrainResult>;
}

interface ConnectionState {
  requests: number;
  busy: number;
}

/** Responses a draining server asked to close their connection (`Connection: close`); nothing may lift that. */
const closing = new WeakSet<ServerResponse>();

/** True when the server is draining and this response must close its connection. */
export function mustClose(res: ServerResponse): boolean {
  return closing.has(res);
}

function markClosing(res: ServerResponse): void {
  closing.add(res);
  res.setHeader('Connection', 'close');
}

export function createDrainingServer(handler: RequestListener, decorate?: (res: ServerResponse) => void): DrainingServer {
  const connections = new Map<Socket, ConnectionState>();
  const responses = new Set<ServerResponse>();
  let draining: Promise<DrainResult> | null = null;

  const closeIfIdle = (socket: Socket, state: ConnectionState): void => {
    if (state.busy === 0 && state.requests > 0) socket.destroy();
  };

  const server = createServer((req, res) => {
    const socket = req.socket;
    const state = connections.get(socket) ?? { requests: 0, busy: 0 };
    state.requests++;
    state.busy++;
    responses.add(res);
    if (draining) markClosing(res);
    decorate?.(res);
    res.once('close', () => {
      state.busy--;
      responses.delete(res);
      // A response that had started before the drain kept its connection alive: close it now it is idle.
      if (draining) setImmediate(() => closeIfIdle(socket, state));
    });
    handler(req, res);
  });
  server.on('connection', (socket: Socket) => {
    connections.set(socket, { requests: 0, busy: 0 });
    socket.once('close', () => connections.delete(socket));
  });

  return {
    server,
    inFlight: () => responses.size,
    drain(graceMs) {
      draining ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const res of responses) if (!res.headersSent) markClosing(res);
        for (const [socket, state] of connections) closeIfIdle(socket, state);
        const fresh = setTimeout(() => {
          for (const [socket, state] of connections) if (state.requests === 0) socket.destroy();
        }, Math.min(FRESH_CONNECTION_GRACE_MS, graceMs));
        let forced = false;
        const cut = setTimeout(() => {
          forced = true;
          server.closeAllConnections();
          for (const socket of connections.keys()) socket.destroy();
        }, graceMs);
        await closed;
        clearTimeout(fresh);
        clearTimeout(cut);
        return { forced };
      })();
      return draining;
    },
  };
}
