/**
 * `payseal serve` as a real process (the compiled build, as the image runs it) for the ops suites: started with
 * a given environment on a free port, its stdout (the JSON log) and stderr kept apart, ready once /readyz
 * answers 200, stopped with a signal. http() sends each request on a new connection, so cluster mode's
 * round-robin hands consecutive requests to different workers. Ready means: "payseal is serving" was logged (by
 * the primary once every worker listens, in cluster mode) and /readyz answers 200.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { createServer } from 'node:net';
import { BIN, ROOT } from './cli.ts';

export interface ServeProcess {
  readonly child: ChildProcess;
  readonly base: string;
  readonly port: number;
  stdout(): string;
  stderr(): string;
  /** Parsed JSON lines of stdout (a line that does not parse is returned as { unparsed: line }). */
  logLines(): Record<string, unknown>[];
  /** Sends a signal and resolves with the exit code (or the signal's name). */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
  exited(): Promise<number | string>;
}

export interface HttpResult {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly text: string;
  readonly json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** One request on its own connection (no keep-alive). */
export function httpCall(base: string, method: string, path: string, options: { token?: string; body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {}): Promise<HttpResult> {
  const url = new URL(path, base);
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  const headers: Record<string, string> = { connection: 'close', ...(options.headers ?? {}) };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent: false, timeout: options.timeoutMs ?? 15_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

export async function startServe(env: Record<string, string>, options: { readyTimeoutMs?: number; waitReady?: boolean } = {}): Promise<ServeProcess> {
  const port = Number(env.PORT ?? (await freePort()));
  const child = spawn(process.execPath, [BIN, 'serve'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString('utf8')));
  const exit = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  const base = `http://127.0.0.1:${port}`;
  const proc: ServeProcess = {
    child,
    base,
    port,
    stdout: () => out,
    stderr: () => err,
    logLines: () =>
      out
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => {
          try {
            return JSON.parse(l) as Record<string, unknown>;
          } catch {
            return { unparsed: l };
          }
        }),
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exit;
    },
    exited: () => exit,
  };
  if (options.waitReady === false) return proc;
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`payseal serve exited with ${child.exitCode} before it was ready:\n${out}\n${err}`);
    // Ready: the service says so (in cluster mode the primary, once every worker listens) and /readyz agrees.
    const serving = proc.logLines().some((l) => l.msg === 'payseal is serving');
    const status = serving ? await httpCall(base, 'GET', '/readyz', { timeoutMs: 3_000 }).then((r) => r.status, () => 0) : 0;
    if (status === 200) return proc;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`payseal serve was not ready within the deadline:\n${out}\n${err}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
