/**
 * `node --import tsx scripts/bench-ledger.ts [--entries 100000] [--every 1000] [--ledger-type ecdsa-p256] [--keep]`
 *
 * DESIGN.md target: "offline verification of 100,000 ledger entries with their signatures in under 10 s on 2
 * cores". Builds a real export: N `sign` entries whose output_sha256 is the digest of a real ECDSA P-256
 * signature over a random 256-byte input (made with src/crypto on libuv's pool), chained as the store will
 * chain them, with a checkpoint every --every entries and at the head signed by a ledger key of --ledger-type;
 * and a payseal-bundle/1 holding both keys. Then times offline verification (parse, recompute every hash, check
 * every link and every checkpoint signature with both opinions): in this process on one thread, in this process
 * with worker threads (after an untimed warm-up pass), and end to end through the command line (`payseal
 * ledger verify`, a fresh process: tsx start-up, module loading and worker start included). The workers share
 * the machine with whatever else runs: the load average is printed. Prints a Markdown table; nothing is
 * asserted. The files go to a temp dir, removed unless --keep.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createSigner, formatVersioned, generateKeyMaterial, importSecret, resolveKeyType, type KeyType } from '../src/crypto/index.ts';
import { LEDGER_KEY_NAME, signCheckpoint } from '../src/ledger/format/checkpoint.ts';
import { signDigests } from '../src/ledger/format/digests.ts';
import { chainEntries, type LedgerDraft } from '../src/ledger/format/entry.ts';
import { exportLines } from '../src/ledger/format/export.ts';
import { parseBundleText } from '../src/verify/bundle.ts';
import { verifyLedger } from '../src/verify/ledger.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    entries: { type: 'string', default: '100000' },
    every: { type: 'string', default: '1000' },
    'ledger-type': { type: 'string', default: 'ecdsa-p256' },
    keep: { type: 'boolean', default: false },
  },
  strict: true,
});
const count = Number(values.entries);
const every = Number(values.every);
const log = (s: string) => process.stderr.write(`${s}\n`);

async function keyPair(type: KeyType) {
  const spec = resolveKeyType(type);
  const m = await generateKeyMaterial(spec);
  return { spec, privateKey: importSecret(spec, m.secret), pem: m.publicPem as string };
}

const started = performance.now();
const [payments, ledger] = await Promise.all([keyPair('ecdsa-p256'), keyPair(values['ledger-type'] as KeyType)]);
const signer = createSigner(payments.spec, payments.privateKey);
log(`signing ${count} inputs with ecdsa-p256 ...`);
const drafts: LedgerDraft[] = new Array(count);
const t0 = Date.UTC(2025, 2, 1);
for (let at = 0; at < count; at += 1000) {
  const slice = Array.from({ length: Math.min(1000, count - at) }, (_, k) => at + k);
  await Promise.all(
    slice.map(async (i) => {
      const input = randomBytes(256);
      const signature = await signer.sign(input);
      drafts[i] = { ts: new Date(t0 + i * 10).toISOString(), actor: 'client:payments', op: 'sign', key: 'payments', key_version: 1, ...signDigests(input, signature) };
    }),
  );
}
const entries = chainEntries(null, drafts);
const ledgerSigner = { name: LEDGER_KEY_NAME, version: 1, signer: createSigner(ledger.spec, ledger.privateKey) };
const checkpoints = await Promise.all(entries.filter((e) => e.seq % every === 0 || e.seq === count).map((e) => signCheckpoint(e, new Date(t0 + e.seq * 10), ledgerSigner)));
const dir = mkdtempSync(join(tmpdir(), 'payseal-bench-ledger-'));
const ledgerPath = join(dir, 'ledger.jsonl');
const bundlePath = join(dir, 'bundle.json');
writeFileSync(ledgerPath, [...exportLines(entries, checkpoints)].join(''));
const version = (pem: string) => ({ version: 1, state: 'active', created_at: new Date(t0).toISOString(), public_key_pem: pem });
writeFileSync(
  bundlePath,
  JSON.stringify({
    format: 'payseal-bundle/1',
    issued_at: new Date().toISOString(),
    keys: [
      { name: 'payments', type: 'ecdsa-p256', min_version: 1, versions: [version(payments.pem)] },
      { name: LEDGER_KEY_NAME, type: values['ledger-type'], min_version: 1, versions: [version(ledger.pem)] },
    ],
    ledger_public_key_pem: ledger.pem,
  }),
);
log(`built ${count} entries and ${checkpoints.length} checkpoints in ${((performance.now() - started) / 1000).toFixed(1)} s (${(statSync(ledgerPath).size / 1e6).toFixed(1)} MB)`);

const load = loadavg()[0] ?? 0;
async function timed<T>(what: string, f: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const t = performance.now();
  const value = await f();
  const seconds = (performance.now() - t) / 1000;
  log(`${what}: ${seconds.toFixed(2)} s`);
  return { seconds, value };
}

const bundle = parseBundleText(readFileSync(bundlePath, 'utf8'));
// Read once, as the CLI does; the timings below are verification alone.
const ledgerBytes = readFileSync(ledgerPath);
// One untimed pass first, so neither timed pass pays for loading the modules and warming the JIT.
await timed('warm-up (not reported)', () => verifyLedger(bundle, ledgerBytes, { workers: 0 }));
const single = await timed('in process, one thread', () => verifyLedger(bundle, ledgerBytes, { workers: 0 }));
const parallel = await timed('in process, this thread and worker threads sharing runs', () => verifyLedger(bundle, ledgerBytes));
const cli = await timed('command line (payseal ledger verify, with start-up)', () =>
  new Promise<{ code: number; threads: number }>((res) => {
    execFile(process.execPath, ['bin/payseal.js', 'ledger', 'verify', '--bundle', bundlePath, '--ledger', ledgerPath, '--json'], { cwd: ROOT, maxBuffer: 1 << 24 }, (err, stdout) => {
      let threads = -1;
      try {
        threads = (JSON.parse(stdout) as { threads: number }).threads;
      } catch {
        threads = -1;
      }
      res({ code: err ? Number(err.code) : 0, threads });
    });
  }),
);
if (!parallel.value.valid || !single.value.valid || cli.value.code !== 0) {
  log(`UNEXPECTED: the bench ledger did not verify (in-process ${parallel.value.valid}/${single.value.valid}, CLI exit ${cli.value.code})`);
  process.exitCode = 1;
}
if (!values.keep) rmSync(dir, { recursive: true, force: true });
else log(`kept ${dir}`);

console.log(`### Offline ledger verification (${count.toLocaleString('en')} entries, a checkpoint every ${every}, ledger key ${values['ledger-type']})`);
console.log('');
console.log(`Machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores; Node ${process.version}; load average ${load.toFixed(2)} when verification started.`);
console.log('');
console.log('| how | threads | time | entries/s |');
console.log('| --- | --- | --- | --- |');
const row = (how: string, threads: string, s: number) => console.log(`| ${how} | ${threads} | ${s.toFixed(2)} s | ${Math.round(count / s).toLocaleString('en')} |`);
row('in process (verifyLedger)', `main + ${parallel.value.threads} worker(s)`, parallel.seconds);
row('in process, one thread', 'main', single.seconds);
row('`payseal ledger verify` end to end', `main + ${cli.value.threads} worker(s)`, cli.seconds);
console.log('');
console.log(`Target (DESIGN.md): under 10 s. ${cli.seconds < 10 ? 'Met' : 'MISSED'} end to end (${cli.seconds.toFixed(2)} s).`);
