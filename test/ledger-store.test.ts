/**
 * The SQL ledger store under the runtime (PGlite, and PostgreSQL when DATABASE_URL is set): two writers on one
 * store (two runtimes: on PostgreSQL two pools, on PGlite the service and a second runtime over its socket)
 * signing and changing keys at once form one chain, with every signature each received in it; concurrent
 * signings are group-committed (fewer transactions than entries); two runtimes opening a fresh store at once make
 * one ledger key; ledger rows cannot be updated or deleted through SQL (the per-entry view is read-only); checkpoints are stored once per seq;
 * the runtime's close writes what is queued.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { LEDGER_KEY_NAME } from '../src/ledger/format/checkpoint.ts';
import type { Runtime } from '../src/runtime/types.ts';
import { createTestStore, testBackends, type TestStore } from './support/db.ts';
import { ledgerEntries, sha256, signatureBytes, verifyRuntimeLedger } from './support/ledger.ts';

const stores: TestStore[] = [];
afterAll(async () => {
  for (const s of stores) await s.cleanup();
});

async function fresh(backend: 'embedded' | 'postgres', overrides = {}): Promise<TestStore> {
  const store = await createTestStore({ backend, ...overrides });
  stores.push(store);
  return store;
}

/** The second writer: another pool on PostgreSQL; on PGlite a runtime reaching the service over its socket. */
function secondRole(backend: 'embedded' | 'postgres'): 'service' | 'cli' {
  return backend === 'postgres' ? 'service' : 'cli';
}

describe.each(testBackends())('the ledger store on %s', (backend) => {
  it('two writers signing and rotating at once form one chain holding every signature either returned', async () => {
    const store = await fresh(backend);
    const a = await store.open();
    const b = await store.open({ role: secondRole(backend) });
    expect(backend === 'postgres' || b.via === 'socket').toBe(true);
    await a.keys.create('shared', 'ecdsa-p256', null, 'test');
    const sign = async (rt: Runtime, who: string, i: number) => {
      const signer = await rt.keys.signer('shared', `client:${who}`);
      return { input: `${who}-${i}`, ...(await signer.sign(Buffer.from(`${who}-${i}`), {})) };
    };
    const work = await Promise.all([
      ...Array.from({ length: 120 }, (_, i) => sign(a, 'a', i)),
      ...Array.from({ length: 120 }, (_, i) => sign(b, 'b', i)),
      b.keys.rotate('shared', 'cli:tester'),
      a.keys.rotate('shared', 'client:ops'),
    ]);
    const signed = work.filter((w): w is Awaited<ReturnType<typeof sign>> => 'signature' in w);
    expect(signed.length).toBe(240);
    const entries = await ledgerEntries(a);
    expect(entries.map((e) => e.seq)).toEqual(entries.map((_, i) => i + 1));
    const outputs = new Set(entries.map((e) => e.output_sha256));
    expect(signed.filter((s) => !outputs.has(sha256(signatureBytes(s.signature))))).toEqual([]);
    expect(entries.filter((e) => e.op === 'key.rotate' && e.key === 'shared').map((e) => e.key_version).sort()).toEqual([2, 3]);
    const verdict = await verifyRuntimeLedger(b);
    expect([verdict.valid, verdict.problems, verdict.entries]).toEqual([true, [], entries.length]);
    // Group commit: a burst of signatures shares transactions.
    const stats = a.ledger.stats();
    expect(stats.entries).toBeGreaterThanOrEqual(120);
    expect(stats.batches).toBeLessThan(stats.entries);
    await b.close();
    await a.close();
  });

  it('two runtimes opening a fresh store at once make one ledger key, recorded once', async () => {
    const store = await fresh(backend);
    const [a, b] = await Promise.all([store.open(), store.open({ role: secondRole(backend) })]);
    const keys = await a.keys.list();
    expect(keys.filter((k) => k.name === LEDGER_KEY_NAME).map((k) => [k.type, k.latest_version])).toEqual([['ed25519', 1]]);
    const created = (await ledgerEntries(b)).filter((e) => e.op === 'key.create' && e.key === LEDGER_KEY_NAME);
    expect(created.map((e) => [e.seq, e.actor])).toEqual([[1, 'system']]);
    await b.close();
    await a.close();
  });

  it('ledger rows cannot be changed or removed through SQL; a checkpoint is stored once per seq', async () => {
    const store = await fresh(backend);
    const rt = await store.open();
    await rt.keys.create('k', 'ed25519', null, 'test');
    const before = await ledgerEntries(rt);
    await rt.db.query(`UPDATE ledger_batches SET lines = replace(lines, 'system', 'someone else')`);
    await rt.db.query('DELETE FROM ledger_batches WHERE first_seq = 1');
    expect(await ledgerEntries(rt)).toEqual(before);
    // The one-row-per-entry view is for reading only.
    expect((await rt.db.query<{ seq: string; actor: string }>('SELECT seq::text AS seq, actor FROM ledger_entries ORDER BY ledger_entries.seq')).map((r) => [Number(r.seq), r.actor])).toEqual(before.map((e) => [e.seq, e.actor]));
    await expect(rt.db.query(`UPDATE ledger_entries SET actor = 'x'`)).rejects.toThrow();
    const cp = await rt.ledger.checkpointHead();
    expect(cp?.checkpoint.seq).toBe(before.length);
    expect(await rt.ledger.checkpointHead()).toEqual(cp);
    await rt.db.query(`DELETE FROM ledger_checkpoints`);
    const rows = await rt.db.query<{ n: number }>('SELECT count(*)::int AS n FROM ledger_checkpoints');
    expect(rows[0]!.n).toBe(1);
    await rt.close();
  });

  it('checkpoints every N entries across writers, signed by the ledger key', async () => {
    const store = await fresh(backend, { ledgerCheckpointEvery: 5, ledgerCheckpointSeconds: 0 });
    const rt = await store.open();
    await rt.keys.create('k', 'ed25519', null, 'test');
    const signer = await rt.keys.signer('k', 'client:t');
    await Promise.all(Array.from({ length: 23 }, (_, i) => signer.sign(Buffer.from(String(i)), {})));
    // Checkpoints are signed after the callers were answered: close() waits for them.
    await rt.close();
    const again = await store.open({ role: 'cli', ledgerCheckpointSeconds: 0 });
    const rows = await again.db.query<{ seq: string; key: string }>('SELECT seq::text AS seq, key FROM ledger_checkpoints ORDER BY ledger_checkpoints.seq');
    expect(rows.map((r) => Number(r.seq))).toEqual([5, 10, 15, 20, 25]);
    expect(new Set(rows.map((r) => r.key))).toEqual(new Set([LEDGER_KEY_NAME]));
    await again.close();
  });
});
