/**
 * The service's pino logger: one JSON object per line on stdout, `{"level":30,"time":"<ISO 8601>","service":
 * "payseal","pid":…,"msg":…, …fields}`, the pid telling cluster workers apart. Nothing else is written to
 * stdout (written synchronously): the first-start admin token and start-up notices go to stderr
 * (src/api/serve.ts).
 *
 * Redaction is a second line of defence: payseal never puts tokens, Authorization headers or key material into
 * a log object, and if one slips into a field with one of these names (at the top, or one or two levels down),
 * pino replaces its value with "[redacted]" before the line is written.
 */
import { pino, type DestinationStream, type Logger } from 'pino';

/** Field names that hold a credential or key material wherever they appear. */
const SECRET_FIELDS = [
  'authorization',
  'cookie',
  'token',
  'admin_token',
  'adminToken',
  'kek',
  'kekBase64',
  'secret',
  'password',
  'privateKey',
  'private_key',
  'wrapped',
  'pkcs8',
];

export const REDACTED_PATHS: readonly string[] = [
  ...SECRET_FIELDS,
  ...SECRET_FIELDS.map((f) => `*.${f}`),
  ...SECRET_FIELDS.map((f) => `*.*.${f}`),
  // The private members of a JWK (RFC 7518 §6.2.2, §6.3.2, §6.4.1) and a symmetric JWK's key (§6.4.1).
  ...['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'].flatMap((m) => [`jwk.${m}`, `*.jwk.${m}`]),
  'databaseUrl',
  '*.databaseUrl',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'payseal', pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
  };
  // Synchronous writes to stdout: a line logged is written before the process moves on (nothing is lost when it
  // is killed), and nothing is left to flush at exit. pino's default asynchronous stdout flushes at exit and,
  // if stdout is a broken pipe then, retries forever, so a SIGTERM could never end the process.
  return pino(options, destination ?? pino.destination({ dest: 1, sync: true }));
}
