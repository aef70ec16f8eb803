/**
 * Test keys: one generated key pair per (type, slot) and per test process, through payseal's own
 * generateKeyMaterial/importSecret/importPublic, so every test signs with keys made the way production makes
 * them. Slot 1 is "another key of the same type" for wrong-key cases. DSA generation takes seconds; ask for
 * all keys of a file at once (Promise.all) so they generate concurrently on libuv's pool.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import {
  createSigner,
  createVerifier,
  generateKeyMaterial,
  importPublic,
  importSecret,
  resolveKeyType,
  type KeyType,
  type KeyTypeSpec,
} from '../../src/crypto/index.ts';
import type { UsableKey } from '../../src/keys/types.ts';

export interface TestKey {
  readonly spec: KeyTypeSpec;
  readonly secret: Buffer;
  readonly privateKey: KeyObject;
  /** null for AES keys. */
  readonly publicKey: KeyObject | null;
  readonly publicPem: string | null;
}

const cache = new Map<string, Promise<TestKey>>();

export function testKey(type: KeyType, slot = 0): Promise<TestKey> {
  const id = `${type}#${slot}`;
  let key = cache.get(id);
  if (key === undefined) {
    key = (async () => {
      const spec = resolveKeyType(type);
      const { secret, publicPem } = await generateKeyMaterial(spec);
      return {
        spec,
        secret,
        privateKey: importSecret(spec, secret),
        publicKey: publicPem === null ? null : importPublic(spec, publicPem),
        publicPem,
      };
    })();
    cache.set(id, key);
  }
  return key;
}

/**
 * Signs `message` with a key the store handed out and verifies the signature with that key's public half:
 * true only when the private half really is the key's (a sign() that merely returns bytes proves nothing).
 */
export async function signsAndVerifies(key: UsableKey, message: string): Promise<boolean> {
  const data = Buffer.from(message);
  const signature = await createSigner(key.spec, key.key).sign(data);
  return createVerifier(key.spec, createPublicKey(key.key)).verify(data, signature);
}
