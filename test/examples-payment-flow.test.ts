/**
 * examples/payment-flow runs as its README says: one command starts payseal on a fresh embedded store, the
 * ledger service and the gateway (two node processes importing payseal/client from the built package), and runs
 * a payment end to end: signed and booked, card details sealed and opened, verified locally, a replay and a
 * tampered message refused; it exits 0 only when every step did what it should. It runs the built dist/ (npm
 * test builds first; alone: `npm run build` before this file).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');

function runNode(args: readonly string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    for (const name of Object.keys(env)) if (name === 'DATABASE_URL' || name.startsWith('PAYSEAL_')) delete env[name];
    const child = spawn(process.execPath, [...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('examples/payment-flow', () => {
  it('`npm run example` is the build and then run.mjs', () => {
    const scripts = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.example).toMatch(/node examples\/payment-flow\/run\.mjs$/);
  });

  it('runs a payment end to end through payseal and exits 0', async () => {
    expect(fs.existsSync(path.join(ROOT, 'dist/client/index.js')), 'dist/ is missing: npm run build').toBe(true);
    const run = await runNode(['examples/payment-flow/run.mjs'], 150_000);
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines.at(-1)).toBe('payment flow OK');
    expect(run.stdout).toMatch(/^1\. payment A-1001 signed by gateway:v1 \(jti [A-Za-z0-9_-]{22}\) and booked by the ledger: 100\.10 EUR$/m);
    expect(run.stdout).toMatch(/^2\. card details sealed by the gateway and opened by the ledger: \*\*\*\* 1111$/m);
    expect(run.stdout).toMatch(/^4\. the same message delivered again: refused \(401 replayed\)$/m);
    expect(run.stdout).toMatch(/^5\. the amount changed in transit: refused \(401 bad_signature\)$/m);
    // The services' payseal clients held only their own scopes, and no token was printed.
    expect(run.stdout).not.toMatch(/pst_[A-Za-z0-9_-]{20,}/);
  }, 180_000);
});
