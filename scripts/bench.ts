/**
 * `npm run bench [-- --write] [-- --only sign,bulk,keygen,http,ledger] [-- --types ecdsa-p256,ed25519] [-- --out FILE]`
 *
 * Runs the crypto benchmark (scripts/bench-crypto.ts: payseal's src/crypto beside raw node:crypto, AES/SHA MB/s,
 * DSA key generation), the HTTP benchmark (scripts/bench-http.ts: DESIGN.md "Targets" against the real
 * server in its own process) and the ledger's (scripts/bench-ledger.ts, scripts/bench-ledger-sign.ts), and prints one Markdown report: the machine, the tables, the verdicts against the
 * targets, server memory, and a reading. With --write the same report goes to docs/PERFORMANCE.md (or --out).
 * Progress goes to stderr.
 *
 * Length: PAYSEAL_BENCH_MS (default 1000) is the time of one crypto case; HTTP phases are 8× that
 * (PAYSEAL_BENCH_HTTP_MS overrides) with a quarter of a phase of warm-up. The defaults take about three
 * minutes; PAYSEAL_BENCH_MS=30 is a smoke test. PAYSEAL_BENCH_DSA_SAMPLES (default 3) DSA generations per size.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  benchBulk,
  benchDsaKeygen,
  benchSigning,
  readingCrypto,
  renderBulk,
  renderKeygen,
  renderSigning,
  type BulkRow,
  type Keygen,
  type SignRow,
} from './bench-crypto.ts';
import { CONNECTIONS, benchHttp, readingHttp, renderHttp, type HttpResults } from './bench-http.ts';

const SECTIONS = ['sign', 'bulk', 'keygen', 'http', 'ledger'] as const;
type Section = (typeof SECTIONS)[number];

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const LOAD_AT_START = loadavg();
const STARTED = new Date();

function positive(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number of milliseconds, got ${JSON.stringify(raw)}`);
  return n;
}

const { values } = parseArgs({
  options: {
    write: { type: 'boolean', default: false },
    out: { type: 'string' },
    only: { type: 'string' },
    types: { type: 'string' },
  },
  strict: true,
});
const only = new Set<Section>(
  values.only === undefined
    ? SECTIONS
    : values.only.split(',').map((s) => {
        if (!(SECTIONS as readonly string[]).includes(s)) throw new Error(`--only takes ${SECTIONS.join(', ')}; got ${JSON.stringify(s)}`);
        return s as Section;
      }),
);
const types = values.types?.split(',');
const CASE_MS = positive('PAYSEAL_BENCH_MS', 1000);
const HTTP_MS = positive('PAYSEAL_BENCH_HTTP_MS', 8 * CASE_MS);
const DSA_SAMPLES = Math.round(positive('PAYSEAL_BENCH_DSA_SAMPLES', 3));
const log = (line: string): void => void process.stderr.write(`${line}\n`);

let sign: SignRow[] | null = null;
let bulk: BulkRow[] | null = null;
let keygen: Keygen | null = null;
let http: HttpResults | null = null;
if (only.has('sign')) {
  log('sign/verify, every signing type');
  sign = await benchSigning(CASE_MS, log, types);
}
if (only.has('bulk')) {
  log('AES-GCM and hashes');
  bulk = benchBulk(CASE_MS);
}
if (only.has('keygen')) {
  log('DSA key generation');
  keygen = await benchDsaKeygen(DSA_SAMPLES);
}
if (only.has('http')) {
  log('HTTP');
  http = await benchHttp({ phaseMs: HTTP_MS, warmupMs: HTTP_MS / 4, log });
}
/** A benchmark script in its own process; its standard output is a Markdown section. */
function section(script: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise<string>((res, rej) => {
    execFile(process.execPath, ['--import', 'tsx', script, ...args], { cwd: ROOT, env, maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
      if (err) rej(new Error(`${script} failed: ${stderr}`));
      else res(stdout.trim());
    });
  });
}

/**
 * The ledger: offline verification (scripts/bench-ledger.ts, the auditor's command running alone) of
 * LEDGER_ENTRIES entries (100,000 at the default scale, DESIGN.md's target) with a checkpoint every 1000 signed by
 * an Ed25519 ledger key, as payseal makes it; then ledger on against off at 4 × CONNECTIONS connections (the http
 * section measures CONNECTIONS), and, when DATABASE_URL is set, on PostgreSQL (scripts/bench-ledger-sign.ts).
 */
