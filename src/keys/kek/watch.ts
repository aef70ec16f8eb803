/**
 * KekWatch: a running process's view of which KEKs the store still accepts, so a KEK rotation made elsewhere
 * (`payseal kek rotate`) can never leave it answering 500s:
 * - a service announces the KEKs it holds in kek_holders (heartbeat), which `kek rotate` reads to refuse while a
 *   live replica holds only the KEK it would retire (store/kek-holder-rows.ts);
 * - on every change the change feed reports, and on each heartbeat, it re-reads kek_checks: a KEK staged in a
 *   self-managed data dir (kek.next) whose check row exists is taken up for unwrapping; when the current KEK was
 *   retired and a held KEK is live, that one becomes current (and, self-managed, is installed as data/kek);
 * - when no held KEK is live any more, the process is "retired": unwrapping answers 503 kek_retired (key-cache)
 *   and so does readiness, so a load balancer drains it until it is restarted with the new KEK.
 */
import os from 'node:os';
import crypto from 'node:crypto';
import { PaysealError } from '../../errors.ts';
import type { KeyLog } from '../_log.ts';
import type { ChangeFeed } from '../change-feed.ts';
import type { Db, Queryable } from '../store/db.ts';
import { selectKekChecks } from '../store/kek-rows.ts';
import { deleteHolder, upsertHolder } from '../store/kek-holder-rows.ts';
import { passesCheck } from './check.ts';
import { installStagedKek, readStagedKek } from './files.ts';
import type { LiveKekRing } from './ring.ts';

export const DEFAULT_HEARTBEAT_MS = 5000;

export interface KekWatchOptions {
  readonly db: Db;
  readonly ring: LiveKekRing;
  readonly feed: ChangeFeed;
  /** Write heartbeat rows (what a service does; false only in tests of the watch itself). */
  readonly announce: boolean;
  /** The data dir when the KEK is self-managed (data/kek): staged KEKs are taken up and installed. */
  readonly selfManagedDir: string | null;
  readonly heartbeatMs?: number;
  readonly log: KeyLog;
}

/**
 * One pass over kek_checks: takes up a staged KEK, promotes a live held KEK over a retired current one. Returns
 * whether the ring changed and whether a live KEK is held at all. Used at start (inside the KEK lock) and by the watch.
 */
export async function reconcileRing(q: Queryable, ring: LiveKekRing, selfManagedDir: string | null): Promise<{ changed: boolean; live: boolean }> {
  const checks = await selectKekChecks(q);
  const live = new Set(checks.filter((c) => !c.retired).map((c) => c.kek_id));
  let changed = false;
  if (selfManagedDir !== null) {
    const staged = readStagedKek(selfManagedDir);
    const row = staged && checks.find((c) => c.kek_id === staged.id);
    // Only a KEK that `kek rotate` registered (its check row unwraps) is taken up: never a stray file.
    if (staged && row && !ring.holds(staged.id) && passesCheck(staged, row.wrapped)) changed = ring.accept(staged);
  }
  if (!live.has(ring.current.id)) {
    const next = ring.previous.find((k) => live.has(k.id));
    if (!next) return { changed, live: false };
    ring.promote(next.id);
    if (selfManagedDir !== null) installStagedKek(selfManagedDir, next.id);
    changed = true;
  }
  return { changed, live: true };
}

export class KekWatch {
  readonly holder = `${os.hostname()}:${process.pid}:${crypto.randomBytes(4).toString('hex')}`;
  #retired = false;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  #again = false;
  #stopped = false;

  constructor(private readonly o: KekWatchOptions) {}

  async start(): Promise<void> {
    if (this.o.announce) await this.heartbeat();
    this.o.feed.subscribe(() => void this.check());
    this.#timer = setInterval(() => void this.tick(), this.o.heartbeatMs ?? DEFAULT_HEARTBEAT_MS);
    this.#timer.unref();
  }

  /** Throws kek_retired when this process holds no KEK the store still accepts. */
  assertReady(): void {
    if (this.#retired) throw retiredError(this.o.ring.ids());
  }

  /** Re-reads kek_checks now (serialised: a pass requested while one runs runs once more after it). */
  check(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      do {
        this.#again = false;
        await this.pass().catch(() => {}); // database briefly away: the next change or heartbeat retries
      } while (this.#again && !this.#stopped);
      this.#running = null;
    })();
    return this.#running;
  }

  private async pass(): Promise<void> {
    if (this.#stopped) return;
    const before = this.o.ring.current.id;
    const { changed, live } = await reconcileRing(this.o.db, this.o.ring, this.o.selfManagedDir);
    if (!live && !this.#retired) {
      this.o.log.error({ kek_ids: this.o.ring.ids() }, 'a KEK rotation retired every KEK this process holds: answering 503 kek_retired until it is restarted with the new KEK');
    }
    this.#retired = !live;
    if (this.o.ring.current.id !== before) {
      this.o.log.warn(
        { kek_id: this.o.ring.current.id, retired_kek_id: before },
        this.o.selfManagedDir !== null
          ? 'KEK rotation completed: now wrapping with the new KEK, installed as the data dir KEK'
          : 'KEK rotation completed: now wrapping with the new KEK; set PAYSEAL_KEK / PAYSEAL_KEK_FILE to it before the next restart',
      );
    }
    if (changed && this.o.announce) await this.heartbeat();
  }

  private async tick(): Promise<void> {
    if (this.o.announce) await this.heartbeat().catch(() => {});
    await this.check();
  }

  private async heartbeat(): Promise<void> {
    if (this.#stopped) return;
    await upsertHolder(this.o.db, {
      holder: this.holder,
      host: os.hostname(),
      pid: process.pid,
      current_kek: this.o.ring.current.id,
      kek_ids: this.o.ring.ids(),
      adopts: this.o.selfManagedDir !== null,
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#running?.catch(() => {});
    if (this.o.announce) await deleteHolder(this.o.db, this.holder).catch(() => {});
  }
}

export function retiredError(ids: readonly string[]): PaysealError {
  return new PaysealError(
    'kek_retired',
    `this replica holds KEK ${ids.join(' and ')}, which a KEK rotation retired: restart it with the new KEK (docs/keys.md, "Rotating the KEK")`,
  );
}
