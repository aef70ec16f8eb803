/**
 * The ledger's pure formats: the entry hash bytes (checked against a hand-built preimage, not against the code
 * under test), the chain, the strict entry and checkpoint parsers, the JSON-lines export and its pages, and the
 * digests each op records.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, createSigner, resolveKeyType } from '../src/crypto/index.ts';
import { checkpointSigningBytes, parseSignedCheckpoint, signCheckpoint } from '../src/ledger/format/checkpoint.ts';
import { clientCreateDigests, keyCreateDigests, messageDigests, signDigests } from '../src/ledger/format/digests.ts';
import { chainEntries, entryHash, entryHashInput, GENESIS_PREV, LEDGER_OPS, parseEntry, type LedgerDraft, type LedgerEntry } from '../src/ledger/format/entry.ts';
import { exportLines, formatEntryLine, parseLedgerLine } from '../src/ledger/format/export.ts';
import { readLedgerPage } from '../src/ledger/page.ts';
import { HOSTILE_STRINGS } from './support/verify-fixtures.ts';

const draft: LedgerDraft = {
  ts: '2025-03-01T12:00:00.123Z',
  actor: 'client:payments',
  op: 'sign',
  key: 'payments',
  key_version: 3,
  input_sha256: 'a'.repeat(64),
  output_sha256: 'b'.repeat(64),
};

describe('ledger entry hash', () => {
  it('is SHA-256 of the 32 raw prev bytes followed by the JCS of the other nine members', () => {
    const [first, second] = chainEntries(null, [draft, { ...draft, op: 'key.revoke', input_sha256: null, output_sha256: null }]) as [LedgerEntry, LedgerEntry];
    // JCS by hand (RFC 8785 §3.2.3: members sorted by code unit; no whitespace; null kept).
    const jcs1 =
      '{"actor":"client:payments","input_sha256":"' + 'a'.repeat(64) + '","key":"payments","key_version":3,"op":"sign","output_sha256":"' +
      'b'.repeat(64) + '","prev":"' + GENESIS_PREV + '","seq":1,"ts":"2025-03-01T12:00:00.123Z"}';
    const expected1 = createHash('sha256').update(Buffer.alloc(32)).update(jcs1).digest('hex');
    expect(first.hash).toBe(expected1);
    expect(first.prev).toBe('0'.repeat(64));
    const jcs2 =
      '{"actor":"client:payments","input_sha256":null,"key":"payments","key_version":3,"op":"key.revoke","output_sha256":null,"prev":"' +
      expected1 + '","seq":2,"ts":"2025-03-01T12:00:00.123Z"}';
    expect(second.prev).toBe(expected1);
    expect(second.hash).toBe(createHash('sha256').update(Buffer.from(expected1, 'hex')).update(jcs2).digest('hex'));
  });

  it('changes with every member', () => {
    const [e] = chainEntries(null, [draft]) as [LedgerEntry];
    const { hash, ...rest } = e;
    const variants = [{ seq: 2 }, { ts: '2025-03-01T12:00:00.124Z' }, { actor: 'client:other' }, { op: 'seal' }, { key: 'other' }, { key_version: 4 }, { input_sha256: 'c'.repeat(64) }, { output_sha256: null }, { prev: '1'.repeat(64) }];
    for (const v of variants) expect(entryHash({ ...rest, ...v } as Omit<LedgerEntry, 'hash'>), JSON.stringify(v)).not.toBe(hash);
  });

  it('its fast JCS writer gives exactly canonicalJson of the nine members, on random entries', () => {
    const hex = fc.option(fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex')), { nil: null });
    const entry = fc.record({
      seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
      ts: fc.date({ min: new Date(0), max: new Date(Date.UTC(9999, 0)), noInvalidDate: true }).map((d) => d.toISOString()),
      actor: fc.string({ unit: 'grapheme', minLength: 1 }),
      op: fc.constantFrom(...LEDGER_OPS),
      key: fc.option(fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,63}$/), { nil: null }),
      key_version: fc.option(fc.integer({ min: 1, max: 2 ** 31 - 1 }), { nil: null }),
      input_sha256: hex,
      output_sha256: hex,
      prev: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex')),
    });
    fc.assert(
      fc.property(entry, (e) => {
        const input = entryHashInput(e);
        expect(input.subarray(0, 32).toString('hex')).toBe(e.prev);
        expect(input.subarray(32).toString('utf8')).toBe(canonicalJson({ ...e }));
        expect(entryHash(e)).toBe(createHash('sha256').update(input).digest('hex'));
        // The export line's fast writer (format/export.ts) too: JSON.stringify with the members in export order.
        const full = { ...e, hash: entryHash(e) };
        const ordered = { seq: full.seq, ts: full.ts, actor: full.actor, op: full.op, key: full.key, key_version: full.key_version, input_sha256: full.input_sha256, output_sha256: full.output_sha256, prev: full.prev, hash: full.hash };
        expect(formatEntryLine(full)).toBe(JSON.stringify(ordered));
      }),
      { numRuns: 500 },
    );
  });

  it('chains after a given head', () => {
    const [e] = chainEntries({ seq: 41, hash: 'f'.repeat(64) }, [draft]) as [LedgerEntry];
    expect(e.seq).toBe(42);
    expect(e.prev).toBe('f'.repeat(64));
  });
});

describe('ledger export lines', () => {
  const entries = chainEntries(null, [draft, draft, draft]);

  it('an entry line round-trips through parseLedgerLine', () => {
    const line = formatEntryLine(entries[1] as LedgerEntry);
    expect(Object.keys(JSON.parse(line))).toEqual(['seq', 'ts', 'actor', 'op', 'key', 'key_version', 'input_sha256', 'output_sha256', 'prev', 'hash']);
    expect(parseLedgerLine(line, 2)).toEqual({ kind: 'entry', entry: entries[1] });
  });

  it('a checkpoint line is told apart by its checkpoint member and comes right after its entry', async () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const key = { name: 'payseal-ledger', version: 2, signer: createSigner(resolveKeyType('ed25519'), privateKey) };
    const cp = await signCheckpoint(entries[1] as LedgerEntry, new Date('2025-03-01T12:00:01Z'), key);
    expect(checkpointSigningBytes(cp.checkpoint).toString()).toBe(
      `{"format":"payseal-checkpoint/1","hash":"${entries[1]!.hash}","key":"payseal-ledger","key_version":2,"seq":2,"ts":"2025-03-01T12:00:01.000Z"}`,
    );
    const lines = [...exportLines(entries, [cp])];
    expect(lines).toHaveLength(4);
    expect(lines.every((l) => l.endsWith('\n'))).toBe(true);
    expect(parseLedgerLine(lines[2] as string, 3)).toMatchObject({ kind: 'checkpoint', checkpoint: { checkpoint: cp.checkpoint, signatureVersion: 2 } });
    expect(parseLedgerLine(lines[3] as string, 4)).toMatchObject({ kind: 'entry', entry: { seq: 3 } });
  });

  it('refuses lines that are not exactly an entry or a checkpoint, naming the line', () => {
    const good = JSON.parse(formatEntryLine(entries[0] as LedgerEntry)) as Record<string, unknown>;
    const bad: unknown[] = [
      'not json',
      '[]',
      'null',
      { ...good, extra: 1 },
      { ...good, hash: undefined },
      { ...good, seq: 0 },
      { ...good, seq: 1.5 },
      { ...good, hash: 'A'.repeat(64) },
      { ...good, prev: 'ab' },
      { ...good, ts: '2025-03-01 12:00:00' },
      { ...good, op: 'delete' },
      { ...good, key_version: '3' },
      { ...good, key: 'Payments' },
      { ...good, actor: 'a\nb' },
      { ...good, actor: '' },
      { checkpoint: { seq: 1, hash: 'a'.repeat(64), ts: draft.ts, key: 'payseal-ledger', key_version: 1 } },
      { checkpoint: { seq: 1, hash: 'a'.repeat(64), ts: draft.ts, key: 'payseal-ledger' }, signature: 'payseal:v1:AA==' },
      { checkpoint: { seq: 1, hash: 'a'.repeat(64), ts: draft.ts, key: 'payseal-ledger', key_version: 1 }, signature: 'AA==' },
    ];
    for (const b of bad) {
      const text = typeof b === 'string' ? b : JSON.stringify(b);
      expect(() => parseLedgerLine(text, 7), text).toThrow(/^line 7: /);
    }
    expect(() => parseEntry({ ...good, extra: 1 })).toThrowError(expect.objectContaining({ code: 'invalid_request' }));
  });

  it('answers every hostile line with invalid_request naming the line', () => {
    for (const text of HOSTILE_STRINGS) expect(() => parseLedgerLine(text, 3), JSON.stringify(text)).toThrowError(expect.objectContaining({ code: 'invalid_request' }));
  });

  it('parses a checkpoint whose envelope names another version (the verifier refuses it, the parser reports it)', () => {
    const cp = parseSignedCheckpoint({ checkpoint: { seq: 1, hash: 'a'.repeat(64), ts: draft.ts, key: 'payseal-ledger', key_version: 1 }, signature: 'payseal:v2:AA==' });
    expect(cp.signatureVersion).toBe(2);
  });

  it('pages: entries from `from`, their checkpoints, and the next from', async () => {
    const many = chainEntries(null, Array.from({ length: 5 }, () => draft));
    const { privateKey } = generateKeyPairSync('ed25519');
    const cp = await signCheckpoint(many[2] as LedgerEntry, new Date(), { name: 'payseal-ledger', version: 1, signer: createSigner(resolveKeyType('ed25519'), privateKey) });
    const reader = {
      entries: async (from: number, limit: number) => many.filter((e) => e.seq >= from).slice(0, limit),
      checkpoints: async (from: number, to: number) => [cp].filter((c) => c.checkpoint.seq >= from && c.checkpoint.seq <= to),
    };
    const p1 = await readLedgerPage(reader, 1, 2);
    expect(p1).toEqual({ lines: [formatEntryLine(many[0]!) + '\n', formatEntryLine(many[1]!) + '\n'], next: 3 });
    const p2 = await readLedgerPage(reader, 3, 10);
    expect(p2.lines).toHaveLength(4);
    expect(p2.next).toBeNull();
    await expect(readLedgerPage(reader, 0, 10)).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(readLedgerPage(reader, 1, 10_001)).rejects.toMatchObject({ code: 'invalid_request' });
  });
});

describe('ledger digests', () => {
  const sha = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');

  it('raw sign: the signed bytes and the raw signature bytes, not the envelope', () => {
    const d = signDigests(Buffer.from('hello'), Buffer.from([1, 2, 3]));
    expect(d).toEqual({ input_sha256: sha('hello'), output_sha256: sha(Buffer.from([1, 2, 3])) });
  });

  it('message sign: the JCS payload and the ASCII compact JWS', () => {
    expect(messageDigests(Buffer.from('{"a":1}'), 'h.p.s')).toEqual({ input_sha256: sha('{"a":1}'), output_sha256: sha('h.p.s') });
  });

  it('key create: JCS of type and rotation period, SPKI DER of the public key', () => {
    const { publicKey } = generateKeyPairSync('ed25519');
    const d = keyCreateDigests('ed25519', '90d', publicKey);
    expect(d.input_sha256).toBe(sha('{"rotation_period":"90d","type":"ed25519"}'));
    expect(d.output_sha256).toBe(sha(publicKey.export({ type: 'spki', format: 'der' })));
    expect(keyCreateDigests('aes-256-gcm', null, null).output_sha256).toBeNull();
  });

  it('client create: JCS of name and scopes, never the token', () => {
    expect(clientCreateDigests('svc', ['sign:payments'])).toEqual({ input_sha256: sha('{"name":"svc","scopes":["sign:payments"]}'), output_sha256: null });
  });
});
