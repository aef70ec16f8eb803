/**
 * A legacy partner that signs with DSA, played by the `openssl` command: its DSA key (L = 2048 and 3072, N =
 * 256, FIPS 186-4 §4.2) is generated and used to sign by OpenSSL, only the public key is imported into payseal
 * (`payseal keys import --public-key-file`, the real binary), and OpenSSL's DER signatures verify through
 * `POST /v1/keys/{name}/verify`; the r‖s form of the same signature (signature_encoding p1363) too; a changed
 * file does not. Skipped with a message when no `openssl` is on the PATH. Needs a store.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { derToP1363 } from '../src/crypto/index.ts';
import { b64, startApi, type ApiHarness } from './support/api.ts';
import { envFor, payseal } from './support/cli.ts';

const hasOpenssl = (() => {
  try {
    execFileSync('openssl', ['version']);
    return true;
  } catch {
    console.warn('partners-dsa-openssl: no openssl on the PATH; skipped');
    return false;
  }
})();

let api: ApiHarness;
let work = '';
beforeAll(async () => {
  api = await startApi();
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'payseal-dsa-'));
});
afterAll(async () => {
  await api?.close();
  fs.rmSync(work, { recursive: true, force: true });
});

const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });

describe.skipIf(!hasOpenssl)('a DSA signature made by openssl verifies after importing the partner public key', () => {
  for (const bits of [2048, 3072]) {
    it(`dsa-${bits}`, async () => {
      openssl('genpkey', '-genparam', '-algorithm', 'DSA', '-pkeyopt', `dsa_paramgen_bits:${bits}`, '-pkeyopt', 'dsa_paramgen_q_bits:256', '-out', `p${bits}.pem`);
      openssl('genpkey', '-paramfile', `p${bits}.pem`, '-out', `k${bits}.pem`);
      openssl('pkey', '-in', `k${bits}.pem`, '-pubout', '-out', `pub${bits}.pem`);
      fs.writeFileSync(path.join(work, 'file.txt'), `CLEARING FILE ${bits} 2026-11-23\n`);
      openssl('dgst', '-sha256', '-sign', `k${bits}.pem`, '-out', `sig${bits}.der`, 'file.txt');

      const name = `scheme-${bits}`;
      const imported = await payseal(['keys', 'import', name, '--public-key-file', path.join(work, `pub${bits}.pem`), '--json'], envFor(api.runtime.config));
      expect(imported.code, imported.stderr).toBe(0);
      expect(JSON.parse(imported.stdout)).toMatchObject({ name, type: `dsa-${bits}`, origin: 'imported', legacy: true });

      const file = fs.readFileSync(path.join(work, 'file.txt'));
      const der = fs.readFileSync(path.join(work, `sig${bits}.der`));
      const verify = (input: Buffer, sig: Buffer, extra: object = {}) =>
        api.call('POST', `/v1/keys/${name}/verify`, { body: { input: b64(input), signature: `payseal:v1:${sig.toString('base64')}`, ...extra } });
      expect((await verify(file, der)).json).toEqual({ valid: true, key_version: 1 });
      expect((await verify(file, derToP1363(der, 32), { signature_encoding: 'p1363' })).json).toEqual({ valid: true, key_version: 1 });
      expect((await verify(Buffer.concat([file, Buffer.from('x')]), der)).json).toEqual({ valid: false, key_version: 1, reason: 'bad_signature' });
      // openssl itself agrees with payseal on the public key it exported.
      expect(openssl('dgst', '-sha256', '-verify', `pub${bits}.pem`, '-signature', `sig${bits}.der`, 'file.txt').toString()).toMatch(/Verified OK/);
    }, 120_000);
  }
});
