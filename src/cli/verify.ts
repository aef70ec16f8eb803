/**
 * `payseal verify`: the auditor's offline signature check (API.md "Command line"). Reads a bundle and a JWS or a
 * raw signature from files, verifies with src/verify (OpenSSL and the independent implementation), and answers
 * with an exit code: 0 valid, 1 invalid (the reason on stdout), 2 usage or input error (on stderr).
 *
 *   payseal verify --bundle F --jws FILE
 *   payseal verify --bundle F --key NAME --input FILE --signature SIG [--hash H] [--rsa-padding P] [--signature-encoding E]
 *
 * SIG is the `payseal:v<N>:<base64>` value itself or a file holding it. Offline: this module and everything it
 * loads open no network connection, no database and read no configuration (no store, no KEK, no DATABASE_URL).
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { parseSignOptions } from '../crypto/options.ts';
import { PaysealError, isPaysealError } from '../errors.ts';
import { parseBundleText, type Bundle } from '../verify/bundle.ts';
import { verifyMessageJws, type JwsVerdict } from '../verify/jws.ts';
import { verifyRawSignature, type OpinionResult, type Verdict } from '../verify/signature.ts';

/** What the offline commands need from the CLI's edges (src/cli/_io.ts CliIo has this shape). */
export interface OfflineIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** stderr is a terminal: progress may redraw in place. */
  readonly tty: boolean;
}

export const EXIT_VALID = 0;
export const EXIT_INVALID = 1;
export const EXIT_INPUT = 2;

/** Runs an offline action; anything thrown is an input or usage error: exit 2 with `error: <code>: <message>`. */
export async function offline(io: OfflineIo, action: () => Promise<number>): Promise<number> {
  try {
    return await action();
  } catch (e) {
    io.err(isPaysealError(e) ? `error: ${e.code}: ${e.message}\n` : `error: internal: ${e instanceof Error ? e.message : String(e)}\n`);
    return EXIT_INPUT;
  }
}

export function readInputFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new PaysealError('invalid_request', `${what}: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

/** The bundle file, read here (src/verify never touches the file system) and parsed by src/verify. */
export function readBundleFile(path: string): Bundle {
  return parseBundleText(readInputFile(path, 'bundle').toString('utf8'));
}

function opinionLines(opinions: readonly OpinionResult[] | undefined): string {
  return (opinions ?? []).map((o) => `  ${o.name}: ${o.valid ? 'valid' : 'invalid'}${o.refused ? ` (refused the key: ${o.refused})` : ''}\n`).join('');
}

function explain(v: Verdict | JwsVerdict): string {
  const who = v.key === undefined ? '' : `${v.key} v${v.key_version}`;
  switch (v.reason) {
    case 'key_version_revoked':
      return `${who} was revoked${v.revoked_at ? ` at ${v.revoked_at}` : ''}${v.signature_checks ? ' (the signature itself checks out)' : ''}`;
    case 'below_min_version':
      return `${who} is below the key's min_version ${v.min_version}${v.signature_checks ? ' (the signature itself checks out)' : ''}`;
    case 'disagreement':
      return 'the two implementations disagree; trust neither answer';
    case 'unknown_key':
      return `the bundle has no ${who || 'such key'}`;
    case 'bad_signature':
      return `the signature does not verify${who ? ` with ${who}` : ''}`;
    default:
      return 'detail' in v && v.detail !== undefined ? v.detail : '';
  }
}

export function renderVerdict(v: Verdict | JwsVerdict): string {
  if (v.valid) {
    const jws = 'kid' in v && v.kid !== null ? ` (kid ${v.kid}, alg ${v.alg}, iat ${v.iat}, jti ${v.jti})` : '';
    return `valid: signed by ${v.key} v${v.key_version} (${v.type}, ${v.state})${jws}; both implementations agree\n${opinionLines(v.opinions)}`;
  }
  const detail = 'detail' in v && v.detail !== undefined && v.detail !== v.reason ? ` [${v.detail}]` : '';
  return `invalid: ${v.reason}${detail}: ${explain(v)}\n${opinionLines(v.opinions)}`;
}

interface VerifyOptions {
  bundle: string;
  jws?: string;
  key?: string;
  input?: string;
  signature?: string;
  hash?: string;
  rsaPadding?: string;
  signatureEncoding?: string;
  json?: boolean;
}

async function runVerify(io: OfflineIo, o: VerifyOptions): Promise<number> {
  const raw = o.key !== undefined || o.input !== undefined || o.signature !== undefined;
  if (o.jws !== undefined && raw) throw new PaysealError('invalid_request', 'give either --jws or --key/--input/--signature, not both');
  if (o.jws === undefined && (o.key === undefined || o.input === undefined || o.signature === undefined)) {
    throw new PaysealError('invalid_request', 'give --jws FILE, or all of --key NAME --input FILE --signature SIG');
  }
  if (o.jws !== undefined && (o.hash ?? o.rsaPadding ?? o.signatureEncoding) !== undefined) {
    throw new PaysealError('invalid_request', 'a JWS names its own alg; --hash, --rsa-padding and --signature-encoding apply to raw signatures');
  }
  const bundle = readBundleFile(o.bundle);
  let verdict: Verdict | JwsVerdict;
  if (o.jws !== undefined) {
    verdict = await verifyMessageJws(bundle, readInputFile(o.jws, 'jws').toString('utf8'));
  } else {
    const sig = o.signature as string;
    const signature = sig.startsWith('payseal:') ? sig : readInputFile(sig, 'signature').toString('utf8').trim();
    const options = parseSignOptions({ hash: o.hash, rsa_padding: o.rsaPadding, signature_encoding: o.signatureEncoding });
    verdict = await verifyRawSignature(bundle, { key: o.key as string, input: readInputFile(o.input as string, 'input'), signature, options });
  }
  io.out(o.json ? JSON.stringify(verdict, null, 2) + '\n' : renderVerdict(verdict));
  return verdict.valid ? EXIT_VALID : EXIT_INVALID;
}

/** A command whose help and errors go to `io`, and that throws instead of exiting (the caller maps exit codes). */
export function offlineCommand(io: OfflineIo, name: string): Command {
  return new Command(name)
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError('(run with --help for usage)');
}

/** `payseal verify`; `done` receives the exit code. */
export function verifyCommand(io: OfflineIo, done: (code: number) => void): Command {
  return offlineCommand(io, 'verify')
    .description('offline: verify a message JWS or a raw signature against a key bundle (exit 0 valid, 1 invalid, 2 usage or input error)')
    .requiredOption('--bundle <file>', 'the key bundle (payseal bundle export, GET /v1/bundle)')
    .option('--jws <file>', 'a file holding a compact JWS from messages/sign')
    .option('--key <name>', 'raw signature: the key that made it')
    .option('--input <file>', 'raw signature: the file whose bytes were signed')
    .option('--signature <sig>', 'raw signature: payseal:v<N>:<base64>, or a file holding it')
    .option('--hash <hash>', 'raw signature: the hash it was made with (default: the key type\'s)')
    .option('--rsa-padding <padding>', 'raw signature: pss (default) or pkcs1v15')
    .option('--signature-encoding <encoding>', 'raw signature: der (default) or p1363')
    .option('--json', 'print the verdict as JSON')
    .action(async (o: VerifyOptions) => done(await offline(io, () => runVerify(io, o))));
}
