/**
 * The auditor's path, end to end with the real `payseal` binary (PGlite through the running service's socket,
 * and PostgreSQL when DATABASE_URL is set): signatures made through the API and key changes made with the CLI
 * (actor cli:<os user>) land in one chain; `payseal ledger export` and `payseal bundle export` write the files;
 * `payseal ledger verify --message` and `payseal verify` pass offline on them; and an entry edited, dropped,
 * reordered or inserted in the exported file is caught and named by seq (exit 1).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chainEntries, type LedgerEntry } from '../src/ledger/format/entry.ts';
import { formatEntryLine } from '../src/ledger/format/export.ts';
import { b64, startApi, type ApiHarness } from './support/api.ts';
import { envFor, payseal } from './support/cli.ts';
import { createTestStore, testBackends, type TestStore } from './support/db.ts';

const CLI_ACTOR = `cli:${os.userInfo().username}`;

describe.each(testBackends())('an auditor, end to end on %s', (backend) => {
  let store: TestStore;
  let api: ApiHarness;
  let dir = '';
  let env: Record<string, string> = {};
  const file = (name: string) => path.join(dir, name);

  beforeAll(async () => {
    store = await createTestStore({ backend });
    api = await startApi({}, { runtime: await store.open() });
    env = envFor(store.config);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'payseal-audit-'));
  });
  afterAll(async () => {
    await api?.close();
    await store?.cleanup();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('API signatures and CLI changes → ledger and bundle exports → ledger verify --message and verify pass', { timeout: 120_000 }, async () => {
    await api.call('POST', '/v1/keys', { body: { name: 'pay', type: 'ecdsa-p256' } });
    const first = (await api.call('POST', '/v1/keys/pay/sign', { body: { input: b64('invoice 41') } })).json.signature as string;
    const batch = await api.call('POST', '/v1/keys/pay/sign', { body: { batch_input: Array.from({ length: 30 }, (_, i) => ({ input: b64(`line ${i}`) })) } });
    expect(batch.status).toBe(200);
    expect((await payseal(['keys', 'rotate', 'pay'], env)).code).toBe(0);
    // The service sees the CLI's rotation within a second; its next signature is v2.
    let second = '';
    for (let i = 0; i < 50 && !second.startsWith('payseal:v2:'); i++) {
      second = (await api.call('POST', '/v1/keys/pay/sign', { body: { input: b64('invoice 42') } })).json.signature as string;
      if (!second.startsWith('payseal:v2:')) await new Promise((r) => setTimeout(r, 50));
    }
    expect(second).toMatch(/^payseal:v2:/);
    expect((await payseal(['keys', 'revoke', 'pay', '--version', '1'], env)).code).toBe(0);

    const ledger = await payseal(['ledger', 'export', '--out', file('ledger.jsonl')], env);
    expect(ledger, ledger.stderr).toMatchObject({ code: 0, stdout: expect.stringMatching(/^wrote .*ledger\.jsonl: \d+ entries \(seq 1-\d+\) and [1-9]\d* checkpoints?; the head at seq \d+ is signed by payseal-ledger v1\n$/) });
    const bundle = await payseal(['bundle', 'export', '--out', file('bundle.json')], env);
    expect(bundle).toMatchObject({ code: 0, stdout: expect.stringMatching(/^wrote .*bundle\.json: 2 signing keys, 3 versions/) });
    const entries = fs.readFileSync(file('ledger.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((l) => !('checkpoint' in l)) as LedgerEntry[];
    expect(entries.filter((e) => e.actor === CLI_ACTOR).map((e) => [e.op, e.key, e.key_version])).toEqual([
      ['key.rotate', 'pay', 2],
      ['key.revoke', 'pay', 1],
    ]);
    expect(entries.filter((e) => e.op === 'sign').length).toBeGreaterThanOrEqual(32);

    fs.writeFileSync(file('input.bin'), 'invoice 42');
    fs.writeFileSync(file('second.sig'), `${second}\n`);
    fs.writeFileSync(file('first.sig'), `${first}\n`);
    const found = await payseal(['ledger', 'verify', '--bundle', file('bundle.json'), '--ledger', file('ledger.jsonl'), '--message', file('second.sig')], env);
    expect(found, found.stderr).toMatchObject({ code: 0, stdout: expect.stringMatching(/^ledger valid: [\s\S]*\nmessage found at seq \d+ \(sign by client:admin-\w+ at \S+, key pay v2\); vouched for by the checkpoint at seq \d+/) });
    // The first signature is in the ledger too, and its version has since been revoked: the raw check says so.
    expect((await payseal(['ledger', 'verify', '--bundle', file('bundle.json'), '--ledger', file('ledger.jsonl'), '--message', file('first.sig')], env)).code).toBe(0);
    const raw = await payseal(['verify', '--bundle', file('bundle.json'), '--key', 'pay', '--input', file('input.bin'), '--signature', second], env);
    expect(raw).toMatchObject({ code: 0, stdout: expect.stringMatching(/^valid: signed by pay v2/) });
    fs.writeFileSync(file('input41.bin'), 'invoice 41');
    const revoked = await payseal(['verify', '--bundle', file('bundle.json'), '--key', 'pay', '--input', file('input41.bin'), '--signature', first], env);
    expect(revoked).toMatchObject({ code: 1, stdout: expect.stringMatching(/^invalid: key_version_revoked/) });
  });

  it('an edited, dropped, reordered or inserted entry of the exported file is caught and named by seq', { timeout: 120_000 }, async () => {
    const lines = fs.readFileSync(file('ledger.jsonl'), 'utf8').trimEnd().split('\n');
    const at = (seq: number) => lines.findIndex((l) => !l.startsWith('{"checkpoint"') && (JSON.parse(l) as LedgerEntry).seq === seq);
    const entry = (seq: number) => JSON.parse(lines[at(seq)]!) as LedgerEntry;
    const target = entries(lines).find((e) => e.op === 'sign' && e.seq > 5)!.seq;
    const variants: Record<string, string[]> = {
      edited: lines.map((l, i) => (i === at(target) ? l.replace(/"actor":"[^"]*"/, '"actor":"client:mallory"') : l)),
      dropped: lines.filter((_, i) => i !== at(target)),
      reordered: swap(lines, at(target), at(target + 1)),
      inserted: insertForged(lines, at(target), entry(target - 1)),
    };
    for (const [kind, tampered] of Object.entries(variants)) {
      fs.writeFileSync(file(`${kind}.jsonl`), tampered.join('\n') + '\n');
      const r = await payseal(['ledger', 'verify', '--bundle', file('bundle.json'), '--ledger', file(`${kind}.jsonl`)], env);
      expect(r, `${kind}: ${r.stdout}${r.stderr}`).toMatchObject({ code: 1, stdout: expect.stringMatching(new RegExp(`^ledger invalid: ${kind} at seq ${target}\\b`)) });
    }
  });
});

function entries(lines: readonly string[]): LedgerEntry[] {
  return lines.filter((l) => !l.startsWith('{"checkpoint"')).map((l) => JSON.parse(l) as LedgerEntry);
}

function swap(lines: readonly string[], a: number, b: number): string[] {
  const out = [...lines];
  [out[a], out[b]] = [out[b]!, out[a]!];
  return out;
}

/** A well-formed entry chained after `before`, slipped in at `index` with the later entries renumbered. */
function insertForged(lines: readonly string[], index: number, before: LedgerEntry): string[] {
  const [forged] = chainEntries({ seq: before.seq, hash: before.hash }, [
    { ts: before.ts, actor: 'client:mallory', op: 'sign', key: before.key, key_version: before.key_version, input_sha256: '0'.repeat(64), output_sha256: '1'.repeat(64) },
  ]);
  const out = lines.map((l) => {
    if (l.startsWith('{"checkpoint"')) return l;
    const e = JSON.parse(l) as LedgerEntry;
    return e.seq > before.seq ? formatEntryLine({ ...e, seq: e.seq + 1 }) : l;
  });
  out.splice(index, 0, formatEntryLine(forged!));
  return out;
}
