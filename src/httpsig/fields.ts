/**
 * The Signature-Input and Signature fields (RFC 9421 §4.1, §4.2): Dictionaries keyed by signature label,
 * parsed and serialized with `structured-headers` (RFC 8941). A message may carry several signatures; each
 * label's Signature-Input member (an Inner List with parameters) pairs with its Signature member (a Byte
 * Sequence). Adding a signature appends one member to each field and keeps the others.
 */
import { parseDictionary, serializeDictionary, type Dictionary, type InnerList } from 'structured-headers';
import type { HttpMessage } from './message.ts';

/** Label grammar: a Dictionary key (RFC 8941 §3.2 key = lcalpha / "*" then lcalpha / DIGIT / "_-.*"). */
export const LABEL = /^[a-z*][a-z0-9_\-.*]{0,63}$/;

export type FieldFailure = 'signature_input_missing' | 'signature_missing' | 'fields_invalid' | 'label_missing' | 'label_ambiguous';

export interface LabelledSignature {
  readonly label: string;
  readonly input: InnerList;
  readonly signature: Buffer;
}

function dictionaryOf(msg: HttpMessage, name: string): Dictionary | null | 'invalid' {
  const lines = msg.fields.get(name);
  if (lines === undefined || lines.length === 0) return null;
  try {
    return parseDictionary(lines.map((l) => l.trim()).join(', '));
  } catch {
    return 'invalid';
  }
}

/** The signature with `label`, or the only one when no label is given. */
export function findSignature(msg: HttpMessage, label: string | undefined): LabelledSignature | FieldFailure {
  const inputs = dictionaryOf(msg, 'signature-input');
  const sigs = dictionaryOf(msg, 'signature');
  if (inputs === null) return 'signature_input_missing';
  if (sigs === null) return 'signature_missing';
  if (inputs === 'invalid' || sigs === 'invalid') return 'fields_invalid';
  let chosen = label;
  if (chosen === undefined) {
    if (inputs.size !== 1) return inputs.size === 0 ? 'label_missing' : 'label_ambiguous';
    chosen = [...inputs.keys()][0] as string;
  }
  const input = inputs.get(chosen);
  const sig = sigs.get(chosen);
  if (input === undefined || sig === undefined) return 'label_missing';
  if (!Array.isArray(input[0]) || !(sig[0] instanceof ArrayBuffer)) return 'fields_invalid';
  return { label: chosen, input: input as InnerList, signature: Buffer.from(sig[0]) };
}

/** The message's Signature-Input and Signature values with one more member each (the label must be new). */
export function withSignature(msg: HttpMessage, label: string, input: InnerList, signature: Uint8Array): { signatureInput: string; signature: string } | 'label_taken' | 'fields_invalid' {
  const inputs = dictionaryOf(msg, 'signature-input') ?? new Map();
  const sigs = dictionaryOf(msg, 'signature') ?? new Map();
  if (inputs === 'invalid' || sigs === 'invalid') return 'fields_invalid';
  if (inputs.has(label) || sigs.has(label)) return 'label_taken';
  inputs.set(label, input);
  sigs.set(label, [Buffer.from(signature), new Map()]);
  return { signatureInput: serializeDictionary(inputs), signature: serializeDictionary(sigs) };
}
