/**
 * RFC 8785 (JCS) vectors from ../shared/vectors/jcs (cyberphone/json-canonicalization testdata; provenance in
 * its README): each `input/X.json` must canonicalize to exactly the bytes of `output/X.json`, and each line
 * `<IEEE-754 hex>,<ECMAScript string>` of es6testfile-first10000.txt must serialize to that string.
 *
 * Two layers run: crypto's canonicalJson (JCS itself) must match every vector; the payment-message layer
 * (canonicalMessageBytes) deliberately refuses integers beyond 2^53-1 (money must be strings), so it must match
 * every vector except those, which it must refuse with invalid_request. The refusals are counted and the counts
 * asserted, so a change in strictness is noticed. PAYSEAL_JCS_DIR overrides the folder.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../src/crypto/index.ts';
import { isPaysealError } from '../src/errors.ts';
import { canonicalMessageBytes, readCanonicalPayload } from '../src/messages/index.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIR = resolve(ROOT, process.env.PAYSEAL_JCS_DIR ?? '../shared/vectors/jcs');
const NUMBERS_FILE = 'es6testfile-first10000.txt';

/** Vectors the message layer refuses on purpose: values.json holds 1E30, an integer beyond 2^53-1. */
const EXPECTED_FILE_REFUSALS = ['values.json'];
/** Lines of the number file whose double is an integer beyond 2^53-1 (counted from the file: 3716 of 10,000). */
const EXPECTED_UNSAFE_INTEGER_LINES = 3716;

/** canonicalMessageBytes, or 'refused' when it throws invalid_request (anything else is rethrown). */
function messageBytes(value: unknown): Buffer | 'refused' {
  try {
    return canonicalMessageBytes(value);
  } catch (e) {
    if (isPaysealError(e) && e.code === 'invalid_request') return 'refused';
    throw e;
  }
}

function hexToDouble(hex: string): number {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(`0x${hex}`));
  return b.readDoubleBE(0);
}

if (!existsSync(DIR)) {
  describe.skip(`JCS vectors: folder ${DIR} not found (set PAYSEAL_JCS_DIR to run them)`, () => {
    it('input/ → output/ and the number lines', () => {});
  });
} else {
  const files = readdirSync(join(DIR, 'input')).filter((f) => f.endsWith('.json')).sort();

  describe(`JCS vectors in ${DIR}`, () => {
    it('has the input/output pairs and the number file', () => {
      expect(files.length).toBeGreaterThanOrEqual(6);
      expect(existsSync(join(DIR, NUMBERS_FILE))).toBe(true);
    });

    it.each(files.map((f) => [f]))('input/%s canonicalizes to output/ byte for byte', (file) => {
      const input = JSON.parse(readFileSync(join(DIR, 'input', file), 'utf8')) as unknown;
      const expected = readFileSync(join(DIR, 'output', file));
      expect(Buffer.from(canonicalJson(input), 'utf8').equals(expected)).toBe(true);
      const message = messageBytes(input);
      if (EXPECTED_FILE_REFUSALS.includes(file)) {
        expect(message).toBe('refused');
      } else {
        expect(message !== 'refused' && message.equals(expected)).toBe(true);
        // The output is what a verifier sees as the payload: it must be accepted as canonical.
        expect(readCanonicalPayload(expected).ok).toBe(true);
      }
    });

    it(`${NUMBERS_FILE}: every line serializes to its ECMAScript string; the message layer refuses exactly the unsafe integers`, () => {
      const lines = readFileSync(join(DIR, NUMBERS_FILE), 'utf8').split('\n').filter((l) => l !== '');
      expect(lines.length).toBe(10_000);
      const mismatches: string[] = [];
      let refused = 0;
      let unsafeIntegers = 0;
      for (const line of lines) {
        const [hex, expected] = line.split(',') as [string, string];
        const value = hexToDouble(hex);
        if (canonicalJson(value) !== expected) mismatches.push(line);
        const unsafe = Number.isInteger(value) && !Number.isSafeInteger(value);
        if (unsafe) unsafeIntegers++;
        const m = messageBytes(value);
        if (m === 'refused') refused++;
        else if (unsafe || m.toString('utf8') !== expected) mismatches.push(`message layer: ${line}`);
      }
      expect(mismatches).toEqual([]);
      expect(refused).toBe(unsafeIntegers);
      expect(unsafeIntegers).toBe(EXPECTED_UNSAFE_INTEGER_LINES);
    });
  });
}
