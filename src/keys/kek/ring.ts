/**
 * The KEK ring a running process holds, as a mutable object behind the read-only KekRing interface: the key
 * service, the cache and the store read `ring.current` at each use, so a running service can take up a new KEK
 * without a restart. `accept` adds a KEK for unwrapping only (a KEK rotation staged it, or the operator set it
 * as PAYSEAL_KEK_PREVIOUS); `promote` makes a held KEK the one that wraps new versions (a KEK rotation retired the
 * current one). Nothing here reads the environment or the disk; kek/watch.ts decides when to call them.
 */
import type { Kek, KekRing } from './kek.ts';

export class LiveKekRing implements KekRing {
  #current: Kek;
  #previous: Kek[];

  constructor(current: Kek, previous: readonly Kek[] = []) {
    this.#current = current;
    this.#previous = previous.filter((k) => k.id !== current.id);
  }

  get current(): Kek {
    return this.#current;
  }

  get previous(): readonly Kek[] {
    return this.#previous;
  }

  ids(): string[] {
    return [this.#current.id, ...this.#previous.map((k) => k.id)];
  }

  holds(id: string): boolean {
    return this.ids().includes(id);
  }

  /** Adds `kek` for unwrapping; false when it was held already. */
  accept(kek: Kek): boolean {
    if (this.holds(kek.id)) return false;
    this.#previous = [...this.#previous, kek];
    return true;
  }

  /** Makes the held KEK `id` the current one; the old current stays held for unwrapping. */
  promote(id: string): void {
    const next = this.#previous.find((k) => k.id === id);
    if (!next) return;
    this.#previous = [this.#current, ...this.#previous.filter((k) => k !== next)];
    this.#current = next;
  }
}
