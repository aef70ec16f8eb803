/**
 * Shared harness of the API's black-box suites (test/api-*.test.ts): the real runtime on an isolated store
 * (test/support/db.ts: PostgreSQL when DATABASE_URL is set, PGlite otherwise), the real app on an ephemeral
 * port, a bootstrap admin client, and a `call` that speaks HTTP with fetch. Every log line and every response
 * body is captured, so suites (the canary) can grep them for secrets.
 */
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { Writable } from 'node:stream';
import type { Express } from 'express';
import type { Config } from '../../src/config.ts';
import { createApp } from '../../src/api/app.ts';
import { createLogger } from '../../src/api/middleware/logger.ts';
import type { Runtime } from '../../src/runtime/types.ts';
import { openTestRuntime, type TestRuntime } from './db.ts';

export interface CallOptions {
  readonly token?: string | null;
  /** A JSON value (serialised), or a string / Buffer sent as is. */
  readonly body?: unknown;
  readonly raw?: string | Buffer;
  readonly headers?: Record<string, string>;
}

export interface CallResult {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** Parsed JSON body, or undefined when the body is not JSON. */
  readonly json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface ApiHarness {
  readonly url: string;
  /** The express app behind `url` (its router is walked by the OpenAPI sync test). */
  readonly app: Express;
  readonly runtime: TestRuntime;
  readonly config: Config;
  readonly adminToken: string;
  /** Every log line the app wrote, as raw JSON text. */
  readonly logs: string[];
  /** Every response body `call` received. */
  readonly responses: string[];
  call(method: string, path: string, options?: CallOptions): Promise<CallResult>;
  /** Creates a client with these scopes (through the API) and returns its token. */
  client(name: string, scopes: readonly string[]): Promise<string>;
  close(): Promise<void>;
}

export async function listen(app: Parameters<typeof createServer>[1]): Promise<{ server: Server; url: string }> {
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

export async function request(url: string, method: string, path: string, options: CallOptions = {}): Promise<CallResult> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.token) headers.authorization ??= `Bearer ${options.token}`;
  let body: string | Buffer | undefined = options.raw;
  if (body === undefined && options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(url + path, { method, headers, body });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/**
 * Starts the app on an ephemeral port. With `existing`, the app runs on that runtime (a second replica on a shared
 * store, or a runtime the test will close under the server) and close() leaves the runtime open.
 */
export async function startApi(overrides: Partial<Config> = {}, existing?: { runtime: Runtime }): Promise<ApiHarness> {
  const runtime = (existing?.runtime as TestRuntime | undefined) ?? (await openTestRuntime(overrides));
  const config: Config = { ...runtime.config, ...overrides };
  const logs: string[] = [];
  const responses: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(chunk.toString('utf8'));
      done();
    },
  });
  const logger = createLogger('debug', sink);
  const admin = await runtime.clients.create(`admin-${Math.random().toString(36).slice(2, 8)}`, ['admin'], 'test');
  const app = createApp({ runtime: runtime as Runtime, config, logger }, { defaultMetrics: false });
  const { server, url } = await listen(app);
  const call = async (method: string, path: string, options: CallOptions = {}) => {
    const result = await request(url, method, path, { ...options, token: options.token === undefined ? admin.token : options.token });
    responses.push(result.text);
    return result;
  };
  return {
    url,
    app,
    runtime,
    config,
    adminToken: admin.token,
    logs,
    responses,
    call,
    async client(name, scopes) {
      const res = await call('POST', '/v1/clients', { body: { name, scopes } });
      if (res.status !== 201) throw new Error(`creating client ${name}: ${res.status} ${res.text}`);
      return res.json.token as string;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (!existing) await runtime.cleanup();
    },
  };
}

/** base64 of a UTF-8 string. */
export const b64 = (s: string | Buffer): string => Buffer.from(s).toString('base64');
