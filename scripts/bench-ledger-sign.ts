/**
 * Ledger-on against ledger-off single-sign throughput, in one run (DESIGN.md "Targets": the ledger costs at most
 * 20% of sign throughput). `node --import tsx scripts/bench-ledger-sign.ts`; prints a Markdown section.
 *
 * Two real payseal servers (scripts/bench-server.ts, each its own process on its own fresh embedded PGlite, as
 * `payseal serve` runs): `payseal`, and `payseal-ledger-off`, the same service with ServeOptions.ledger 'off'
 * (the bench-only switch: no configuration, variable or command reaches it), where signing records nothing.
 * autocannon (CONNECTIONS connections, closed loop) posts one random 256-byte message per request to
 * POST /v1/keys/{name}/sign (ECDSA P-256), in the order on, off, off, on, so drift in machine load favours
 * neither; a server idles while the other is measured. The ledger-on server's /metrics says how many entries
 * each group-commit transaction carried.
 *
 * With `--postgres` (and DATABASE_URL set) both servers use PostgreSQL instead, each in a schema of its own
 * (dropped afterwards): the ledger's writes then run in PostgreSQL's processes rather than on the service's
 * event loop, as in a production deployment.
 *
 * PAYSEAL_BENCH_HTTP_MS (default 8000) is one phase; a quarter of it warms each server up. `--connections N`
 * changes the concurrency (default CONNECTIONS, as `npm run bench`).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { CONNECTIONS, call, cannon, merge, startServer, type Phase, type ServerHandle } from './bench-http.ts';

const PHASE_MS = Number(process.env.PAYSEAL_BENCH_HTTP_MS ?? 8000);
const at = process.argv.indexOf('--connections');
const connections = at === -1 ? CONNECTIONS : Number(process.argv[at + 1]);
const KEY = 'bench-p256';
const log = (line: string): void => void process.stderr.write(`${line}\n`);

const adminToken = randomBytes(24).toString('base64url');
const env = { ...process.env, PAYSEAL_KEK: randomBytes(32).toString('base64'), PAYSEAL_ADMIN_TOKEN: adminToken };
const postgres = process.argv.includes('--postgres');
if (postgres && !process.env.DATABASE_URL) throw new Error('--postgres needs DATABASE_URL');
const schemas = postgres ? [`bench_on_${randomBytes(4).toString('hex')}`, `bench_off_${randomBytes(4).toString('hex')}`] : [];
async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
const urlFor = (schema: string) => {
  const u = new URL(process.env.DATABASE_URL as string);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
};
for (const schema of schemas) await admin(`CREATE SCHEMA ${schema}`);
const store = postgres ? 'PostgreSQL (DATABASE_URL), a schema each' : 'a fresh embedded PGlite each';
const load = loadavg()[0] ?? 0;
log(`starting payseal (ledger on) and payseal (ledger off), on ${store}`);
const [on, off] = await Promise.all([
  startServer('payseal', postgres ? { ...env, PAYSEAL_BENCH_DATABASE_URL: urlFor(schemas[0] as string), PAYSEAL_RATE_LIMIT_RPS: '0' } : env),
  startServer('payseal-ledger-off', postgres ? { ...env, PAYSEAL_BENCH_DATABASE_URL: urlFor(schemas[1] as string), PAYSEAL_RATE_LIMIT_RPS: '0' } : env),
]);

async function prepare(server: ServerHandle): Promise<{ token: string }> {
  await call(server.url, 'POST', '/v1/keys', adminToken, { name: KEY, type: 'ecdsa-p256' });
  const { token } = (await call(server.url, 'POST', '/v1/clients', adminToken, { name: 'bench', scopes: [`sign:${KEY}`] })) as { token: string };
  return { token };
}

function metric(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? Number.NaN : Number(line.slice(series.length + 1));
}

try {
  const tokens = new Map([
    [on, (await prepare(on)).token],
    [off, (await prepare(off)).token],
  ]);
  const body = Buffer.from(JSON.stringify({ input: randomBytes(256).toString('base64') }));
  const opts = (server: ServerHandle, ms: number) => ({
    url: `${server.url}/v1/keys/${KEY}/sign`,
    method: 'POST' as const,
    headers: { authorization: `Bearer ${tokens.get(server)}`, 'content-type': 'application/json' },
    body,
    connections,
    duration: Math.max(0.05, ms / 1000),
    sampleInt: Math.max(10, Math.min(250, ms / 4)),
  });
  log('warm-up');
  await cannon('warm-up', null, opts(on, PHASE_MS / 4));
  await cannon('warm-up', null, opts(off, PHASE_MS / 4));
  const before = await (await fetch(`${on.url}/metrics`)).text();
  log('on, off, off, on');
  const on1 = await cannon('ledger on', on, opts(on, PHASE_MS));
  const off1 = await cannon('ledger off', off, opts(off, PHASE_MS));
  const off2 = await cannon('ledger off', off, opts(off, PHASE_MS));
  const on2 = await cannon('ledger on', on, opts(on, PHASE_MS));
  const after = await (await fetch(`${on.url}/metrics`)).text();
  const [ledgerOn, ledgerOff] = [merge(on1, on2), merge(off1, off2)];
  const entries = metric(after, 'payseal_ledger_entries_total') - metric(before, 'payseal_ledger_entries_total');
  const batches = metric(after, 'payseal_ledger_batches_total{result="committed"}') - metric(before, 'payseal_ledger_batches_total{result="committed"}');
  const failed = metric(after, 'payseal_ledger_batches_total{result="failed"}');

  const cores = (p: Phase) => (p.server ? ((p.server.cpuUserMs + p.server.cpuSystemMs) / p.server.wallMs).toFixed(2) : '?');
  const row = (p: Phase) =>
    `| ${p.label} | ${Math.round(p.requestsPerSecond).toLocaleString('en')} | ${p.latencyMs.p50} / ${p.latencyMs.p99} ms | ${cores(p)} | ${p.loadgenCores.toFixed(2)} | ${p.non2xx + p.errors} |`;
  const ratio = ledgerOn.requestsPerSecond / ledgerOff.requestsPerSecond;
  console.log(`### Single-sign throughput, ledger on against ledger off (same run, ${postgres ? 'PostgreSQL' : 'embedded PGlite'})`);
  console.log('');
  console.log(`Machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores; Node ${process.version}; load average ${load.toFixed(2)} at the start (other processes share this machine).`);
  console.log(`Store: ${store}. ${connections} connections, ECDSA P-256, one 256-byte message per request, ${PHASE_MS / 1000} s per phase, order on, off, off, on; the rates are the means of the two phases.`);
  console.log('');
  console.log('| server | signatures/s | latency p50 / p99 | server cores | load-generator cores | failed |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  console.log(row(ledgerOn));
  console.log(row(ledgerOff));
  console.log('');
  console.log(`Ledger on is ${(100 * ratio).toFixed(1)}% of ledger off (cost ${(100 * (1 - ratio)).toFixed(1)}%; target: at most 20%). ` +
    `Group commit: ${entries.toLocaleString('en')} entries in ${batches.toLocaleString('en')} transactions during the measured phases (${(entries / batches).toFixed(1)} per transaction); failed batches: ${failed}.`);
} finally {
  await Promise.all([on.stop(), off.stop()]);
  for (const schema of schemas) await admin(`DROP SCHEMA ${schema} CASCADE`);
}
