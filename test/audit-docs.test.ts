/**
 * "A command shown in docs is run by a test": every ```sh block of docs/AUDIT.md, in order, in one bash session
 * (`set -euo pipefail`, so each must exit 0) with the real `payseal` binary on the PATH, against a running
 * service on a fresh store (embedded, and PostgreSQL when DATABASE_URL is set) that has signed what the page
 * audits: a raw signature (invoice.sig over invoice.txt) and a payment message (message.jws) by the client
 * payments-service, then had its key rotated. A ```text block directly under a ```sh block must equal that
 * block's standard output, `…` standing for any text.
 *
 * The payment message is signed in-process the way POST /v1/messages/sign does (src/messages/sign.ts, recorded
 * through runtime.recorder as a message.sign entry); switch to the route once it is served.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { messageDigests } from '../src/ledger/format/digests.ts';
import { canonicalMessageBytes, signMessage } from '../src/messages/index.ts';
import { b64, startApi, type ApiHarness } from './support/api.ts';
import { BIN, ROOT } from './support/cli.ts';
import { createTestStore, testBackends, type TestStore } from './support/db.ts';

const DOC = fs.readFileSync(path.join(ROOT, 'docs/AUDIT.md'), 'utf8');

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
  const parts = documented.split('…').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('[\\s\\S]*?')}$`).test(actual);
}

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** What the page audits: a raw signature and a payment message by payments-service, then a rotation. */
async function signWhatThePageAudits(api: ApiHarness, work: string): Promise<void> {
  await api.call('POST', '/v1/keys', { body: { name: 'payments', type: 'ecdsa-p256' } });
  const token = await api.client('payments-service', ['sign:payments']);
  const invoice = 'invoice 2026-0042: 1,250.00 EUR to ACME Ltd\n';
  const signed = await api.call('POST', '/v1/keys/payments/sign', { token, body: { input: b64(invoice) } });
  expect(signed.status).toBe(200);
  fs.writeFileSync(path.join(work, 'invoice.txt'), invoice);
  fs.writeFileSync(path.join(work, 'invoice.sig'), `${signed.json.signature}\n`);
  const message = { type: 'payment', amount: '1250.00', currency: 'EUR', creditor: 'ACME Ltd', reference: '2026-0042' };
  const key = await api.runtime.keys.latestFor('payments', 'sign');
  const jws = await signMessage(key, message);
  await api.runtime.recorder.record([
    { actor: 'client:payments-service', op: 'message.sign', key: 'payments', key_version: jws.key_version, ...messageDigests(canonicalMessageBytes(message), jws.jws) },
  ]);
  fs.writeFileSync(path.join(work, 'message.jws'), `${jws.jws}\n`);
  expect((await api.call('POST', '/v1/keys/payments/rotate')).json.latest_version).toBe(2);
}

describe('docs/AUDIT.md', () => {
  it('has commands to run, each understood', () => {
    const all = steps(DOC);
    expect(all.length).toBeGreaterThanOrEqual(8);
    expect(all.length).toBe([...DOC.matchAll(/^```sh$/gm)].length);
    expect(all.filter((s) => s.expected !== null).length).toBe([...DOC.matchAll(/^```text$/gm)].length);
  });
});

describe.each(testBackends())('docs/AUDIT.md commands on %s', (backend) => {
  it('runs every command in order and prints what the page shows', { timeout: 240_000 }, async () => {
    // No timed checkpoint during the run: the page's line numbers must be entries, not checkpoints.
    const store = await createTestStore({ backend, ledgerCheckpointSeconds: 0 });
    cleanups.push(() => store.cleanup());
    const api = await startApi({}, { runtime: await store.open() });
    cleanups.push(() => api.close());
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'payseal-audit-doc-'));
    cleanups.push(async () => fs.rmSync(work, { recursive: true, force: true }));
    const bin = path.join(work, '.bin');
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, 'payseal'), `#!/usr/bin/env bash\nexec "${process.execPath}" "${BIN}" "$@"\n`, { mode: 0o755 });
    await signWhatThePageAudits(api, work);

    const all = steps(DOC);
    const script = ['set -euo pipefail', ...all.map((s, i) => `${s.command}\necho "@@doc-step-${i}@@"`)].join('\n');
    fs.writeFileSync(path.join(work, 'doc.sh'), script);
    const env: Record<string, string> = {
      PATH: `${bin}:${process.env.PATH ?? ''}`,
      HOME: process.env.HOME ?? work,
      PAYSEAL_DATA_DIR: store.config.dataDir,
      PAYSEAL_KEK: store.config.kekBase64!,
      PAYSEAL_URL: api.url,
      TOKEN: api.adminToken,
      ...(store.config.databaseUrl ? { DATABASE_URL: store.config.databaseUrl } : {}),
    };
    const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile('bash', ['doc.sh'], { cwd: work, env, timeout: 200_000 }, (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      });
    });
    const outputs = r.stdout.split(/^@@doc-step-\d+@@\n/m);
    const finished = outputs.length - 1;
    expect(finished, `the block at docs/AUDIT.md:${all[finished]?.line} failed (exit ${r.code}): ${r.stderr}\n${outputs.at(-1)}`).toBe(all.length);
    expect(r.code).toBe(0);
    all.forEach((s, i) => {
      if (s.expected === null) return;
      const actual = outputs[i]!;
      expect(wildcardMatch(s.expected, actual), `docs/AUDIT.md:${s.line} prints\n${actual}\nnot\n${s.expected}`).toBe(true);
    });
  });
});
