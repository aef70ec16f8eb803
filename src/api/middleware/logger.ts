/**
 * The service's pino logger. Redaction is a second line of defence: payseal never puts tokens, Authorization
 * headers or key material into a log object, and if one slips into a field with one of these names pino
 * replaces it before the line is written.
 */
import { pino, type DestinationStream, type Logger } from 'pino';

export const REDACTED_PATHS: readonly string[] = [
  'authorization',
  'req.headers.authorization',
  'headers.authorization',
  'token',
  '*.token',
  'kek',
  '*.kek',
  'secret',
  '*.secret',
  'privateKey',
  '*.privateKey',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = { level, base: { service: 'payseal' }, redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' } };
  return destination ? pino(options, destination) : pino(options);
}
