// The payment-flow example, end to end with one command (`npm run example`, or `node examples/payment-flow/run.mjs`
// after `npm run build`): starts payseal on a fresh embedded store in a temp dir, creates a signing key for the
// gateway and an AES key for card details, gives each service a client holding only the scopes it needs, starts
// the ledger service and the gateway (two node processes using payseal/client and express), and runs a payment:
// signed and booked, card details sealed and opened, checked locally against the JWK Set, the same message
// delivered again refused as a replay, a tampered one refused. Exits 0 when every step did what it should.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const HERE = import.meta.dirname;
const ROOT = path.resolve(HERE, '../..');
if (!fs.existsSync(path.join(ROOT, 'dist/client/index.js'))) {
  console.error('payseal is not built: run `npm run build` first (`npm run example` does it for you)');
  process.exit(2);
}
const { PaysealClient } = await import('payseal/client');

const children = [];
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'payseal-example-'));

/** The environment without anything pointing payseal at another store, KEK or token. */
function cleanEnv(extra) {
  const env = { ...process.env };
  for (const name of Object.keys(env)) if (name === 'DATABASE_URL' || name === 'PORT' || name === 'HOST' || name.startsWith('PAYSEAL_')) delete env[name];
  return { ...env, ...extra };
}

/** Starts a node process and resolves with the first value `pick` finds in its stdout lines. */
function start(name, args, env, pick) {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within 90 s\n${stderr}`)), 90_000);
    let buffered = '';
    child.stdout.on('data', (d) => {
      buffered += d;
      const lines = buffered.split('\n');
      buffered = lines.pop();
      for (const line of lines) {
        const found = pick(line);
        if (found !== undefined) {
          clearTimeout(timer);
          resolve(found);
        }
      }
    });
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code} before it was ready\n${stderr}`)));
  });
}

function check(condition, what, detail) {
  if (!condition) throw new Error(`${what}${detail === undefined ? '' : `: ${JSON.stringify(detail)}`}`);
}

async function post(url, body, headers = { 'content-type': 'application/json' }) {
  const res = await fetch(url, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, json: await res.json() };
}

async function run() {
  const adminToken = `pst_${randomBytes(32).toString('base64url')}`;
  const payseal = await start('payseal', ['bin/payseal.js', 'serve'], { PAYSEAL_DATA_DIR: path.join(dataDir, 'data'), PORT: '0', HOST: '127.0.0.1', PAYSEAL_ADMIN_TOKEN: adminToken }, (line) => {
    try {
      const entry = JSON.parse(line);
      return entry.msg === 'payseal is serving' ? entry.url : undefined;
    } catch {
      return undefined;
    }
  });
  console.log(`payseal serving at ${payseal} (embedded store in ${dataDir})`);

  const admin = new PaysealClient({ baseUrl: payseal, token: adminToken });
  await admin.keys.create({ name: 'gateway', type: 'ecdsa-p256' });
  await admin.keys.create({ name: 'card-vault', type: 'aes-256-gcm' });
  const client = async (name, scopes) => {
    const res = await post(`${payseal}/v1/clients`, { name, scopes }, { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` });
    check(res.status === 201, `creating client ${name}`, res.json);
    return res.json.token;
  };
  const gatewayToken = await client('gateway-svc', ['sign:gateway', 'encrypt:card-vault']);
  const ledgerToken = await client('ledger-svc', ['verify:gateway', 'decrypt:card-vault']);
  console.log('keys gateway (ecdsa-p256) and card-vault (aes-256-gcm); clients gateway-svc [sign:gateway encrypt:card-vault], ledger-svc [verify:gateway decrypt:card-vault]');

  const listening = (line) => /listening on (http:\/\/\S+)/.exec(line)?.[1];
  const ledger = await start('ledger', [path.join(HERE, 'ledger.mjs')], { PAYSEAL_URL: payseal, PAYSEAL_TOKEN: ledgerToken }, listening);
  const gateway = await start('gateway', [path.join(HERE, 'gateway.mjs')], { PAYSEAL_URL: payseal, PAYSEAL_TOKEN: gatewayToken, LEDGER_URL: ledger, SIGN_KEY: 'gateway', CARD_KEY: 'card-vault' }, listening);
  console.log(`ledger at ${ledger}, gateway at ${gateway}`);

  const paid = await post(`${gateway}/pay`, { order: 'A-1001', amount: '100.10', currency: 'EUR', creditor: 'DE89370400440532013000', card: '4111 1111 1111 1111' });
  check(paid.status === 201, 'the payment went through', paid.json);
  check(paid.json.ledger.booked === 'A-1001' && paid.json.ledger.amount === '100.10' && paid.json.ledger.signed_by === 'gateway:v1', 'the ledger booked it', paid.json.ledger);
  console.log(`1. payment A-1001 signed by ${paid.json.kid} (jti ${paid.json.jti}) and booked by the ledger: ${paid.json.ledger.amount} ${paid.json.ledger.currency}`);
  check(paid.json.card.card === '**** 1111' && paid.json.card.signed_by === 'gateway:v1', 'the ledger opened the sealed card details', paid.json.card);
  console.log(`2. card details sealed by the gateway and opened by the ledger: ${paid.json.card.card}`);

  const local = await admin.verifyLocally(paid.json.jws, { maxAgeSeconds: 300 });
  check(local.valid === true && local.message.order === 'A-1001', 'verifyLocally against the JWK Set', local);
  console.log('3. verified locally against the JWK Set (no round trip): valid');

  const jose = { 'content-type': 'application/jose' };
  const replay = await post(`${ledger}/payments`, paid.json.jws, jose);
  check(replay.status === 401 && replay.json.error.reason === 'replayed', 'the same message delivered again is refused', replay);
  console.log(`4. the same message delivered again: refused (${replay.status} ${replay.json.error.reason})`);

  const [h, p, s] = paid.json.jws.split('.');
  const altered = Buffer.from(Buffer.from(p, 'base64url').toString('utf8').replace('100.10', '900.10')).toString('base64url');
  const tampered = await post(`${ledger}/payments`, `${h}.${altered}.${s}`, jose);
  check(tampered.status === 401 && tampered.json.error.reason === 'bad_signature', 'a tampered message is refused', tampered);
  console.log(`5. the amount changed in transit: refused (${tampered.status} ${tampered.json.error.reason})`);

  const entries = await (await fetch(`${ledger}/entries`)).json();
  check(entries.booked.length === 1 && entries.cards === 1, 'the ledger holds exactly one booking and one card', entries);
  console.log('6. the ledger holds 1 booking and 1 card');
}

async function stopAll() {
  await Promise.all(
    children.map(
      (child) =>
        new Promise((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', resolve);
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
        }),
    ),
  );
  fs.rmSync(dataDir, { recursive: true, force: true });
}

let code = 0;
try {
  await run();
  console.log('payment flow OK');
} catch (e) {
  console.error(`payment flow FAILED: ${e instanceof Error ? e.message : String(e)}`);
  code = 1;
}
await stopAll();
process.exit(code);
