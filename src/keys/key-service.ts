/**
 * KeyService (types.ts) wired from the operation modules: mutations go to create/rotate/configure/revoke,
 * reads and the hot path go through the KeyCache. latestFor and versionFor answer from memory once a key
 * is cached; the first lookup after a change loads the key again. reserveEncryption is use-limit/ (the AES-GCM
 * use budget and the rotation its bound calls for); the raw operations are operations/.
 */
import { importPublic, publicJwk } from '../crypto/index.ts';
import type { Purpose } from '../crypto/types.ts';
import { PaysealError } from '../errors.ts';
import type { KeyContext } from './mutate.ts';
import type { KeyLog } from './_log.ts';
import { configureKey } from './configure.ts';
import { openDecrypter } from './operations/decrypt.ts';
import { openEncrypter } from './operations/encrypt.ts';
import { openRewrapper } from './operations/rewrap.ts';
import { openSigner } from './operations/sign.ts';
import { openVerifier } from './operations/verify.ts';
import { createKey } from './create.ts';
import { KeyCache, type CachedKey } from './key-cache.ts';
import { kidOf, toKeyInfo, toPublicKeys } from './key-info.ts';
import { assertKeyName } from '../grammar.ts';
import { destroyVersion, revokeVersion } from './revoke.ts';
import { rotateDueKeys, rotateKey } from './rotate.ts';
import { importKey, importVersion } from './import.ts';
import { signingState } from './signing-version.ts';
import { versionOfKeyId, withinValidity } from './key-ids.ts';
import { selectAllKeys, selectUseCounts } from './store/key-rows.ts';
import type { AesUseLimits, UseBudget } from './use-limit/budget.ts';
import { createUseLimit } from './use-limit/rotation.ts';
import type { KeyInfo, KeyService, PublicKeysInfo, UsableKey, VersionLookup } from './types.ts';
import { resolveKeyType } from '../crypto/index.ts';
import { LEDGER_KEY_NAME } from '../ledger/format/checkpoint.ts';

function notFound(name: string): PaysealError {
  return new PaysealError('key_not_found', `key ${name} does not exist`);
}

/** An imported key (a partner's public key) verifies only: nothing may sign with it or rotate it. */
function verifyOnly(e: CachedKey, what: string): PaysealError {
  return new PaysealError('key_verify_only', `key ${e.row.name} is a partner's imported public key: it cannot ${what}`);
}

function checkPurpose(e: CachedKey, purpose: Purpose): void {
  if (e.spec.purpose !== purpose) {
    throw new PaysealError('key_type_mismatch', `key ${e.row.name} is a ${e.spec.type} key (${e.spec.purpose}), not a ${purpose} key`);
  }
}

export interface KeyServiceImpl extends KeyService {
  readonly cache: KeyCache;
  readonly budget: UseBudget;
  /** The ledger key's newest version, for checkpoints (src/ledger through the runtime); no caller reaches it. */
  ledgerSigningKey(): Promise<UsableKey>;
}

export interface KeyServiceOptions {
  readonly useLimits: AesUseLimits;
  readonly log: KeyLog;
}

