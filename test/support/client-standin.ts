/**
 * A stand-in for payseal's HTTP behaviour, for the client's tests (test/client-*.test.ts): a real node:http
 * server that authenticates bearer tokens, answers the routes the client uses the way docs/api.md says
 * (hash, sign, keys, the JWK Set, messages/verify with consume and the planned detached `payload`), and can be
 * told to answer the next requests of a path with scripted statuses, headers and delays (429, 503, slow
 * answers) before behaving normally again. Every request is recorded with its arrival time.
 *
 * It is not payseal (no store, no ledger): the client's own suite against the real service is
 * test/client-api.test.ts.
 */
import { createHash, createPublicKey, constants, generateKeyPairSync, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  readonly at: number;
}

export interface ScriptedAnswer {
  readonly status?: number;
  readonly headers?: Record<string, string>;
  /** JSON body; a string is sent as is. Default: payseal's error shape for the status. */
  readonly body?: unknown;
  /** Wait this long before answering (for timeouts). */
  readonly delayMs?: number;
  /** Drop the connection without an answer. */
  readonly destroy?: boolean;
}

export interface StandIn {
  readonly url: string;
  readonly token: string;
  readonly requests: RecordedRequest[];
  /** The JWK Set served at /.well-known/jwks.json (replace it to simulate a rotation). */
  jwks: { keys: Record<string, unknown>[] };
  /** Answer the next requests to `path` with these, in order, then behave normally. */
  script(path: string, ...answers: ScriptedAnswer[]): void;
  /** Lets messages/verify check JWSs of `kid` with this public key and the JWS algs its type allows (like payseal). */
  trust(kid: string, algs: string | readonly string[], publicKey: KeyObject): void;
  count(path: string): number;
  close(): Promise<void>;
}

const STATUS_CODE: Record<number, string> = { 400: 'invalid_request', 401: 'unauthorized', 404: 'not_found', 409: 'key_exists', 429: 'rate_limited', 500: 'internal', 503: 'unavailable' };

function errorBody(status: number, message = 'scripted'): unknown {
  return { error: { code: STATUS_CODE[status] ?? 'internal', message } };
}

/** node:crypto verify options for a JWS alg (RFC 7518 §3; ECDSA and DSA as r‖s). */
function verifyWith(alg: string, key: KeyObject, input: Buffer, signature: Buffer): boolean {
  switch (alg) {
    case 'ES256':
    case 'ES256K':
    case 'DS256':
      return nodeVerify('sha256', input, { key, dsaEncoding: 'ieee-p1363' }, signature);
    case 'PS256':
      return nodeVerify('sha256', input, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, signature);
    case 'RS256':
      return nodeVerify('sha256', input, { key, padding: constants.RSA_PKCS1_PADDING }, signature);
    case 'EdDSA':
      return nodeVerify(null, input, key, signature);
    default:
      return false;
  }
}

