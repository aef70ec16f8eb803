/**
 * An HTTP server that can drain: on drain() it stops accepting connections, lets every request in flight finish,
 * and closes each keep-alive connection right after its current response (`Connection: close` on responses not
 * yet started, idle connections closed as they become idle), instead of waiting out the keep-alive timeout.
 * Whatever is still open after the grace period is cut. RFC 9112 §9.6: a server that intends to close sends
 * `Connection: close` in its response, so the client does not send another request on that connection.
 */
import { createServer, type RequestListener, type Server, type ServerResponse } from 'node:http';

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

export function createDrainingServer(handler: RequestListener, decorate?: (res: ServerResponse) => void): DrainingServer {
  const active = new Set<ServerResponse>();
  let draining: Promise<DrainResult> | null = null;
  const server = createServer((req, res) => {
    if (draining) res.setHeader('Connection', 'close');
    decorate?.(res);
    active.add(res);
    res.once('close', () => {
      active.delete(res);
      // A response that had started before the drain kept its connection alive: close it now it is idle.
      if (draining) setImmediate(() => server.closeIdleConnections());
    });
    handler(req, res);
  });

  return {
    server,
    inFlight: () => active.size,
    drain(graceMs) {
      draining ??= (async () => {
        for (const res of active) if (!res.headersSent) res.setHeader('Connection', 'close');
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        let forced = false;
        const timer = setTimeout(() => {
          forced = true;
          server.closeAllConnections();
        }, graceMs);
        await closed;
        clearTimeout(timer);
        return { forced };
      })();
      return draining;
    },
  };
}
