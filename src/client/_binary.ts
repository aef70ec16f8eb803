/**
 * Bytes ↔ the API's base64 (RFC 4648 §4, standard alphabet, padded). Text is sent as its UTF-8 bytes.
 */
import type { Binary } from './types.ts';

export function _toBase64(value: Binary): string {
  if (typeof value === 'string') return Buffer.from(value, 'utf8').toString('base64');
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  throw new TypeError('binary values must be a Uint8Array (or Buffer) or a string');
}

export function _fromBase64(value: unknown): Buffer {
  if (typeof value !== 'string') throw new TypeError('expected a base64 string');
  return Buffer.from(value, 'base64');
}
