/**
 * The ledger appender (src/ledger/appender.ts) over an in-memory LedgerStore that lives only in this test and
 * keeps the store contract of src/ledger/ledger-store.ts: batches chained under a lock on the head, all or
 * nothing, resolved only when "committed". Failures are injected per batch. The SQL store comes later and must
 * pass the same behaviours against PostgreSQL.
 */
import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSigner, resolveKeyType } from '../src/crypto/index.ts';
import { parseVersioned } from '../src/crypto/versioned.ts';
import { LedgerAppender } from '../src/ledger/appender.ts';
import { checkpointSigningBytes, type LedgerSigningKey, type SignedCheckpoint } from '../src/ledger/format/checkpoint.ts';
import { chainEntries, entryHash, GENESIS_PREV, type ChainHead, type LedgerDraft, type LedgerEntry } from '../src/ledger/format/entry.ts';
import type { LedgerStore } from '../src/ledger/ledger-store.ts';
import { isPaysealError } from '../src/errors.ts';

class MemoryLedgerStore implements LedgerStore {
  readonly entries: LedgerEntry[] = [];
  readonly checkpoints: SignedCheckpoint[] = [];
  readonly batchSizes: number[] = [];
  /** Fail the next n batches (after "reaching the database", before commit). */
  failNext = 0;
  /** Resolved by the test to let a batch commit; null: commit at once. */
  gate: Promise<void> | null = null;
  #lock: Promise<void> = Promise.resolve();

  appendBatch(drafts: readonly LedgerDraft[]): Promise<readonly LedgerEntry[]> {
    // The head lock: batches of every appender (replica) sharing this store run one after another.
    const run = this.#lock.then(async () => {
      await new Promise((r) => setImmediate(r));
      if (this.gate !== null) await this.gate;
      if (this.failNext > 0) {
        this.failNext--;
        throw new Error('connection terminated');
      }
      const chained = chainEntries(this.#head(), drafts);
      this.entries.push(...chained);
      this.batchSizes.push(drafts.length);
      return chained;
    });
    this.#lock = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  #head(): ChainHead | null {
    const last = this.entries.at(-1);
    return last === undefined ? null : { seq: last.seq, hash: last.hash };
  }

  async head(): Promise<ChainHead | null> {
    return this.#head();
  }

  async saveCheckpoint(cp: SignedCheckpoint): Promise<void> {
    if (!this.checkpoints.some((c) => c.checkpoint.seq === cp.checkpoint.seq)) this.checkpoints.push(cp);
    this.checkpoints.sort((a, b) => a.checkpoint.seq - b.checkpoint.seq);
  }

  async lastCheckpoint(): Promise<SignedCheckpoint | null> {
    return this.checkpoints.at(-1) ?? null;
  }
}

function draft(i: number, op: LedgerDraft['op'] = 'sign'): LedgerDraft {
  const hex = (n: number) => n.toString(16).padStart(64, '0');
  return { ts: new Date(1_700_000_000_000 + i).toISOString(), actor: 'client:payments', op, key: 'payments', key_version: 1, input_sha256: hex(i), output_sha256: hex(i + 1) };
}

/** One chain: seq 1..n, each prev the hash before it, each hash recomputable. */
function expectOneChain(entries: readonly LedgerEntry[]): void {
  let prev = GENESIS_PREV;
  entries.forEach((e, i) => {
    expect(e.seq).toBe(i + 1);
    expect(e.prev).toBe(prev);
    const { hash, ...rest } = e;
    expect(entryHash(rest)).toBe(hash);
    prev = hash;
  });
}

const ed = generateKeyPairSync('ed25519');
const spec = resolveKeyType('ed25519');
function ledgerKey(version = 1): LedgerSigningKey {
  return { name: 'payseal-ledger', version, signer: createSigner(spec, ed.privateKey) };
}

function appender(store: LedgerStore, options: Partial<ConstructorParameters<typeof LedgerAppender>[1]> = {}): LedgerAppender {
  return new LedgerAppender(store, { ledgerKey: async () => ledgerKey(), checkpointSeconds: 0, ...options });
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(check(), what).toBe(true);
}

