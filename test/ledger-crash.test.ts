/**
 * The ledger across real processes on PostgreSQL (runs when DATABASE_URL is set; isolated schema): two
 * `payseal serve` processes sign at once; one is killed with SIGKILL in the middle of the signing load and
 * restarted; the other is stopped with SIGTERM while requests are still in flight. Afterwards the ledger is one
 * chain (seq 1..n, every link and checkpoint good, offline verifier), and every signature a client received is
 * in it. (A signature whose entry committed but whose answer was lost with the killed process may be in the
 * ledger without a client holding it; the converse never happens.)
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { request } from './support/api.ts';
import { envFor } from './support/cli.ts';
import { createTestStore, postgresUrl, type TestStore } from './support/db.ts';
import { ledgerEntries, sha256, signatureBytes, verifyRuntimeLedger } from './support/ledger.ts';
import { spawnServe, type ServeChild } from './support/serve-child.ts';

const stores: TestStore[] = [];
const children: ServeChild[] = [];
afterAll(async () => {
  for (const c of children) await c.stop('SIGKILL');
  for (const s of stores) await s.cleanup();
});

describe.skipIf(!postgresUrl())('the ledger across processes on PostgreSQL', () => {
  it('two servers signing at once, one killed -9 under load and restarted, the other stopped mid-load: one chain holding every signature received', { timeout: 180_000 }, async () => {
    const store = await createTestStore({ backend: 'postgres' });
    stores.push(store);
    const token = `pst_${randomBytes(24).toString('base64url')}`;
    const env = envFor(store.config, { PAYSEAL_ADMIN_TOKEN: token, PAYSEAL_RATE_LIMIT_RPS: '0', PAYSEAL_LOG_LEVEL: 'info', PAYSEAL_LEDGER_CHECKPOINT_EVERY: '50' });
    // Both start at once on an empty schema: migrations and the ledger key are made once.
    const [a, b] = await Promise.all([spawnServe(env), spawnServe(env)]);
    children.push(a, b);
    const created = await request(a.url, 'POST', '/v1/keys', { token, body: { name: 'pay', type: 'ecdsa-p256' } });
    expect(created.status).toBe(201);

    const received: string[] = [];
    const failures = { a: 0, b: 0 };
    let servers: Record<'a' | 'b', string> = { a: a.url, b: b.url };
    let stop = false;
    const worker = async (w: number) => {
      for (let i = 0; !stop; i++) {
        const which = (w + i) % 2 === 0 ? 'a' : 'b';
        const batch = i % 5 === 0;
        const body = batch ? { batch_input: [0, 1, 2].map((j) => ({ input: Buffer.from(`w${w}-${i}-${j}`).toString('base64') })) } : { input: Buffer.from(`w${w}-${i}`).toString('base64') };
        try {
          const res = await request(servers[which], 'POST', '/v1/keys/pay/sign', { token, body });
          if (res.status !== 200) {
            failures[which]++;
            continue;
          }
          if (batch) for (const slot of res.json.batch_results as { signature: string }[]) received.push(slot.signature);
          else received.push(res.json.signature as string);
        } catch {
          failures[which]++; // the connection died with the killed process
        }
      }
    };
    const load = Promise.all(Array.from({ length: 8 }, (_, w) => worker(w)));
    const until = (n: number) => new Promise<void>((resolve) => {
      const check = () => (received.length >= n ? resolve() : setTimeout(check, 10));
      check();
    });
    await until(300);
    expect(await a.stop('SIGKILL')).toBe(null);
    await until(received.length + 200);
    const a2 = await spawnServe(env);
    children.push(a2);
    servers = { ...servers, a: a2.url };
    await until(received.length + 300);
    // SIGTERM with requests in flight: the server drains them and writes their entries before it exits.
    expect(await b.stop('SIGTERM')).toBe(0);
    stop = true;
    await load;
    expect(await a2.stop('SIGTERM')).toBe(0);
    expect(failures.a + failures.b).toBeGreaterThan(0);

    const rt = await store.open({ role: 'cli' });
    try {
      const entries = await ledgerEntries(rt);
      expect(entries.map((e) => e.seq)).toEqual(entries.map((_, i) => i + 1));
      const outputs = new Set(entries.filter((e) => e.op === 'sign').map((e) => e.output_sha256));
      const missing = received.filter((s) => !outputs.has(sha256(signatureBytes(s))));
      expect(missing).toEqual([]);
      expect(received.length).toBeGreaterThan(800);
      expect(entries.filter((e) => e.op === 'key.create' && e.key === 'payseal-ledger')).toHaveLength(1);
      const verdict = await verifyRuntimeLedger(rt);
      expect([verdict.valid, verdict.problems]).toEqual([true, []]);
      expect(verdict.valid_checkpoints).toBeGreaterThan(5);
    } finally {
      await rt.close();
    }
  });
});
