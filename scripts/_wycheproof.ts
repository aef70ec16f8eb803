/**
 * Wycheproof runner: turns each vector file of PAYSEAL_WYCHEPROOF_DIR (default ../shared/vectors/wycheproof
 * from the project root) into checks that go through payseal's own code path, one runner per `schema`.
 *
 * - Signatures (ECDSA/DSA in DER and P1363, EdDSA, RSASSA-PSS, RSASSA-PKCS1-v1_5): the group's public key is
 *   imported with importPublic(resolveKeyType(<type derived from the key>), pem) and each test is verified with
 *   createVerifier(spec, key).verify(msg, sig, {hash, rsaPadding, signatureEncoding}).
 * - AES-GCM inside payseal's profile (128/256-bit key, 96-bit IV, 128-bit tag, SP 800-38D §8.2.2):
 *   createAead(spec, createSecretKey(key)).open(iv ‖ ct ‖ tag, aad); valid tests also re-encrypt with the given
 *   IV (node:crypto, since seal() draws its own IV) and compare, and check open(seal(msg)) round-trips.
 *   Groups outside the profile (192-bit keys, other IV sizes) cannot be expressed through payseal's Aead; they
 *   run on node:crypto directly and are counted apart as "outside payseal profile".
 * - `acceptable` results pass either way; how many were accepted and rejected is counted. Anything payseal does
 *   not offer (schema, key type, hash, PSS parameters other than payseal's profile) is skipped by name, never
 *   silently passed.
 * Shared by scripts/conformance.ts and test/wycheproof.test.ts, so both report the same counts.
 */
import { createCipheriv, createDecipheriv, createSecretKey } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createAead,
  createVerifier,
  digestLength,
  importPublic,
  isKeyType,
  resolveKeyType,
  type HashName,
  type KeyTypeSpec,
  type SignOptions,
  type Verifier,
} from '../src/crypto/index.ts';
import { isPaysealError } from '../src/errors.ts';
import { createIndependentVerifier } from '../src/verify/independent.ts';

export type Expected = 'valid' | 'invalid' | 'acceptable';

/** What payseal did with one vector: accepted it (verified / decrypted) or not; `problem` fails it outright. */
export interface Outcome {
  readonly accepted: boolean;
  readonly problem?: string;
}

export interface VectorCase {
  readonly tcId: number;
  readonly comment: string;
  readonly flags: readonly string[];
  readonly expected: Expected;
  run(): Promise<Outcome>;
  /** Signature vectors only: the same check through the independent second opinion (src/verify/independent.ts). */
  readonly runIndependent?: () => Promise<Outcome>;
}

export interface VectorGroup {
  readonly label: string;
  /** Why payseal cannot run this group (reported by name); null when it runs. */
  readonly skipReason: string | null;
  /** AES-GCM parameters payseal's Aead cannot express; run on node:crypto and counted apart. */
  readonly outsideProfile: boolean;
  readonly cases: readonly VectorCase[];
}

export interface VectorFile {
  readonly file: string;
  readonly schema: string;
  readonly algorithm: string;
  readonly numberOfTests: number;
  readonly skipReason: string | null;
  readonly groups: readonly VectorGroup[];
}

/** How one implementation did on a file's vectors. */
export interface Tally {
  passed: number;
  failed: number;
  acceptableAccepted: number;
  acceptableRejected: number;
  failures: { tcId: number; comment: string; flags: readonly string[]; expected: Expected; why: string }[];
}

export interface FileResult extends Tally {
  file: string;
  skipped: number;
  outsideProfile: number;
  skipReasons: string[];
  /** The independent second opinion on the same signature vectors (null for files without signatures). */
  independent: Tally | null;
}

// Vector files are external JSON read field by field as the README's schema table describes.
type Json = Record<string, any>;

const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export function vectorDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(PROJECT_ROOT, env.PAYSEAL_WYCHEPROOF_DIR ?? '../shared/vectors/wycheproof');
}

export function vectorDirExists(dir: string = vectorDir()): boolean {
  return existsSync(dir);
}

/** Every *.json of the folder, sorted, parsed into runnable groups. */
export function loadVectorFiles(dir: string = vectorDir()): VectorFile[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => planFile(file, JSON.parse(readFileSync(join(dir, file), 'utf8')) as Json));
}

