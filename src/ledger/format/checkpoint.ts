/**
 * Checkpoints: the ledger key's signature over the chain head, so an auditor who trusts the bundle's ledger key
 * knows that every entry up to `seq` is exactly as recorded (the head hash commits to all of them).
 *
 * A checkpoint is `{seq, hash, ts, key, key_version}`: the head's seq and hash, when it was signed, and the
 * ledger key's name and version (the key is rotatable, so each checkpoint names the version that signed it).
 * The signed bytes are
 *
 *     UTF-8( JCS({"format": "payseal-checkpoint/1", "seq", "hash", "ts", "key", "key_version"}) )
 *
 * the `format` member separating these bytes from anything else a payseal key signs. The signature uses the
 * ledger key type's defaults (API.md "Raw operations": the type's hash, PSS, DER) and is written in the raw
 * signature envelope `payseal:v<key_version>:<base64>`.
 */
import { canonicalJson } from '../../crypto/canonical-json.ts';
import { formatVersioned, parseVersioned } from '../../crypto/versioned.ts';
import type { Signer } from '../../crypto/types.ts';
import { PaysealError } from '../../errors.ts';
import { MAX_VERSION, isName } from '../../grammar.ts';
import type { ChainHead } from './entry.ts';

export const CHECKPOINT_FORMAT = 'payseal-checkpoint/1';
/** The name the ledger key is created under on first start. */
export const LEDGER_KEY_NAME = 'payseal-ledger';

export interface Checkpoint {
  readonly seq: number;
  readonly hash: string;
  readonly ts: string;
  readonly key: string;
  readonly key_version: number;
}

/** A signed checkpoint, as stored and as exported (one JSON line). */
export interface SignedCheckpoint {
  readonly checkpoint: Checkpoint;
  /** `payseal:v<key_version>:<base64 signature>` */
  readonly signature: string;
}

/** The ledger key as the appender signs with it: name, the version in use, and its Signer. */
export interface LedgerSigningKey {
  readonly name: string;
  readonly version: number;
  readonly signer: Signer;
}

export function checkpointSigningBytes(cp: Checkpoint): Buffer {
  return Buffer.from(
    canonicalJson({ format: CHECKPOINT_FORMAT, seq: cp.seq, hash: cp.hash, ts: cp.ts, key: cp.key, key_version: cp.key_version }),
    'utf8',
  );
}

export async function signCheckpoint(head: ChainHead, ts: Date, key: LedgerSigningKey): Promise<SignedCheckpoint> {
  const checkpoint: Checkpoint = Object.freeze({ seq: head.seq, hash: head.hash, ts: ts.toISOString(), key: key.name, key_version: key.version });
  const signature = await key.signer.sign(checkpointSigningBytes(checkpoint));
  return Object.freeze({ checkpoint, signature: formatVersioned(key.version, signature) });
}

function bad(what: string): PaysealError {
  return new PaysealError('invalid_request', `ledger checkpoint: ${what}`);
}

const HEX32 = /^[0-9a-f]{64}$/;
const TS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** A checkpoint line read from an export: exact members, right types; the signature is checked elsewhere. */
export interface ParsedCheckpoint extends SignedCheckpoint {
  /** The version the signature envelope names; a verifier refuses a checkpoint where it is not key_version. */
  readonly signatureVersion: number;
  readonly signatureBytes: Buffer;
}

export function parseSignedCheckpoint(value: unknown): ParsedCheckpoint {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('must be a JSON object');
  const o = value as Record<string, unknown>;
  if (Object.keys(o).length !== 2 || !Object.hasOwn(o, 'checkpoint') || !Object.hasOwn(o, 'signature')) throw bad('must have exactly the members checkpoint, signature');
  const c = o.checkpoint as Record<string, unknown>;
  if (typeof c !== 'object' || c === null || Array.isArray(c)) throw bad('checkpoint must be an object');
  const members = ['seq', 'hash', 'ts', 'key', 'key_version'];
  if (Object.keys(c).length !== members.length || !members.every((m) => Object.hasOwn(c, m))) throw bad(`checkpoint must have exactly ${members.join(', ')}`);
  if (typeof c.seq !== 'number' || !Number.isSafeInteger(c.seq) || c.seq < 1) throw bad('seq must be a positive integer');
  if (typeof c.hash !== 'string' || !HEX32.test(c.hash)) throw bad('hash must be 64 lowercase hex characters');
  if (typeof c.ts !== 'string' || !TS.test(c.ts)) throw bad('ts must be an ISO 8601 UTC time with milliseconds');
  if (typeof c.key !== 'string' || !isName(c.key)) throw bad('key must be a key name');
  if (typeof c.key_version !== 'number' || !Number.isInteger(c.key_version) || c.key_version < 1 || c.key_version > MAX_VERSION) throw bad('key_version must be a positive integer');
  const { version, bytes } = parseVersioned(o.signature, 'checkpoint signature');
  const checkpoint: Checkpoint = { seq: c.seq, hash: c.hash, ts: c.ts, key: c.key, key_version: c.key_version };
  return { checkpoint, signature: o.signature as string, signatureVersion: version, signatureBytes: bytes };
}
