/**
 * `payseal ledger verify`: checks a JSON-lines ledger export (src/ledger/export.ts) against a bundle, offline.
 *
 * 1. Every line is parsed and every entry's hash recomputed, and every checkpoint's signature checked with both
 *    opinions, spread over the cores (_ledger-pool.ts); a line that is not an entry or a checkpoint is an input
 *    error (invalid_request: exit 2), named by line.
 * 2. In file order: seq continuity and every link (_ledger-walk.ts), naming the first bad entry by seq.
 * 3. Checkpoints: only the ledger key (LEDGER_KEY_NAME) may sign one (any other key can be made to sign chosen
 *    bytes through the API); the version must be in the bundle and not revoked (one below the ledger key's
 *    min_version still vouches for its old checkpoints: retiring it must not orphan the history); the signed
 *    hash must be the entry's at that seq (else the entries since the previous good checkpoint were rewritten),
 *    and a checkpoint past the last entry means the end was cut off. An export with no checkpoint at all is
 *    `unsigned`: anyone can recompute a chain, only the ledger key vouches for one.
 * 4. `message`: a compact JWS or a raw `payseal:vN:` signature; its output digest (src/ledger/digests.ts) is
 *    looked up, and the first valid checkpoint at or after its seq is the one that vouches for it.
 * Entries after the last valid checkpoint are reported (`uncovered_entries`) but do not make the export invalid.
 */
import { parseVersioned } from '../crypto/versioned.ts';
import { PaysealError } from '../errors.ts';
import { LEDGER_KEY_NAME, type Checkpoint } from '../ledger/format/checkpoint.ts';
import { sha256Hex } from '../ledger/format/digests.ts';
import type { LedgerEntry } from '../ledger/format/entry.ts';
import type { Bundle } from './bundle.ts';
import type { CheckpointFinding, CheckpointKeyRef, ChunkResult } from './_ledger-chunk.ts';
import { verifyRuns } from './_ledger-pool.ts';
import { entryOfLine, firstIndexBySeq, walkChain, type LedgerProblem, type PackedEntries } from './_ledger-walk.ts';
import type { Opinion } from './signature.ts';

export type { LedgerProblem, ProblemKind } from './_ledger-walk.ts';

export interface LedgerVerifyOptions {
  /** The content of a --message file: a compact JWS or a `payseal:vN:` signature. */
  readonly message?: string | undefined;
  /** Opinions other than the defaults (tests); they make verification run in this thread. */
  readonly opinions?: readonly Opinion[] | undefined;
  /** Worker threads besides this one; default one per other core for large exports, none for small ones. */
  readonly workers?: number | undefined;
  /** This thread checks runs too (default); false leaves them all to the workers (tests of the worker path). */
  readonly mainThread?: boolean | undefined;
  readonly onProgress?: ((linesDone: number, lineCount: number) => void) | undefined;
}

export type CheckpointSummary = Checkpoint & { readonly line: number };

/** Problems listed in a verdict: the first is what matters; a wrong ledger key would otherwise list every checkpoint. */
export const MAX_PROBLEMS = 20;

export interface MessageFinding {
  readonly kind: 'jws' | 'signature';
  readonly output_sha256: string;
  readonly found: boolean;
  readonly entries: readonly (LedgerEntry & { readonly line: number })[];
  /** The first valid checkpoint at or after the (first) entry; null when none covers it yet. */
  readonly checkpoint: CheckpointSummary | null;
}

export interface LedgerVerdict {
  /** Chain intact, every checkpoint good, at least one checkpoint; and, with a message, found and covered. */
  readonly valid: boolean;
  readonly entries: number;
  readonly head: { readonly seq: number; readonly hash: string } | null;
  readonly checkpoints: number;
  readonly valid_checkpoints: number;
  readonly last_checkpoint: CheckpointSummary | null;
  readonly uncovered_entries: number;
  /** Sorted by seq; the first names the first bad entry. At most MAX_PROBLEMS (`more_problems` says if more). */
  readonly problems: readonly LedgerProblem[];
  /** Problems were left out of `problems` (the chain walk also stops after its first ten). */
  readonly more_problems: boolean;
  readonly message?: MessageFinding;
  /** Worker threads that did the checking (0: all in the calling thread). */
  readonly threads: number;
}

const WALK_LIMIT = 10;
const JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+$/;

