/**
 * Where the keys room reports what it does on its own, with nobody's request to answer: scheduled rotations
 * and rotations at the AES-GCM use bound. The shape is pino's (`logger.warn({key}, 'message')`), so the
 * service passes its logger; without one, lines go to stderr as JSON. Callers put key names, versions,
 * error codes and counts in these records, never key material, KEKs or tokens.
 */
import { PaysealError } from '../errors.ts';

export interface KeyLog {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

function line(level: string, fields: Record<string, unknown>, message: string): void {
  process.stderr.write(JSON.stringify({ level, time: new Date().toISOString(), ...fields, msg: message }) + '\n');
}

export const stderrKeyLog: KeyLog = Object.freeze({
  info: (f: Record<string, unknown>, m: string) => line('info', f, m),
  warn: (f: Record<string, unknown>, m: string) => line('warn', f, m),
  error: (f: Record<string, unknown>, m: string) => line('error', f, m),
});

/** The code and a safe message of any failure: PaysealError messages are written to be shown; others are not. */
export function failureOf(e: unknown): { code: string; message: string } {
  if (e instanceof PaysealError) return { code: e.code, message: e.message };
  return { code: 'internal', message: 'unexpected failure' };
}
