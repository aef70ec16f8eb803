/**
 * Offline ledger verification (src/verify/ledger.ts) on exports built here from fresh keys: an intact export,
 * then each kind of tampering (edited, dropped, reordered, inserted: with and without renumbering or recomputed
 * hashes), cut-off ends, bad and foreign checkpoint signatures, a revoked ledger key version, a planted
 * disagreement, the --message lookup, input errors, and the same answers from worker threads as from one thread.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Verifier } from '../src/crypto/index.ts';
import { createSigner } from '../src/crypto/index.ts';
import { LEDGER_KEY_NAME, signCheckpoint } from '../src/ledger/format/checkpoint.ts';
import { chainEntries, entryHash, type LedgerEntry } from '../src/ledger/format/entry.ts';
import { formatCheckpointLine, formatEntryLine } from '../src/ledger/format/export.ts';
import { parseBundle, type Bundle } from '../src/verify/bundle.ts';
import { verifyLedger, type LedgerVerdict, type LedgerVerifyOptions } from '../src/verify/ledger.ts';
import { OPENSSL_OPINION, type Opinion } from '../src/verify/signature.ts';
import { draftAt, makeFixture, makeLedger, type Fixture, type FixtureKey } from './support/verify-fixtures.ts';

let fixture: Fixture;
let bundle: Bundle;
let intact: { entries: LedgerEntry[]; text: string };

beforeAll(async () => {
  fixture = await makeFixture([{ name: 'payments', type: 'ecdsa-p256', states: ['active'] }], 'ecdsa-p256', 2);
  bundle = parseBundle(fixture.bundle);
  intact = await makeLedger(fixture, 250, 50);
}, 60_000);

const lines = (text: string) => text.split('\n').slice(0, -1);
const join = (ls: readonly string[]) => ls.map((l) => l + '\n').join('');
const entryLine = (ls: readonly string[], seq: number) => ls.findIndex((l) => l.startsWith(`{"seq":${seq},`));
const verify = (text: string, options: LedgerVerifyOptions = {}) => verifyLedger(bundle, Buffer.from(text), options);
const first = (v: LedgerVerdict) => v.problems[0];

/** Replaces entry `seq` by `edit(entry)`, optionally recomputing its hash. */
function withEntry(text: string, seq: number, edit: (e: LedgerEntry) => LedgerEntry, rehash = false): string {
  const ls = lines(text);
  const i = entryLine(ls, seq);
  let e = edit(JSON.parse(ls[i] as string) as LedgerEntry);
  if (rehash) e = { ...e, hash: entryHash(e) };
  ls[i] = formatEntryLine(e);
  return join(ls);
}

describe('ledger verify: an intact export', () => {
  it('is valid: every link, hash and checkpoint checked, nothing uncovered', async () => {
    const v = await verify(intact.text);
    expect(v).toMatchObject({ valid: true, entries: 250, checkpoints: 5, valid_checkpoints: 5, uncovered_entries: 0, problems: [] });
    expect(v.head).toEqual({ seq: 250, hash: intact.entries[249]!.hash });
    expect(v.last_checkpoint).toMatchObject({ seq: 250, key: LEDGER_KEY_NAME, key_version: 1 });
  });

  it('reports entries after the last checkpoint without failing the export', async () => {
    const ls = lines(intact.text).filter((l) => !l.startsWith('{"checkpoint":{"seq":250,'));
    const v = await verify(join(ls));
    expect(v).toMatchObject({ valid: true, valid_checkpoints: 4, uncovered_entries: 50 });
  });

  it('checkpoints by two versions of a rotated ledger key verify when the bundle lists both', async () => {
    const rotated = await makeLedger(fixture, 120, 50, draftAt, 2);
    const ls = lines(rotated.text);
    const v1 = (await makeLedger(fixture, 120, 50, draftAt, 1)).text.split('\n').find((l) => l.startsWith('{"checkpoint":{"seq":50,')) as string;
    ls[ls.findIndex((l) => l.startsWith('{"checkpoint":{"seq":50,'))] = v1;
    await expect(verify(join(ls))).resolves.toMatchObject({ valid: true, valid_checkpoints: 3 });
    // With only ledger_public_key_pem (the newest version), a v1 checkpoint cannot verify.
    const lone = parseBundle({ ...fixture.bundle, keys: (fixture.bundle.keys as { name: string }[]).filter((k) => k.name !== LEDGER_KEY_NAME) });
    const v = await verifyLedger(lone, Buffer.from(join(ls)));
    expect(first(v)).toMatchObject({ kind: 'checkpoint_signature', seq: 50 });
  });
});

