/**
 * The in-memory cache behind the hot path (latestFor, versionFor): per key, its row, its versions and the
 * KeyObjects imported so far, so a cached lookup never touches the database. Private halves are unwrapped
 * and imported on first use, then the unwrapped bytes are zeroed; only KeyObjects stay in memory.
 * Any change seen by the change feed drops everything: a load that began before the change is discarded
 * (generation check), so a revocation can never be overwritten by a stale read.
 */
import { importPublic, importSecret, resolveKeyType } from '../crypto/index.ts';
import type { KeyTypeSpec } from '../crypto/types.ts';
import { PaysealError } from '../errors.ts';
import type { ChangeFeed } from './change-feed.ts';
import { ringFind, type KekRing } from './kek/kek.ts';
import type { Db } from './store/db.ts';
import { selectKey, selectVersions, type KeyRow, type VersionRow } from './store/key-rows.ts';
import type { UsableKey } from './types.ts';
import type { KeyLog } from './_log.ts';

function keyCorrupt(name: string, version: number): PaysealError {
  return new PaysealError('key_corrupt', `the stored private key of ${name} v${version} failed to unwrap (altered or damaged); rotate the key`);
}

export interface CachedKey {
  readonly row: KeyRow;
  readonly spec: KeyTypeSpec;
  readonly versions: ReadonlyMap<number, VersionRow>;
  latest?: UsableKey;
  /** Epoch ms until which `latest` is the signing version (a pre-published version takes over then); null: until a change. */
  latestUntil?: number | null;
  readonly usable: Map<string, UsableKey>;
  /** Versions whose private half failed to unwrap (reported once per load of the key). */
  readonly corrupt: Set<number>;
}

/** Bound on remembered misses, so random names cannot grow memory without limit. */
const MAX_ENTRIES = 10_000;

export class KeyCache {
  private generation = 0;
  private readonly entries = new Map<string, CachedKey | null>();
  private readonly loading = new Map<string, Promise<CachedKey | null>>();
  private readonly derived = new Map<string, unknown>();

  constructor(
    private readonly db: Db,
    private readonly ring: KekRing,
    feed: ChangeFeed,
    private readonly log: KeyLog,
  ) {
    feed.subscribe(() => this.clear());
  }

  clear(): void {
    this.generation++;
    this.entries.clear();
    this.loading.clear();
    this.derived.clear();
  }

  /** Synchronous probe for the hot path; undefined when not cached. */
  peek(name: string): CachedKey | null | undefined {
    return this.entries.get(name);
  }

  entry(name: string): Promise<CachedKey | null> {
    const hit = this.entries.get(name);
    if (hit !== undefined) return Promise.resolve(hit);
    let p = this.loading.get(name);
    if (!p) {
      const generation = this.generation;
      p = this.load(name).then((e) => {
        if (generation === this.generation) {
          this.loading.delete(name);
          if (e !== null || this.entries.size < MAX_ENTRIES) this.entries.set(name, e);
        }
        return e;
      });
      p.catch(() => {
        if (generation === this.generation) this.loading.delete(name);
      });
      this.loading.set(name, p);
    }
    return p;
  }

  /** A value computed from the whole store (e.g. JWKS), kept until the next change. */
  async memo<T>(key: string, compute: () => Promise<T>): Promise<T> {
    if (this.derived.has(key)) return this.derived.get(key) as T;
    const generation = this.generation;
    const value = await compute();
    if (generation === this.generation) this.derived.set(key, value);
    return value;
  }

  private async load(name: string): Promise<CachedKey | null> {
    const row = await selectKey(this.db, name);
    if (!row) return null;
    const versions = await selectVersions(this.db, name);
    return { row, spec: resolveKeyType(row.type), versions: new Map(versions.map((v) => [v.version, v])), usable: new Map(), corrupt: new Set() };
  }

  /** The private (or AES secret) KeyObject of one version, unwrapped under whichever held KEK wrapped it. */
  privateOf(e: CachedKey, version: number): UsableKey {
    const memo = e.usable.get(`private:${version}`);
    if (memo) return memo;
    const v = e.versions.get(version);
    if (!v || v.wrapped === null || v.kek_id === null) {
      throw new PaysealError('internal', `${e.row.name} v${version} has no private half`);
    }
    const kek = ringFind(this.ring, v.kek_id);
    // Start-up checked that every row was under a held KEK: one that is not now was re-wrapped by a KEK rotation
    // this process could not follow. 503, so callers retry on a replica that holds the new KEK.
    if (!kek) {
      throw new PaysealError(
        'kek_retired',
        `${e.row.name} v${version} is wrapped under KEK ${v.kek_id}, which this replica does not hold: restart it with the new KEK`,
      );
    }
    if (e.corrupt.has(version)) throw keyCorrupt(e.row.name, version);
    let secret: Buffer;
    try {
      secret = kek.unwrap(v.wrapped, e.row.name, version);
    } catch {
      // AES-GCM refused the blob under the KEK that wrapped it (its AAD binds key name, version and KEK id): the
      // row was edited, damaged or moved. Logged once per cache generation, never with material.
      e.corrupt.add(version);
      this.log.error({ key: e.row.name, version, kek_id: kek.id }, 'a stored private key failed to unwrap: the row was altered or damaged; rotate the key');
      throw keyCorrupt(e.row.name, version);
    }
    try {
      const usable = { name: e.row.name, spec: e.spec, version, key: importSecret(e.spec, secret) };
      e.usable.set(`private:${version}`, usable);
      return usable;
    } finally {
      secret.fill(0);
    }
  }

  publicOf(e: CachedKey, version: number): UsableKey {
    const memo = e.usable.get(`public:${version}`);
    if (memo) return memo;
    const v = e.versions.get(version);
    if (!v || v.public_pem === null) throw new PaysealError('internal', `${e.row.name} v${version} has no public half`);
    const usable = { name: e.row.name, spec: e.spec, version, key: importPublic(e.spec, v.public_pem), lowSOnly: e.row.low_s_only };
    e.usable.set(`public:${version}`, usable);
    return usable;
  }
}
