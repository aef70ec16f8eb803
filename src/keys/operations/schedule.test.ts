/**
 * The crypto of sign and verify runs through the caller's schedule (the API's fair queue) exactly once per
 * message, and nothing else does: an option the key's type refuses is thrown before the work is scheduled,
 * and a verify that stops at the version rules (revoked, unknown) never takes a turn. And a key configured
 * low_s_only (its public half says lowSOnly) verifies strictly: (r, n − s) is bad_signature.
 */
import type { OperationRecord, OperationRecorder } from '../recorder.ts';
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { derToP1363, ecdsaOrder, p1363ToDer, resolveKeyType } from '../../crypto/index.ts';
import type { CryptoSchedule } from './sign.ts';
import { openSigner } from './sign.ts';
import { openVerifier } from './verify.ts';
import type { UsableKey, VersionLookup } from '../types.ts';

const spec = resolveKeyType('ecdsa-p256');
const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const INPUT = Buffer.from('m');

function keys(lowSOnly = false) {
  const priv: UsableKey = { name: 'k', spec, version: 1, key: pair.privateKey };
  const pub: UsableKey = { name: 'k', spec, version: 1, key: pair.publicKey, lowSOnly };
  return {
    latestFor: async () => priv,
    specFor: async () => spec,
    versionFor: async (_n: string, v: number): Promise<VersionLookup> => (v === 1 ? { ok: true, key: pub } : { ok: false, reason: 'unknown_version' }),
  };
}

/** Collects what the signer records (the ledger's part is tested in src/ledger and test/ledger-*). */
const recorded: OperationRecord[] = [];
const recorder: OperationRecorder = {
  async record(records) {
    recorded.push(...records);
  },
};

function counting(): { schedule: CryptoSchedule; turns: () => number } {
  let turns = 0;
  return { schedule: (work) => ((turns += 1), work()), turns: () => turns };
}

describe('scheduling of the crypto in sign and verify', () => {
  it('one turn per message, none for a refused option or a version the rules stop', async () => {
    const { schedule, turns } = counting();
    const signer = await openSigner(keys(), 'k', recorder, 'client:test');
    const signed = await signer.sign(INPUT, {}, schedule);
    expect(turns()).toBe(1);
    expect(recorded.at(-1)).toMatchObject({ op: 'sign', key: 'k', key_version: 1, actor: 'client:test' });
    await expect(signer.sign(INPUT, { rsa_padding: 'pss' }, schedule)).rejects.toMatchObject({ code: 'unsupported_algorithm' });
    expect(turns()).toBe(1);

    const verifier = await openVerifier(keys(), 'k');
    expect(await verifier.verify(INPUT, signed.signature, {}, 'signature', schedule)).toEqual({ valid: true, key_version: 1 });
    expect(turns()).toBe(2);
    const unknown = signed.signature.replace('payseal:v1:', 'payseal:v9:');
    expect(await verifier.verify(INPUT, unknown, {}, 'signature', schedule)).toMatchObject({ valid: false, reason: 'unknown_version' });
    expect(turns()).toBe(2);
  });

  it('a low_s_only key answers bad_signature for (r, n − s); a lenient one accepts it', async () => {
    const { signature } = await (await openSigner(keys(), 'k', recorder, 'client:test')).sign(INPUT, {});
    const p = derToP1363(Buffer.from(signature.split(':')[2]!, 'base64'), 32);
    p.set(Buffer.from((ecdsaOrder(spec) - BigInt(`0x${p.subarray(32).toString('hex')}`)).toString(16).padStart(64, '0'), 'hex'), 32);
    const high = `payseal:v1:${p1363ToDer(p).toString('base64')}`;
    expect((await (await openVerifier(keys(false), 'k')).verify(INPUT, high, {})).valid).toBe(true);
    expect(await (await openVerifier(keys(true), 'k')).verify(INPUT, high, {})).toEqual({ valid: false, key_version: 1, reason: 'bad_signature' });
  });
});