describe('ledger appender: group commit', () => {
  it('gathers concurrent appends into few batches and resolves each with its own entry in one chain', async () => {
    const store = new MemoryLedgerStore();
    const a = appender(store, { maxDelayMs: 5 });
    const entries = await Promise.all(Array.from({ length: 100 }, (_, i) => a.append(draft(i))));
    expect(store.batchSizes.length).toBeLessThanOrEqual(3);
    expect(store.batchSizes.reduce((n, s) => n + s, 0)).toBe(100);
    entries.forEach((e, i) => expect(e.input_sha256).toBe(draft(i).input_sha256));
    expectOneChain(store.entries);
    await a.close();
  });

  it('never writes more than maxBatch drafts per batch', async () => {
    const store = new MemoryLedgerStore();
    const a = appender(store, { maxBatch: 16, maxDelayMs: 50 });
    await Promise.all(Array.from({ length: 100 }, (_, i) => a.append(draft(i))));
    expect(Math.max(...store.batchSizes)).toBeLessThanOrEqual(16);
    expect(store.entries).toHaveLength(100);
    expectOneChain(store.entries);
  });

  it('resolves a caller only after its batch committed', async () => {
    const store = new MemoryLedgerStore();
    let open!: () => void;
    store.gate = new Promise<void>((r) => (open = r));
    const a = appender(store, { maxDelayMs: 1 });
    let resolved = 0;
    const pending = Array.from({ length: 5 }, (_, i) => a.append(draft(i)).then((e) => (resolved++, e)));
    await new Promise((r) => setTimeout(r, 30));
    expect(resolved).toBe(0);
    expect(store.entries).toHaveLength(0);
    open();
    await Promise.all(pending);
    expect(resolved).toBe(5);
    expect(store.entries).toHaveLength(5);
  });

  it('rejects every caller of a failed batch with unavailable, resolves none without its entry, then carries on', async () => {
    const store = new MemoryLedgerStore();
    const a = appender(store, { maxDelayMs: 5 });
    await a.append(draft(0));
    store.failNext = 1;
    const outcomes = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => a.append(draft(i + 1))));
    expect(outcomes.every((o) => o.status === 'rejected')).toBe(true);
    for (const o of outcomes) {
      const reason = (o as PromiseRejectedResult).reason;
      expect(isPaysealError(reason) && reason.code).toBe('unavailable');
      expect(isPaysealError(reason) && reason.status).toBe(503);
    }
    expect(store.entries).toHaveLength(1);
    const later = await a.append(draft(99));
    expect(later.seq).toBe(2);
    expectOneChain(store.entries);
  });

  it('fails only the batch that failed: appends gathered while it was in flight still commit', async () => {
    const store = new MemoryLedgerStore();
    let open!: () => void;
    store.gate = new Promise<void>((r) => (open = r));
    store.failNext = 1;
    const a = appender(store, { maxDelayMs: 1 });
    const first = a.append(draft(1));
    await new Promise((r) => setTimeout(r, 10));
    const second = a.append(draft(2));
    open();
    await expect(first).rejects.toMatchObject({ code: 'unavailable' });
    await expect(second).resolves.toMatchObject({ seq: 1, input_sha256: draft(2).input_sha256 });
  });

  it('appendAll writes a batch sign contiguously: one entry per item, all or none', async () => {
    const store = new MemoryLedgerStore();
    const a = appender(store, { maxBatch: 8 });
    const [batch, single] = await Promise.all([a.appendAll(Array.from({ length: 20 }, (_, i) => draft(i))), a.append(draft(100))]);
    expect(batch.map((e) => e.seq)).toEqual(Array.from({ length: 20 }, (_, i) => batch[0]!.seq + i));
    expect(single.seq === batch[0]!.seq - 1 || single.seq === batch[19]!.seq + 1).toBe(true);
    store.failNext = 1;
    await expect(a.appendAll([draft(200), draft(201)])).rejects.toMatchObject({ code: 'unavailable' });
    expect(store.entries).toHaveLength(21);
  });

  it('two appenders (two replicas) on one store form one chain', async () => {
    const store = new MemoryLedgerStore();
    const [a, b] = [appender(store, { maxDelayMs: 1 }), appender(store, { maxDelayMs: 3 })];
    await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 ? a : b).append(draft(i))));
    expect(store.entries).toHaveLength(200);
    expectOneChain(store.entries);
  });

  it('refuses a malformed draft (a bug in the caller) before anything is written', async () => {
    const store = new MemoryLedgerStore();
    const a = appender(store);
    await expect(a.append({ ...draft(1), input_sha256: 'ABC' })).rejects.toMatchObject({ code: 'internal' });
    await expect(a.append({ ...draft(1), op: 'sign', output_sha256: null })).rejects.toMatchObject({ code: 'internal' });
    await expect(a.append({ ...draft(1), op: 'nope' as LedgerDraft['op'] })).rejects.toMatchObject({ code: 'internal' });
    // A batch with one bad draft writes none of them, and rejects rather than throwing at the call.
    const all = a.appendAll([draft(2), { ...draft(3), key_version: 0 }]);
    await expect(all).rejects.toMatchObject({ code: 'internal' });
    expect(store.entries).toHaveLength(0);
  });

  it('record() (the key services\' OperationRecorder) stamps the time and resolves once durable; unavailable when not', async () => {
    const store = new MemoryLedgerStore();
    const a = appender(store, { now: () => new Date('2025-04-01T10:00:00.000Z') });
    const { ts: _ts, ...record } = draft(1);
    await a.record([record, { ...record, op: 'key.revoke', input_sha256: null, output_sha256: null }]);
    expect(store.entries.map((e) => [e.seq, e.ts, e.op])).toEqual([
      [1, '2025-04-01T10:00:00.000Z', 'sign'],
      [2, '2025-04-01T10:00:00.000Z', 'key.revoke'],
    ]);
    store.failNext = 1;
    await expect(a.record([record])).rejects.toMatchObject({ code: 'unavailable' });
  });

  it('close() writes what is queued and refuses later appends with unavailable', async () => {
    const store = new MemoryLedgerStore();
    const a = appender(store, { maxDelayMs: 1000 });
    const pending = a.append(draft(1));
    await a.close();
    await expect(pending).resolves.toMatchObject({ seq: 1 });
    await expect(a.append(draft(2))).rejects.toMatchObject({ code: 'unavailable' });
  });
});

