/**
 * The route table: every HTTP route of payseal is one RouteDef (method, path, scopes, zod body schema, handler),
 * declared in its resource's file under routes/. mountRoutes() turns the table into express routes that run the
 * same steps for every route (authorise → parse → handle → reply), so handlers stay thin; openapi.ts reads the
 * same table, so the document cannot drift from what is served.
 */
import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { PaysealError } from '../errors.ts';
import type { AuthenticatedClient } from '../clients/types.ts';
import type { ApiDeps } from './deps.ts';
import { requireScopes } from './middleware/auth.ts';

export type Method = 'get' | 'post' | 'patch' | 'delete';

/** What a handler gives back; the mounter serialises it. */
export interface Reply {
  readonly status?: number;
  /** JSON body; absent with status 204. */
  readonly json?: unknown;
  /** A non-JSON body (Prometheus exposition format). */
  readonly text?: string;
  readonly contentType?: string;
  /** Extra response headers (Cache-Control on the public keys). */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface HandlerContext<B> {
  readonly params: Readonly<Record<string, string>>;
  readonly body: B;
  /** null on open routes. */
  readonly client: AuthenticatedClient | null;
  /** "client:<name>": who made a change, for the key service and the ledger. */
  readonly actor: string;
  readonly deps: ApiDeps;
}

export interface ResponseDoc {
  readonly description: string;
  readonly schema?: z.ZodType;
}

export interface RouteDef<B = unknown> {
  readonly method: Method;
  /** express path syntax (`/v1/keys/:name`); openapi.ts rewrites `:name` to `{name}`. */
  readonly path: string;
  readonly summary: string;
  /** Open routes take no token. */
  readonly open?: boolean;
  /** Scopes the caller must hold, all of them (API.md "Scopes"), computed from the path parameters. */
  readonly scopes: (params: Readonly<Record<string, string>>) => readonly string[];
  /** Parses the JSON body; absent means the route takes none (an empty object is tolerated). */
  readonly body?: z.ZodType<B>;
  /** Documents the body when it differs from what `body` parses (batches validate item by item). */
  readonly docBody?: z.ZodType;
  /** Success and route-specific error statuses, for the OpenAPI document. */
  readonly responses: Readonly<Record<number, ResponseDoc>>;
  readonly handle: (ctx: HandlerContext<B>) => Promise<Reply>;
}

/** A RouteDef whose body type is forgotten, so lists of routes can mix body types. */
export type AnyRouteDef = RouteDef<any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export function defineRoute<B>(def: RouteDef<B>): RouteDef<B> {
  return def;
}

const EMPTY_BODY = z.strictObject({}).optional();

/** Zod issues to one invalid_request: the first issue's path and message (messages never hold values). */
export function invalidFrom(error: z.ZodError, prefix = ''): PaysealError {
  const issue = error.issues[0];
  const where = issue && issue.path.length > 0 ? `${prefix}${issue.path.join('.')}: ` : prefix ? `${prefix}: ` : '';
  return new PaysealError('invalid_request', `${where}${issue?.message ?? 'invalid request'}`);
}

export function parseWith<T>(schema: z.ZodType<T>, value: unknown, prefix = ''): T {
  const result = schema.safeParse(value);
  if (!result.success) throw invalidFrom(result.error, prefix);
  return result.data;
}

function send(res: Response, reply: Reply): void {
  res.status(reply.status ?? 200);
  if (reply.headers) res.set(reply.headers);
  if (reply.text !== undefined) {
    res.type(reply.contentType ?? 'text/plain').send(reply.text);
  } else if (reply.json === undefined) {
    res.end();
  } else {
    res.json(reply.json);
  }
}

export function mountRoutes(router: Router, routes: readonly AnyRouteDef[], deps: ApiDeps): void {
  for (const def of routes) {
    router[def.method](def.path, async (req: Request, res: Response) => {
      res.locals.route = def.path;
      const params = req.params as Record<string, string>;
      const client = (res.locals.client as AuthenticatedClient | undefined) ?? null;
      if (!def.open) requireScopes(client, def.scopes(params));
      const body = parseWith(def.body ?? EMPTY_BODY, req.body);
      const reply = await def.handle({ params, body, client, actor: client ? `client:${client.name}` : 'anonymous', deps });
      send(res, reply);
    });
  }
}

/** Path pattern → anchored regexp, for the 404/405 fallback (case-insensitive, optional trailing slash, as express). */
export function pathMatcher(path: string): RegExp {
  const source = path
    .split('/')
    .map((part) => (part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${source}/?$`, 'i');
}