const LEDGER_ENTRIES = Math.max(2000, Math.round((100_000 * CASE_MS) / 1000));
const ledger: string[] = [];
if (only.has('ledger')) {
  log(`ledger: offline verification of ${LEDGER_ENTRIES} entries; signing with the ledger on and off`);
  ledger.push(await section('scripts/bench-ledger.ts', ['--entries', String(LEDGER_ENTRIES), '--ledger-type', 'ed25519']));
  const env = { ...process.env, PAYSEAL_BENCH_HTTP_MS: String(HTTP_MS) };
  ledger.push(await section('scripts/bench-ledger-sign.ts', ['--connections', String(4 * CONNECTIONS)], env));
  if (process.env.DATABASE_URL) ledger.push(await section('scripts/bench-ledger-sign.ts', ['--postgres'], env));
}

const cpuModel = cpus()[0]?.model ?? 'unknown CPU';
const busy = LOAD_AT_START[0]! > 0.5;
const doc = [
  '# Performance',
  '',
  'Produced by `npm run bench -- --write` (scripts/bench.ts, scripts/bench-crypto.ts, scripts/bench-http.ts,',
  'scripts/bench-server.ts, scripts/bench-ledger.ts, scripts/bench-ledger-sign.ts), about five minutes. Every payseal',
  'number stands beside its baseline measured in the same run. Re-run it on the target machine, with nothing else',
  'running, before sizing anything. `npm run bench` alone prints the same report; `-- --only sign,bulk,keygen,http,ledger`',
  'picks sections, `-- --types ecdsa-p256,ed25519` picks signing types, `-- --out FILE` writes elsewhere, and',
  'PAYSEAL_BENCH_MS (default 1000) scales every phase. With DATABASE_URL set the ledger section also runs on PostgreSQL.',
  '',
  '## Machine and run',
  '',
  `- CPU: ${cpuModel}, ${cpus().length} logical CPUs, ${availableParallelism()} available to Node`,
  `- RAM: ${(totalmem() / 1024 ** 3).toFixed(1)} GiB`,
  `- Node ${process.version}, OpenSSL ${process.versions.openssl}, UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? '4 (default)'}`,
  `- Date: ${STARTED.toISOString()}`,
  `- Load average when the run started (1, 5, 15 min): ${LOAD_AT_START.map((l) => l.toFixed(2)).join(', ')}` +
    (busy ? ' — **other work was running: the numbers are noisy and likely low**' : ' (quiet)'),
  `- Sections: ${[...only].join(', ')}${types ? ` (types: ${types.join(', ')})` : ''}; crypto case ${CASE_MS} ms (ABBA halves), HTTP phase ${HTTP_MS} ms`,
  '- Cores: the HTTP servers run in their own process, the load generator (autocannon, or the paced generator) in',
  `  the benchmark's process; with ${availableParallelism()} cores they compete. The tables give the CPU each side used, so`,
  '  "server cores" near the machine\'s core count minus "load generator cores" means the server was starved, not idle.',
  '',
  '## Results',
  '',
  ...(sign ? [renderSigning(sign), ''] : []),
  ...(bulk ? [renderBulk(bulk), ''] : []),
  ...(keygen ? [renderKeygen(keygen), ''] : []),
  ...(http ? [renderHttp(http), ''] : []),
  ...ledger.flatMap((l) => [l, '']),
  '## Reading',
  '',
  ...(busy ? [`- The run started with a load average of ${LOAD_AT_START[0]!.toFixed(2)} on ${cpus().length} CPUs: other processes took CPU from both sides of every comparison, and absolute numbers are low. Ratios measured in the same run (ABBA order) are the more trustworthy part.`] : []),
  ...readingCrypto(sign, keygen, bulk),
  ...(http ? readingHttp(http) : []),
  '',
].join('\n');

console.log(doc);
if (values.write) {
  const path = values.out !== undefined ? resolve(values.out) : join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'PERFORMANCE.md');
  writeFileSync(path, doc);
  log(`wrote ${path}`);
}
