/**
 * Test stores for every suite that needs a Runtime (keys, API, ledger): openTestRuntime() gives a Runtime on
 * a fresh, isolated store and a cleanup() that removes it.
 * - With DATABASE_URL: a fresh schema on that server (search_path set through the connection's `options`,
 *   so migrations, advisory-lock keys and NOTIFY channels are all per schema), dropped by cleanup().
 *   When CI is set an unreachable server fails the suite; it never silently falls back.
 * - Otherwise (or with backend: 'embedded'): PGlite in a temp dir. A new PGlite data dir costs seconds of
 *   initdb, so one migrated template is built per machine and migration set (under the OS temp dir, guarded
 *   by a mkdir lock so parallel workers build it once) and each test copies it.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { loadConfig, type Config } from '../../src/config.ts';
import { openRuntime } from '../../src/runtime/open.ts';
import type { Runtime, RuntimeOptions } from '../../src/runtime/types.ts';
import { migrate, readMigrations } from '../../src/keys/store/migrate.ts';
import { wrapPglite } from '../../src/keys/store/embedded/pglite.ts';

export type TestBackend = 'embedded' | 'postgres';

export interface TestRuntimeOptions extends Partial<Config> {
  /** Default: 'postgres' when DATABASE_URL is set, else 'embedded'. */
  readonly backend?: TestBackend;
  /** Default 'service' (embedded: also serves the store on its socket, like production). */
  readonly role?: 'service' | 'cli';
}

export interface TestRuntime extends Runtime {
  /** Closes the runtime and removes its store (schema or temp dir). Safe to call twice. */
  cleanup(): Promise<void>;
}

/** A fresh store that can be opened many times (restarts, a second process). */
export interface TestStore {
  readonly backend: TestBackend;
  /** Config for this store; every runtime opened with it shares the store and the KEK. */
  readonly config: Config;
  open(overrides?: Partial<Config> & { role?: 'service' | 'cli'; log?: RuntimeOptions['log'] }): Promise<Runtime>;
  cleanup(): Promise<void>;
}

export function postgresUrl(): string | null {
  const url = process.env.DATABASE_URL;
  return url && url.trim() !== '' ? url.trim() : null;
}

/** The backends a store test should run on: always PGlite, plus PostgreSQL when DATABASE_URL is set. */
export function testBackends(): TestBackend[] {
  return postgresUrl() ? ['embedded', 'postgres'] : ['embedded'];
}

export function randomKek(): string {
  return crypto.randomBytes(32).toString('base64');
}

export function withSearchPath(url: string, schema: string): string {
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

async function adminQuery(sql: string): Promise<void> {
  const url = postgresUrl();
  if (!url) throw new Error('DATABASE_URL is not set');
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (e) {
    throw new Error(`PostgreSQL at DATABASE_URL is unreachable${process.env.CI ? ' (CI is set: failing, not skipping)' : ''}: ${(e as Error).message}`);
  }
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

const TEMPLATE_WAIT_MS = 180_000;

function templateDir(): string {
  const h = crypto.createHash('sha256');
  for (const m of readMigrations()) h.update(m.id).update(m.sql);
  h.update(JSON.parse(fs.readFileSync(path.join(process.cwd(), 'node_modules/@electric-sql/pglite/package.json'), 'utf8')).version);
  return path.join(os.tmpdir(), `payseal-test-pgdata-${h.digest('hex').slice(0, 16)}`);
}

/** Builds (once per machine) a migrated PGlite data dir and returns its path. */
export async function pgliteTemplate(): Promise<string> {
  const dir = templateDir();
  const lock = `${dir}.lock`;
  const deadline = Date.now() + TEMPLATE_WAIT_MS;
  while (!fs.existsSync(dir)) {
    try {
      fs.mkdirSync(lock);
    } catch {
      const age = Date.now() - (fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > TEMPLATE_WAIT_MS) fs.rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock}`);
      await new Promise((r) => setTimeout(r, 200));
      continue;
    }
    try {
      if (fs.existsSync(dir)) break;
      const build = `${dir}.build-${process.pid}`;
      fs.rmSync(build, { recursive: true, force: true });
      const db = wrapPglite(await PGlite.create({ dataDir: build }));
      await migrate(db);
      await db.close();
      fs.renameSync(build, dir);
    } finally {
      fs.rmSync(lock, { recursive: true, force: true });
    }
  }
  return dir;
}

export async function createTestStore(options: TestRuntimeOptions = {}): Promise<TestStore> {
  const { backend: wanted, role: _role, ...overrides } = options;
  const backend: TestBackend = wanted ?? (postgresUrl() ? 'postgres' : 'embedded');
  const base = loadConfig({});
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'payseal-test-'));
  let schema: string | null = null;
  let databaseUrl: string | null = null;
  if (backend === 'postgres') {
    schema = `t_${crypto.randomBytes(6).toString('hex')}`;
    await adminQuery(`CREATE SCHEMA ${schema}`);
    databaseUrl = withSearchPath(postgresUrl() as string, schema);
  } else {
    fs.cpSync(await pgliteTemplate(), path.join(dataDir, 'pgdata'), { recursive: true });
  }
  const config: Config = Object.freeze({ ...base, dataDir, databaseUrl, kekBase64: randomKek(), cacheRefreshMs: 200, ...overrides });
  const opened = new Set<Runtime>();
  let cleaned = false;
  return {
    backend,
    config,
    async open(more = {}) {
      const { role = options.role ?? 'service', log, ...rest } = more;
      const rt = await openRuntime({ ...config, ...rest }, { role, log });
      opened.add(rt);
      const close = rt.close;
      return Object.assign(rt, {
        close: async () => {
          opened.delete(rt);
          await close();
        },
      });
    },
    async cleanup() {
      if (cleaned) return;
      cleaned = true;
      await Promise.all([...opened].map((rt) => rt.close().catch(() => {})));
      if (schema) await adminQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A Runtime on a fresh isolated store; `cleanup()` closes it and removes the store. */
export async function openTestRuntime(options: TestRuntimeOptions = {}): Promise<TestRuntime> {
  const store = await createTestStore(options);
  let rt: Runtime;
  try {
    rt = await store.open();
  } catch (e) {
    await store.cleanup();
    throw e;
  }
  return Object.assign(rt, { cleanup: () => store.cleanup() });
}