/** Pass/fail of one outcome against the vector's `result`. */
export function judge(expected: Expected, outcome: Outcome): { pass: boolean; why: string } {
  if (outcome.problem !== undefined) return { pass: false, why: outcome.problem };
  if (expected === 'acceptable') return { pass: true, why: outcome.accepted ? 'acceptable, accepted' : 'acceptable, rejected' };
  const pass = outcome.accepted === (expected === 'valid');
  return { pass, why: pass ? 'ok' : `expected ${expected}, payseal ${outcome.accepted ? 'accepted' : 'rejected'} it` };
}

function emptyTally(): Tally {
  return { passed: 0, failed: 0, acceptableAccepted: 0, acceptableRejected: 0, failures: [] };
}

function count(t: Tally, c: VectorCase, outcome: Outcome): void {
  const { pass, why } = judge(c.expected, outcome);
  if (c.expected === 'acceptable' && pass) outcome.accepted ? t.acceptableAccepted++ : t.acceptableRejected++;
  if (pass) t.passed++;
  else {
    t.failed++;
    t.failures.push({ tcId: c.tcId, comment: c.comment, flags: c.flags, expected: c.expected, why });
  }
}

/** Runs every group of a file (cases of a group concurrently: verification runs on libuv's pool). */
export async function runFile(vf: VectorFile): Promise<FileResult> {
  const r: FileResult = { file: vf.file, ...emptyTally(), skipped: 0, outsideProfile: 0, skipReasons: [], independent: null };
  if (vf.skipReason !== null) {
    r.skipped = vf.numberOfTests;
    r.skipReasons.push(vf.skipReason);
    return r;
  }
  for (const g of vf.groups) {
    if (g.skipReason !== null) {
      r.skipped += g.cases.length;
      r.skipReasons.push(`${g.label}: ${g.skipReason} (${g.cases.length} tests)`);
      continue;
    }
    const outcomes = await Promise.all(g.cases.map((c) => c.run()));
    g.cases.forEach((c, i) => {
      if (g.outsideProfile) r.outsideProfile++;
      count(r, c, outcomes[i] as Outcome);
    });
    for (const c of g.cases) {
      if (c.runIndependent === undefined) continue;
      r.independent ??= emptyTally();
      count(r.independent, c, await c.runIndependent());
    }
  }
  return r;
}

// ---------------------------------------------------------------------------------------------- planning

const HASH_NAMES: Readonly<Record<string, HashName>> = Object.assign(Object.create(null) as Record<string, HashName>, {
  'SHA-256': 'sha2-256',
  'SHA-384': 'sha2-384',
  'SHA-512': 'sha2-512',
  'SHA3-256': 'sha3-256',
  'SHA3-384': 'sha3-384',
  'SHA3-512': 'sha3-512',
});

const CURVES: Readonly<Record<string, string>> = Object.assign(Object.create(null) as Record<string, string>, {
  secp256r1: 'ecdsa-p256',
  secp384r1: 'ecdsa-p384',
  secp521r1: 'ecdsa-p521',
  secp256k1: 'ecdsa-secp256k1',
});

const hex = (s: unknown): Buffer => Buffer.from(typeof s === 'string' ? s : '', 'hex');
const bitLength = (h: string): number => (/^0*$/.test(h) ? 0 : BigInt(`0x${h}`).toString(2).length);

function cases(g: Json, run: (t: Json) => Promise<Outcome>, runIndependent?: (t: Json) => Promise<Outcome>): VectorCase[] {
  return (g.tests as Json[]).map((t) => ({
    tcId: t.tcId as number,
    comment: String(t.comment ?? ''),
    flags: (t.flags as string[] | undefined) ?? [],
    expected: t.result as Expected,
    run: () => run(t),
    ...(runIndependent === undefined ? {} : { runIndependent: () => runIndependent(t) }),
  }));
}

/** payseal key type named by the group's key; null when payseal has no such type. */
function keyTypeOf(family: string, g: Json): string | null {
  switch (family) {
    case 'ecdsa':
      return CURVES[g.publicKey?.curve as string] ?? null;
    case 'dsa':
      return bitLength(g.publicKey.q) === 256 ? `dsa-${bitLength(g.publicKey.p)}` : null;
    case 'eddsa':
      return g.publicKey?.curve === 'edwards25519' ? 'ed25519' : null;
    default:
      return `rsa-${g.keySize as number}`;
  }
}