describe('ledger verify: tampered entries are caught and named by seq', () => {
  it('edited: content changed, hash left alone', async () => {
    const v = await verify(withEntry(intact.text, 77, (e) => ({ ...e, actor: 'client:mallory' })));
    expect(v.valid).toBe(false);
    expect(first(v)).toMatchObject({ kind: 'edited', seq: 77 });
    expect(v.problems).toHaveLength(1);
    expect(v.more_problems).toBe(false);
  });

  it('edited: content changed and its hash recomputed (the next entry no longer links to it)', async () => {
    const v = await verify(withEntry(intact.text, 77, (e) => ({ ...e, key_version: 2 }), true));
    expect(first(v)).toMatchObject({ kind: 'edited', seq: 77 });
    expect(first(v)?.message).toMatch(/hash recomputed/);
  });

  it('edited: an entry whose prev was changed and hash recomputed links to neither neighbour', async () => {
    const v = await verify(withEntry(intact.text, 77, (e) => ({ ...e, prev: intact.entries[70]!.hash }), true));
    expect(first(v)).toMatchObject({ kind: 'edited', seq: 77 });
    expect(first(v)?.message).toMatch(/neither neighbour/);
  });

  it('edited: the last entry of a checkpointed range, rehashed, is caught by the checkpoint', async () => {
    const v = await verify(withEntry(intact.text, 100, (e) => ({ ...e, actor: 'client:mallory' }), true));
    expect(v.problems.map((p) => p.kind)).toEqual(expect.arrayContaining(['edited', 'rewritten']));
    expect(v.problems.find((p) => p.kind === 'rewritten')).toMatchObject({ seq: 51, to_seq: 100 });
  });

  it('rewritten: every hash from seq 120 on recomputed, so only the checkpoint catches it', async () => {
    const drafts = intact.entries.map((e, i) => (i === 119 ? { ...draftAt(i), actor: 'client:mallory' } : draftAt(i)));
    const forged = chainEntries(null, drafts);
    const ls = lines(intact.text).map((l) => (l.startsWith('{"checkpoint"') ? l : formatEntryLine(forged[(JSON.parse(l) as LedgerEntry).seq - 1] as LedgerEntry)));
    const v = await verify(join(ls));
    expect(v.valid).toBe(false);
    expect(first(v)).toMatchObject({ kind: 'rewritten', seq: 101, to_seq: 150 });
  });

  it('dropped: an entry removed', async () => {
    const ls = lines(intact.text);
    ls.splice(entryLine(ls, 120), 1);
    const v = await verify(join(ls));
    expect(first(v)).toMatchObject({ kind: 'dropped', seq: 120, to_seq: 120 });
  });

  it('dropped: an entry removed and the later ones renumbered', async () => {
    const ls = lines(intact.text);
    ls.splice(entryLine(ls, 120), 1);
    const renumbered = ls.map((l) => {
      if (l.startsWith('{"checkpoint"')) return l;
      const e = JSON.parse(l) as LedgerEntry;
      return e.seq > 120 ? formatEntryLine({ ...e, seq: e.seq - 1 }) : l;
    });
    const v = await verify(join(renumbered));
    expect(first(v)).toMatchObject({ kind: 'dropped', seq: 120 });
    // Every later entry is off by one: the walk lists the first ten and says there is more.
    expect(v.more_problems).toBe(true);
    expect(v.problems.length).toBeLessThanOrEqual(20);
  });

  it('dropped: the end cut off (a checkpoint covers seqs the export no longer has)', async () => {
    const ls = lines(intact.text).filter((l) => l.startsWith('{"checkpoint"') || (JSON.parse(l) as LedgerEntry).seq <= 180);
    const v = await verify(join(ls));
    expect(first(v)).toMatchObject({ kind: 'dropped', seq: 181, to_seq: 200 });
  });

  it('reordered: two entries swapped', async () => {
    const ls = lines(intact.text);
    const [a, b] = [entryLine(ls, 130), entryLine(ls, 131)];
    [ls[a], ls[b]] = [ls[b] as string, ls[a] as string];
    const v = await verify(join(ls));
    expect(first(v)).toMatchObject({ kind: 'reordered', seq: 130 });
  });

  it('reordered: two entries swapped and renumbered', async () => {
    const ls = lines(intact.text);
    const [a, b] = [entryLine(ls, 130), entryLine(ls, 131)];
    const [ea, eb] = [JSON.parse(ls[a] as string) as LedgerEntry, JSON.parse(ls[b] as string) as LedgerEntry];
    ls[a] = formatEntryLine({ ...eb, seq: 130 });
    ls[b] = formatEntryLine({ ...ea, seq: 131 });
    const v = await verify(join(ls));
    expect(first(v)).toMatchObject({ kind: 'reordered', seq: 130 });
  });

  it('inserted: a second entry with a seq already used', async () => {
    const ls = lines(intact.text);
    const at = entryLine(ls, 140);
    const forged = { ...(JSON.parse(ls[at] as string) as LedgerEntry), actor: 'client:mallory' };
    ls.splice(at + 1, 0, formatEntryLine({ ...forged, hash: entryHash(forged) }));
    const v = await verify(join(ls));
    expect(first(v)).toMatchObject({ kind: 'inserted', seq: 140 });
  });

  it('inserted: a well-formed entry slipped in at seq 140 and the later ones renumbered', async () => {
    const ls = lines(intact.text);
    const at = entryLine(ls, 140);
    const [forged] = chainEntries({ seq: 139, hash: intact.entries[138]!.hash }, [{ ...draftAt(999), actor: 'client:mallory' }]);
    const renumbered = ls.map((l) => {
      if (l.startsWith('{"checkpoint"')) return l;
      const e = JSON.parse(l) as LedgerEntry;
      return e.seq >= 140 ? formatEntryLine({ ...e, seq: e.seq + 1 }) : l;
    });
    renumbered.splice(at, 0, formatEntryLine(forged as LedgerEntry));
    const v = await verify(join(renumbered));
    expect(first(v)).toMatchObject({ kind: 'inserted', seq: 140 });
  });

  it('duplicated: the same entry twice', async () => {
    const ls = lines(intact.text);
    const at = entryLine(ls, 60);
    ls.splice(at + 1, 0, ls[at] as string);
    await expect(verify(join(ls)).then(first)).resolves.toMatchObject({ kind: 'duplicated', seq: 60 });
  });

  it('relinked: seq 1 not starting from the genesis prev', async () => {
    const v = await verify(withEntry(intact.text, 1, (e) => ({ ...e, prev: 'f'.repeat(64) }), true));
    expect(first(v)).toMatchObject({ kind: 'relinked', seq: 1 });
  });
});