export function createKeyService(ctx: KeyContext, options: KeyServiceOptions): KeyServiceImpl {
  const { log } = options;
  const cache = new KeyCache(ctx.db, ctx.ring, ctx.feed, log);

  async function entryOrThrow(name: string): Promise<CachedKey> {
    const e = await cache.entry(assertKeyName(name));
    if (!e) throw notFound(name);
    return e;
  }

  async function get(name: string): Promise<KeyInfo> {
    const e = await entryOrThrow(name);
    // Leases do not go through the change feed, so the cached rows' use counts are stale: read them fresh.
    const uses = e.spec.purpose === 'encrypt' ? await selectUseCounts(ctx.db, name) : undefined;
    return toKeyInfo(e.row, e.spec, [...e.versions.values()], uses);
  }

  async function latestFor(name: string, purpose: Purpose): Promise<UsableKey> {
    // The ledger key signs checkpoints only: a signature by it over caller-chosen bytes would be a forged
    // checkpoint. Every caller's signing (raw, batch, messages, seal) opens its key here.
    if (name === LEDGER_KEY_NAME && purpose === 'sign') {
      throw new PaysealError('key_reserved', `key ${LEDGER_KEY_NAME} signs ledger checkpoints only; it cannot sign for a caller`);
    }
    return newestOf(name, purpose);
  }

  async function newestOf(name: string, purpose: Purpose): Promise<UsableKey> {
    const hit = cache.peek(name);
    if (hit && hit.latest && hit.spec.purpose === purpose && (hit.latestUntil == null || Date.now() < hit.latestUntil)) return hit.latest;
    const e = hit ?? (await entryOrThrow(name));
    checkPurpose(e, purpose);
    if (e.row.origin === 'imported') throw verifyOnly(e, 'sign');
    // The signing version from stored times (signing-version.ts): a pre-published version takes over at its
    // signs_from on every replica at once, with no change to announce.
    const state = signingState(e.versions.values(), Date.now());
    const usable = cache.privateOf(e, state.signing);
    e.latest = usable;
    e.latestUntil = state.validUntil;
    return usable;
  }

  const useLimit = createUseLimit(ctx, cache, options.useLimits, log, latestFor);
  const budget = useLimit.budget;

  async function list(): Promise<KeyInfo[]> {
    const { keys, versions } = await selectAllKeys(ctx.db);
    return keys.map((k) => toKeyInfo(k, resolveKeyType(k.type), versions.filter((v) => v.key === k.name)));
  }

  const service: KeyServiceImpl = {
    cache,
    budget,
    ledgerSigningKey: () => newestOf(LEDGER_KEY_NAME, 'sign'),
    get,
    list,
    async create(name, type, rotationPeriod, actor) {
      await createKey(ctx, name, type, rotationPeriod, actor);
      return get(name);
    },
    async importKey(name, input, actor) {
      await importKey(ctx, name, input, actor);
      return get(name);
    },
    async importVersion(name, input, actor) {
      await importVersion(ctx, name, input, actor);
      return get(name);
    },
    async rotate(name, actor, options = {}) {
      await rotateKey(ctx, name, actor, { publishFirstSeconds: options.publishFirstSeconds ?? 0 });
      return get(name);
    },
    rotateDue: (actor, now) => rotateDueKeys(ctx, actor, now),
    async configure(name, change, actor) {
      await configureKey(ctx, name, change, actor);
      return get(name);
    },
    async revoke(name, version, actor, reason) {
      await revokeVersion(ctx, name, version, actor, reason);
      return get(name);
    },
    async destroy(name, version, actor, reason) {
      await destroyVersion(ctx, name, version, actor, reason);
      return get(name);
    },
    async publicKeys(name): Promise<PublicKeysInfo> {
      const e = await entryOrThrow(name);
      checkPurpose(e, 'sign');
      return toPublicKeys(e.row, e.spec, [...e.versions.values()]);
    },
    jwks() {
      return cache.memo('jwks', async () => {
        const { keys, versions } = await selectAllKeys(ctx.db);
        const out: Record<string, unknown>[] = [];
        for (const k of keys) {
          const spec = resolveKeyType(k.type);
          // The JWK Set is for verifying payment messages, which the ledger key never signs (the bundle carries it).
          if (spec.purpose !== 'sign' || k.name === LEDGER_KEY_NAME) continue;
          for (const v of versions) {
            if (v.key !== k.name || v.revoked_at !== null || v.public_pem === null) continue;
            const jwk = publicJwk(spec, importPublic(spec, v.public_pem), kidOf(k.name, v.version));
            if (jwk) out.push(jwk);
          }
        }
        return { keys: out };
      });
    },

    latestFor: (name, purpose) => latestFor(name, purpose),

    async resolveKeyId(name, keyid) {
      const e = cache.peek(name) ?? (await entryOrThrow(name));
      checkPurpose(e, 'sign');
      return versionOfKeyId(e.row.name, e.versions.values(), keyid);
    },

    async httpSignaturePolicy(name) {
      const e = cache.peek(name) ?? (await entryOrThrow(name));
      return e.row.http_signature_policy;
    },

    async specFor(name, purpose) {
      const e = cache.peek(name) ?? (await entryOrThrow(name));
      checkPurpose(e, purpose);
      return e.spec;
    },

    reserveEncryption: (name, uses = 1) => useLimit.reserve(name, uses),

    async versionFor(name, version, purpose, use): Promise<VersionLookup> {
      const e = cache.peek(name) ?? (await entryOrThrow(name));
      checkPurpose(e, purpose);
      if (use === 'verify' ? purpose !== 'sign' : purpose !== 'encrypt') {
        throw new PaysealError('key_type_mismatch', `cannot ${use} with a ${purpose} key`);
      }
      const v = Number.isSafeInteger(version) ? e.versions.get(version) : undefined;
      if (!v) return { ok: false, reason: 'unknown_version' };
      if (v.revoked_at !== null) return { ok: false, reason: 'key_version_revoked' };
      if (version < e.row.min_version) return { ok: false, reason: 'below_min_version' };
      if (use === 'verify') {
        // A key imported from a certificate verifies only inside the certificate's validity (RFC 5280 §4.1.2.5).
        if (v.certificate !== null && !withinValidity(v.certificate, Date.now())) return { ok: false, reason: 'expired' };
        return { ok: true, key: cache.publicOf(e, version) };
      }
      if (v.destroyed_at !== null || v.wrapped === null) return { ok: false, reason: 'key_version_destroyed' };
      return { ok: true, key: cache.privateOf(e, version) };
    },

    signer: (name, actor) => openSigner(service, name, ctx.recorder, actor),
    verifier: (name) => openVerifier(service, name),
    encrypter: (name) => openEncrypter(service, name),
    decrypter: (name) => openDecrypter(service, name),
    rewrapper: (name) => openRewrapper(service, name),
  };
  return service;
}
