/**
 * "A command shown in docs is run by a test": every ```sh block of docs/keys.md, in order, in one bash session
 * (`set -euo pipefail`, so each must exit 0) against a fresh store (embedded, and PostgreSQL when DATABASE_URL
 * is set), with the real `payseal` binary on the PATH and `scripts/` beside the working directory. A ```text
 * block directly under a ```sh block must equal that block's standard output, `…` standing for any text.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestStore, testBackends, type TestStore } from './support/db.ts';
import { BIN, ROOT } from './support/cli.ts';

const DOC = fs.readFileSync(path.join(ROOT, 'docs/keys.md'), 'utf8');

interface Step {
  readonly command: string;
  readonly expected: string | null;
  readonly line: number;
}

function steps(markdown: string): Step[] {
  const out: Step[] = [];
  const re = /^```sh\n([\s\S]*?)^```\n(?:```text\n([\s\S]*?)^```$)?/gm;
  for (const m of markdown.matchAll(re)) {
    out.push({ command: m[1]!, expected: m[2] ?? null, line: markdown.slice(0, m.index).split('\n').length });
  }
  return out;
}

function wildcardMatch(documented: string, actual: string): boolean {
  const parts = documented.split('…').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('[\\s\\S]*?')}$`).test(actual);
}

const stores: TestStore[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const s of stores) await s.cleanup();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('docs/keys.md', () => {
  it('has commands to run, each with a known place', () => {
    const all = steps(DOC);
    expect(all.length).toBeGreaterThanOrEqual(8);
    // Every ```sh fence was understood (none skipped by a formatting slip).
    expect(all.length).toBe([...DOC.matchAll(/^```sh$/gm)].length);
    expect(all.filter((s) => s.expected !== null).length).toBe([...DOC.matchAll(/^```text$/gm)].length);
  });

  it('a documented output that differs fails the comparison', () => {
    expect(wildcardMatch('v1  active  …  -\n', 'v1  active  2026-01-01 10:00Z  -\n')).toBe(true);
    expect(wildcardMatch('v1  active  …  -\n', 'v1  retired  2026-01-01 10:00Z  -\n')).toBe(false);
  });
});

describe.each(testBackends())('docs/keys.md commands on %s', (backend) => {
  it('runs every command in order and prints what the page shows', { timeout: 240_000 }, async () => {
    const store = await createTestStore({ backend });
    stores.push(store);
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'payseal-keys-doc-'));
    dirs.push(work);
    const bin = path.join(work, '.bin');
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, 'payseal'), `#!/usr/bin/env bash\nexec "${process.execPath}" "${BIN}" "$@"\n`, { mode: 0o755 });
    fs.symlinkSync(path.join(ROOT, 'scripts'), path.join(work, 'scripts'));

    const all = steps(DOC);
    const script = ['set -euo pipefail', ...all.map((s, i) => `${s.command}\necho "@@doc-step-${i}@@"`)].join('\n');
    fs.writeFileSync(path.join(work, 'doc.sh'), script);
    const env: Record<string, string> = {
      PATH: `${bin}:${process.env.PATH ?? ''}`,
      HOME: process.env.HOME ?? work,
      PAYSEAL_DATA_DIR: store.config.dataDir,
      ...(store.config.databaseUrl ? { DATABASE_URL: store.config.databaseUrl } : {}),
    };
    const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile('bash', ['doc.sh'], { cwd: work, env, timeout: 240_000 }, (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      });
    });
    const outputs = r.stdout.split(/^@@doc-step-\d+@@\n/m);
    const finished = outputs.length - 1;
    expect(finished, `the block at docs/keys.md:${all[finished]?.line} failed (exit ${r.code}): ${r.stderr}`).toBe(all.length);
    expect(r.code).toBe(0);
    all.forEach((s, i) => {
      if (s.expected === null) return;
      const actual = outputs[i]!;
      expect(wildcardMatch(s.expected, actual), `docs/keys.md:${s.line} prints\n${actual}\nnot\n${s.expected}`).toBe(true);
    });
    // The refused old KEK is named by id only; neither KEK appears in any output.
    expect(r.stderr).toMatch(/error: kek_mismatch: \d+ private key\(s\) are wrapped under KEK [0-9a-f]{16}/);
    for (const file of ['current.kek', 'new.kek']) {
      const kek = fs.readFileSync(path.join(work, file), 'utf8').trim();
      expect(r.stdout + r.stderr).not.toContain(kek);
    }
    // The page's changes were made by the OS user.
    const rt = await store.open({ role: 'cli', kekBase64: fs.readFileSync(path.join(work, 'new.kek'), 'utf8').trim() });
    try {
      // (The ledger key is made by payseal itself, actor system, when the first command opens the store.)
      const actors = await rt.db.query<{ actor: string }>("SELECT DISTINCT actor FROM key_events WHERE key IS DISTINCT FROM 'payseal-ledger'");
      expect(actors).toEqual([{ actor: `cli:${os.userInfo().username}` }]);
      // And in the ledger, in one chain with everything else.
      const recorded = await rt.db.query<{ actor: string }>("SELECT DISTINCT actor FROM ledger_entries WHERE key IS DISTINCT FROM 'payseal-ledger'");
      expect(recorded).toEqual([{ actor: `cli:${os.userInfo().username}` }]);
    } finally {
      await rt.close();
    }
    // As long as the bash session may take (each command on the embedded store opens PGlite itself).
  });
});