describe('ledger verify: checkpoints', () => {
  const cpIndex = (ls: string[], seq: number) => ls.findIndex((l) => l.startsWith(`{"checkpoint":{"seq":${seq},`));

  it('a bad checkpoint signature is caught', async () => {
    const ls = lines(intact.text);
    const i = cpIndex(ls, 100);
    const cp = JSON.parse(ls[i] as string) as { checkpoint: object; signature: string };
    const sig = Buffer.from(cp.signature.split(':')[2] as string, 'base64');
    sig[sig.length - 5] = (sig.at(-5) as number) ^ 1;
    ls[i] = JSON.stringify({ ...cp, signature: `payseal:v1:${sig.toString('base64')}` });
    const v = await verify(join(ls));
    expect(v.valid).toBe(false);
    expect(first(v)).toMatchObject({ kind: 'checkpoint_signature', seq: 100 });
  });

  it('a checkpoint whose head was changed (signature over other bytes) is caught', async () => {
    const ls = lines(intact.text);
    const i = cpIndex(ls, 100);
    const cp = JSON.parse(ls[i] as string) as { checkpoint: { hash: string }; signature: string };
    ls[i] = JSON.stringify({ ...cp, checkpoint: { ...cp.checkpoint, hash: intact.entries[98]!.hash } });
    await expect(verify(join(ls)).then(first)).resolves.toMatchObject({ kind: 'checkpoint_signature', seq: 100 });
  });

  it('a checkpoint signed by another key of the bundle is refused: only the ledger key vouches', async () => {
    const payments = fixture.keys.get('payments') as FixtureKey;
    const forged = await signCheckpoint(intact.entries[99]!, new Date(), { name: 'payments', version: 1, signer: createSigner(payments.spec, payments.privateKeys[0]!) });
    const ls = lines(intact.text);
    ls[cpIndex(ls, 100)] = formatCheckpointLine(forged);
    await expect(verify(join(ls)).then(first)).resolves.toMatchObject({ kind: 'checkpoint_signature', seq: 100 });
  });

  it('a checkpoint by a revoked ledger key version is reported', async () => {
    const revoked = structuredClone(fixture.bundle) as { keys: { name: string; versions: { state: string; revoked_at?: string }[] }[] };
    const ledger = revoked.keys.find((k) => k.name === LEDGER_KEY_NAME)!;
    ledger.versions[0] = { ...ledger.versions[0]!, state: 'revoked', revoked_at: '2025-06-01T00:00:00.000Z' };
    const v = await verifyLedger(parseBundle(revoked), Buffer.from(intact.text));
    expect(first(v)).toMatchObject({ kind: 'checkpoint_key_revoked', seq: 50 });
  });

  it('an export with no checkpoint is unsigned', async () => {
    const v = await verify(join(lines(intact.text).filter((l) => !l.startsWith('{"checkpoint"'))));
    expect(v).toMatchObject({ valid: false, valid_checkpoints: 0, uncovered_entries: 250 });
    expect(first(v)).toMatchObject({ kind: 'unsigned' });
  });

  it('a planted disagreement on the checkpoint signatures is reported', async () => {
    const contrarian: Opinion = {
      name: 'planted contrarian',
      create: (spec, pem): Verifier => {
        const real = OPENSSL_OPINION.create(spec, pem);
        return { spec, verify: async (d, s, o) => !(await real.verify(d, s, o)) };
      },
    };
    const v = await verify(intact.text, { opinions: [OPENSSL_OPINION, contrarian] });
    expect(v.valid).toBe(false);
    expect(first(v)).toMatchObject({ kind: 'disagreement', seq: 50 });
    expect(first(v)?.message).toMatch(/planted contrarian: invalid/);
  });
});

