/**
 * The ordered half of ledger verification: walks the entries in file order (after their hashes were recomputed
 * in parallel) and names the first things wrong, by seq:
 *
 * - `dropped`: seqs missing (a gap), or one entry removed and the later ones renumbered (an entry whose hash
 *   matches only with seq + 1);
 * - `inserted`: a second entry claiming a seq already seen, or an entry inserted and the later ones renumbered
 *   (an entry whose hash matches only with seq - 1);
 * - `reordered`: a seq after a higher one, or two neighbours swapped and renumbered;
 * - `duplicated`: the same entry twice;
 * - `edited`: an entry whose content no longer gives its hash, or whose hash was recomputed after the edit (then
 *   the next entry's prev no longer names it);
 * - `relinked`: seq 1 whose prev is not the genesis value.
 * A rewrite that recomputes every later hash leaves the chain consistent; only a checkpoint catches it (ledger.ts).
 */
import { entryHash, GENESIS_PREV, parseEntry, type LedgerEntry } from '../ledger/format/entry.ts';

export type ProblemKind =
  | 'edited'
  | 'dropped'
  | 'inserted'
  | 'reordered'
  | 'duplicated'
  | 'relinked'
  | 'rewritten'
  | 'checkpoint_signature'
  | 'checkpoint_key_revoked'
  | 'disagreement'
  | 'unsigned';

export interface LedgerProblem {
  readonly kind: ProblemKind;
  /** The first bad entry's seq (for a range, its start). */
  readonly seq: number;
  /** The last seq of a range (dropped, rewritten), when there is one. */
  readonly to_seq?: number;
  /** Line of the export where it was found. */
  readonly line: number | null;
  readonly message: string;
}

/** Every entry of the export in file order, packed. */
export interface PackedEntries {
  readonly count: number;
  readonly seqs: Float64Array;
  readonly lines: Int32Array;
  readonly hashes: Uint8Array;
  readonly prevs: Uint8Array;
  readonly hashOk: Uint8Array;
}

const GENESIS = Buffer.from(GENESIS_PREV, 'hex');

function sameHash(a: Uint8Array, i: number, b: Uint8Array, j: number): boolean {
  for (let k = 0; k < 32; k++) if (a[32 * i + k] !== b[32 * j + k]) return false;
  return true;
}

/** By how much an entry's seq was changed after it was hashed (+1: it was seq+1), or null. */
function renumbering(entry: LedgerEntry | null): -1 | 1 | null {
  if (entry === null) return null;
  for (const d of [1, -1] as const) if (entry.seq + d >= 1 && entryHash({ ...entry, seq: entry.seq + d }) === entry.hash) return d;
  return null;
}

export function firstIndexBySeq(p: PackedEntries): Map<number, number> {
  const first = new Map<number, number>();
  for (let i = 0; i < p.count; i++) if (!first.has(p.seqs[i] as number)) first.set(p.seqs[i] as number, i);
  return first;
}

/**
 * Walks the chain; returns at most `limit` problems, in file order. `entryAt(line)` re-reads one entry (only for
 * the few that failed, to tell a renumbering from an edit).
 */
export function walkChain(p: PackedEntries, first: ReadonlyMap<number, number>, entryAt: (line: number) => LedgerEntry | null, limit = 10): LedgerProblem[] {
  const problems: LedgerProblem[] = [];
  const add = (kind: ProblemKind, seq: number, line: number, message: string, toSeq?: number) =>
    problems.push({ kind, seq, ...(toSeq === undefined ? {} : { to_seq: toSeq }), line, message });
  const entry = (i: number) => entryAt(p.lines[i] as number);
  for (let i = 0; i < p.count && problems.length < limit; i++) {
    const s = p.seqs[i] as number;
    const line = p.lines[i] as number;
    const expected = i === 0 ? 1 : (p.seqs[i - 1] as number) + 1;
    let linked = true;
    if (first.get(s) !== i) {
      const j = first.get(s) as number;
      const same = sameHash(p.hashes, i, p.hashes, j) && p.hashOk[i] === 1 && p.hashOk[j] === 1;
      add(same ? 'duplicated' : 'inserted', s, line, same ? `seq ${s} appears twice (lines ${p.lines[j]} and ${line})` : `a second entry claims seq ${s} (line ${line}; the first is at line ${p.lines[j]})`);
      continue;
    }
    if (s < expected) {
      add('reordered', s, line, `seq ${s} comes after seq ${expected - 1}`);
      continue;
    }
    if (s > expected) {
      if ((first.get(expected) ?? -1) > i) add('reordered', expected, line, `seq ${s} comes before seq ${expected}`);
      else add('dropped', expected, line, s - 1 === expected ? `seq ${expected} is missing` : `seqs ${expected}-${s - 1} are missing`, s - 1);
      linked = false;
    }
    if (p.hashOk[i] !== 1) {
      const d = renumbering(entry(i));
      if (d === 1 && i + 1 < p.count && renumbering(entry(i + 1)) === -1) add('reordered', s, line, `seqs ${s} and ${s + 1} were swapped and renumbered`);
      else if (d === 1) add('dropped', s, line, `the entry at seq ${s} was removed and the later entries renumbered (this one was seq ${s + 1})`);
      else if (d === -1) add('inserted', s - 1, line, `an entry was inserted at seq ${s - 1} and the later entries renumbered (this one was seq ${s - 1})`);
      else add('edited', s, line, `seq ${s} does not match its hash: it was edited`);
      continue;
    }
    if (!linked) continue;
    const linksBack = i === 0 ? p.prevs.subarray(0, 32).every((b, k) => b === GENESIS[k]) : sameHash(p.prevs, i, p.hashes, i - 1);
    if (linksBack) continue;
    if (i === 0) add('relinked', s, line, `seq ${s} does not start from the genesis prev`);
    else if (p.hashOk[i - 1] !== 1) continue; // the previous entry was already reported as edited
    else if (i + 1 < p.count && !sameHash(p.prevs, i + 1, p.hashes, i)) add('edited', s, line, `seq ${s} was rewritten with a recomputed hash: it links to neither neighbour`);
    else add('edited', s - 1, p.lines[i - 1] as number, `seq ${s - 1} was edited and its hash recomputed: seq ${s} no longer links to it`);
  }
  return problems;
}

/** Re-reads one entry line (null when it does not parse; it then failed as an input error before). */
export function entryOfLine(text: string | undefined): LedgerEntry | null {
  if (text === undefined) return null;
  try {
    return parseEntry(JSON.parse(text));
  } catch {
    return null;
  }
}
