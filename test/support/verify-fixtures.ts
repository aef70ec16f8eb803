/**
 * Fixtures for the offline-verification tests: a `payseal-bundle/1` built from freshly generated keys (through
 * src/crypto's generateKeyMaterial, as production makes them), in API.md's shape, with the private halves kept
 * here so tests can sign; and a ledger export signed by the bundle's ledger key. Nothing here reaches a store.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { createSigner, formatVersioned, generateKeyMaterial, importSecret, resolveKeyType, type KeyType, type KeyTypeSpec, type SignOptions } from '../../src/crypto/index.ts';
import { LEDGER_KEY_NAME, signCheckpoint, type SignedCheckpoint } from '../../src/ledger/format/checkpoint.ts';
import { chainEntries, type LedgerDraft, type LedgerEntry } from '../../src/ledger/format/entry.ts';
import { exportLines } from '../../src/ledger/format/export.ts';
import { HOSTILE_STRINGS as SHARED_STRINGS, HOSTILE_VALUES as SHARED_VALUES } from './hostile.ts';

export type State = 'active' | 'retired' | 'revoked' | 'destroyed';

/**
 * Hostile inputs for the auditor's parsers (bundles, ledger lines): the shared matrix of test/support/hostile.ts
 * plus the shapes only a JSON-lines or bundle parser meets (JSON fragments, prototype keys, a huge line).
 */
export const HOSTILE_VALUES: readonly unknown[] = [...SHARED_VALUES, ['x'], { toString: () => '{}' }];
export const HOSTILE_STRINGS: readonly string[] = [
  ...SHARED_STRINGS,
  '{', '}', '[]', 'null', '"x"', '{"a":1', '{}\u0000', '\ufeff{}', '{"__proto__":{"seq":1}}', '{"constructor":1}', 'x'.repeat(100_000),
];

export interface KeyPlan {
  readonly name: string;
  readonly type: KeyType;
  /** State of versions 1..n (the last is normally active). */
  readonly states: readonly State[];
  readonly minVersion?: number;
}

export interface FixtureKey {
  readonly name: string;
  readonly spec: KeyTypeSpec;
  readonly privateKeys: readonly KeyObject[];
  readonly publicPems: readonly (string | null)[];
  /** Signs with version `version` (1-based) and returns the `payseal:vN:` envelope. */
  sign(version: number, data: Uint8Array, options?: SignOptions): Promise<string>;
}

export interface Fixture {
  readonly bundle: Record<string, unknown>;
  readonly keys: ReadonlyMap<string, FixtureKey>;
}

const generated = new Map<string, Promise<{ secret: Buffer; publicPem: string | null }>>();

/** Key pairs are cached per (type, slot) within a test process: DSA generation takes about a second. */
function material(type: KeyType, slot: number): Promise<{ secret: Buffer; publicPem: string | null }> {
  const id = `${type}#${slot}`;
  let m = generated.get(id);
  if (m === undefined) {
    m = generateKeyMaterial(resolveKeyType(type));
    generated.set(id, m);
  }
  return m;
}

export async function makeFixture(plans: readonly KeyPlan[], ledgerType: KeyType = 'ed25519', ledgerVersions = 1): Promise<Fixture> {
  const all = [...plans, { name: LEDGER_KEY_NAME, type: ledgerType, states: Array.from({ length: ledgerVersions }, (_, i) => (i === ledgerVersions - 1 ? 'active' : 'retired') as State) }];
  const keys = new Map<string, FixtureKey>();
  const jsonKeys: unknown[] = [];
  let slot = 0;
  for (const plan of all) {
    const spec = resolveKeyType(plan.type);
    const mats = await Promise.all(plan.states.map(() => material(plan.type, slot++)));
    const privateKeys = mats.map((m) => importSecret(spec, m.secret));
    const publicPems = mats.map((m) => m.publicPem);
    keys.set(plan.name, {
      name: plan.name,
      spec,
      privateKeys,
      publicPems,
      async sign(version, data, options) {
        const sig = await createSigner(spec, privateKeys[version - 1] as KeyObject).sign(data, options);
        return formatVersioned(version, sig);
      },
    });
    jsonKeys.push({
      name: plan.name,
      type: plan.type,
      min_version: (plan as KeyPlan).minVersion ?? 1,
      versions: plan.states.map((state, i) => ({
        version: i + 1,
        state,
        created_at: new Date(Date.UTC(2025, 0, 1 + i)).toISOString(),
        ...(state === 'revoked' ? { revoked_at: new Date(Date.UTC(2025, 5, 1)).toISOString() } : {}),
        public_key_pem: publicPems[i],
      })),
    });
  }
  const ledger = keys.get(LEDGER_KEY_NAME) as FixtureKey;
  const bundle = {
    format: 'payseal-bundle/1',
    issued_at: new Date(Date.UTC(2025, 6, 1)).toISOString(),
    keys: jsonKeys,
    ledger_public_key_pem: ledger.publicPems.at(-1),
  };
  return { bundle, keys };
}

export function draftAt(i: number): LedgerDraft {
  const hex = (n: number, salt: number) => (n * 7919 + salt).toString(16).padStart(64, '0');
  return { ts: new Date(Date.UTC(2025, 2, 1) + i * 1000).toISOString(), actor: 'client:payments', op: 'sign', key: 'payments', key_version: 1, input_sha256: hex(i, 1), output_sha256: hex(i, 2) };
}

/** `count` entries with a checkpoint every `every` (signed by ledger key version `ledgerVersion`) and at the head. */
export async function makeLedger(
  fixture: Fixture,
  count: number,
  every: number,
  drafts: (i: number) => LedgerDraft = draftAt,
  ledgerVersion = 1,
): Promise<{ entries: LedgerEntry[]; checkpoints: SignedCheckpoint[]; text: string }> {
  const entries = chainEntries(null, Array.from({ length: count }, (_, i) => drafts(i)));
  const ledger = fixture.keys.get(LEDGER_KEY_NAME) as FixtureKey;
  const key = { name: LEDGER_KEY_NAME, version: ledgerVersion, signer: createSigner(ledger.spec, ledger.privateKeys[ledgerVersion - 1] as KeyObject) };
  const heads = entries.filter((e) => e.seq % every === 0 || e.seq === count);
  const checkpoints = await Promise.all(heads.map((e) => signCheckpoint(e, new Date(Date.UTC(2025, 2, 2)), key)));
  return { entries, checkpoints, text: [...exportLines(entries, checkpoints)].join('') };
}

/** Writes files into a fresh temp dir; returns their paths by name. */
export function writeFiles(files: Record<string, string | Uint8Array>): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'payseal-verify-'));
  const paths: Record<string, string> = {};
  for (const [name, content] of Object.entries(files)) {
    paths[name] = join(dir, name);
    writeFileSync(paths[name] as string, content);
  }
  return paths;
}
