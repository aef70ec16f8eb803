/**
 * `npm run bench` machinery (scripts/bench.ts), run for real with tiny phases: it must finish, print every table
 * with every signing type and every HTTP row, write the report only when asked to, and refuse unknown sections.
 * No timing is asserted: the numbers of a 20 ms run on a shared machine mean nothing.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyTypeSpecs } from '../src/crypto/index.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DOC = join(ROOT, 'docs', 'PERFORMANCE.md');
const dir = mkdtempSync(join(tmpdir(), 'payseal-bench-smoke-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function bench(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((res) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'scripts/bench.ts', ...args],
      { cwd: ROOT, env: { ...process.env, PAYSEAL_BENCH_MS: '20', ...env }, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => res({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** The docs file's state, to prove a run without --write left it alone. */
const docState = (): string => (existsSync(DOC) ? `${statSync(DOC).mtimeMs}:${readFileSync(DOC, 'utf8').length}` : 'absent');

const number = String.raw`[\d,]+(?:\.\d)?`;

// The two runs are independent; started together they take the time of the longer one, not the sum.
let crypto: Promise<Run>;
let http: Promise<Run>;
const written = join(dir, 'perf.md');
const notWritten = join(dir, 'not-written.md');
let before: string;

beforeAll(() => {
  before = docState();
  crypto = bench(['--only', 'sign,bulk,keygen', '--out', notWritten], { PAYSEAL_BENCH_DSA_SAMPLES: '1' });
  http = bench(['--only', 'http,ledger', '--write', '--out', written]);
});

// Both benches share two cores with the rest of the suite: give them room, as a timing is never asserted here.
describe('npm run bench', { timeout: 240_000 }, () => {
  it('without --write: prints the sign/verify table for every signing type, bulk and keygen, and writes nothing', async () => {
    const r = await crypto;
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.code).toBe(0);
    for (const spec of keyTypeSpecs().filter((s) => s.purpose === 'sign')) {
      // type | options | payseal, raw, Δ for sign, then for verify
      expect(r.stdout).toMatch(new RegExp(`^\\| ${spec.type} \\| [^|]+ \\| ${number} \\| ${number} \\| -?\\d+\\.\\d% \\| ${number} \\| ${number} \\| -?\\d+\\.\\d% \\|$`, 'm'));
    }
    for (const what of ['AES-256-GCM seal', 'AES-256-GCM open', 'SHA-256', 'SHA3-256']) expect(r.stdout).toMatch(new RegExp(`^\\| ${what} \\(64 KiB\\) \\| ${number} \\|`, 'm'));
    for (const type of ['dsa-2048', 'dsa-3072']) expect(r.stdout).toMatch(new RegExp(`^\\| ${type} \\| \\d+ \\| \\d+ \\| \\d+\\.\\d \\| \\d+\\.\\d \\|$`, 'm'));
    expect(r.stdout).toMatch(/^- Load average when the run started \(1, 5, 15 min\): \d+\.\d\d, \d+\.\d\d, \d+\.\d\d/m);
    expect(r.stdout).toMatch(/^- Node v\d+\.\d+\.\d+, OpenSSL \d/m);
    expect(r.stdout).toMatch(/^- RAM: \d+\.\d GiB$/m);
    expect(r.stdout).not.toMatch(/HTTP against the targets/);
    await http; // the other run must not have touched docs/ either
    expect(existsSync(notWritten)).toBe(false);
    expect(docState()).toBe(before);
  });

  it('with --write --out: prints and writes the HTTP targets with a verdict each and every load row answered 2xx', async () => {
    const r = await http;
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.code).toBe(0);
    for (const target of ['single sign (ECDSA P-256', 'batch signing (1000 per request)', 'p99 latency of one sign at half the peak', 'ledger on: single sign req/s']) {
      expect(r.stdout).toMatch(new RegExp(`^\\| ${target.replace(/[()]/g, '\\$&')}[^\\n]*\\| \\*\\*(pass|miss)\\*\\* \\|$`, 'm'));
    }
    const rows = [
      'bare express, GET /empty',
      'express \\+ helmet, GET /empty',
      'express \\+ express\\.json\\(\\), POST /empty',
      'payseal POST /v1/keys/\\{name\\}/sign, one message',
      'payseal sign, one message, ledger off',
      'payseal sign, batch_input of 1000',
      'payseal sign, batch_input of 100',
      'payseal sign, open loop at',
      'control: bare express GET /empty, open loop at',
      'payseal sign, autocannon overallRate',
    ];
    for (const row of rows) {
      // non-2xx / errors is 0 / 0 (every request the bench timed succeeded); peak RSS and heap are numbers.
      expect(r.stdout).toMatch(new RegExp(`^\\| ${row}[^|]* \\|(?: [^|]+ \\|){5} 0 / 0 \\|(?: [^|]+ \\|){4} \\d+ \\| \\d+ \\|$`, 'm'));
    }
    // The offline ledger verification section (scripts/bench-ledger.ts), scaled down with PAYSEAL_BENCH_MS.
    expect(r.stdout).toMatch(/^### Offline ledger verification \([\d,]+ entries, a checkpoint every 1000, ledger key ed25519\)$/m);
    expect(r.stdout).toMatch(/^\| `payseal ledger verify` end to end \| main \+ \d+ worker\(s\) \| \d+\.\d\d s \| [\d,]+ \|$/m);
    expect(r.stdout).toMatch(/^Target \(DESIGN\.md\): under 10 s\. (Met|MISSED) end to end/m);
    expect(readFileSync(written, 'utf8')).toBe(r.stdout.replace(/\n$/, ''));
  });

  it('--types limits the sign/verify table to the named types', async () => {
    const r = await bench(['--only', 'sign', '--types', 'ecdsa-p256,ed25519']);
    expect(r.code).toBe(0);
    const rows = r.stdout.split('\n').filter((l) => /^\| [a-z][a-z0-9-]* \| /.test(l) && !l.startsWith('| type '));
    expect(rows.map((l) => l.split(' | ')[0])).toEqual(['| ecdsa-p256', '| ed25519']);
  });

  it('refuses an unknown section with a non-zero exit', async () => {
    const r = await bench(['--only', 'sign,nonsense']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--only takes sign, bulk, keygen, http/);
  });
});
