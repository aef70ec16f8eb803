/**
 * Creates a key with its version 1. The key material is generated before the transaction (DSA parameter
 * generation takes seconds; no row or lock is held meanwhile), then wrapped under the current KEK and
 * inserted with the key row in one transaction.
 */
import { generateKeyMaterial, resolveKeyType } from '../crypto/index.ts';
import { PaysealError } from '../errors.ts';
import { mutate, type KeyContext } from './mutate.ts';
import { assertKeyName, parseRotationPeriod } from '../grammar.ts';
import { keyCreateDigests } from '../ledger/format/digests.ts';
import { recordEvent } from './store/events.ts';
import { insertKey, insertVersion } from './store/key-rows.ts';

export async function createKey(ctx: KeyContext, name: string, type: string, rotationPeriod: string | null, actor: string): Promise<void> {
  assertKeyName(name);
  const spec = resolveKeyType(type);
  const periodMs = parseRotationPeriod(rotationPeriod);
  const material = await generateKeyMaterial(spec);
  try {
    const kek = ctx.ring.current;
    const wrapped = kek.wrap(material.secret, name, 1);
    await mutate(ctx, async (tx, record) => {
      if (!(await insertKey(tx, name, spec.type, rotationPeriod, periodMs))) {
        throw new PaysealError('key_exists', `key ${name} already exists`);
      }
      await insertVersion(tx, { key: name, version: 1, publicPem: material.publicPem, wrapped, kekId: kek.id });
      await recordEvent(tx, { actor, op: 'key_create', key: name, version: 1, detail: { type: spec.type, rotation_period: rotationPeriod } });
      record({ actor, op: 'key.create', key: name, key_version: 1, ...keyCreateDigests(spec.type, rotationPeriod, material.publicPem) });
    });
  } finally {
    material.secret.fill(0);
  }
}
