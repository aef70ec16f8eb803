/**
 * "A command shown in docs is run by a test": every ```sh block of docs/partners.md, in order, in one bash
 * session (`set -euo pipefail`) with the real `payseal` binary on the PATH against a fresh store (embedded, and
 * PostgreSQL when DATABASE_URL is set), a service on that store for `curl` (`PAYSEAL_URL`, `TOKEN`: an admin
 * token) and `openssl` playing the partner. A ```text block directly under a ```sh block must equal that
 * block's standard output (trailing newlines aside), `…` standing for any text.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startApi, type ApiHarness } from './support/api.ts';
import { BIN, ROOT, envFor } from './support/cli.ts';
import { createTestStore, testBackends, type TestStore } from './support/db.ts';

const DOC = fs.readFileSync(path.join(ROOT, 'docs/partners.md'), 'utf8');

interface Step {
  readonly command: string;
  readonly expected: string | null;
  readonly line: number;
}

function steps(markdown: string): Step[] {
  const out: Step[] = [];
  for (const m of markdown.matchAll(/^```sh\n([\s\S]*?)^```\n(?:```text\n([\s\S]*?)^```$)?/gm)) {
    out.push({ command: m[1]!, expected: m[2] ?? null, line: markdown.slice(0, m.index).split('\n').length });
  }
  return out;
}

function wildcardMatch(documented: string, actual: string): boolean {
  const parts = documented.trimEnd().split('…').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('[\\s\\S]*?')}$`).test(actual.trimEnd());
}

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

describe('docs/partners.md', () => {
  it('has commands to run, each fence understood', () => {
    const all = steps(DOC);
    expect(all.length).toBeGreaterThanOrEqual(10);
    expect(all.length).toBe([...DOC.matchAll(/^```sh$/gm)].length);
    expect(all.filter((s) => s.expected !== null).length).toBe([...DOC.matchAll(/^```text$/gm)].length);
  });

  it('a documented output that differs fails the comparison', () => {
    expect(wildcardMatch('{"valid":true,"key_version":1}\n', '{"valid":true,"key_version":1}')).toBe(true);
    expect(wildcardMatch('{"valid":true,"key_version":1}\n', '{"valid":false,"key_version":1}')).toBe(false);
  });
});

describe.each(testBackends())('docs/partners.md commands on %s', (backend) => {
  it('runs every command in order and prints what the page shows', async () => {
    const store: TestStore = await createTestStore({ backend });
    cleanups.push(() => store.cleanup());
    const api: ApiHarness = await startApi({}, { runtime: Object.assign(await store.open(), { cleanup: async () => {} }) });
    cleanups.push(() => api.close());
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'payseal-partners-doc-'));
    cleanups.push(async () => fs.rmSync(work, { recursive: true, force: true }));
    const bin = path.join(work, '.bin');
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, 'payseal'), `#!/usr/bin/env bash\nexec "${process.execPath}" "${BIN}" "$@"\n`, { mode: 0o755 });

    const all = steps(DOC);
    const script = ['set -euo pipefail', ...all.map((s, i) => `${s.command}\nprintf '\\n@@doc-step-${i}@@\\n'`)].join('\n');
    fs.writeFileSync(path.join(work, 'doc.sh'), script);
    const env = envFor(store.config, { PATH: `${bin}:${process.env.PATH ?? ''}`, PAYSEAL_URL: api.url, TOKEN: api.adminToken });
    const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile('bash', ['doc.sh'], { cwd: work, env, timeout: 240_000 }, (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      });
    });
    const outputs = r.stdout.split(/\n@@doc-step-\d+@@\n/);
    const finished = outputs.length - 1;
    expect(finished, `the block at docs/partners.md:${all[finished]?.line} failed (exit ${r.code}): ${r.stderr}`).toBe(all.length);
    expect(r.code).toBe(0);
    all.forEach((s, i) => {
      if (s.expected === null) return;
      const actual = outputs[i]!;
      expect(wildcardMatch(s.expected, actual), `docs/partners.md:${s.line} prints\n${actual}\nnot\n${s.expected}`).toBe(true);
    });
    // The partner's private keys never reached payseal: no private PEM in any output, and the key rows hold none.
    expect(r.stdout + r.stderr).not.toMatch(/PRIVATE KEY/);
    const wrapped = await api.runtime.db.query<{ n: string }>(
      "SELECT count(*)::text AS n FROM key_versions v JOIN keys k ON k.name = v.key WHERE k.origin = 'imported' AND v.wrapped IS NOT NULL",
    );
    expect(wrapped).toEqual([{ n: '0' }]);
  }, 300_000);
});
