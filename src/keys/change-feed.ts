/**
 * Tells this process when the store changed anywhere: PostgreSQL LISTEN/NOTIFY for speed, plus a re-read of
 * the change counter every config.cacheRefreshMs for when a notification is lost (dropped connection, the
 * embedded socket, which cannot route notifications). Either way a change made by another process reaches
 * every cache within a second. Subscribers just drop what they cached.
 */
import type { Db, Queryable } from './store/db.ts';
import { bumpChangeCounter, readChangeCounter } from './store/events.ts';

export class ChangeFeed {
  private seen = -1;
  private readonly subscribers = new Set<() => void>();
  private timer: NodeJS.Timeout | null = null;
  private unlisten: (() => Promise<void>) | null = null;
  private refreshing = false;

  constructor(
    private readonly db: Db,
    readonly channel: string,
    private readonly refreshMs: number,
  ) {}

  async start(): Promise<void> {
    this.seen = await readChangeCounter(this.db);
    try {
      this.unlisten = await this.db.listen(
        this.channel,
        (payload) => this.observe(Number(payload)),
        // Back after an outage: notifications sent meanwhile were lost, so re-read the counter now.
        () => void this.refresh(),
      );
    } catch {
      // LISTEN is an accelerator; the periodic refresh below still bounds staleness.
    }
    this.timer = setInterval(() => void this.refresh(), this.refreshMs);
    this.timer.unref();
  }

  subscribe(fn: () => void): void {
    this.subscribers.add(fn);
  }

  /** Inside a mutation's transaction: bump the counter and NOTIFY (delivered on commit). */
  bump(tx: Queryable): Promise<number> {
    return bumpChangeCounter(tx, this.channel);
  }

  /** After this process's own committed mutation: drop caches now rather than at the next notification. */
  changedHere(value: number): void {
    this.observe(value, true);
  }

  async refresh(): Promise<void> {
    if (this.refreshing) return;
    this.refreshing = true;
    try {
      this.observe(await readChangeCounter(this.db));
    } catch {
      // Database briefly away: keep serving from cache; the next tick retries.
    } finally {
      this.refreshing = false;
    }
  }

  private observe(value: number, force = false): void {
    if (!Number.isFinite(value)) return;
    if (!force && value === this.seen) return;
    if (value > this.seen) this.seen = value;
    for (const fn of this.subscribers) fn();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const u = this.unlisten;
    this.unlisten = null;
    if (u) await u().catch(() => {});
  }
}
