/**
 * `payseal kek rotate --new-kek-file F`: re-wraps every private key under the KEK in F, in batches, with
 * progress (a redrawn line on a terminal, a line every few seconds otherwise). Ctrl-C stops after the
 * current batch; running the same command again resumes where it stopped. See docs/keys.md for the order
 * in which the service and this command are given the old and new KEKs.
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import { PaysealError } from '../errors.ts';
import type { KekRotateProgress } from '../keys/kek/rotate.ts';
import { EXIT_FAILED, EXIT_OK, UsageError, cliActor, json } from './_io.ts';
import { withRuntime, type CliContext } from './keys.ts';

const PLAIN_PROGRESS_MS = 2000;

function batchArg(raw: string): number {
  if (!/^[1-9][0-9]{0,5}$/.test(raw)) throw new UsageError('--batch-size must be a whole number from 1 to 999999');
  return Number(raw);
}

export function registerKek(program: Command, ctx: CliContext): void {
  const kek = program.command('kek').description('key-encryption key (KEK) administration');
  kek
    .command('rotate')
    .description('re-wrap every private key under a new KEK; resumable, no downtime')
    .requiredOption('--new-kek-file <file>', 'file holding the new KEK (standard base64 of 32 bytes)')
    .option('--batch-size <n>', 'rows re-wrapped per transaction', '100')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { newKekFile: string; batchSize: string; json?: boolean }) => {
      const batchSize = batchArg(opts.batchSize);
      let text: string;
      try {
        text = fs.readFileSync(opts.newKekFile, 'utf8');
      } catch (e) {
        throw new PaysealError('config_invalid', `cannot read ${opts.newKekFile} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
      }
      const abort = new AbortController();
      const onSigint = () => {
        ctx.io.err('\ninterrupt: stopping after the current batch; run the same command again to resume\n');
        abort.abort();
      };
      process.once('SIGINT', onSigint);
      let lastPlain = 0;
      const progress = ({ done, total }: KekRotateProgress) => {
        const pct = total === 0 ? 100 : Math.floor((done / total) * 100);
        const line = `re-wrapped ${done}/${total} private keys (${pct}%)`;
        if (ctx.io.tty) ctx.io.err(`\r${line}`);
        else if (Date.now() - lastPlain >= PLAIN_PROGRESS_MS || done === total) {
          lastPlain = Date.now();
          ctx.io.err(`${line}\n`);
        }
      };
      try {
        await withRuntime(ctx, async (rt) => {
          const r = await rt.rotateKek(text.trim(), { actor: cliActor(), batchSize, onProgress: progress, signal: abort.signal });
          if (ctx.io.tty) ctx.io.err('\n');
          if (opts.json) ctx.io.out(json({ new_kek_id: r.newKekId, rewrapped: r.rewrapped, remaining: r.remaining, completed: r.completed }));
          else if (r.completed) ctx.io.out(`KEK rotation complete: ${r.rewrapped} private keys re-wrapped under KEK ${r.newKekId}; no row is left under an old KEK\n`);
          else ctx.io.out(`KEK rotation incomplete: ${r.rewrapped} re-wrapped under KEK ${r.newKekId}, ${r.remaining} left: run the command again to resume\n`);
          ctx.exitCode = r.completed ? EXIT_OK : EXIT_FAILED;
        });
      } finally {
        process.off('SIGINT', onSigint);
      }
    });
}
