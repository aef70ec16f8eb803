/**
 * The key-encryption key (KEK) and the wrapping of private halves at rest.
 *
 * Wrap = AES-256-GCM (NIST SP 800-38D) with a random 96-bit IV, through src/crypto's Aead; blob layout
 * iv ‖ ciphertext ‖ tag. The AAD binds the blob to its row — key name, version and KEK id — with
 * length-prefixed fields so no two (name, version, id) triples encode alike; a blob copied to another row
 * fails to unwrap.
 * The KEK id is a fingerprint, SHA-256 over a domain tag and the KEK, truncated: it names a KEK in rows,
 * errors and notices without revealing it. The KEK itself never enters the database or a message.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createAead, resolveKeyType, GCM_IV_BYTES, GCM_TAG_BYTES, type Aead } from '../../crypto/index.ts';
import { PaysealError } from '../../errors.ts';

const KEK_BYTES = 32;
/** The wrap is src/crypto's AEAD with the aes-256-gcm row, the same code that serves the encrypt route. */
const WRAP_SPEC = resolveKeyType('aes-256-gcm');

/** One KEK; `toJSON` and inspection redact the bytes. */
export class Kek {
  readonly id: string;
  readonly #aead: Aead;

  constructor(bytes: Buffer) {
    if (bytes.length !== KEK_BYTES) throw new PaysealError('config_invalid', `a KEK must be ${KEK_BYTES} bytes, got ${bytes.length}`);
    this.#aead = createAead(WRAP_SPEC, crypto.createSecretKey(bytes));
    this.id = kekIdOf(bytes);
  }

  wrap(plain: Buffer, key: string, version: number): Buffer {
    return this.#aead.seal(plain, wrapAad(key, version, this.id));
  }

  /** Throws kek_mismatch when the tag does not verify (wrong KEK, moved or altered blob). */
  unwrap(blob: Buffer, key: string, version: number): Buffer {
    if (blob.length < GCM_IV_BYTES + GCM_TAG_BYTES) throw new PaysealError('kek_mismatch', `the wrapped private key of ${key} v${version} is truncated`);
    try {
      return this.#aead.open(blob, wrapAad(key, version, this.id));
    } catch (e) {
      throw new PaysealError('kek_mismatch', `the private key of ${key} v${version} does not unwrap under KEK ${this.id}`, { cause: e });
    }
  }

  toJSON(): string {
    return `[KEK ${this.id}]`;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toJSON();
  }
}

export function kekIdOf(bytes: Buffer): string {
  return crypto.createHash('sha256').update('payseal-kek-id/1\0').update(bytes).digest('hex').slice(0, 16);
}

/** AAD: "payseal-wrap/1" ‖ u32 len ‖ name ‖ u32 version ‖ u32 len ‖ kek id (all lengths big-endian bytes). */
export function wrapAad(key: string, version: number, kekId: string): Buffer {
  const name = Buffer.from(key, 'utf8');
  const id = Buffer.from(kekId, 'utf8');
  const out = Buffer.alloc(14 + 4 + name.length + 4 + 4 + id.length);
  let o = out.write('payseal-wrap/1', 0, 'latin1');
  o = out.writeUInt32BE(name.length, o);
  o += name.copy(out, o);
  o = out.writeUInt32BE(version, o);
  o = out.writeUInt32BE(id.length, o);
  id.copy(out, o);
  return out;
}

/** Decodes the base64 text of a KEK (env value or file content); `source` names where it came from. */
export function parseKek(text: string, source: string): Kek {
  const t = text.trim();
  if (!/^[A-Za-z0-9+/]{43}=$/.test(t)) {
    throw new PaysealError('config_invalid', `${source} must be the standard base64 of exactly ${KEK_BYTES} bytes (44 characters)`);
  }
  return new Kek(Buffer.from(t, 'base64'));
}

export function readKekFile(file: string, source: string): Kek {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new PaysealError('config_invalid', `${source}: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return parseKek(text, `${source} (${file})`);
}

export function generateKekText(): string {
  return crypto.randomBytes(KEK_BYTES).toString('base64');
}

/** The KEKs a process holds: `current` wraps new rows; `previous` only unwraps (during KEK rotation). */
export interface KekRing {
  readonly current: Kek;
  readonly previous: readonly Kek[];
}

export function ringFind(ring: KekRing, id: string): Kek | undefined {
  if (ring.current.id === id) return ring.current;
  return ring.previous.find((k) => k.id === id);
}

export function ringIds(ring: KekRing): string[] {
  return [ring.current.id, ...ring.previous.map((k) => k.id)];
}
