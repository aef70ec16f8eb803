/**
 * `payseal clients create|list|delete|rotate-token`: API clients straight against the store, so a fresh
 * PostgreSQL deployment without PAYSEAL_ADMIN_TOKEN has a way in (`clients create ops --scopes admin`). A token is
 * printed once, when it is made (only its SHA-256 is kept); scopes naming keys that do not exist yet are flagged
 * on stderr, not refused. Changes are recorded with actor cli:<os user>.
 */
import type { Command } from 'commander';
import type { ClientInfo, IssuedClient } from '../clients/types.ts';
import { UsageError, cliActor, json } from './_io.ts';
import { withRuntime, type CliContext } from './keys.ts';
import { table, when } from './render.ts';

function scopesArg(raw: string): string[] {
  const scopes = raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (scopes.length === 0) throw new UsageError('--scopes needs at least one scope, e.g. --scopes "sign:payments,verify:*"');
  return scopes;
}

function expiresArg(raw: string | undefined): string | null | undefined {
  if (raw === undefined) return undefined;
  return raw === 'none' ? null : raw;
}

function expiry(c: ClientInfo): string {
  return c.expires_at ? `expires ${when(c.expires_at)}` : 'does not expire';
}

function issuedText(c: IssuedClient, verb: string): string {
  return [
    `client ${c.name} ${verb}: ${c.scopes.join(', ')}; the token ${expiry(c)}`,
    'Its token is shown ONCE, here (only its SHA-256 is kept); store it in your secret manager:',
    '',
    `    ${c.token}`,
    '',
  ].join('\n');
}

export function registerClients(program: Command, ctx: CliContext): void {
  const clients = program.command('clients').description('create, list, delete API clients and rotate their tokens');
  const issue = (c: IssuedClient, verb: string, asJson?: boolean) => {
    if (c.unknown_keys.length > 0) ctx.io.err(`warning: the scopes name keys that do not exist (yet): ${c.unknown_keys.join(', ')}\n`);
    ctx.io.out(asJson ? json(c) : issuedText(c, verb));
  };

  clients
    .command('create')
    .description('create a client and print its token once')
    .argument('<name>', 'client name: a-z 0-9 . _ -, up to 64 characters')
    .requiredOption('--scopes <list>', 'comma-separated scopes, e.g. "sign:payments,verify:*" or admin')
    .option('--expires-in <period>', 'the token stops working after 90d, 12h, 30m (default: it does not expire)')
    .option('--json', 'print {"name", "scopes", "token", "created_at", "expires_at", "unknown_keys"}')
    .action(async (name: string, opts: { scopes: string; expiresIn?: string; json?: boolean }) => {
      const scopes = scopesArg(opts.scopes);
      await withRuntime(ctx, async (rt) => issue(await rt.clients.create(name, scopes, cliActor(), { expiresIn: expiresArg(opts.expiresIn) ?? null }), 'created', opts.json));
    });

  clients
    .command('list')
    .description('list clients (never their tokens)')
    .option('--json', 'print {"clients": [...]}')
    .action(async (opts: { json?: boolean }) => {
      await withRuntime(ctx, async (rt) => {
        const all = await rt.clients.list();
        if (opts.json) return ctx.io.out(json({ clients: all }));
        if (all.length === 0) return ctx.io.out('no clients\n');
        ctx.io.out(table(['NAME', 'SCOPES', 'CREATED', 'EXPIRES'], all.map((c) => [c.name, c.scopes.join(','), when(c.created_at), c.expires_at ? when(c.expires_at) : 'never'])));
      });
    });

  clients
    .command('delete')
    .description('delete a client: its token stops working within a second (not the last admin)')
    .argument('<name>')
    .action(async (name: string) => {
      await withRuntime(ctx, async (rt) => {
        await rt.clients.remove(name, cliActor());
        ctx.io.out(`client ${name} deleted; its token stops working within a second\n`);
      });
    });

  clients
    .command('rotate-token')
    .description("give a client a new token (printed once); the old one stops working within a second")
    .argument('<name>')
    .option('--expires-in <period>', '90d, 12h, 30m, or "none" (default: the lifetime the old token was issued with)')
    .option('--json', 'print {"name", "scopes", "token", "created_at", "expires_at", "unknown_keys"}')
    .action(async (name: string, opts: { expiresIn?: string; json?: boolean }) => {
      const expiresIn = expiresArg(opts.expiresIn);
      await withRuntime(ctx, async (rt) => issue(await rt.clients.rotateToken(name, cliActor(), expiresIn === undefined ? {} : { expiresIn }), 'has a new token', opts.json));
    });
}
