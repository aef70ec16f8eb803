/**
 * `payseal keys import NAME --public-key-file F | --jwk-file F | --certificate-file F [--kid K] [--next-version]`:
 * a partner's public key as a verify-only key (docs/partners.md), or, with --next-version, the partner's
 * rotation (the key's next version). And the parsing of `keys rotate --publish-first D`. Files are read here,
 * so what reaches the key service is the same as the API's `import` object.
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import type { PublicKeyImport } from '../crypto/index.ts';
import { UsageError, cliActor, json } from './_io.ts';
import type { CliContext } from './keys.ts';
import { withRuntime } from './keys.ts';
import { keyDetail } from './render.ts';

interface ImportOptions {
  publicKeyFile?: string;
  jwkFile?: string;
  certificateFile?: string;
  kid?: string;
  nextVersion?: boolean;
  json?: boolean;
}

function readSource(opts: ImportOptions): PublicKeyImport {
  const given = [opts.publicKeyFile, opts.jwkFile, opts.certificateFile].filter((f) => f !== undefined);
  if (given.length !== 1) throw new UsageError('give exactly one of --public-key-file, --jwk-file, --certificate-file');
  const file = given[0] as string;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new UsageError(`cannot read ${file}`);
  }
  const kid = opts.kid !== undefined ? { kid: opts.kid } : {};
  if (opts.publicKeyFile !== undefined) return { public_key_pem: text, ...kid };
  if (opts.certificateFile !== undefined) return { certificate_pem: text, ...kid };
  try {
    return { jwk: JSON.parse(text) as Record<string, unknown>, ...kid };
  } catch {
    throw new UsageError(`${file} is not JSON (a JWK)`);
  }
}

/** "600", "600s", "10m", "2h", "1d" → seconds. */
export function publishFirstArg(raw: string): number {
  const m = /^([0-9]{1,7})([smhd]?)$/.exec(raw);
  if (!m) throw new UsageError(`--publish-first must be seconds or a duration like 10m, 2h, 1d; got ${JSON.stringify(raw)}`);
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }[m[2] as '' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}

export function registerKeyImport(keys: Command, ctx: CliContext): void {
  keys
    .command('import')
    .description("create a verify-only key from a partner's public key (the type is read from the key), or import its next version")
    .argument('<name>', 'key name: a-z 0-9 . _ -, up to 64 characters')
    .option('--public-key-file <file>', 'SPKI PEM ("BEGIN PUBLIC KEY"); the way DSA keys come')
    .option('--jwk-file <file>', 'a public JWK (its kid becomes the partner key id)')
    .option('--certificate-file <file>', 'an X.509 certificate PEM: verification outside its validity is "expired"')
    .option('--kid <kid>', "the partner's own key id (RFC 9421 keyid), accepted besides <name>:v<N>")
    .option('--next-version', "the partner rotated: add this key as the next version of NAME")
    .option('--json', 'print KeyInfo as JSON')
    .action(async (name: string, opts: ImportOptions) => {
      const source = readSource(opts);
      await withRuntime(ctx, async (rt) => {
        const info = opts.nextVersion ? await rt.keys.importVersion(name, source, cliActor()) : await rt.keys.importKey(name, source, cliActor());
        ctx.io.out(opts.json ? json(info) : keyDetail(info));
      });
    });
}
