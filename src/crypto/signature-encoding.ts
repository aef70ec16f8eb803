/**
 * ECDSA/DSA signature encodings: DER `SEQUENCE { INTEGER r, INTEGER s }` (RFC 3279 §2.2.2/2.2.3, X.690 DER)
 * and IEEE P1363 / JWS `r ‖ s`, each left-padded to the group's scalar length (RFC 7518 §3.4).
 *
 * The DER parser is strict: definite minimal lengths, minimal positive INTEGERs, nothing trailing. A lenient
 * parser would let one signature have many encodings (malleability) and is what Wycheproof's BER cases probe.
 */
import { PaysealError } from '../errors.ts';

function malformed(what: string): PaysealError {
  return new PaysealError('invalid_request', `malformed signature: ${what}`);
}

/** Reads a DER length at `at`; returns [length, offset of the contents]. */
function readLength(der: Uint8Array, at: number): [number, number] {
  const first = der[at];
  if (first === undefined) throw malformed('truncated length');
  if (first < 0x80) return [first, at + 1];
  const count = first & 0x7f;
  // Signatures are < 2^16 bytes; one or two length octets, minimal (X.690 §10.1).
  if (count === 0 || count > 2) throw malformed('unsupported length form');
  let length = 0;
  for (let i = 1; i <= count; i++) {
    const b = der[at + i];
    if (b === undefined) throw malformed('truncated length');
    length = (length << 8) | b;
  }
  if (length < 0x80 || (count === 2 && length < 0x100)) throw malformed('non-minimal length');
  return [length, at + 1 + count];
}

function readPositiveInteger(der: Uint8Array, at: number): [Uint8Array, number] {
  if (der[at] !== 0x02) throw malformed('expected INTEGER');
  const [length, start] = readLength(der, at + 1);
  const end = start + length;
  if (length === 0 || end > der.length) throw malformed('bad INTEGER length');
  const value = der.subarray(start, end);
  if ((value[0] as number) & 0x80) throw malformed('negative INTEGER');
  if (value[0] === 0 && length > 1 && !((value[1] as number) & 0x80)) throw malformed('non-minimal INTEGER');
  return [value[0] === 0 && length > 1 ? value.subarray(1) : value, end];
}

export function derToP1363(der: Uint8Array, scalarBytes: number): Buffer {
  if (der[0] !== 0x30) throw malformed('expected SEQUENCE');
  const [length, start] = readLength(der, 1);
  if (start + length !== der.length) throw malformed('trailing or missing bytes');
  const [r, afterR] = readPositiveInteger(der, start);
  const [s, afterS] = readPositiveInteger(der, afterR);
  if (afterS !== der.length) throw malformed('trailing bytes in SEQUENCE');
  if (r.length > scalarBytes || s.length > scalarBytes) throw malformed('integer longer than the group order');
  const out = Buffer.alloc(2 * scalarBytes);
  out.set(r, scalarBytes - r.length);
  out.set(s, 2 * scalarBytes - s.length);
  return out;
}

function encodeLength(length: number): number[] {
  if (length < 0x80) return [length];
  if (length < 0x100) return [0x81, length];
  return [0x82, length >> 8, length & 0xff];
}

function encodePositiveInteger(bytes: Uint8Array): Buffer {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const trimmed = bytes.subarray(i);
  const pad = (trimmed[0] as number) & 0x80 ? [0] : [];
  return Buffer.concat([Buffer.from([0x02, ...encodeLength(trimmed.length + pad.length), ...pad]), trimmed]);
}

export function p1363ToDer(signature: Uint8Array): Buffer {
  if (signature.length === 0 || signature.length % 2 !== 0) throw malformed('r‖s must have even, non-zero length');
  const half = signature.length / 2;
  const body = Buffer.concat([encodePositiveInteger(signature.subarray(0, half)), encodePositiveInteger(signature.subarray(half))]);
  return Buffer.concat([Buffer.from([0x30, ...encodeLength(body.length)]), body]);
}
