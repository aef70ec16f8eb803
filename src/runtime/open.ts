/**
 * openRuntime: everything a process needs before it serves a request or runs a command. In order: KEKs
 * (refusing start without one on a shared database; a CLI never creates an embedded store), the store (pg Pool
 * on DATABASE_URL, else the embedded data dir or a running service's socket), migrations, the KEK check, the
 * change feed, the KEK watch (heartbeat, KEK rotations made elsewhere), then the services and, in the service,
 * the rotation scheduler. Anything that fails on the way closes what was opened.
 * The ledger (ledger.ts) is composed before the services, which record through it, and its ledger key made
 * on first start. close() stops the scheduler and the replay sweeper, runs the shutdown hooks, writes the
 * ledger's last batch and checkpoints while the store is still open, then stops the KEK watch and the change
 * feed and closes the store.
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
import { installStagedKek, stageKek } from '../keys/kek/files.ts';
import { KekWatch, reconcileRing } from '../keys/kek/watch.ts';
import { assertStoreExists, ensureDataDir } from '../keys/store/embedded/data-dir.ts';
import { createKeyService } from '../keys/key-service.ts';
import { RotationScheduler } from '../keys/rotation-scheduler.ts';
import { createRuntimeMetrics } from './metrics.ts';
import { ShutdownHooks } from './shutdown.ts';
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

/** Bound on the readiness round trip (Kubernetes' probe timeout is 3 s in deploy/kubernetes/deployment.yaml). */
const PING_TIMEOUT_MS = 2_000;

export async function openRuntime(config: Config, options: RuntimeOptions): Promise<Runtime> {
  const useLimits = resolveUseLimits(options.aesUseLimits);
  const log = options.log ?? stderrKeyLog;
  const intervalMs = options.rotationCheckMs ?? (config.rotationCheckSeconds ?? 60) * 1000;
  const embedded = config.databaseUrl === null;
  // A CLI never creates an embedded store: it says where it looked (store_not_found) before touching the data dir.
  const storeCheck = embedded && options.role === 'cli' ? () => assertStoreExists(config.dataDir, config.dataDirFromEnv ?? true) : () => {};
  const dirNotices = embedded && options.role === 'service' ? ensureDataDir(config.dataDir) : [];
  const { ring, notices: kekNotices, selfManaged } = loadKeks(config, options.role, storeCheck);
  storeCheck();
  const notices = [...dirNotices, ...kekNotices];
  const selfManagedDir = selfManaged ? config.dataDir : null;
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
  let watch: KekWatch | null = null;
  try {
    await migrate(db);
    await db.transaction(async (tx) => {
      await lockKeks(tx);
      // A self-managed data dir may hold a KEK rotation that completed but was not installed yet (a crash).
      if (selfManagedDir !== null) await reconcileRing(tx, ring, selfManagedDir);
      await checkKeks(tx, ring);
    });
    feed = new ChangeFeed(db, await changeChannel(db), config.cacheRefreshMs);
    await feed.start();
    // Services follow KEK rotations made elsewhere; a CLI run is short, and is the one that makes them.
    if (options.role === 'service') {
      watch = new KekWatch({ db, ring, feed, announce: true, selfManagedDir, heartbeatMs: options.kekHeartbeatMs, log });
      await watch.start();
    }
  } catch (e) {
    await watch?.stop();
    await feed?.stop();
    await closeStore().catch(() => {});
    throw mapDbError(e);
  }
  const composed = composeLedger(db, config, log, options.ledger);
  const ctx: KeyContext = { db, ring, feed, recorder: composed.recorder, publishFirstSeconds: config.rotationPublishFirstSeconds ?? 0 };
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
  const hooks = new ShutdownHooks(log);
  const metrics = createRuntimeMetrics({ scheduler, ledger: composed.ledger, listKeys: () => keys.list() });
  // Payment messages: consumed jtis in the shared store; every service replica sweeps expired ones.
  const replay = new SqlReplayGuard(db);
  const messages = createMessageService({ keys, replay, recorder: composed.recorder });
  const sweepMs = options.replaySweepMs ?? 60_000;
  const sweeper = options.role === 'service' && sweepMs > 0 ? new ReplaySweeper(replay, sweepMs, log) : null;
  sweeper?.start();
  let closed = false;
  const changes = feed;
  const kekWatch = watch;
  async function ping(): Promise<void> {
    // Bounded: a database that does not answer (a dropped network path) must fail readiness in time for the
    // probe, not after the pool's 10 s connection timeout.
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new PaysealError('unavailable', 'the database did not answer in time')), PING_TIMEOUT_MS);
    });
    try {
      await Promise.race([db.query('SELECT 1'), timeout]);
    } catch (e) {
      const m = mapDbError(e);
      throw m instanceof PaysealError ? m : new PaysealError('unavailable', 'the database is unavailable', { cause: e });
    } finally {
      clearTimeout(timer);
    }
  }
  return {
    config,
    mode: config.databaseUrl !== null ? 'postgres' : 'embedded',
    via,
    keys,
    clients,
    messages,
    recorder: composed.recorder,
    replay,
    ledger: composed.ledger,
    db,
    get kekId() {
      return ring.current.id;
    },
    notices: Object.freeze([...notices]),
    ping,
    metrics,
    onShutdown: (name, hook, timeoutMs) => hooks.add(name, hook, timeoutMs),
    async ready() {
      await ping();
      kekWatch?.assertReady();
    },
    rotateKek(newKekBase64, opts) {
      const kek = parseKek(newKekBase64, 'the new KEK');
      // Embedded: a service on the data dir's own KEK takes the new one up from <dataDir>/kek.next.
      const staging = embedded
        ? { always: selfManaged, stage: () => stageKek(config.dataDir, kek, newKekBase64), install: () => void installStagedKek(config.dataDir, kek.id) }
        : undefined;
      return rotateKek(ctx, kek, opts, staging);
    },
    scheduler: scheduler && { stats: () => scheduler.stats(), runOnce: () => scheduler.runOnce() },
    async close() {
      if (closed) return;
      closed = true;
      await scheduler?.stop();
      await sweeper?.stop();
      await hooks.run();
      await composed.close().catch((e: unknown) => log.error({ error: e instanceof Error ? e.message : String(e) }, 'the ledger could not write its last batch'));
      await kekWatch?.stop();
      await changes.stop();
      await closeStore();
    },
  };
}
