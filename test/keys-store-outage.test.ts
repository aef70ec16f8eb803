/**
 * The store going away under a connection that is checked out (a transaction or a session, such as the
 * scheduler's advisory-lock session): the work in flight fails with 503-class `unavailable`, and nothing else
 * happens. In particular no 'error' event goes unheard (it would crash the process) and no promise rejects
 * unhandled; vitest fails a run on either, so these tests pass only if the process stays clean.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { codeOfAsync } from './support/errors.ts';
import { createTestStore, postgresUrl, type TestStore } from './support/db.ts';
import { eventually } from './support/poll.ts';

const stores: TestStore[] = [];
afterAll(async () => {
  for (const s of stores) await s.cleanup();
});

describe('the store going away under a checked-out connection', () => {
  it.skipIf(!postgresUrl())('PostgreSQL: a backend terminated mid-session fails the session with unavailable; the pool recovers', async () => {
    const store = await createTestStore({ backend: 'postgres' });
    stores.push(store);
    const rt = await store.open({ role: 'cli' });
    try {
      const marker = `payseal-outage-${Date.now()}`;
      const inFlight = rt.db.session(async (s) => {
        await s.query(`SELECT pg_sleep(30) /* ${marker} */`);
      });
      // Wait for the statement to be running, then kill its backend as a restarting server would.
      const running = async () => {
        const rows = await rt.db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE $1 AND pid <> pg_backend_pid()`,
          [`%${marker}%`],
        );
        return rows[0]?.n === 1;
      };
      expect(await eventually(5_000, running, 25)).toBe(true);
      // Listen for the outcome before the kill: the session may fail while the kill's own query is still answering.
      const outcome = codeOfAsync(inFlight);
      await rt.db.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE $1 AND pid <> pg_backend_pid()`, [`%${marker}%`]);
      expect(await outcome).toBe('unavailable');
      // The broken connection was discarded, not returned to the pool.
      for (let i = 0; i < 5; i++) expect(await rt.db.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    } finally {
      await rt.close();
    }
  });

  it('embedded: the service stopping while a CLI over its socket is inside a transaction', async () => {
    const store = await createTestStore({ backend: 'embedded' });
    stores.push(store);
    const service = await store.open({ role: 'service' });
    const cli = await store.open({ role: 'cli' });
    expect([service.via, cli.via]).toEqual(['files', 'socket']);
    let stopped: Promise<void> | null = null;
    const inFlight = cli.db.session(async (s) => {
      await s.query('BEGIN');
      await s.query('SELECT 1');
      // The service is told to stop mid-transaction; the CLI's unit of work still ends normally.
      stopped = service.close();
      await new Promise((r) => setTimeout(r, 100));
      await s.query('COMMIT');
      await stopped;
      await s.query('SELECT 1');
    });
    expect(await codeOfAsync(inFlight)).toBe('unavailable');
    await stopped;
    await cli.close();
  });
});