/** Options payseal is asked to verify with; a string is the reason the group is outside payseal's offer. */
function signOptionsOf(family: string, schema: string, g: Json): SignOptions | string {
  if (family === 'eddsa') return {};
  const hash = HASH_NAMES[g.sha as string];
  if (hash === undefined) return `hash ${String(g.sha)} not offered`;
  if (family === 'rsa-pss') {
    // payseal's PSS profile (RFC 8017 §9.1, API.md): MGF1 with the message hash, salt length = digest length.
    if (g.mgf !== 'MGF1' || g.mgfSha !== g.sha || g.sLen !== digestLength(hash)) {
      return `PSS parameters ${String(g.mgf)}/${String(g.mgfSha)}/sLen ${String(g.sLen)} outside payseal's profile`;
    }
    return { hash, rsaPadding: 'pss' };
  }
  if (family === 'rsa-pkcs1') return { hash, rsaPadding: 'pkcs1v15' };
  return { hash, signatureEncoding: schema.includes('p1363') ? 'p1363' : 'der' };
}

function signatureGroup(family: string, schema: string, g: Json, index: number): VectorGroup {
  const type = keyTypeOf(family, g);
  const options = signOptionsOf(family, schema, g);
  const label = `group ${index + 1}: ${type ?? 'unknown key'}${g.sha ? ` ${String(g.sha)}` : ''}`;
  let skipReason: string | null = null;
  if (type === null || !isKeyType(type)) skipReason = `key type ${type ?? 'of this group'} not offered by payseal`;
  else if (typeof options === 'string') skipReason = options;
  const once = (make: (spec: KeyTypeSpec, pem: string) => Verifier): (() => Verifier | string) => {
    let verifier: Verifier | string | undefined;
    return () => {
      if (verifier === undefined) {
        try {
          verifier = make(resolveKeyType(type), g.publicKeyPem as string);
        } catch (e) {
          verifier = `public key import failed: ${isPaysealError(e) ? e.code : String(e)}`;
        }
      }
      return verifier;
    };
  };
  const check = (verifierOnce: () => Verifier | string) => async (t: Json): Promise<Outcome> => {
    const v = verifierOnce();
    // A key payseal refuses to import verifies nothing: a rejection, which fails every valid test.
    if (typeof v === 'string') return { accepted: false };
    try {
      return { accepted: await v.verify(hex(t.msg), hex(t.sig), options as SignOptions) };
    } catch (e) {
      return { accepted: false, problem: `verify threw instead of resolving false: ${isPaysealError(e) ? e.code : String(e)}` };
    }
  };
  return {
    label,
    skipReason,
    outsideProfile: false,
    cases: cases(
      g,
      check(once((spec, pem) => createVerifier(spec, importPublic(spec, pem)))),
      check(once(createIndependentVerifier)),
    ),
  };
}

function gcmDecipher(keySize: number, t: Json, tagBytes: number): Buffer {
  const d = createDecipheriv(`aes-${keySize}-gcm` as 'aes-256-gcm', hex(t.key), hex(t.iv), { authTagLength: tagBytes });
  d.setAuthTag(hex(t.tag));
  d.setAAD(hex(t.aad));
  return Buffer.concat([d.update(hex(t.ct)), d.final()]);
}

function gcmEncrypt(keySize: number, t: Json, tagBytes: number): Buffer {
  const c = createCipheriv(`aes-${keySize}-gcm` as 'aes-256-gcm', hex(t.key), hex(t.iv), { authTagLength: tagBytes });
  c.setAAD(hex(t.aad));
  return Buffer.concat([c.update(hex(t.msg)), c.final(), c.getAuthTag()]);
}