export async function startStandIn(token = 'pst_standin_secret_token_0123456789'): Promise<StandIn> {
  const requests: RecordedRequest[] = [];
  const scripts = new Map<string, ScriptedAnswer[]>();
  const trusted = new Map<string, { algs: readonly string[]; key: KeyObject }>();
  const consumed = new Set<string>();
  const keys = new Set<string>();
  const signer = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const state = { jwks: { keys: [] as Record<string, unknown>[] } };

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-request-id': `req-${requests.length}`, ...headers });
    res.end(text);
  };

  const messagesVerify = (body: { jws?: unknown; payload?: unknown; consume?: unknown; max_age_seconds?: unknown }) => {
    if (typeof body.jws !== 'string') return { status: 400, body: errorBody(400, 'jws must be a string') };
    const [h = '', p = '', s = ''] = body.jws.split('.');
    let header: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    try {
      header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
    } catch {
      return { status: 200, body: { valid: false, reason: 'malformed', kid: null, key_version: null, iat: null, jti: null } };
    }
    const id = { kid: header.kid ?? null, key_version: Number(/:v(\d+)$/.exec(String(header.kid))?.[1] ?? NaN) || null, iat: header.iat ?? null, jti: header.jti ?? null };
    const key = trusted.get(String(header.kid));
    if (!key) return { status: 200, body: { valid: false, reason: 'unknown_key', ...id } };
    const payload = typeof body.payload === 'string' ? Buffer.from(body.payload, 'base64') : Buffer.from(p, 'base64url');
    // RFC 7797 §3: with b64 false the signing input holds the payload bytes as they are.
    const input = header.b64 === false ? Buffer.concat([Buffer.from(`${h}.`), payload]) : Buffer.from(`${h}.${payload.toString('base64url')}`);
    if (!key.algs.includes(header.alg) || !verifyWith(header.alg, key.key, input, Buffer.from(s, 'base64url'))) return { status: 200, body: { valid: false, reason: 'bad_signature', ...id } };
    if (typeof body.max_age_seconds === 'number' && Math.floor(Date.now() / 1000) - header.iat > body.max_age_seconds + 60) return { status: 200, body: { valid: false, reason: 'expired', ...id } };
    if (body.consume === true) {
      if (consumed.has(header.jti)) return { status: 200, body: { valid: false, reason: 'replayed', ...id } };
      consumed.add(header.jti);
    }
    let message: unknown;
    try {
      message = JSON.parse(payload.toString('utf8'));
    } catch {
      message = undefined;
    }
    return { status: 200, body: { valid: true, ...id, ...(message === undefined ? {} : { message }) } };
  };

  const route = (method: string, path: string, body: any): { status: number; body: unknown } => { // eslint-disable-line @typescript-eslint/no-explicit-any
    if (method === 'POST' && path === '/v1/hash') {
      return { status: 200, body: { digest: createHash('sha256').update(Buffer.from(String(body?.input), 'base64')).digest('hex') } };
    }
    const sign = /^\/v1\/keys\/([a-z0-9._-]+)\/sign$/.exec(path);
    if (method === 'POST' && sign) {
      const one = (item: { input?: unknown }) =>
        typeof item?.input === 'string' && item.input.length > 0
          ? { signature: `payseal:v1:${nodeSign('sha256', Buffer.from(item.input, 'base64'), signer.privateKey).toString('base64')}`, key_version: 1 }
          : { error: { code: 'invalid_request', message: 'input must be base64' } };
      if (Array.isArray(body?.batch_input)) return { status: 200, body: { batch_results: body.batch_input.map(one) } };
      const result = one(body);
      return 'error' in result ? { status: 400, body: result } : { status: 200, body: result };
    }
    if (method === 'POST' && path === '/v1/keys') {
      if (keys.has(body?.name)) return { status: 409, body: errorBody(409, `key ${body?.name} exists`) };
      keys.add(body?.name);
      return { status: 201, body: { name: body?.name, type: body?.type, purpose: 'sign', latest_version: 1, min_version: 1, rotation_period: null, next_rotation_at: null, created_at: new Date().toISOString(), versions: [] } };
    }
    if (method === 'POST' && path === '/v1/messages/verify') return messagesVerify(body ?? {});
    return { status: 404, body: errorBody(404, `no route ${method} ${path}`) };
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0] as string;
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = text;
      }
      requests.push({ method: req.method ?? 'GET', path, headers: req.headers, body, at: Date.now() });
      const scripted = scripts.get(path)?.shift();
      if (scripted) {
        const answer = () => {
          if (scripted.destroy) return req.socket.destroy();
          const status = scripted.status ?? 200;
          send(res, status, scripted.body ?? errorBody(status), scripted.headers);
        };
        if (scripted.delayMs) setTimeout(answer, scripted.delayMs);
        else answer();
        return;
      }
      if (path === '/.well-known/jwks.json') return send(res, 200, state.jwks);
      if (req.headers.authorization !== `Bearer ${token}`) return send(res, 401, errorBody(401, 'the token is not valid'), { 'www-authenticate': 'Bearer realm="payseal"' });
      const out = route(req.method ?? 'GET', path, body);
      send(res, out.status, out.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    token,
    requests,
    get jwks() {
      return state.jwks;
    },
    set jwks(value) {
      state.jwks = value;
    },
    script(path, ...answers) {
      scripts.set(path, [...(scripts.get(path) ?? []), ...answers]);
    },
    trust(kid, algs, publicKey) {
      trusted.set(kid, { algs: typeof algs === 'string' ? [algs] : algs, key: publicKey.type === 'public' ? publicKey : createPublicKey(publicKey) });
    },
    count(path) {
      return requests.filter((r) => r.path === path).length;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
