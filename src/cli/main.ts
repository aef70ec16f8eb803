/**
 * The `payseal` command (bin/payseal.js loads this file through tsx). Wires the subcommands and turns every
 * outcome into an exit code: 0 ok, 1 the operation failed, 2 usage error; failures print
 * `error: <code>: <message>` on stderr. `payseal serve` hands over to src/api/start.ts.
 */
import fs from 'node:fs';
import { Command, CommanderError } from 'commander';
import { loadConfig, type Config } from '../config.ts';
import { EXIT_OK, EXIT_USAGE, errorLine, exitCodeOf, type CliIo } from './_io.ts';
import { registerClients } from './clients.ts';
import { registerKek } from './kek.ts';
import { registerKeys, type CliContext } from './keys.ts';
import { registerBundle, registerLedgerExport } from './export.ts';
import { ledgerCommand } from './ledger.ts';
import { verifyCommand } from './verify.ts';

/** Loaded on demand: key administration commands should not pay for loading express and the API. */
async function runServe(config: Config): Promise<void> {
  const { start } = await import('../api/start.ts');
  await start(config);
}

/** The package's version (package.json sits two levels up from both src/cli and dist/cli). */
export function packageVersion(): string {
  const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** One line from the terminal (prompt on stderr, so stdout stays what the command prints). */
async function askOnTerminal(question: string): Promise<string> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await rl.question(question);
  } finally {
    rl.close();
  }
}

export async function run(argv: readonly string[], io: CliIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const ctx: CliContext = { io, config: () => loadConfig(env), exitCode: EXIT_OK };
  const program = new Command('payseal')
    .description('payseal: signing service for payment messages; key administration for security staff')
    .version(packageVersion(), '-V, --version', 'print the version and exit')
    // Program options only before the command: `keys revoke NAME --version 2` is the key version, not ours.
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError('(run with --help for usage)');
  program.command('serve').description('run the service (what npm start runs)').action(async () => {
    await runServe(ctx.config());
  });
  registerKeys(program, ctx);
  registerKek(program, ctx);
  registerClients(program, ctx);
  registerBundle(program, ctx);
  for (const offline of [verifyCommand, ledgerCommand]) program.addCommand(offline(io, (code) => (ctx.exitCode = code)));
  // `ledger export` reads the store, so it lives apart from the offline `ledger verify` (src/cli/export.ts).
  registerLedgerExport(program.commands.find((c) => c.name() === 'ledger') as Command, ctx);
  for (const c of program.commands) {
    c.exitOverride();
    for (const sub of c.commands) sub.exitOverride();
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return ctx.exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.help' || e.code === 'commander.version' ? EXIT_OK : EXIT_USAGE;
    }
    io.err(errorLine(e));
    return exitCodeOf(e);
  }
}

if (process.argv[1] && /payseal(\.js)?$/.test(process.argv[1])) {
  const io: CliIo = {
    out: (t) => void process.stdout.write(t),
    err: (t) => void process.stderr.write(t),
    tty: Boolean(process.stderr.isTTY),
    interactive: Boolean(process.stdin.isTTY && process.stderr.isTTY),
    ask: askOnTerminal,
  };
  const isServe = process.argv[2] === 'serve';
  const code = await run(process.argv.slice(2), io);
  if (!isServe || code !== EXIT_OK) process.exitCode = code;
}
