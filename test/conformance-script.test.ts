/**
 * `npm run conformance` as docs/crypto.md shows it: the script's output format and exit status, on small
 * vector folders made from the shared Wycheproof files (the full run is test/wycheproof.test.ts).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { vectorDir, vectorDirExists } from '../scripts/_wycheproof.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE = vectorDir();
const dirs: string[] = [];

function conformance(dir: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'scripts/conformance.ts'],
      { cwd: ROOT, env: { ...process.env, PAYSEAL_WYCHEPROOF_DIR: dir } },
      (err, stdout, stderr) => res({ code: err ? Number(err.code) : 0, stdout, stderr }),
    );
  });
}

/** A folder holding ed25519_test.json (optionally edited) and a file of a schema payseal does not offer. */
function folder(edit?: (json: { testGroups: { tests: { result: string }[] }[] }) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'payseal-vectors-'));
  dirs.push(dir);
  const json = JSON.parse(readFileSync(join(SOURCE, 'ed25519_test.json'), 'utf8'));
  edit?.(json);
  writeFileSync(join(dir, 'ed25519_test.json'), JSON.stringify(json));
  writeFileSync(join(dir, 'x25519_test.json'), JSON.stringify({ algorithm: 'XDH', schema: 'xdh_comp_schema_v1.json', numberOfTests: 4, testGroups: [] }));
  return dir;
}

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe.skipIf(!vectorDirExists(SOURCE))(`npm run conformance (needs ${SOURCE})`, () => {
  it('prints one line per file, names what it skips, ends with "N passed, 0 failed" and exits 0', async () => {
    const r = await conformance(folder());
    const lines = r.stdout.trim().split('\n');
    expect(lines.at(-1)).toBe('151 passed, 0 failed');
    expect(r.stdout).toMatch(/^ok {3}ed25519_test\.json: 151 passed, 0 failed$/m);
    expect(r.stdout).toMatch(/x25519_test\.json: 0 passed, 0 failed \(4 skipped\)/);
    expect(r.stdout).toMatch(/skipped: x25519_test\.json: XDH \(xdh_comp_schema_v1\) is not offered by payseal/);
    expect(r.code).toBe(0);
  });

  it('counts a vector payseal gets wrong as failed, names it, and exits 1', async () => {
    const r = await conformance(
      folder((j) => {
        const t = j.testGroups[0]?.tests[0] as { result: string };
        t.result = t.result === 'valid' ? 'invalid' : 'valid';
      }),
    );
    expect(r.stdout.trim().split('\n').at(-1)).toBe('150 passed, 1 failed');
    expect(r.stdout).toMatch(/^FAIL ed25519_test\.json/m);
    expect(r.stdout).toMatch(/tcId 1 \[/);
    expect(r.code).toBe(1);
  });

  it('exits 2 with a clear message when the folder is missing', async () => {
    const r = await conformance(join(tmpdir(), 'payseal-no-such-vectors'));
    expect(r.stderr).toMatch(/vector folder .*payseal-no-such-vectors not found/);
    expect(r.code).toBe(2);
  });
});
