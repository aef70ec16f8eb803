/**
 * PGlite is one PostgreSQL session. When the service shares it with local CLI processes (over its Unix
 * socket), every user of that session, in-process or remote, must hold it exclusively from the first
 * statement of a unit of work to its end: otherwise one caller's statements would land inside another's
 * open transaction. This lock is that session ownership; owners are opaque tokens, re-acquiring is free.
 */
export class SessionLock {
  private owner: unknown = null;
  private readonly waiters: { owner: unknown; resolve: () => void }[] = [];

  acquire(owner: unknown): Promise<void> {
    if (this.owner === null) {
      this.owner = owner;
      return Promise.resolve();
    }
    if (this.owner === owner) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ owner, resolve }));
  }

  release(owner: unknown): void {
    if (this.owner !== owner) return;
    const next = this.waiters.shift();
    this.owner = next ? next.owner : null;
    next?.resolve();
  }

  heldBy(owner: unknown): boolean {
    return this.owner === owner;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    const owner = Symbol('unit');
    await this.acquire(owner);
    try {
      return await fn();
    } finally {
      this.release(owner);
    }
  }
}
