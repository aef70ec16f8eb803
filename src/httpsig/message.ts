/**
 * The HTTP message an RFC 9421 signature covers, as payseal is given it (it never sees the wire): a request's
 * method and target URI, a response's status, the header fields, the body bytes, and for a response the
 * request it answers (for `;req` components, RFC 9421 §2.4). Field names are case-insensitive (RFC 9110 §5.1):
 * they are lowercased here, once. A field given several times (an array) keeps its lines in order; RFC 9421
 * §2.1 joins them later. Values are checked to be field-content (RFC 9110 §5.5): no CR, LF or NUL.
 */
import { PaysealError } from '../errors.ts';

export interface HttpMessageInput {
  readonly method?: string | undefined;
  readonly target_uri?: string | undefined;
  readonly status?: number | undefined;
  readonly headers?: Readonly<Record<string, string | readonly string[]>> | undefined;
  /** The body bytes (the route decodes them from base64). */
  readonly body?: Uint8Array | undefined;
}

export interface HttpMessage {
  readonly method: string | null;
  readonly targetUri: string | null;
  readonly status: number | null;
  /** Lowercased field name → its field lines, in order. */
  readonly fields: ReadonlyMap<string, readonly string[]>;
  readonly body: Buffer | null;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const MAX_FIELDS = 200;
const MAX_VALUE = 16 * 1024;

function bad(message: string): PaysealError {
  return new PaysealError('invalid_request', message);
}

export function normalizeMessage(input: HttpMessageInput, what = 'message'): HttpMessage {
  const fields = new Map<string, string[]>();
  const headers = input.headers ?? {};
  const names = Object.keys(headers);
  if (names.length > MAX_FIELDS) throw bad(`${what}.headers: at most ${MAX_FIELDS} fields`);
  for (const raw of names) {
    if (!TOKEN.test(raw)) throw bad(`${what}.headers: ${JSON.stringify(raw.slice(0, 40))} is not a field name`);
    const name = raw.toLowerCase();
    if (fields.has(name)) throw bad(`${what}.headers: ${name} is given twice (in different cases): give its lines as one array`);
    const given = headers[raw] as string | readonly string[];
    const lines = typeof given === 'string' ? [given] : [...given];
    for (const line of lines) {
      if (typeof line !== 'string' || line.length > MAX_VALUE || /[\r\n\0]/.test(line)) {
        throw bad(`${what}.headers.${name}: each value must be a string of field-content (no CR, LF or NUL)`);
      }
    }
    fields.set(name, lines);
  }
  if (input.method !== undefined && !TOKEN.test(input.method)) throw bad(`${what}.method must be an HTTP method token`);
  if (input.target_uri !== undefined && !/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^\s]+$/.test(input.target_uri)) {
    throw bad(`${what}.target_uri must be an absolute URI (scheme://authority/path?query)`);
  }
  if (input.status !== undefined && (!Number.isInteger(input.status) || input.status < 100 || input.status > 999)) {
    throw bad(`${what}.status must be a three-digit status code`);
  }
  return {
    method: input.method ?? null,
    targetUri: input.target_uri ?? null,
    status: input.status ?? null,
    fields,
    body: input.body === undefined ? null : Buffer.from(input.body),
  };
}