describe('ledger verify: --message', () => {
  const payments = () => fixture.keys.get('payments') as FixtureKey;

  async function ledgerWith(signature: string, at: number, count = 250) {
    const bytes = Buffer.from(signature.split(':')[2] as string, 'base64');
    const { createHash } = await import('node:crypto');
    const out = createHash('sha256').update(bytes).digest('hex');
    return makeLedger(fixture, count, 50, (i) => (i === at - 1 ? { ...draftAt(i), output_sha256: out } : draftAt(i)));
  }

  it('finds a raw signature and names the checkpoint that vouches for it', async () => {
    const sig = await payments().sign(1, Buffer.from('pay 10 EUR'));
    const ledger = await ledgerWith(sig, 123);
    const v = await verify(ledger.text, { message: sig });
    expect(v.valid).toBe(true);
    expect(v.message).toMatchObject({ kind: 'signature', found: true, entries: [{ seq: 123, op: 'sign', key: 'payments' }], checkpoint: { seq: 150 } });
  });

  it('finds a compact JWS by the SHA-256 of its ASCII form', async () => {
    const jws = 'eyJhbGciOiJFUzI1NiJ9.eyJhIjoxfQ.c2lnbmF0dXJl';
    const { createHash } = await import('node:crypto');
    const out = createHash('sha256').update(jws).digest('hex');
    const ledger = await makeLedger(fixture, 60, 50, (i) => (i === 9 ? { ...draftAt(i), op: 'message.sign', output_sha256: out } : draftAt(i)));
    const v = await verify(ledger.text, { message: `${jws}\n` });
    expect(v.message).toMatchObject({ kind: 'jws', found: true, entries: [{ seq: 10, op: 'message.sign' }], checkpoint: { seq: 50 } });
  });

  it('a signature not in the ledger is not found, and the verdict is invalid', async () => {
    const sig = await payments().sign(1, Buffer.from('never recorded'));
    const v = await verify(intact.text, { message: sig });
    expect(v).toMatchObject({ valid: false, problems: [], message: { found: false, entries: [], checkpoint: null } });
  });

  it('a signature recorded after the last checkpoint is found but not vouched for', async () => {
    const sig = await payments().sign(1, Buffer.from('late'));
    const ledger = await ledgerWith(sig, 245);
    const ls = lines(ledger.text).filter((l) => !l.startsWith('{"checkpoint":{"seq":250,'));
    const v = await verify(join(ls), { message: sig });
    expect(v).toMatchObject({ valid: false, message: { found: true, checkpoint: null } });
  });

  it('a sealed JWE or anything else is an input error', async () => {
    await expect(verify(intact.text, { message: 'a.b.c.d.e' })).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(verify(intact.text, { message: 'hello' })).rejects.toMatchObject({ code: 'invalid_request' });
  });
});

