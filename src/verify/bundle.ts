/**
 * The offline key bundle, `payseal-bundle/1` (API.md "Audit"): parsed and validated before anything is verified
 * with it. Shape:
 *
 *     {"format": "payseal-bundle/1", "issued_at", "keys": [{"name", "type", "min_version",
 *       "versions": [{"version", "state", "created_at", "revoked_at"?, "public_key_pem"}]}], "ledger_public_key_pem"}
 *
 * Every public key is imported with node:crypto (importPublic: the PEM must be a key of the named type), so a
 * bundle that names a P-256 key but carries an RSA key is refused here, not at verification time. The ledger
 * key (LEDGER_KEY_NAME) is listed among `keys` with every version, so checkpoints made before a rotation still
 * verify; `ledger_public_key_pem` is its newest version and must be one of them. Members this version does not
 * know are ignored (a later bundle may add some). Anything malformed is a PaysealError invalid_request: the CLI
 * answers exit 2.
 */
import { createPublicKey } from 'node:crypto';
import { importPublic } from '../crypto/key-material.ts';
import { isKeyType, resolveKeyType } from '../crypto/registry.ts';
import type { KeyTypeSpec } from '../crypto/types.ts';
import { PaysealError } from '../errors.ts';
import { MAX_VERSION, isName } from '../grammar.ts';
import { LEDGER_KEY_NAME } from '../ledger/format/checkpoint.ts';

export const BUNDLE_FORMAT = 'payseal-bundle/1';
/** `pending`: published ahead of taking over signing (rotation with pre-publication, docs/keys.md); it verifies. */
export const VERSION_STATES = ['active', 'retired', 'pending', 'revoked', 'destroyed'] as const;
export type VersionState = (typeof VERSION_STATES)[number];

export interface BundleVersion {
  readonly version: number;
  readonly state: VersionState;
  readonly created_at: string;
  readonly revoked_at: string | null;
  /** null only for encryption keys, which have no public half. */
  readonly public_key_pem: string | null;
}

export interface BundleKey {
  readonly name: string;
  readonly spec: KeyTypeSpec;
  readonly min_version: number;
  readonly versions: ReadonlyMap<number, BundleVersion>;
}

export interface Bundle {
  readonly issued_at: string;
  readonly keys: ReadonlyMap<string, BundleKey>;
  /** The ledger key's newest public half, with its type read from the key itself; null when the bundle has none. */
  readonly ledger: { readonly pem: string; readonly spec: KeyTypeSpec } | null;
}

function bad(what: string): PaysealError {
  return new PaysealError('invalid_request', `bundle: ${what}`);
}

function object(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(`${what} must be a JSON object`);
  return v as Record<string, unknown>;
}

function time(v: unknown, what: string): string {
  if (typeof v !== 'string' || Number.isNaN(Date.parse(v))) throw bad(`${what} must be an ISO 8601 time`);
  return v;
}

function positiveInt(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_VERSION) throw bad(`${what} must be a positive integer`);
  return v;
}

function parseVersion(v: unknown, key: string, spec: KeyTypeSpec): BundleVersion {
  const o = object(v, `a version of ${key}`);
  const version = positiveInt(o.version, `${key} version`);
  const at = `${key} v${version}`;
  if (typeof o.state !== 'string' || !(VERSION_STATES as readonly string[]).includes(o.state)) throw bad(`${at}: state must be one of ${VERSION_STATES.join(', ')}`);
  const revokedAt = o.revoked_at === undefined || o.revoked_at === null ? null : time(o.revoked_at, `${at}: revoked_at`);
  let pem: string | null = null;
  if (spec.purpose === 'sign') {
    if (typeof o.public_key_pem !== 'string') throw bad(`${at}: public_key_pem must be a PEM string`);
    try {
      importPublic(spec, o.public_key_pem);
    } catch {
      throw bad(`${at}: public_key_pem is not a ${spec.type} public key`);
    }
    pem = o.public_key_pem;
  } else if (o.public_key_pem !== undefined && o.public_key_pem !== null) {
    throw bad(`${at}: a ${spec.type} key has no public half`);
  }
  return Object.freeze({ version, state: o.state as VersionState, created_at: time(o.created_at, `${at}: created_at`), revoked_at: revokedAt, public_key_pem: pem });
}

