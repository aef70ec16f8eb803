/**
 * The auditor's exports, read from the store like the other admin commands (DATABASE_URL, or the embedded data
 * dir, through a running service's socket when one runs):
 *
 *   payseal bundle export --out F               the offline key bundle (GET /v1/bundle), JSON
 *   payseal ledger export --out F [--from SEQ]  the ledger as JSON lines (GET /v1/ledger pages, concatenated)
 *
 * A ledger export first signs a checkpoint of the current head (unless one exists), so everything exported up
 * to that moment is vouched for by the ledger key; entries committed while the export runs are included but
 * may be after the last checkpoint (`payseal ledger verify` reports them as not yet covered). A complete,
 * verifiable export starts at seq 1 (the default); `--from` fetches the rest of an earlier export. Files are
 * written beside their destination and renamed into place, so a failed export never leaves half a file.
 * Progress goes to stderr when it is a terminal. A summary line goes to stdout.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { MAX_PAGE } from '../ledger/page.ts';
import { UsageError, type CliIo } from './_io.ts';
import { withRuntime, type CliContext } from './keys.ts';

function fromArg(raw: string | undefined): number {
  if (raw === undefined) return 1;
  if (!/^[1-9][0-9]{0,15}$/.test(raw) || !Number.isSafeInteger(Number(raw))) throw new UsageError(`--from must be a seq like 1, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

/** Writes through a temporary file in the same directory, renamed over `out` once complete. */
async function writeAtomically(out: string, write: (fd: number) => Promise<void>): Promise<void> {
  const target = path.resolve(out);
  const tmp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.tmp`);
  const fd = fs.openSync(tmp, 'w', 0o644);
  try {
    await write(fd);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(tmp, target);
  } catch (e) {
    try {
      fs.closeSync(fd);
    } catch {
      // already closed
    }
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

function progress(io: CliIo): { update(done: number, total: number): void; clear(): void } {
  if (!io.tty) return { update: () => {}, clear: () => {} };
  let last = 0;
  return {
    update(done, total) {
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      io.err(`\rexporting ledger: ${done.toLocaleString('en')} of ${total.toLocaleString('en')} entries`);
    },
    clear: () => io.err('\r\x1b[K'),
  };
}

/** `payseal bundle export`. */
export function registerBundle(program: Command, ctx: CliContext): void {
  const bundle = program.command('bundle').description('the offline key bundle auditors verify with');
  bundle
    .command('export')
    .description('write the key bundle (payseal-bundle/1: every signing key version\'s public half, the ledger key included)')
    .requiredOption('--out <file>', 'where to write it')
    .action(async (opts: { out: string }) => {
      await withRuntime(ctx, async (rt) => {
        const doc = await rt.ledger.bundle();
        await writeAtomically(opts.out, async (fd) => void fs.writeSync(fd, JSON.stringify(doc, null, 2) + '\n'));
        const versions = doc.keys.reduce((n, k) => n + k.versions.length, 0);
        ctx.io.out(`wrote ${opts.out}: ${doc.keys.length} signing keys, ${versions} versions, issued at ${doc.issued_at}\n`);
      });
    });
}

/** `payseal ledger export`, added to the offline `payseal ledger` command. */
export function registerLedgerExport(ledger: Command, ctx: CliContext): void {
  ledger
    .command('export')
    .description('write the ledger as JSON lines (entries and checkpoints), after signing a checkpoint of the head')
    .requiredOption('--out <file>', 'where to write it')
    .option('--from <seq>', 'first seq to export (default 1: a complete export)')
    .action(async (opts: { out: string; from?: string }) => {
      const from = fromArg(opts.from);
      await withRuntime(ctx, async (rt) => {
        const head = await rt.ledger.checkpointHead();
        const total = Math.max(0, (head?.checkpoint.seq ?? 0) - from + 1);
        const bar = progress(ctx.io);
        let entries = 0;
        let checkpoints = 0;
        let last: number | null = null;
        try {
          await writeAtomically(opts.out, async (fd) => {
            for (let next: number | null = from; next !== null; ) {
              const page = await rt.ledger.page(next, MAX_PAGE);
              for (const line of page.lines) {
                if (line.startsWith('{"checkpoint":')) checkpoints++;
                else entries++;
              }
              fs.writeSync(fd, page.lines.join(''));
              bar.update(entries, Math.max(total, entries));
              next = page.next;
            }
          });
          last = entries === 0 ? null : from + entries - 1;
        } finally {
          bar.clear();
        }
        const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
        const range = last === null ? 'no entries' : `${plural(entries, 'entry').replace(/entrys$/, 'entries')} (seq ${from}-${last})`;
        ctx.io.out(`wrote ${opts.out}: ${range} and ${plural(checkpoints, 'checkpoint')}${head ? `; the head at seq ${head.checkpoint.seq} is signed by ${head.checkpoint.key} v${head.checkpoint.key_version}` : ''}\n`);
      });
    });
}