describe('ledger verify: input errors and threads', () => {
  it('a line that is not an entry or a checkpoint is an input error naming the line', async () => {
    const ls = lines(intact.text);
    ls.splice(10, 0, '{"seq": "eleven"}');
    await expect(verify(join(ls))).rejects.toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/^line 11: /) });
    await expect(verify('')).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(verify('\n\n')).rejects.toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/^line 1: empty/) });
  });

  it('worker threads give the same verdict, line numbers and progress as one thread', async () => {
    const tampered = withEntry(intact.text, 201, (e) => ({ ...e, actor: 'client:mallory' }));
    const seen: number[] = [];
    // 255 lines are one run, so one worker takes it.
    const [one, two] = await Promise.all([verify(tampered, { workers: 0 }), verify(tampered, { workers: 2, mainThread: false, onProgress: (done) => seen.push(done) })]);
    expect(two).toEqual({ ...one, threads: 1 });
    expect(one.threads).toBe(0);
    expect(first(two)).toMatchObject({ kind: 'edited', seq: 201, line: lines(tampered).findIndex((l) => l.startsWith('{"seq":201,')) + 1 });
    expect(seen.at(-1)).toBe(lines(tampered).length);
    const ls = lines(intact.text);
    ls.splice(200, 0, 'garbage');
    await expect(verify(join(ls), { workers: 2, mainThread: false })).rejects.toMatchObject({ message: expect.stringMatching(/^line 201: not JSON/) });
  });

  it('many runs shared by two workers and this thread: same verdict, line numbers mapped across runs', async () => {
    const big = await makeLedger(fixture, 20_000, 1000);
    const tampered = withEntry(big.text, 15_321, (e) => ({ ...e, actor: 'client:mallory' }));
    const ls = lines(tampered);
    const line = entryLine(ls, 15_321) + 1;
    const [one, shared, workersOnly] = await Promise.all([
      verify(tampered, { workers: 0 }),
      verify(tampered, { workers: 2 }),
      verify(tampered, { workers: 2, mainThread: false }),
    ]);
    expect(first(one)).toMatchObject({ kind: 'edited', seq: 15_321, line });
    expect({ ...shared, threads: 0 }).toEqual(one);
    expect({ ...workersOnly, threads: 0 }).toEqual(one);
    expect(workersOnly.threads).toBeGreaterThanOrEqual(1);
    ls.splice(12_345, 0, 'garbage');
    await expect(verify(join(ls), { workers: 2, mainThread: false })).rejects.toMatchObject({ message: expect.stringMatching(/^line 12346: not JSON/) });
  }, 60_000);
});
