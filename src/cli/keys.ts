/**
 * `payseal keys …`: key administration straight against the store, for security staff. Each subcommand
 * opens a runtime with role 'cli' (through a running service's socket in embedded mode), does one thing,
 * prints a table (or --json) and closes. Changes are recorded with actor cli:<os user>. Irreversible steps
 * (destroy, a min_version raise) need --reason, recorded with the event, and a confirmation (_confirm.ts);
 * `keys history` shows what was recorded.
 */
import type { Command } from 'commander';
import type { Config } from '../config.ts';
import { VERSION_DIGITS } from '../grammar.ts';
import type { Runtime } from '../runtime/types.ts';
import { EXIT_FAILED, EXIT_OK, UsageError, cliActor, json, type CliIo } from './_io.ts';
import { keyDetail, keyHistoryTable, keyList, rotateDueReport } from './render.ts';
import { publishFirstArg, registerKeyImport } from './keys-import.ts';
import { confirmIrreversible } from './_confirm.ts';

export interface CliContext {
  readonly io: CliIo;
  readonly config: () => Config;
  /** Set by each action: the process exit code. */
  exitCode: number;
}

export async function withRuntime<T>(ctx: CliContext, fn: (rt: Runtime) => Promise<T>): Promise<T> {
  const config = ctx.config();
  // Loaded on demand: a usage error or --help should not pay for loading PGlite and pg.
  const { openRuntime } = await import('../runtime/open.ts');
  const rt = await openRuntime(config, { role: 'cli' });
  try {
    for (const n of rt.notices) ctx.io.err(`${n}\n`);
    return await fn(rt);
  } finally {
    await rt.close();
  }
}

