/**
 * The offline commands: `payseal verify` and `payseal ledger verify`, through their commander builders
 * (src/cli/verify.ts, src/cli/ledger.ts) for exit codes and output, and through the real `payseal` binary run
 * under `unshare -n` (no network namespace: nothing to connect to), in an empty directory, with a DATABASE_URL
 * that points nowhere and no KEK: the commands still answer, and no data directory appears.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { Command } from 'commander';
import { beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson, encodeBase64Url, signCompactJws } from '../src/crypto/index.ts';
import { ledgerCommand } from '../src/cli/ledger.ts';
import { verifyCommand, type OfflineIo } from '../src/cli/verify.ts';
import { makeFixture, makeLedger, writeFiles, type Fixture, type FixtureKey } from './support/verify-fixtures.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
let fixture: Fixture;
let files: Record<string, string>;
let sig = '';

beforeAll(async () => {
  fixture = await makeFixture([{ name: 'payments', type: 'ecdsa-p256', states: ['revoked', 'active'] }]);
  const payments = fixture.keys.get('payments') as FixtureKey;
  const input = Buffer.from('pay 12.00 EUR');
  sig = await payments.sign(2, input);
  const jws = await signCompactJws(payments.spec, payments.privateKeys[1]!, { kid: 'payments:v2', iat: 1_740_000_000, jti: encodeBase64Url(randomBytes(16)) }, Buffer.from(canonicalJson({ amount: '12.00' })));
  const ledger = await makeLedger(fixture, 500, 100);
  files = writeFiles({
    'bundle.json': JSON.stringify(fixture.bundle),
    'input.bin': input,
    'sig.txt': `${sig}\n`,
    'revoked.txt': await payments.sign(1, input),
    'message.jws': `${jws}\n`,
    'ledger.jsonl': ledger.text,
    'tampered.jsonl': ledger.text.replace(/("seq":321,[^\n]*?"actor":")client:payments/, '$1client:mallory'),
    'not-json.jsonl': 'hello\n',
  });
}, 60_000);

async function run(args: string[], tty = false): Promise<{ code: number | null; out: string; err: string; thrown?: unknown }> {
  let out = '';
  let err = '';
  let code: number | null = null;
  const io: OfflineIo = { out: (t) => void (out += t), err: (t) => void (err += t), tty };
  const program = new Command('payseal').exitOverride();
  program.addCommand(verifyCommand(io, (c) => (code = c)));
  program.addCommand(ledgerCommand(io, (c) => (code = c)));
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (thrown) {
    return { code, out, err, thrown };
  }
  return { code, out, err };
}

describe('payseal verify (builder)', () => {
  it('exit 0 for a valid raw signature, given inline or as a file; 1 with the reason for a revoked version', async () => {
    const base = ['verify', '--bundle', files['bundle.json']!, '--key', 'payments', '--input', files['input.bin']!];
    await expect(run([...base, '--signature', sig])).resolves.toMatchObject({ code: 0, out: expect.stringMatching(/^valid: signed by payments v2 \(ecdsa-p256, active\)/) });
    await expect(run([...base, '--signature', files['sig.txt']!])).resolves.toMatchObject({ code: 0 });
    const revoked = await run([...base, '--signature', files['revoked.txt']!]);
    expect(revoked).toMatchObject({ code: 1, out: expect.stringMatching(/^invalid: key_version_revoked: payments v1 was revoked at 2025-06-01T00:00:00.000Z \(the signature itself checks out\)/) });
    const wrongInput = await run(['verify', '--bundle', files['bundle.json']!, '--key', 'payments', '--input', files['bundle.json']!, '--signature', sig]);
    expect(wrongInput).toMatchObject({ code: 1, out: expect.stringMatching(/^invalid: bad_signature/) });
  });

  it('exit 0 for a valid JWS, with --json the verdict as JSON', async () => {
    const r = await run(['verify', '--bundle', files['bundle.json']!, '--jws', files['message.jws']!, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ valid: true, kid: 'payments:v2', message: { amount: '12.00' } });
  });

  it('exit 2 for usage and input errors, on stderr', async () => {
    const b = ['verify', '--bundle', files['bundle.json']!];
    for (const args of [
      b,
      [...b, '--jws', files['message.jws']!, '--key', 'payments'],
      [...b, '--jws', files['message.jws']!, '--hash', 'sha2-256'],
      [...b, '--key', 'payments', '--input', 'no-such-file', '--signature', sig],
      [...b, '--key', 'payments', '--input', files['input.bin']!, '--signature', sig, '--hash', 'md5'],
      ['verify', '--bundle', files['ledger.jsonl']!, '--jws', files['message.jws']!],
    ]) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toMatch(/^error: [a-z_]+: /);
    }
    const missing = await run(['verify', '--jws', files['message.jws']!]);
    expect((missing.thrown as { code?: string }).code).toBe('commander.missingMandatoryOptionValue');
  });
});

describe('payseal ledger verify (builder)', () => {
  it('exit 0 for an intact export; 1 naming the first bad entry; 2 for a file that is not an export', async () => {
    const ok = await run(['ledger', 'verify', '--bundle', files['bundle.json']!, '--ledger', files['ledger.jsonl']!]);
    expect(ok).toMatchObject({ code: 0, out: expect.stringMatching(/^ledger valid: 500 entries .* 5 checkpoints, 5 valid/) });
    const bad = await run(['ledger', 'verify', '--bundle', files['bundle.json']!, '--ledger', files['tampered.jsonl']!]);
    expect(bad).toMatchObject({ code: 1, out: expect.stringMatching(/^ledger invalid: edited at seq 321 \(line \d+\)/) });
    const junk = await run(['ledger', 'verify', '--bundle', files['bundle.json']!, '--ledger', files['not-json.jsonl']!]);
    expect(junk).toMatchObject({ code: 2, err: 'error: invalid_request: line 1: not JSON\n' });
  });

  it('shows progress on stderr only when it is a terminal', async () => {
    const args = ['ledger', 'verify', '--bundle', files['bundle.json']!, '--ledger', files['ledger.jsonl']!, '--threads', '0'];
    expect((await run(args, true)).err).toMatch(/\rverifying ledger: 100% \(505 of 505 lines\)/);
    expect((await run(args, false)).err).toBe('');
  });

  it('--message: a JWS not in the ledger is exit 1, and its own signature is still shown', async () => {
    const r = await run(['ledger', 'verify', '--bundle', files['bundle.json']!, '--ledger', files['ledger.jsonl']!, '--message', files['message.jws']!]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/message not in the ledger/);
    expect(r.out).toMatch(/message signature: valid: signed by payments v2/);
  });
});

let unshare = false;
try {
  execFileSync('unshare', ['-n', 'true'], { stdio: 'ignore' });
  unshare = true;
} catch {
  unshare = false;
}

function binary(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  // A DATABASE_URL that leads nowhere and no KEK: a command that tried to open the store would fail or hang.
  const env = { ...process.env, DATABASE_URL: 'postgres://payseal@10.255.255.1:5432/none', PAYSEAL_KEK: '', PAYSEAL_KEK_FILE: '', PAYSEAL_DATA_DIR: join(cwd, 'data') };
  return new Promise((res) => {
    execFile('unshare', ['-n', process.execPath, join(ROOT, 'bin/payseal.js'), ...args], { cwd, env, timeout: 60_000 }, (err, stdout, stderr) =>
      res({ code: err ? Number((err as { code?: number }).code) : 0, stdout, stderr }),
    );
  });
}

describe.skipIf(!unshare)('offline commands with networking disabled (unshare -n)', () => {
  it('verify and ledger verify answer with no network, open no store and create no data directory', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'payseal-offline-'));
    const [jws, raw, ledger, tampered] = await Promise.all([
      binary(['verify', '--bundle', files['bundle.json']!, '--jws', files['message.jws']!], cwd),
      binary(['verify', '--bundle', files['bundle.json']!, '--key', 'payments', '--input', files['input.bin']!, '--signature', files['revoked.txt']!], cwd),
      binary(['ledger', 'verify', '--bundle', files['bundle.json']!, '--ledger', files['ledger.jsonl']!, '--threads', '2', '--json'], cwd),
      binary(['ledger', 'verify', '--bundle', files['bundle.json']!, '--ledger', files['tampered.jsonl']!], cwd),
    ]);
    expect(jws).toMatchObject({ code: 0, stdout: expect.stringMatching(/^valid: signed by payments v2/) });
    expect(raw).toMatchObject({ code: 1, stdout: expect.stringMatching(/^invalid: key_version_revoked/) });
    expect(ledger.code).toBe(0);
    expect(JSON.parse(ledger.stdout)).toMatchObject({ valid: true, entries: 500 });
    expect(tampered).toMatchObject({ code: 1, stdout: expect.stringMatching(/^ledger invalid: edited at seq 321/) });
    expect(readdirSync(cwd)).toEqual([]);
    expect(existsSync(join(cwd, 'data'))).toBe(false);
  }, 120_000);

  it('the namespace really has no network: a connection attempt fails at once', async () => {
    const probe = join(mkdtempSync(join(tmpdir(), 'payseal-probe-')), 'probe.mjs');
    writeFileSync(probe, "import net from 'node:net'; net.connect(443, '1.1.1.1').on('error', (e) => { console.log(e.code); process.exit(0); }).on('connect', () => { console.log('connected'); process.exit(1); });");
    const out = execFileSync('unshare', ['-n', process.execPath, probe], { encoding: 'utf8', timeout: 20_000 });
    expect(out.trim()).toBe('ENETUNREACH');
  });
});

if (!unshare) {
  describe.skip('offline commands with networking disabled: `unshare -n` is not available here (user namespaces disabled)', () => {
    it('runs the binary under unshare -n', () => {});
  });
}
