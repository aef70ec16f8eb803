/**
 * `payseal ledger verify --bundle F --ledger F [--message FILE]`: the auditor's offline ledger check (API.md
 * "Command line"). Every link, hash and checkpoint signature of a JSON-lines export is checked (src/verify/
 * ledger.ts, both cores); the first bad entry is named by seq. With --message, is this JWS or raw signature in
 * the ledger, and which checkpoint vouches for it? Exit 0 valid (and found), 1 invalid or not found, 2 usage or
 * input error. Progress goes to stderr when it is a terminal. Offline: no network, no database, no config.
 * (`ledger export`, which reads the store, joins this command in the wiring phase.)
 */
import type { Command } from 'commander';
import { PaysealError } from '../errors.ts';
import { verifyMessageJws } from '../verify/jws.ts';
import { verifyLedger, type LedgerVerdict } from '../verify/ledger.ts';
import { EXIT_INVALID, EXIT_VALID, offline, offlineCommand, readBundleFile, readInputFile, renderVerdict, type OfflineIo } from './verify.ts';

interface LedgerVerifyOptions {
  bundle: string;
  ledger: string;
  message?: string;
  json?: boolean;
  threads?: string;
}

function renderLedger(v: LedgerVerdict): string {
  const out: string[] = [];
  const cp = v.last_checkpoint;
  const summary =
    `${v.entries} entries (head seq ${v.head?.seq}, hash ${v.head?.hash}); ${v.checkpoints} checkpoint${v.checkpoints === 1 ? '' : 's'}, ${v.valid_checkpoints} valid` +
    (cp ? `; the last valid one at seq ${cp.seq} (${cp.ts}, ${cp.key} v${cp.key_version})` : '') +
    (v.uncovered_entries > 0 ? `; ${v.uncovered_entries} entries after it are not yet covered by a checkpoint` : '') +
    `; checked by this thread${v.threads > 0 ? ` and ${v.threads} worker thread${v.threads > 1 ? 's' : ''}` : ''}`;
  const first = v.problems[0];
  if (first === undefined) out.push(`ledger valid: ${summary}`);
  else {
    const where = first.to_seq !== undefined && first.to_seq !== first.seq ? `seqs ${first.seq}-${first.to_seq}` : `seq ${first.seq}`;
    out.push(`ledger invalid: ${first.kind} at ${where}${first.line === null ? '' : ` (line ${first.line})`}: ${first.message}`);
    for (const p of v.problems.slice(1)) out.push(`  also: ${p.kind} at seq ${p.seq}${p.line === null ? '' : ` (line ${p.line})`}: ${p.message}`);
    if (v.more_problems) out.push('  (more problems not listed)');
    out.push(`  ${summary}`);
  }
  const m = v.message;
  if (m !== undefined) {
    const e = m.entries[0];
    if (e === undefined) out.push(`message not in the ledger: no entry records output_sha256 ${m.output_sha256}`);
    else {
      const found = `message found at seq ${e.seq} (${e.op} by ${e.actor} at ${e.ts}, key ${e.key} v${e.key_version})`;
      const c = m.checkpoint;
      out.push(c === null ? `${found}; NOT yet covered by a valid checkpoint` : `${found}; vouched for by the checkpoint at seq ${c.seq} (${c.ts}, ${c.key} v${c.key_version})`);
      for (const more of m.entries.slice(1)) out.push(`  also recorded at seq ${more.seq} (${more.op} at ${more.ts})`);
    }
  }
  return out.join('\n') + '\n';
}

/** Redraws one progress line on a terminal, at most about ten times a second. */
function progress(io: OfflineIo): { update: (done: number, total: number) => void; clear: () => void } {
  if (!io.tty) return { update: () => {}, clear: () => {} };
  let last = 0;
  return {
    update(done, total) {
      const now = Date.now();
      if (now - last < 100 && done < total) return;
      last = now;
      io.err(`\rverifying ledger: ${total === 0 ? 100 : Math.floor((100 * done) / total)}% (${done.toLocaleString('en')} of ${total.toLocaleString('en')} lines)`);
    },
    clear: () => io.err('\r\x1b[K'),
  };
}

async function runLedgerVerify(io: OfflineIo, o: LedgerVerifyOptions): Promise<number> {
  const threads = o.threads === undefined ? undefined : Number(o.threads);
  if (threads !== undefined && (!Number.isInteger(threads) || threads < 0 || threads > 64)) throw new PaysealError('invalid_request', '--threads must be a whole number 0-64');
  const bundle = readBundleFile(o.bundle);
  const bytes = readInputFile(o.ledger, 'ledger');
  const message = o.message === undefined ? undefined : readInputFile(o.message, 'message').toString('utf8');
  const bar = progress(io);
  let verdict: LedgerVerdict;
  try {
    verdict = await verifyLedger(bundle, bytes, { message, workers: threads, onProgress: bar.update });
  } finally {
    bar.clear();
  }
  // A JWS's own signature is shown beside its ledger record: found in the ledger means payseal issued exactly
  // these bytes; the signature check says whether the bundle's key still vouches for them.
  const jws = message !== undefined && verdict.message?.kind === 'jws' ? await verifyMessageJws(bundle, message) : undefined;
  if (o.json) io.out(JSON.stringify(jws === undefined ? verdict : { ...verdict, jws }, null, 2) + '\n');
  else io.out(renderLedger(verdict) + (jws === undefined ? '' : `message signature: ${renderVerdict(jws)}`));
  return verdict.valid ? EXIT_VALID : EXIT_INVALID;
}

/** `payseal ledger` with its offline `verify` subcommand; `done` receives the exit code. */
export function ledgerCommand(io: OfflineIo, done: (code: number) => void): Command {
  const ledger = offlineCommand(io, 'ledger').description('the hash-chained signing ledger');
  ledger
    .command('verify')
    .description('offline: check every link, hash and checkpoint of a ledger export; name the first broken entry (exit 0 valid, 1 invalid, 2 usage or input error)')
    .requiredOption('--bundle <file>', 'the key bundle, holding the ledger key')
    .requiredOption('--ledger <file>', 'the JSON-lines ledger export (payseal ledger export, GET /v1/ledger)')
    .option('--message <file>', 'a compact JWS or a payseal:v<N>: signature: is it in the ledger, under which checkpoint?')
    .option('--threads <n>', 'worker threads besides the main one (default: one per other core for large exports; 0: none)')
    .option('--json', 'print the verdict as JSON')
    .action(async (o: LedgerVerifyOptions) => done(await offline(io, () => runLedgerVerify(io, o))));
  return ledger;
}