/** What `--message` names: the output digest a message.sign/seal (JWS) or sign (raw signature) entry records. */
export function messageDigest(text: string): { kind: 'jws' | 'signature'; digest: string } {
  const value = text.trim();
  if (value.startsWith('payseal:')) return { kind: 'signature', digest: sha256Hex(parseVersioned(value, 'message').bytes) };
  if (JWS.test(value)) return { kind: 'jws', digest: sha256Hex(Buffer.from(value, 'ascii')) };
  if (value.split('.').length === 5) throw new PaysealError('invalid_request', 'message is a sealed JWE: open it and give the JWS inside (the ledger records the JWS)');
  throw new PaysealError('invalid_request', 'message must be a compact JWS or a payseal:v<N>:<base64> signature');
}

/** The public keys checkpoints may be signed with: every version of the ledger key the bundle carries. */
export function checkpointKeys(bundle: Bundle): CheckpointKeyRef[] {
  const listed = bundle.keys.get(LEDGER_KEY_NAME);
  if (listed !== undefined) {
    return [...listed.versions.values()].filter((v) => v.public_key_pem !== null).map((v) => ({ key: LEDGER_KEY_NAME, version: v.version, type: listed.spec.type, pem: v.public_key_pem as string }));
  }
  return bundle.ledger === null ? [] : [{ key: LEDGER_KEY_NAME, version: null, type: bundle.ledger.spec.type, pem: bundle.ledger.pem }];
}

function pack(results: readonly { result: ChunkResult; linesBefore: number }[]): PackedEntries {
  const count = results.reduce((n, r) => n + r.result.count, 0);
  const p = { count, seqs: new Float64Array(count), lines: new Int32Array(count), hashes: new Uint8Array(32 * count), prevs: new Uint8Array(32 * count), hashOk: new Uint8Array(count) };
  let at = 0;
  for (const { result: r, linesBefore } of results) {
    p.seqs.set(r.seqs, at);
    for (let i = 0; i < r.count; i++) p.lines[at + i] = (r.lines[i] as number) + linesBefore;
    p.hashes.set(r.hashes, 32 * at);
    p.prevs.set(r.prevs, 32 * at);
    p.hashOk.set(r.hashOk, at);
    at += r.count;
  }
  return p;
}

/** Reads line `n` (1-based) of the export; built on first use, for the few entries that need a second look. */
function lineReader(bytes: Uint8Array): (n: number) => string | undefined {
  let starts: number[] | null = null;
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return (n) => {
    if (starts === null) {
      starts = [0];
      for (let at = buf.indexOf(10); at !== -1; at = buf.indexOf(10, at + 1)) starts.push(at + 1);
    }
    const start = starts[n - 1];
    return start === undefined ? undefined : buf.toString('utf8', start, (starts[n] ?? buf.length + 1) - 1).replace(/\r$/, '');
  };
}

/** What is wrong with a checkpoint on its own (key, signature, place), or null. */
function checkpointProblem(f: CheckpointFinding & { line: number }, bundle: Bundle, lastSeq: number): LedgerProblem | null {
  const cp = f.checkpoint;
  const at = { seq: cp.seq, line: f.line };
  if (cp.key !== LEDGER_KEY_NAME) return { kind: 'checkpoint_signature', ...at, message: `checkpoint at seq ${cp.seq} is signed by key ${cp.key}, not the ledger key ${LEDGER_KEY_NAME}` };
  if (f.check === null) return { kind: 'checkpoint_signature', ...at, message: `checkpoint at seq ${cp.seq} names ${cp.key} v${cp.key_version}, which the bundle does not carry` };
  if (!f.envelopeMatches) return { kind: 'checkpoint_signature', ...at, message: `checkpoint at seq ${cp.seq}: its signature envelope names another version than v${cp.key_version}` };
  if (f.check.disagreement) {
    const says = f.check.opinions.map((o) => `${o.name}: ${o.valid ? 'valid' : 'invalid'}`).join(', ');
    return { kind: 'disagreement', ...at, message: `checkpoint at seq ${cp.seq}: the implementations disagree (${says})` };
  }
  if (!f.check.valid) return { kind: 'checkpoint_signature', ...at, message: `checkpoint at seq ${cp.seq}: bad signature by ${cp.key} v${cp.key_version}` };
  if (bundle.keys.get(cp.key)?.versions.get(cp.key_version)?.state === 'revoked') {
    return { kind: 'checkpoint_key_revoked', ...at, message: `checkpoint at seq ${cp.seq} is signed by ${cp.key} v${cp.key_version}, which is revoked` };
  }
  if (cp.seq > lastSeq) return { kind: 'dropped', seq: lastSeq + 1, to_seq: cp.seq, line: f.line, message: `the export ends at seq ${lastSeq} but a checkpoint covers seq ${cp.seq}: entries were cut off` };
  return null;
}

