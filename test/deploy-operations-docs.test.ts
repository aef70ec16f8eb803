/**
 * "A command shown in docs is run by a test", for docs/OPERATIONS.md: every ```sh block names its session
 * (```sh secrets, ```sh postgres, ```sh embedded); each session's blocks run in order in one bash session
 * (`set -euo pipefail`) with the real `payseal` binary on the PATH, and a ```text block directly under a block
 * must equal its standard output, `…` standing for any text. ```shell blocks (Docker, kubectl, production) are
 * not run. Sessions:
 * - secrets: an empty directory; the files it makes must be a valid KEK and admin token;
 * - postgres (DATABASE_URL set, pg_dump and pg_restore on the PATH): DATABASE_URL is a fresh database holding
 *   the key `payments`, RESTORE_URL a second, empty one; both are dropped afterwards;
 * - embedded: PAYSEAL_DATA_DIR holds the key `payments`, no service running (the page says to stop it).
 */
import { execFile, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, payseal } from './support/cli.ts';
import { createTestStore, postgresUrl, type TestStore } from './support/db.ts';

const DOC = fs.readFileSync(path.join(ROOT, 'docs/OPERATIONS.md'), 'utf8');
const SESSIONS = ['secrets', 'postgres', 'embedded'] as const;
type Session = (typeof SESSIONS)[number];

interface Step {
  readonly session: string;
  readonly command: string;
  readonly expected: string | null;
  readonly line: number;
}

function steps(markdown: string): Step[] {
  const out: Step[] = [];
  const re = /^```sh ([a-z]+)\n([\s\S]*?)^```\n(?:```text\n([\s\S]*?)^```$)?/gm;
  for (const m of markdown.matchAll(re)) {
    out.push({ session: m[1]!, command: m[2]!, expected: m[3] ?? null, line: markdown.slice(0, m.index).split('\n').length });
  }
  return out;
}

function wildcardMatch(documented: string, actual: string): boolean {
  const parts = documented.split('…').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('[\\s\\S]*?')}$`).test(actual);
}

const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

function workDir(): string {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'payseal-ops-doc-'));
  cleanups.push(() => fs.rmSync(work, { recursive: true, force: true }));
  const bin = path.join(work, '.bin');
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, 'payseal'), `#!/usr/bin/env bash\nexec "${process.execPath}" "${BIN}" "$@"\n`, { mode: 0o755 });
  return work;
}

/** Runs one session's blocks and compares each documented output. */
async function runSession(session: Session, work: string, extraEnv: Record<string, string>): Promise<void> {
  const all = steps(DOC).filter((s) => s.session === session);
  expect(all.length, `blocks of session ${session}`).toBeGreaterThan(0);
  const script = ['set -euo pipefail', ...all.map((s, i) => `${s.command}\necho "@@doc-step-${i}@@"`)].join('\n');
  fs.writeFileSync(path.join(work, 'doc.sh'), script);
  const env = { PATH: `${path.join(work, '.bin')}:${process.env.PATH ?? ''}`, HOME: work, ...extraEnv };
  const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile('bash', ['doc.sh'], { cwd: work, env, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
  const outputs = r.stdout.split(/^@@doc-step-\d+@@\n/m);
  const finished = outputs.length - 1;
  expect(finished, `the block at docs/OPERATIONS.md:${all[finished]?.line} failed (exit ${r.code}): ${r.stderr}`).toBe(all.length);
  expect(r.code).toBe(0);
  all.forEach((s, i) => {
    if (s.expected === null) return;
    expect(wildcardMatch(s.expected, outputs[i]!), `docs/OPERATIONS.md:${s.line} prints\n${outputs[i]}\nnot\n${s.expected}`).toBe(true);
  });
}

/** The store the backup sections start from: one key, `payments`, made by the CLI as staff would. */
async function withPayments(env: Record<string, string>): Promise<void> {
  const r = await payseal(['keys', 'create', 'payments', '--type', 'ecdsa-p256', '--rotation-period', '90d'], { PATH: process.env.PATH ?? '', HOME: os.tmpdir(), ...env });
  expect(r.code, r.stderr).toBe(0);
}

const tool = (name: string) => spawnSync(name, ['--version']).status === 0;

describe('docs/OPERATIONS.md', () => {
  it('names a known session on every ```sh block and leaves the rest as ```shell', () => {
    const all = steps(DOC);
    expect(all.length).toBe([...DOC.matchAll(/^```sh\b/gm)].length);
    for (const s of all) expect(SESSIONS, `docs/OPERATIONS.md:${s.line}`).toContain(s.session);
    expect(all.filter((s) => s.expected !== null).length).toBe([...DOC.matchAll(/^```text$/gm)].length);
    expect(wildcardMatch('v1  …  1 active\n', 'v1  2027-01-01 10:00Z  1 active\n')).toBe(true);
    expect(wildcardMatch('v1  …  1 active\n', 'v2  2027-01-01 10:00Z  1 active\n')).toBe(false);
  });

  it('secrets: makes a KEK of 32 random bytes and an admin token in payseal\'s format, readable by the owner only', async () => {
    const work = workDir();
    await runSession('secrets', work, {});
    const kek = fs.readFileSync(path.join(work, 'kek.current'), 'utf8');
    expect(Buffer.from(kek.trim(), 'base64')).toHaveLength(32);
    expect(fs.readFileSync(path.join(work, 'admin.token'), 'utf8')).toMatch(/^pst_[A-Za-z0-9_-]{43}$/);
    for (const f of ['kek.current', 'admin.token']) expect(fs.statSync(path.join(work, f)).mode & 0o077, f).toBe(0);
  });

  it.skipIf(!postgresUrl() || !tool('pg_dump') || !tool('pg_restore'))('postgres: pg_dump, pg_restore into an empty database, and the KEK it needs', async () => {
    const admin = new pg.Client({ connectionString: postgresUrl()! });
    await admin.connect();
    cleanups.push(() => admin.end());
    const urlOf = (db: string) => {
      const u = new URL(postgresUrl()!);
      u.pathname = `/${db}`;
      return u.toString();
    };
    const suffix = crypto.randomBytes(5).toString('hex');
    const [source, target] = [`payseal_ops_${suffix}`, `payseal_ops_restore_${suffix}`];
    for (const db of [source, target]) {
      await admin.query(`CREATE DATABASE ${db}`);
      cleanups.push(async () => void (await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`)));
    }
    const work = workDir();
    fs.writeFileSync(path.join(work, 'kek.current'), crypto.randomBytes(32).toString('base64') + '\n', { mode: 0o600 });
    const env = { DATABASE_URL: urlOf(source), RESTORE_URL: urlOf(target), PAYSEAL_KEK_FILE: path.join(work, 'kek.current') };
    await withPayments(env);
    await runSession('postgres', work, env);
  });

  it('embedded: a copy of the stopped data dir restores every key', async () => {
    const store: TestStore = await createTestStore({ backend: 'embedded' });
    cleanups.push(() => store.cleanup());
    const work = workDir();
    fs.writeFileSync(path.join(work, 'kek.current'), store.config.kekBase64! + '\n', { mode: 0o600 });
    const env = { PAYSEAL_DATA_DIR: store.config.dataDir, PAYSEAL_KEK_FILE: path.join(work, 'kek.current') };
    await withPayments(env);
    await runSession('embedded', work, env);
  });
});