function versionArg(raw: string): number {
  if (!VERSION_DIGITS.test(raw)) throw new UsageError(`--version must be a version number like 3, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

function periodArg(raw: string | undefined): string | null | undefined {
  if (raw === undefined) return undefined;
  return raw === 'none' ? null : raw;
}

export function registerKeys(program: Command, ctx: CliContext): void {
  const keys = program.command('keys').description('create, list, rotate, revoke and destroy keys');
  const show = (opts: { json?: boolean }, info: Parameters<typeof keyDetail>[0]) => ctx.io.out(opts.json ? json(info) : keyDetail(info));

  keys
    .command('create')
    .description('create a key (version 1)')
    .argument('<name>', 'key name: a-z 0-9 . _ -, up to 64 characters')
    .requiredOption('--type <type>', 'key type, e.g. ecdsa-p256, ed25519, rsa-3072, aes-256-gcm')
    .option('--rotation-period <period>', 'scheduled rotation, e.g. 90d, 12h, 30m')
    .option('--json', 'print KeyInfo as JSON')
    .action(async (name: string, opts: { type: string; rotationPeriod?: string; json?: boolean }) => {
      await withRuntime(ctx, async (rt) => show(opts, await rt.keys.create(name, opts.type, opts.rotationPeriod ?? null, cliActor())));
    });

  registerKeyImport(keys, ctx);

  keys
    .command('list')
    .description('list every key with its versions')
    .option('--json', 'print {"keys": [KeyInfo]}')
    .action(async (opts: { json?: boolean }) => {
      await withRuntime(ctx, async (rt) => {
        const all = await rt.keys.list();
        ctx.io.out(opts.json ? json({ keys: all }) : keyList(all));
      });
    });

  keys
    .command('show')
    .description('show one key and the state of each version')
    .argument('<name>')
    .option('--json', 'print KeyInfo as JSON')
    .action(async (name: string, opts: { json?: boolean }) => {
      await withRuntime(ctx, async (rt) => show(opts, await rt.keys.get(name)));
    });

  keys
    .command('rotate')
    .description('rotate one key now, or (--due) every key whose rotation period has passed')
    .argument('[name]')
    .option('--due', 'rotate every key that is due; exit 1 when any rotation fails')
    .option('--publish-first <duration>', 'publish the new version now, let it sign after this long (600, 10m, 2h, 1d)')
    .option('--json', 'print KeyInfo (or {"rotated", "failed"} with --due) as JSON')
    .action(async (name: string | undefined, opts: { due?: boolean; publishFirst?: string; json?: boolean }) => {
      if (Boolean(name) === Boolean(opts.due)) throw new UsageError('give either a key name or --due');
      if (opts.due && opts.publishFirst !== undefined) throw new UsageError('--due uses PAYSEAL_ROTATION_PUBLISH_FIRST_SECONDS; --publish-first is for one key');
      const publishFirstSeconds = opts.publishFirst === undefined ? undefined : publishFirstArg(opts.publishFirst);
      await withRuntime(ctx, async (rt) => {
        if (name) return show(opts, await rt.keys.rotate(name, cliActor(), { publishFirstSeconds }));
        const r = await rt.keys.rotateDue(cliActor());
        ctx.io.out(opts.json ? json(r) : rotateDueReport(r));
        ctx.exitCode = r.failed.length > 0 ? EXIT_FAILED : EXIT_OK;
      });
    });

  keys
    .command('configure')
    .description("change a key's rotation period or ECDSA verification policy, and/or raise its min_version (irreversible: needs --reason)")
    .argument('<name>')
    .option('--rotation-period <period>', '90d, 12h, 30m, or "none" to stop scheduled rotation')
    .option('--min-version <n>', 'oldest version still allowed to verify and decrypt (only rises; needs --reason)')
    .option('--low-s-only', 'ECDSA: verify accepts only low-S signatures in the requested encoding (one form per signature)')
    .option('--no-low-s-only', 'ECDSA: verify accepts high-S signatures again (the default)')
    .option('--reason <text>', 'why: recorded with the change (required with --min-version)')
    .option('--yes', 'confirm a min_version raise without asking (for scripts)')
    .option('--json', 'print KeyInfo as JSON')
    .action(async (name: string, opts: { rotationPeriod?: string; minVersion?: string; lowSOnly?: boolean; reason?: string; yes?: boolean; json?: boolean }) => {
      if (opts.rotationPeriod === undefined && opts.minVersion === undefined && opts.lowSOnly === undefined) {
        throw new UsageError('give --rotation-period, --min-version and/or --[no-]low-s-only');
      }
      if (opts.minVersion !== undefined && opts.reason === undefined) throw new UsageError('--min-version needs --reason "<why>" (it is irreversible)');
      const change = {
        ...(opts.rotationPeriod !== undefined ? { rotation_period: periodArg(opts.rotationPeriod) } : {}),
        ...(opts.minVersion !== undefined ? { min_version: versionArg(opts.minVersion) } : {}),
        ...(opts.reason !== undefined ? { reason: opts.reason } : {}),
        ...(opts.lowSOnly !== undefined ? { low_s_only: opts.lowSOnly } : {}),
      };
      await withRuntime(ctx, async (rt) => {
        const before = await rt.keys.get(name);
        if (change.min_version !== undefined && change.min_version > before.min_version) {
          const stop = `v${before.min_version}${change.min_version - 1 > before.min_version ? `-v${change.min_version - 1}` : ''}`;
          await confirmIrreversible(ctx.io, opts.yes, `Raise min_version of ${name} to ${change.min_version}: ${stop} will never verify or decrypt again`, name);
        }
        show(opts, await rt.keys.configure(name, change, cliActor()));
      });
    });

  keys
    .command('revoke')
    .description('revoke a version: it never verifies or decrypts again (not the newest: rotate first)')
    .argument('<name>')
    .requiredOption('--version <n>', 'the version number')
    .option('--reason <text>', 'why: recorded with the change')
    .option('--json', 'print KeyInfo as JSON')
    .action(async (name: string, opts: { version: string; reason?: string; json?: boolean }) => {
      const version = versionArg(opts.version);
      await withRuntime(ctx, async (rt) => show(opts, await rt.keys.revoke(name, version, cliActor(), opts.reason)));
    });

  keys
    .command('destroy')
    .description('destroy a version: erase its private half for good; a signing key still verifies (not the newest)')
    .argument('<name>')
    .requiredOption('--version <n>', 'the version number')
    .requiredOption('--reason <text>', 'why: recorded with the change')
    .option('--yes', 'confirm without asking (for scripts)')
    .option('--json', 'print KeyInfo as JSON')
    .action(async (name: string, opts: { version: string; reason: string; yes?: boolean; json?: boolean }) => {
      const version = versionArg(opts.version);
      await withRuntime(ctx, async (rt) => {
        await rt.keys.get(name);
        await confirmIrreversible(ctx.io, opts.yes, `Destroy v${version} of ${name}: its private half is erased for good`, name);
        show(opts, await rt.keys.destroy(name, version, cliActor(), opts.reason));
      });
    });

  keys
    .command('history')
    .description('every recorded change to a key: when, who, what, and the reason given')
    .argument('<name>')
    .option('--json', 'print {"name", "events": [{"ts", "actor", "op", "version", "detail", "reason"}]}')
    .action(async (name: string, opts: { json?: boolean }) => {
      const { keyHistory } = await import('../keys/history.ts');
      await withRuntime(ctx, async (rt) => {
        const events = await keyHistory(rt.db, name);
        ctx.io.out(opts.json ? json({ name, events }) : keyHistoryTable(events));
      });
    });
}