export async function verifyLedger(bundle: Bundle, bytes: Uint8Array, options: LedgerVerifyOptions = {}): Promise<LedgerVerdict> {
  const wanted = options.message === undefined ? null : messageDigest(options.message);
  const { runs, lineCount, threads } = await verifyRuns(bytes, {
    workers: options.workers ?? 'auto',
    mainThread: options.mainThread,
    keys: checkpointKeys(bundle),
    wanted: wanted === null ? [] : [wanted.digest],
    opinions: options.opinions,
    onProgress: options.onProgress,
  });
  const results: { result: ChunkResult; linesBefore: number }[] = [];
  for (const r of runs) {
    if ('message' in r.outcome) throw new PaysealError('invalid_request', r.outcome.message.replace(/^line \d+/, `line ${r.outcome.line + r.linesBefore}`));
    results.push({ result: r.outcome, linesBefore: r.linesBefore });
  }
  const p = pack(results);
  if (p.count === 0) throw new PaysealError('invalid_request', `the ledger export has no entries (${lineCount} lines)`);
  const first = firstIndexBySeq(p);
  const readLine = lineReader(bytes);
  const problems: LedgerProblem[] = walkChain(p, first, (n) => entryOfLine(readLine(n)), WALK_LIMIT);
  const walkStopped = problems.length >= WALK_LIMIT;
  const hashAt = (seq: number): string | undefined => {
    const i = first.get(seq);
    return i === undefined ? undefined : Buffer.from(p.hashes.subarray(32 * i, 32 * i + 32)).toString('hex');
  };
  const lastSeq = p.seqs.reduce((a, b) => Math.max(a, b), 0);
  const findings = results.flatMap((r) => r.result.checkpoints.map((f) => ({ ...f, line: f.line + r.linesBefore }))).sort((a, b) => a.checkpoint.seq - b.checkpoint.seq);
  const good: CheckpointSummary[] = [];
  for (const f of findings) {
    const problem = checkpointProblem(f, bundle, lastSeq);
    if (problem !== null) {
      problems.push(problem);
      continue;
    }
    const stored = hashAt(f.checkpoint.seq);
    if (stored === undefined) continue; // a gap at that seq: the walk reports it
    if (stored !== f.checkpoint.hash) {
      const from = (good.at(-1)?.seq ?? 0) + 1;
      problems.push({ kind: 'rewritten', seq: from, to_seq: f.checkpoint.seq, line: f.line, message: `the checkpoint at seq ${f.checkpoint.seq} signed another head: entries ${from}-${f.checkpoint.seq} were rewritten` });
      continue;
    }
    good.push({ ...f.checkpoint, line: f.line });
  }
  if (findings.length === 0) problems.push({ kind: 'unsigned', seq: 1, line: null, message: 'no checkpoint: nothing signed by the ledger key vouches for this chain' });
  // A checkpoint mismatch says only "somewhere up to here": it sorts by where it was found, so an entry-level
  // problem inside its range (the precise first bad entry) comes first.
  const at = (x: LedgerProblem) => (x.kind === 'rewritten' ? (x.to_seq as number) : x.seq);
  problems.sort((a, b) => at(a) - at(b));
  const last = good.at(-1) ?? null;
  const headIndex = p.count - 1;
  const verdict = {
    entries: p.count,
    head: { seq: p.seqs[headIndex] as number, hash: Buffer.from(p.hashes.subarray(32 * headIndex)).toString('hex') },
    checkpoints: findings.length,
    valid_checkpoints: good.length,
    last_checkpoint: last,
    uncovered_entries: p.count - (last === null ? 0 : (first.get(last.seq) as number) + 1),
    problems: problems.slice(0, MAX_PROBLEMS),
    more_problems: walkStopped || problems.length > MAX_PROBLEMS,
    threads,
  };
  if (wanted === null) return { valid: problems.length === 0, ...verdict };
  const entries = results.flatMap((r) => r.result.matches.map((m) => ({ ...m.entry, line: m.line + r.linesBefore })));
  const covering = entries.length === 0 ? null : (good.find((c) => c.seq >= (entries[0] as LedgerEntry).seq) ?? null);
  const message: MessageFinding = { kind: wanted.kind, output_sha256: wanted.digest, found: entries.length > 0, entries, checkpoint: covering };
  return { valid: problems.length === 0 && covering !== null, ...verdict, message };
}
