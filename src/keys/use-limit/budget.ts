/**
 * AES-GCM use accounting. With random 96-bit IVs, one key may be used for at most 2^32 encryptions
 * (NIST SP 800-38D §8.3): beyond that the chance of two messages sharing an IV under one key, which gives
 * away the XOR of their plaintexts and lets an attacker forge tags (the "forbidden attack"), is more than
 * the 2^-32 the standard accepts. So every version's encryptions are counted in key_versions.use_count.
 *
 * For throughput nothing is written per encryption: each process leases blocks of uses (one short
 * transaction under the version's row lock, so the bound holds across every replica) and spends them from
 * memory. The count in the database therefore runs ahead of the encryptions actually made by at most one
 * block per process; a process that exits wastes what it leased, which only moves rotation a little earlier.
 * When a lease takes a version's count to `rotateAt`, the key is rotated (actor system:usage-limit), so
 * encryption moves on long before the bound; a version is never leased past `limit`.
 */
import { PaysealError } from '../../errors.ts';
import type { KeyContext } from '../mutate.ts';
import { leaseUses } from '../store/key-rows.ts';

export interface AesUseLimits {
  /** Hard bound per version; never leased past. */
  readonly limit: number;
  /** A lease reaching this count asks for a rotation. */
  readonly rotateAt: number;
  /** Uses leased per database round trip. */
  readonly lease: number;
}

/**
 * 2^32 per SP 800-38D §8.3. Rotation at half of it leaves 2^31 uses for blocks already leased and for the
 * second or so a rotation takes to reach every replica: no traffic comes near spending that.
 */
export const AES_GCM_USE_LIMITS: AesUseLimits = Object.freeze({ limit: 2 ** 32, rotateAt: 2 ** 31, lease: 10_000 });

export function resolveUseLimits(partial: Partial<AesUseLimits> = {}): AesUseLimits {
  const l = { ...AES_GCM_USE_LIMITS, ...partial };
  const whole = (n: number) => Number.isSafeInteger(n) && n >= 1;
  if (!whole(l.limit) || !whole(l.rotateAt) || !whole(l.lease) || l.rotateAt > l.limit || l.limit > AES_GCM_USE_LIMITS.limit) {
    throw new PaysealError('config_invalid', 'AES use limits must be whole numbers with 1 <= rotateAt <= limit <= 2^32 and lease >= 1');
  }
  return Object.freeze(l);
}

interface Lease {
  remaining: number;
  refilling: Promise<boolean> | null;
}

export class UseBudget {
  /** Per "name\0version": the uses this process leased and has not spent. */
  private readonly leases = new Map<string, Lease>();

  constructor(
    private readonly ctx: KeyContext,
    readonly limits: AesUseLimits,
    /** Called (not awaited) when a lease takes a version to limits.rotateAt. */
    private readonly onRotateAt: (name: string, version: number) => void,
  ) {}

  private leaseOf(name: string, version: number): Lease {
    const id = `${name}\0${version}`;
    let lease = this.leases.get(id);
    if (!lease) {
      // A newer version supersedes the older ones' leases: their unspent uses are simply never spent.
      for (const other of this.leases.keys()) {
        const [n, v] = other.split('\0');
        if (n === name && Number(v) < version) this.leases.delete(other);
      }
      lease = { remaining: 0, refilling: null };
      this.leases.set(id, lease);
    }
    return lease;
  }

  /** Spends `n` uses from this process's lease; false when the lease is short (then refill). Never touches the database. */
  take(name: string, version: number, n: number): boolean {
    const lease = this.leases.get(`${name}\0${version}`);
    if (!lease || lease.remaining < n) return false;
    lease.remaining -= n;
    return true;
  }

  /**
   * Leases more uses (at least `n`) from the database; concurrent callers share one round trip. Resolves
   * false when the version has fewer than `n` uses left before its bound (or can no longer encrypt).
   */
  refill(name: string, version: number, n: number): Promise<boolean> {
    const lease = this.leaseOf(name, version);
    if (lease.refilling) return lease.refilling;
    const p = (async () => {
      try {
        const { granted, total } = await this.ctx.db.transaction((tx) =>
          leaseUses(tx, name, version, n, this.limits.lease, this.limits.limit),
        );
        if (granted === 0) {
          // Asking the rotation here too covers a process that died between its lease and its rotation.
          this.onRotateAt(name, version);
          return lease.remaining >= n;
        }
        lease.remaining += granted;
        if (total >= this.limits.rotateAt) this.onRotateAt(name, version);
        return true;
      } finally {
        lease.refilling = null;
      }
    })();
    lease.refilling = p;
    return p;
  }
}