function aesGroup(g: Json, index: number): VectorGroup {
  const keySize = g.keySize as number;
  const tagBytes = (g.tagSize as number) / 8;
  const inProfile = (keySize === 128 || keySize === 256) && g.ivSize === 96 && g.tagSize === 128;
  const label = `group ${index + 1}: AES-${keySize}-GCM iv ${g.ivSize as number} tag ${g.tagSize as number}${inProfile ? '' : ' (outside payseal profile)'}`;
  // OpenSSL's GCM accepts IVs of 1 to 128 bytes (GCM_IV_MAX_SIZE); longer ones are legal in SP 800-38D but
  // neither payseal (96-bit IVs only) nor node:crypto can run them, so they are skipped by name.
  const skipReason = (g.ivSize as number) > 1024 ? `${g.ivSize as number}-bit IV exceeds OpenSSL's 1024-bit GCM IV maximum; payseal uses 96-bit IVs` : null;
  return {
    label,
    skipReason,
    outsideProfile: !inProfile,
    cases: cases(g, async (t) => {
      const msg = hex(t.msg);
      const aad = hex(t.aad);
      let plain: Buffer;
      try {
        if (inProfile) {
          const aead = createAead(resolveKeyType(`aes-${keySize}-gcm`), createSecretKey(hex(t.key)));
          plain = aead.open(Buffer.concat([hex(t.iv), hex(t.ct), hex(t.tag)]), aad);
          if (t.result === 'valid' && !aead.open(aead.seal(msg, aad), aad).equals(msg)) {
            return { accepted: true, problem: 'open(seal(msg)) did not round-trip' };
          }
        } else {
          plain = gcmDecipher(keySize, t, tagBytes);
        }
      } catch (e) {
        if (inProfile && !(isPaysealError(e) && e.code === 'decryption_failed')) {
          return { accepted: false, problem: `open threw ${String(e)} instead of decryption_failed` };
        }
        return { accepted: false };
      }
      if (!plain.equals(msg)) return { accepted: true, problem: 'decrypted to a different plaintext' };
      if (t.result === 'valid' && !gcmEncrypt(keySize, t, tagBytes).equals(Buffer.concat([hex(t.ct), hex(t.tag)]))) {
        return { accepted: true, problem: 'encryption with the given IV does not give ct ‖ tag' };
      }
      return { accepted: true };
    }),
  };
}

const SIGNATURE_SCHEMAS: Readonly<Record<string, string>> = Object.assign(Object.create(null) as Record<string, string>, {
  ecdsa_verify_schema_v1: 'ecdsa',
  ecdsa_p1363_verify_schema_v1: 'ecdsa',
  dsa_verify_schema_v1: 'dsa',
  dsa_p1363_verify_schema_v1: 'dsa',
  eddsa_verify_schema_v1: 'eddsa',
  rsassa_pss_verify_schema_v1: 'rsa-pss',
  rsassa_pkcs1_verify_schema_v1: 'rsa-pkcs1',
});

export function planFile(file: string, json: Json): VectorFile {
  const schema = String(json.schema ?? '').replace(/\.json$/, '');
  const algorithm = String(json.algorithm ?? '');
  const groups = (json.testGroups as Json[] | undefined) ?? [];
  const base = { file, schema, algorithm, numberOfTests: Number(json.numberOfTests ?? 0) };
  const family = SIGNATURE_SCHEMAS[schema];
  if (family !== undefined) {
    // EdDSA files also exist for Ed448, which payseal does not offer; the group's curve decides.
    return { ...base, skipReason: null, groups: groups.map((g, i) => signatureGroup(family, schema, g, i)) };
  }
  if (schema === 'aead_test_schema_v1' && algorithm === 'AES-GCM') {
    return { ...base, skipReason: null, groups: groups.map((g, i) => aesGroup(g, i)) };
  }
  return { ...base, skipReason: `${file}: ${algorithm || 'unknown algorithm'} (${schema || 'no schema'}) is not offered by payseal`, groups: [] };
}

/**
 * Where the independent second opinion deliberately differs from a Wycheproof verdict: file pattern, the flag
 * that marks the vectors, and why. Each is counted (conformance prints the count; the test asserts it), so a
 * new difference is a failure, never silently absorbed.
 */
export const INDEPENDENT_DEVIATIONS: readonly { readonly file: RegExp; readonly flag: string; readonly why: string }[] = [];

export function independentDeviation(file: string, f: { readonly flags: readonly string[] }): string | null {
  const d = INDEPENDENT_DEVIATIONS.find((x) => x.file.test(file) && f.flags.includes(x.flag));
  return d === undefined ? null : d.why;
}
