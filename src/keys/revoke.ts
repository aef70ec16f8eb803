/**
 * Revoke and destroy a version. Both refuse the newest version (409 conflict: rotate first, so something is
 * left to sign with). Revoke stops a version verifying and decrypting everywhere (within a second, through
 * the change feed); destroy erases the wrapped private half for good and keeps a signing key's public half,
 * so old signatures stay verifiable unless also revoked. Repeating either is a no-op.
 */
import { PaysealError } from '../errors.ts';
import { mutate, type KeyContext } from './mutate.ts';
import { assertKeyName, assertVersion } from '../grammar.ts';
import { recordEvent } from './store/events.ts';
import { markDestroyed, markRevoked, selectKey, selectVersions } from './store/key-rows.ts';
import type { Queryable } from './store/db.ts';

async function lockedVersion(tx: Queryable, name: string, version: number, verb: string) {
  const k = await selectKey(tx, name, true);
  if (!k) throw new PaysealError('key_not_found', `key ${name} does not exist`);
  const v = (await selectVersions(tx, name)).find((x) => x.version === version);
  if (!v) throw new PaysealError('key_version_not_found', `key ${name} has no version ${version}`);
  if (version === k.latest_version) {
    throw new PaysealError('conflict', `v${version} is the newest version of ${name}: rotate first, then ${verb} it`);
  }
  return v;
}

export async function revokeVersion(ctx: KeyContext, name: string, version: number, actor: string): Promise<void> {
  assertKeyName(name);
  assertVersion(version);
  await mutate(ctx, async (tx, record) => {
    const v = await lockedVersion(tx, name, version, 'revoke');
    if (v.revoked_at !== null) return;
    await markRevoked(tx, name, version);
    await recordEvent(tx, { actor, op: 'key_revoke', key: name, version });
    record({ actor, op: 'key.revoke', key: name, key_version: version, input_sha256: null, output_sha256: null });
  });
}

export async function destroyVersion(ctx: KeyContext, name: string, version: number, actor: string): Promise<void> {
  assertKeyName(name);
  assertVersion(version);
  await mutate(ctx, async (tx, record) => {
    const v = await lockedVersion(tx, name, version, 'destroy');
    if (v.destroyed_at !== null) return;
    await markDestroyed(tx, name, version);
    await recordEvent(tx, { actor, op: 'key_destroy', key: name, version });
    record({ actor, op: 'key.destroy', key: name, key_version: version, input_sha256: null, output_sha256: null });
  });
}
