/**
 * Authentication and scopes (API.md "Scopes").
 *
 * Every /v1/* request carries `Authorization: Bearer <token>` (RFC 6750 §2.1); the token goes to
 * ClientService.authenticate, which looks its SHA-256 up through a cache and compares in constant time. A missing
 * or unknown token is 401 with `WWW-Authenticate: Bearer` (RFC 6750 §3). Scopes are checked before the body is
 * read or any state is touched, so a call outside the caller's scopes gets 403 and changes nothing.
 */
import type { NextFunction, Request, Response } from 'express';
import { PaysealError } from '../../errors.ts';
import { holdsScope } from '../../clients/scopes.ts';
import { BEARER_HEADER } from '../../grammar.ts';
import type { AuthenticatedClient, ClientService } from '../../clients/types.ts';


export function authenticate(clients: Pick<ClientService, 'authenticate'>) {
  return async function authenticateRequest(req: Request, res: Response, next: NextFunction): Promise<void> {
    const header = req.headers.authorization;
    const match = typeof header === 'string' ? BEARER_HEADER.exec(header) : null;
    if (!match) {
      next(new PaysealError('unauthorized', 'an Authorization: Bearer <token> header is required'));
      return;
    }
    const client = await clients.authenticate(match[1]!);
    if (client === null) {
      next(new PaysealError('unauthorized', 'the token is not valid', { details: { invalid_token: true } }));
      return;
    }
    res.locals.client = client;
    next();
  };
}

export function requireScopes(client: AuthenticatedClient | null, required: readonly string[]): void {
  if (client === null) throw new PaysealError('unauthorized', 'an Authorization: Bearer <token> header is required');
  const missing = required.filter((scope) => !holdsScope(client.scopes, scope));
  if (missing.length > 0) throw new PaysealError('forbidden', `this client lacks scope ${missing.join(', ')}`);
}