function parseKey(v: unknown): BundleKey {
  const o = object(v, 'a key');
  if (typeof o.name !== 'string' || !isName(o.name)) throw bad('a key name is 1-64 characters of a-z, 0-9, ".", "_", "-"');
  const name = o.name;
  if (!isKeyType(o.type)) throw bad(`${name}: unknown type`);
  const spec = resolveKeyType(o.type);
  const minVersion = positiveInt(o.min_version, `${name} min_version`);
  if (!Array.isArray(o.versions) || o.versions.length === 0) throw bad(`${name}: versions must be a non-empty array`);
  const versions = new Map<number, BundleVersion>();
  for (const raw of o.versions) {
    const version = parseVersion(raw, name, spec);
    if (versions.has(version.version)) throw bad(`${name}: version ${version.version} listed twice`);
    versions.set(version.version, version);
  }
  return Object.freeze({ name, spec, min_version: minVersion, versions });
}

/** The key type a PEM holds, read from the key itself (for the ledger key when `keys` does not list it). */
function specOfPem(pem: string): KeyTypeSpec {
  let key;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch {
    throw bad('ledger_public_key_pem is not a public key');
  }
  const d = key.asymmetricKeyDetails ?? {};
  const curves: Record<string, string> = { prime256v1: 'ecdsa-p256', secp384r1: 'ecdsa-p384', secp521r1: 'ecdsa-p521', secp256k1: 'ecdsa-secp256k1' };
  const type =
    key.asymmetricKeyType === 'ed25519' ? 'ed25519'
    : key.asymmetricKeyType === 'ec' ? curves[d.namedCurve ?? '']
    : key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'dsa' ? `${key.asymmetricKeyType}-${d.modulusLength ?? 0}`
    : undefined;
  if (!isKeyType(type)) throw bad('ledger_public_key_pem is not a key type payseal offers');
  const spec = resolveKeyType(type);
  importPublic(spec, pem);
  return spec;
}

const spkiOf = (pem: string): string => createPublicKey(pem).export({ type: 'spki', format: 'der' }).toString('hex');

export function parseBundle(value: unknown): Bundle {
  const o = object(value, 'the bundle');
  if (o.format !== BUNDLE_FORMAT) throw bad(`format must be "${BUNDLE_FORMAT}"`);
  const issuedAt = time(o.issued_at, 'issued_at');
  if (!Array.isArray(o.keys)) throw bad('keys must be an array');
  const keys = new Map<string, BundleKey>();
  for (const raw of o.keys) {
    const key = parseKey(raw);
    if (keys.has(key.name)) throw bad(`key ${key.name} listed twice`);
    keys.set(key.name, key);
  }
  if (!Object.hasOwn(o, 'ledger_public_key_pem')) throw bad('ledger_public_key_pem is missing');
  let ledger: Bundle['ledger'] = null;
  if (o.ledger_public_key_pem !== null) {
    if (typeof o.ledger_public_key_pem !== 'string') throw bad('ledger_public_key_pem must be a PEM string or null');
    const pem = o.ledger_public_key_pem;
    const listed = keys.get(LEDGER_KEY_NAME);
    if (listed !== undefined && ![...listed.versions.values()].some((v) => v.public_key_pem !== null && spkiOf(v.public_key_pem) === spkiOf(pem))) {
      throw bad(`ledger_public_key_pem is none of the versions of ${LEDGER_KEY_NAME}`);
    }
    ledger = { pem, spec: listed?.spec ?? specOfPem(pem) };
  }
  return Object.freeze({ issued_at: issuedAt, keys, ledger });
}

/** Parses a bundle's JSON text (the CLI reads the file: src/verify touches no file system); bad JSON is invalid_request too. */
export function parseBundleText(text: string): Bundle {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw bad('not JSON');
  }
  return parseBundle(json);
}
