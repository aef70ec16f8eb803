/**
 * The parallel half of ledger verification: one contiguous run of export lines, checked on its own (in a
 * worker thread, or in-thread for small exports). Each entry carries its own `prev`, so its hash can be
 * recomputed without its neighbours; each checkpoint's signature is checked with both opinions. What needs the
 * order of the whole file (seq continuity, links, which checkpoint covers what) is done afterwards by
 * _ledger-walk.ts over the packed results returned here.
 */
import { resolveKeyType } from '../crypto/registry.ts';
import type { KeyType } from '../crypto/types.ts';
import { checkpointSigningBytes, type Checkpoint } from '../ledger/format/checkpoint.ts';
import { entryHash, type LedgerEntry } from '../ledger/format/entry.ts';
import { parseLedgerLine } from '../ledger/format/export.ts';
import { checkSignature, DEFAULT_OPINIONS, type Opinion, type SignatureCheck } from './signature.ts';

/** A public key a checkpoint may name: `version` null stands for "whatever version" (the bundle's lone ledger_public_key_pem). */
export interface CheckpointKeyRef {
  readonly key: string;
  readonly version: number | null;
  readonly type: KeyType;
  readonly pem: string;
}

export interface CheckpointFinding {
  /** Line number within the chunk (1-based). */
  readonly line: number;
  readonly checkpoint: Checkpoint;
  /** The signature envelope's version equals key_version. */
  readonly envelopeMatches: boolean;
  /** null when no key of the bundle matches the checkpoint's key and version. */
  readonly check: SignatureCheck | null;
}

/** Entries of the chunk in file order, packed so they cross a thread boundary without copying. */
export interface ChunkResult {
  readonly count: number;
  readonly lineCount: number;
  readonly seqs: Float64Array;
  /** Chunk-local line number of each entry. */
  readonly lines: Int32Array;
  /** 32 bytes per entry: the stored hash, the stored prev. */
  readonly hashes: Uint8Array;
  readonly prevs: Uint8Array;
  /** 1 when the stored hash is the recomputed one. */
  readonly hashOk: Uint8Array;
  readonly checkpoints: readonly CheckpointFinding[];
  /** Entries whose output_sha256 is one of the digests asked for (--message). */
  readonly matches: readonly { readonly line: number; readonly entry: LedgerEntry }[];
}

/** An input error (not JSON, not an entry or a checkpoint) at a chunk-local line. */
export interface ChunkFailure {
  readonly line: number;
  readonly message: string;
}

/** Splits the text into lines: `\n`-terminated, an optional `\r` before it, the last newline optional. */
export function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

function keyFor(keys: readonly CheckpointKeyRef[], cp: Checkpoint): CheckpointKeyRef | undefined {
  return keys.find((k) => k.key === cp.key && k.version === cp.key_version) ?? keys.find((k) => k.key === cp.key && k.version === null);
}

export async function verifyChunk(
  text: string,
  keys: readonly CheckpointKeyRef[],
  wanted: readonly string[],
  opinions: readonly Opinion[] = DEFAULT_OPINIONS,
  onProgress: (lines: number) => void = () => {},
): Promise<ChunkResult | ChunkFailure> {
  const all = splitLines(text);
  const n = all.length;
  const seqs = new Float64Array(n);
  const lines = new Int32Array(n);
  const hashes = new Uint8Array(32 * n);
  const prevs = new Uint8Array(32 * n);
  const hashOk = new Uint8Array(n);
  const checkpoints: Promise<CheckpointFinding>[] = [];
  const matches: { line: number; entry: LedgerEntry }[] = [];
  const want = new Set(wanted);
  let count = 0;
  for (let i = 0; i < n; i++) {
    const lineNumber = i + 1;
    const raw = all[i] as string;
    if (raw.trim() === '') return { line: lineNumber, message: `line ${lineNumber}: empty line` };
    let parsed;
    try {
      parsed = parseLedgerLine(raw, lineNumber);
    } catch (e) {
      return { line: lineNumber, message: e instanceof Error ? e.message : String(e) };
    }
    if (parsed.kind === 'checkpoint') {
      const cp = parsed.checkpoint;
      const ref = keyFor(keys, cp.checkpoint);
      const check = ref === undefined ? Promise.resolve(null) : checkSignature(resolveKeyType(ref.type), ref.pem, checkpointSigningBytes(cp.checkpoint), cp.signatureBytes, {}, opinions);
      checkpoints.push(check.then((c) => ({ line: lineNumber, checkpoint: cp.checkpoint, envelopeMatches: cp.signatureVersion === cp.checkpoint.key_version, check: c })));
      continue;
    }
    const e = parsed.entry;
    seqs[count] = e.seq;
    lines[count] = lineNumber;
    hashes.set(Buffer.from(e.hash, 'hex'), 32 * count);
    prevs.set(Buffer.from(e.prev, 'hex'), 32 * count);
    hashOk[count] = entryHash(e) === e.hash ? 1 : 0;
    if (e.output_sha256 !== null && want.has(e.output_sha256)) matches.push({ line: lineNumber, entry: e });
    count++;
    if (count % 4096 === 0) onProgress(lineNumber);
  }
  onProgress(n);
  return {
    count,
    lineCount: n,
    seqs: seqs.subarray(0, count),
    lines: lines.subarray(0, count),
    hashes: hashes.subarray(0, 32 * count),
    prevs: prevs.subarray(0, 32 * count),
    hashOk: hashOk.subarray(0, count),
    checkpoints: await Promise.all(checkpoints),
    matches,
  };
}
