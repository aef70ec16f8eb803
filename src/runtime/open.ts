/**
 * openRuntime: everything a process needs before it serves a request or runs a command. In order: KEKs
 * (refusing start without one on a shared database), the store (pg Pool on DATABASE_URL, else the embedded
 * data dir or a running service's socket), migrations, the KEK check, the change feed, then the services
 * and, in the service, the rotation scheduler. Anything that fails on the way closes what was opened.
 * The ledger (ledger.ts) is composed before the services, which record through it, and its ledger key made
 * on first start; close() stops the scheduler, then writes the ledger's last batch and checkpoints while the
 * store is still open, then stops the change feed and closes the store.
 */
import type { Config } from '../config.ts';
import { PaysealError } from '../errors.ts';
import type { KeyContext } from '../keys/mutate.ts';
import { stderrKeyLog } from '../keys/_log.ts';
import { ChangeFeed } from '../keys/change-feed.ts';
import { createClientService } from '../clients/service.ts';
import { checkKeks } from '../keys/kek/check.ts';
import { loadKeks } from '../keys/kek/load.ts';
import { rotateKek } from '../keys/kek/rotate.ts';
import { parseKek } from '../keys/kek/kek.ts';
import { createKeyService } from '../keys/key-service.ts';
import { RotationScheduler } from '../keys/rotation-scheduler.ts';
import { resolveUseLimits } from '../keys/use-limit/budget.ts';
import { composeLedger } from './ledger.ts';
import { createMessageService } from '../messages/service.ts';
import { ReplaySweeper, SqlReplayGuard } from '../messages/replay-store.ts';
import type { Runtime, RuntimeOptions } from './types.ts';
import { mapDbError, type Db } from '../keys/store/db.ts';
import { openEmbedded } from '../keys/store/embedded/open.ts';
import { changeChannel } from '../keys/store/events.ts';
import { migrate } from '../keys/store/migrate.ts';
import { lockKeks } from '../keys/store/kek-rows.ts';
import { openPgDb } from '../keys/store/pg.ts';

export async function openRuntime(config: Config, options: RuntimeOptions): Promise<Runtime> {
  const useLimits = resolveUseLimits(options.aesUseLimits);
  const log = options.log ?? stderrKeyLog;
  const intervalMs = options.rotationCheckMs ?? (config.rotationCheckSeconds ?? 60) * 1000;
  const { ring, notices } = loadKeks(config);
  let db: Db;
  let closeStore: () => Promise<void>;
  let via: Runtime['via'];
  if (config.databaseUrl !== null) {
    db = openPgDb({ kind: 'postgres', config: { connectionString: config.databaseUrl, connectionTimeoutMillis: 10_000 } });
    closeStore = () => db.close();
    via = 'postgres';
  } else {
    const store = await openEmbedded(config.dataDir, options.role);
    db = store.db;
    closeStore = store.close;
    via = store.via;
  }
  let feed: ChangeFeed | null = null;
  try {
    await migrate(db);
    await db.transaction(async (tx) => {
      await lockKeks(tx);
      await checkKeks(tx, ring);
    });
    feed = new ChangeFeed(db, await changeChannel(db), config.cacheRefreshMs);
    await feed.start();
  } catch (e) {
    await feed?.stop();
    await closeStore().catch(() => {});
    throw mapDbError(e);
  }
  const composed = composeLedger(db, config, log, options.ledger);
  const ctx: KeyContext = { db, ring, feed, recorder: composed.recorder };
  const keys = createKeyService(ctx, { useLimits, log });
  const clients = createClientService(ctx);
  try {
    await composed.start(ctx, keys);
  } catch (e) {
    await composed.close().catch(() => {});
    await feed.stop();
    await closeStore().catch(() => {});
    throw mapDbError(e);
  }
  const scheduler = (options.scheduler ?? options.role === 'service') && intervalMs > 0 ? new RotationScheduler(ctx, intervalMs, log) : null;
  scheduler?.start();
  // Payment messages: consumed jtis in the shared store; every service replica sweeps expired ones.
  const replay = new SqlReplayGuard(db);
  const messages = createMessageService({ keys, replay, recorder: composed.recorder });
  const sweepMs = options.replaySweepMs ?? 60_000;
  const sweeper = options.role === 'service' && sweepMs > 0 ? new ReplaySweeper(replay, sweepMs, log) : null;
  sweeper?.start();
  let closed = false;
  const changes = feed;
  return {
    config,
    mode: config.databaseUrl !== null ? 'postgres' : 'embedded',
    via,
    keys,
    clients,
    messages,
    recorder: composed.recorder,
    ledger: composed.ledger,
    db,
    kekId: ring.current.id,
    notices: Object.freeze([...notices]),
    async ping() {
      try {
        await db.query('SELECT 1');
      } catch (e) {
        const m = mapDbError(e);
        throw m instanceof PaysealError ? m : new PaysealError('unavailable', 'the database is unavailable', { cause: e });
      }
    },
    rotateKek: (newKekBase64, opts) => rotateKek(ctx, parseKek(newKekBase64, 'the new KEK'), opts),
    scheduler: scheduler && { stats: () => scheduler.stats(), runOnce: () => scheduler.runOnce() },
    async close() {
      if (closed) return;
      closed = true;
      await scheduler?.stop();
      await sweeper?.stop();
      await composed.close().catch((e: unknown) => log.error({ error: e instanceof Error ? e.message : String(e) }, 'the ledger could not write its last batch'));
      await changes.stop();
      await closeStore();
    },
  };
}
