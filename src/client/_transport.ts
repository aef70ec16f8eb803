/**
 * HTTP for the client: one JSON request to payseal with a per-attempt timeout (AbortSignal), the retry policy
 * of _retry.ts, and every failure turned into a PaysealClientError. The bearer token lives in a private field
 * and reaches only the Authorization header of `/v1/*` calls; the open JWK Set is fetched without it.
 */
import { PaysealClientError, _scrub, type PaysealClientErrorCode } from './errors.ts';
import { _isRetryable, _parseRetryAfter, _retryDelay, type AttemptOutcome, type RetryPolicy } from './_retry.ts';

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/** Called before each retry: for logs and metrics (it never sees the token or a body). */
export type RetryListener = (info: { readonly method: string; readonly path: string; readonly attempt: number; readonly delayMs: number; readonly reason: string }) => void;

export interface TransportOptions {
  readonly baseUrl: string;
  readonly token: string;
  readonly timeoutMs: number;
  readonly policy: RetryPolicy;
  readonly fetch: FetchLike;
  readonly onRetry?: RetryListener | undefined;
}

export interface SendOptions {
  /** Safe to send twice (see _retry.ts): decides whether timeouts and network errors are retried. */
  readonly idempotent: boolean;
  /** Send the bearer token (every `/v1/*` route); false for open routes. */
  readonly auth?: boolean;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class _Transport {
  readonly #baseUrl: string;
  readonly #token: string;
  readonly #timeoutMs: number;
  readonly #policy: RetryPolicy;
  readonly #fetch: FetchLike;
  readonly #onRetry: RetryListener | undefined;

  constructor(options: TransportOptions) {
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#token = options.token;
    this.#timeoutMs = options.timeoutMs;
    this.#policy = options.policy;
    this.#fetch = options.fetch;
    this.#onRetry = options.onRetry;
  }

  /** Sends `body` as JSON (none when undefined) and returns the parsed JSON answer of a 2xx. */
  async send<T>(method: string, path: string, body: unknown, options: SendOptions): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (options.auth !== false) headers.authorization = `Bearer ${this.#token}`;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    if (payload !== undefined) headers['content-type'] = 'application/json';
    for (let attempt = 0; ; attempt++) {
      const { outcome, error, value } = await this.#attempt(method, path, headers, payload, attempt + 1);
      if (error === undefined) return value as T;
      const delay = attempt < this.#policy.retries && _isRetryable(outcome, options.idempotent) ? _retryDelay(this.#policy, attempt, error.retryAfterMs) : undefined;
      if (delay === undefined) throw error;
      this.#onRetry?.({ method, path, attempt: attempt + 1, delayMs: delay, reason: error.code });
      await sleep(delay);
    }
  }

  async #attempt(method: string, path: string, headers: Record<string, string>, body: string | undefined, attempts: number): Promise<{ outcome: AttemptOutcome; error?: PaysealClientError; value?: unknown }> {
    const where = `${method} ${path}`;
    let response: Response;
    let text: string;
    try {
      // The timeout covers the whole attempt, reading the answer's body included.
      response = await this.#fetch(this.#baseUrl + path, { method, headers, body, signal: AbortSignal.timeout(this.#timeoutMs), redirect: 'error' });
      text = await response.text();
    } catch (e) {
      const timedOut = e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError');
      if (timedOut) return { outcome: { kind: 'timeout' }, error: this.#error('timeout', null, `${where}: no answer within ${this.#timeoutMs} ms`, attempts) };
      const code = networkCode(e);
      const outcome: AttemptOutcome = code === 'ECONNREFUSED' ? { kind: 'refused' } : { kind: 'network' };
      return { outcome, error: this.#error('network_error', null, `${where}: network error${code ? ` (${code})` : ''}`, attempts) };
    }
    const requestId = response.headers.get('x-request-id') ?? undefined;
    const outcome: AttemptOutcome = { kind: 'answer', status: response.status };
    let json: unknown;
    try {
      json = text.length > 0 ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (response.status >= 200 && response.status < 300) {
      if (json === undefined && response.status !== 204) {
        return { outcome, error: this.#error('unexpected_response', response.status, `${where}: the answer is not JSON`, attempts, requestId) };
      }
      return { outcome, value: json };
    }
    const retryAfterMs = _parseRetryAfter(response.headers.get('retry-after'), Date.now());
    const apiError = (json as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
    if (apiError && typeof apiError.code === 'string') {
      const message = typeof apiError.message === 'string' ? apiError.message : apiError.code;
      return { outcome, error: this.#error(apiError.code, response.status, `${where}: ${response.status} ${apiError.code}: ${message}`, attempts, requestId, retryAfterMs) };
    }
    // Not payseal's error shape (a proxy's page): keep the meaning of the statuses the policy knows.
    const code = response.status === 429 ? 'rate_limited' : response.status === 503 ? 'unavailable' : 'unexpected_response';
    return { outcome, error: this.#error(code, response.status, `${where}: HTTP ${response.status} without a payseal error body`, attempts, requestId, retryAfterMs) };
  }

  #error(code: PaysealClientErrorCode, status: number | null, message: string, attempts: number, requestId?: string, retryAfterMs?: number): PaysealClientError {
    // Messages are capped so a large proxy answer cannot flood a log line.
    const text = _scrub(message, this.#token).slice(0, 500);
    return new PaysealClientError({ code, status, message: text, requestId, retryAfterMs, attempts });
  }
}

/** The errno-style code of a fetch network failure (undici puts it on `cause`), if any. */
function networkCode(e: unknown): string | undefined {
  const cause = (e as { cause?: { code?: unknown } } | undefined)?.cause;
  return typeof cause?.code === 'string' && /^[A-Z_]{2,32}$/.test(cause.code) ? cause.code : undefined;
}
