/**
 * Revoke and destroy a version. Both refuse the newest version (409 conflict: rotate first, so something is
 * left to sign with). Revoke stops a version verifying and decrypting everywhere (within a second, through
 * the change feed); destroy erases the wrapped private half for good and keeps a signing key's public half,
 * so old signatures stay verifiable unless also revoked. Repeating either is a no-op. While a pre-published
 * version waits, the version still signing is refused too (conflict). Both are
 * irreversible, so the caller may say why (`reason`), recorded with the event (`payseal keys history`).
 */
import { PaysealError } from '../errors.ts';
import { mutate, type KeyContext } from './mutate.ts';
import { assertKeyName, assertReason, assertVersion } from '../grammar.ts';
import { recordEvent } from './store/events.ts';
import { markDestroyed, markRevoked, selectKey, selectVersions } from './store/key-rows.ts';
import type { Queryable } from './store/db.ts';
import { signingState } from './signing-version.ts';

async function lockedVersion(tx: Queryable, name: string, version: number, verb: string) {
  const k = await selectKey(tx, name, true);
  if (!k) throw new PaysealError('key_not_found', `key ${name} does not exist`);
  const versions = await selectVersions(tx, name);
  const v = versions.find((x) => x.version === version);
  if (!v) throw new PaysealError('key_version_not_found', `key ${name} has no version ${version}`);
  if (version === k.latest_version) {
    throw new PaysealError('conflict', `v${version} is the newest version of ${name}: rotate first, then ${verb} it`);
  }
  // With a pre-published version waiting, the newest is not yet the signer: the signing one is kept too.
  if (version === signingState(versions, Date.now()).signing) {
    throw new PaysealError('conflict', `v${version} still signs for ${name} until its pending version takes over: rotate at once first, then ${verb} it`);
  }
  return v;
}

export async function revokeVersion(ctx: KeyContext, name: string, version: number, actor: string, reason?: string): Promise<void> {
  assertKeyName(name);
  assertVersion(version);
  const why = assertReason(reason);
  await mutate(ctx, async (tx, record) => {
    const v = await lockedVersion(tx, name, version, 'revoke');
    if (v.revoked_at !== null) return;
    await markRevoked(tx, name, version);
    await recordEvent(tx, { actor, op: 'key_revoke', key: name, version, detail: why === undefined ? {} : { reason: why } });
    record({ actor, op: 'key.revoke', key: name, key_version: version, input_sha256: null, output_sha256: null });
  });
}

export async function destroyVersion(ctx: KeyContext, name: string, version: number, actor: string, reason?: string): Promise<void> {
  assertKeyName(name);
  assertVersion(version);
  const why = assertReason(reason);
  await mutate(ctx, async (tx, record) => {
    const v = await lockedVersion(tx, name, version, 'destroy');
    if (v.destroyed_at !== null) return;
    await markDestroyed(tx, name, version);
    await recordEvent(tx, { actor, op: 'key_destroy', key: name, version, detail: why === undefined ? {} : { reason: why } });
    record({ actor, op: 'key.destroy', key: name, key_version: version, input_sha256: null, output_sha256: null });
  });
}
