/**
 * The ledger key, `payseal-ledger`: it signs checkpoints and nothing else (KeyService refuses it to every caller
 * with key_reserved). Created on the first start of any runtime (service or CLI, embedded or PostgreSQL) as an
 * Ed25519 key: small, fast, deterministic signatures (RFC 8032 §5.1.6), approved by FIPS 186-5, and verified
 * offline by both opinions (node:crypto and @noble/curves). Creation is race-free across replicas: the key row
 * is inserted with ON CONFLICT DO NOTHING inside the transaction that also records its key.create entry, so a
 * replica that loses the race rolls back both and uses the winner's key. It is rotatable like any key.
 */
import { createSigner } from '../crypto/index.ts';
import { resolveKeyType } from '../crypto/registry.ts';
import { PaysealError, isPaysealError } from '../errors.ts';
import { createKey } from '../keys/create.ts';
import type { KeyServiceImpl } from '../keys/key-service.ts';
import type { KeyContext } from '../keys/mutate.ts';
import { selectKey } from '../keys/store/key-rows.ts';
import { LEDGER_KEY_NAME, type LedgerSigningKey } from './format/checkpoint.ts';

export const LEDGER_KEY_TYPE = 'ed25519';
/** Who creates the ledger key on first start. */
export const LEDGER_BOOTSTRAP_ACTOR = 'system';

export async function ensureLedgerKey(ctx: KeyContext): Promise<void> {
  const existing = await selectKey(ctx.db, LEDGER_KEY_NAME);
  if (existing !== null) {
    if (resolveKeyType(existing.type).purpose !== 'sign') {
      throw new PaysealError('config_invalid', `the key ${LEDGER_KEY_NAME} exists but is a ${existing.type} key; the ledger needs a signing key of that name`);
    }
    return;
  }
  try {
    await createKey(ctx, LEDGER_KEY_NAME, LEDGER_KEY_TYPE, null, LEDGER_BOOTSTRAP_ACTOR);
  } catch (e) {
    // Another replica (or CLI) created it first: its key and its ledger entry stand, ours rolled back.
    if (!(isPaysealError(e) && e.code === 'key_exists')) throw e;
  }
}

/** The ledger key's newest version as the appender signs with it (asked at each checkpoint: rotation takes effect at once). */
export async function ledgerSigningKey(keys: Pick<KeyServiceImpl, 'ledgerSigningKey'>): Promise<LedgerSigningKey> {
  const k = await keys.ledgerSigningKey();
  return { name: k.name, version: k.version, signer: createSigner(k.spec, k.key) };
}