describe('ledger appender: checkpoints', () => {
  function checkSignature(cp: SignedCheckpoint): boolean {
    const { bytes } = parseVersioned(cp.signature, 'signature');
    return verify(null, checkpointSigningBytes(cp.checkpoint), createPublicKey(ed.privateKey), bytes);
  }

  it('signs the entry at every multiple of N with the ledger key, naming its version', async () => {
    const store = new MemoryLedgerStore();
    let version = 1;
    const a = appender(store, { checkpointEvery: 10, ledgerKey: async () => ledgerKey(version) });
    await Promise.all(Array.from({ length: 15 }, (_, i) => a.append(draft(i))));
    version = 2;
    await Promise.all(Array.from({ length: 10 }, (_, i) => a.append(draft(i))));
    await a.close();
    expect(store.checkpoints.map((c) => c.checkpoint.seq)).toEqual([10, 20]);
    for (const cp of store.checkpoints) {
      expect(cp.checkpoint.hash).toBe(store.entries[cp.checkpoint.seq - 1]!.hash);
      expect(checkSignature(cp)).toBe(true);
    }
    expect(store.checkpoints.map((c) => c.checkpoint.key_version)).toEqual([1, 2]);
    expect(store.checkpoints[1]!.signature.startsWith('payseal:v2:')).toBe(true);
  });

  it('signs the head on the timer when entries arrived since the last checkpoint, and only then', async () => {
    const store = new MemoryLedgerStore();
    const a = appender(store, { checkpointEvery: 1000, checkpointSeconds: 0.05 });
    await a.append(draft(1));
    await a.append(draft(2));
    await until(() => store.checkpoints.length === 1, 'a timed checkpoint of the head');
    expect(store.checkpoints[0]!.checkpoint.seq).toBe(2);
    await new Promise((r) => setTimeout(r, 200));
    expect(store.checkpoints).toHaveLength(1);
    await a.close();
  });

  it('a checkpoint failure reaches onError and never fails an append', async () => {
    const store = new MemoryLedgerStore();
    const errors: unknown[] = [];
    const a = appender(store, {
      checkpointEvery: 2,
      ledgerKey: async () => {
        throw new Error('ledger key unavailable');
      },
      onError: (e) => errors.push(e),
    });
    const entries = await Promise.all(Array.from({ length: 4 }, (_, i) => a.append(draft(i))));
    expect(entries).toHaveLength(4);
    await a.close();
    expect(errors.length).toBeGreaterThanOrEqual(1);
    expect(store.checkpoints).toHaveLength(0);
  });

  it('checkpointNow() signs the current head; null for an empty ledger', async () => {
    const store = new MemoryLedgerStore();
    const a = appender(store);
    await expect(a.checkpointNow()).resolves.toBeNull();
    await a.append(draft(1));
    const cp = await a.checkpointNow();
    expect(cp?.checkpoint).toMatchObject({ seq: 1, hash: store.entries[0]!.hash, key: 'payseal-ledger', key_version: 1 });
    expect(checkSignature(cp as SignedCheckpoint)).toBe(true);
  });
});
