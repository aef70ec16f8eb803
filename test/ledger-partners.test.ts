/**
 * The ledger and the bundle for partners' keys and pre-published versions (issues 10 and 14 together): importing
 * a partner's public key and its next version are recorded like a generated key's create and rotate (the digest
 * of the public key an auditor can recompute); the bundle marks the key `origin: "imported"` and a pre-published
 * version `pending`, and the offline verifier reads such a bundle and verifies with the pending version.
 */
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publicKeyDigest } from '../src/ledger/format/digests.ts';
import { parseBundleText } from '../src/verify/bundle.ts';
import { verifyRawSignature } from '../src/verify/signature.ts';
import { openTestRuntime, type TestRuntime } from './support/db.ts';

let rt: TestRuntime;

beforeAll(async () => {
  rt = await openTestRuntime();
});
afterAll(async () => {
  await rt?.cleanup();
});

async function entriesFor(key: string): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for (let from: number | null = 1; from !== null; ) {
    const page = await rt.ledger.page(from, 1000);
    for (const line of page.lines) {
      const e = JSON.parse(line) as Record<string, unknown>;
      if (e.key === key) out.push(e);
    }
    from = page.next;
  }
  return out;
}

describe('partner keys in the ledger and the bundle', () => {
  it('import and next-version import are key.create and key.rotate entries over the public key', async () => {
    const first = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const second = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
    await rt.keys.importKey('acquirer', { public_key_pem: first }, 'client:ops');
    await rt.keys.importVersion('acquirer', { public_key_pem: second }, 'client:ops');
    const entries = await entriesFor('acquirer');
    expect(entries.map((e) => [e.op, e.key_version, e.actor])).toEqual([
      ['key.create', 1, 'client:ops'],
      ['key.rotate', 2, 'client:ops'],
    ]);
    expect(entries[0]!.output_sha256).toBe(publicKeyDigest(createPublicKey(first)));
    expect(entries[1]!.output_sha256).toBe(publicKeyDigest(createPublicKey(second)));
    expect(entries[0]!.output_sha256).not.toBe(entries[1]!.output_sha256);

    const bundle = await rt.ledger.bundle();
    const entry = bundle.keys.find((k) => k.name === 'acquirer');
    expect(entry).toMatchObject({ origin: 'imported', versions: [{ version: 1, state: 'retired' }, { version: 2, state: 'active' }] });
  });

  it('a pre-published version is pending in the bundle, and the offline verifier accepts it', async () => {
    await rt.keys.create('gateway', 'ecdsa-p256', null, 'client:ops');
    await rt.keys.rotate('gateway', 'client:ops', { publishFirstSeconds: 3600 });
    const doc = await rt.ledger.bundle();
    expect(doc.keys.find((k) => k.name === 'gateway')?.versions.map((v) => [v.version, v.state])).toEqual([
      [1, 'active'],
      [2, 'pending'],
    ]);
    const bundle = parseBundleText(JSON.stringify(doc));
    // Version 1 still signs; its signature verifies offline from the bundle that also lists the pending v2.
    const signer = await rt.keys.signer('gateway', 'client:ops');
    const input = Buffer.from('pay 10.00 EUR');
    const { signature } = await signer.sign(input, {});
    expect(signature.startsWith('payseal:v1:')).toBe(true);
    const verdict = await verifyRawSignature(bundle, { key: 'gateway', input, signature });
    expect(verdict).toMatchObject({ valid: true, key_version: 1 });
    // A wrong input is refused by the same path, so the verdict above is not a constant.
    expect(await verifyRawSignature(bundle, { key: 'gateway', input: Buffer.from('pay 99.00 EUR'), signature })).toMatchObject({ valid: false });
  });
});
