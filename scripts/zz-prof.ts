import { Session } from 'node:inspector/promises';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { loadConfig } from '../src/config.ts';
import { serve } from '../src/api/serve.ts';
const ledger = (process.argv[2] ?? 'on') as 'on' | 'off';
const admin = randomBytes(24).toString('base64url');
const config = loadConfig({ DATABASE_URL: process.env.ZZ_PG ?? '', PAYSEAL_RATE_LIMIT_RPS: '0', HOST: '127.0.0.1', PORT: '0', PAYSEAL_DATA_DIR: mkdtempSync(join(tmpdir(), 'prof-')), PAYSEAL_KEK: randomBytes(32).toString('base64'), PAYSEAL_ADMIN_TOKEN: admin, PAYSEAL_LOG_LEVEL: 'warn' });
const s = await serve(config, { print: () => {}, handleSignals: false, ledger });
const call = async (path: string, token: string, body: unknown) => (await fetch(s.url + path, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })).json();
await call('/v1/keys', admin, { name: 'k', type: 'ecdsa-p256' });
const { token } = await call('/v1/clients', admin, { name: 'b', scopes: ['sign:k'] }) as { token: string };
const opts = { url: `${s.url}/v1/keys/k/sign`, method: 'POST' as const, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ input: randomBytes(256).toString('base64') }), connections: 32, duration: 3 };
const ext = (d: number) => new Promise<void>((res) => { const c = spawn(process.execPath, ['node_modules/autocannon/autocannon.js', '-c', '32', '-d', String(d), '-m', 'POST', '-H', `authorization=Bearer ${token}`, '-H', 'content-type=application/json', '-b', opts.body, opts.url], { stdio: ['ignore', 'ignore', 'pipe'] }); let e = ''; c.stderr.on('data', (x) => (e += x)); c.on('exit', () => { console.log(e.split('\n').filter((l) => /requests in/.test(l)).join('')); res(); }); });
await ext(3);
const session = new Session(); session.connect();
await session.post('Profiler.enable'); await session.post('Profiler.start');
await ext(6);
const { profile } = await session.post('Profiler.stop') as { profile: { nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount: number }[] } };

const by = new Map<string, number>(); let total = 0;
for (const n of profile.nodes) { total += n.hitCount; const u = n.callFrame.url.replace(/.*node_modules\//, 'nm:').replace(/.*wt-ledger\//, ''); const k = `${n.callFrame.functionName || '(anon)'} ${u}:${n.callFrame.lineNumber}`; by.set(k, (by.get(k) ?? 0) + n.hitCount); }
const byFile = new Map<string, number>();
for (const n of profile.nodes) { const u = n.callFrame.url.replace(/.*node_modules\/(@[^/]+\/[^/]+|[^/]+)\/.*/, 'nm:$1').replace(/.*wt-ledger\//, '') || `(${n.callFrame.functionName})`; byFile.set(u, (byFile.get(u) ?? 0) + n.hitCount); }
console.log([...by].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([k, v]) => `${(100 * v / total).toFixed(1)}% ${k}`).join('\n'));
console.log('---');
console.log([...byFile].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([k, v]) => `${(100 * v / total).toFixed(1)}% ${k}`).join('\n'));
await s.close(); process.exit(0);
