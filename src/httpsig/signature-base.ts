/**
 * The signature base (RFC 9421 §2.5) and the signature parameters (§2.3). Each covered component gives one
 * line `<identifier>: <value>`, in the order listed, each identifier at most once; the last line is
 * `"@signature-params": <inner list>` with the parameters, serialized as a Structured Field (RFC 8941 §4.1).
 * Lines are joined by LF, with no trailing LF. The same function builds the base for signing and verifying,
 * so the two can never disagree on the bytes.
 */
import { serializeInnerList, type BareItem, type InnerList, type Item } from 'structured-headers';
import { ComponentError, componentValue, toComponent, type Component } from './components.ts';
import type { HttpMessage } from './message.ts';

/** The parameters of §2.3 payseal reads and writes; others a signer sent are kept, in order, for the base. */
export interface SignatureParams {
  readonly created?: number;
  readonly expires?: number;
  readonly nonce?: string;
  readonly alg?: string;
  readonly keyid?: string;
  readonly tag?: string;
}

/** A signature's covered components and parameters, as one Signature-Input member holds them. */
export interface SignatureInputMember {
  readonly components: readonly Component[];
  /** Every parameter, in order (what the base serializes). */
  readonly raw: ReadonlyMap<string, BareItem>;
  readonly params: SignatureParams;
}

const INTEGER_PARAMS = ['created', 'expires'] as const;
const STRING_PARAMS = ['nonce', 'alg', 'keyid', 'tag'] as const;

/** From a parsed inner list: components checked (§2.1-§2.4), known parameters typed (§2.3). */
export function readInputMember(list: InnerList): SignatureInputMember {
  const [items, raw] = list;
  const components = items.map((item) => toComponent(item));
  const ids = new Set<string>();
  for (const c of components) {
    if (ids.has(c.id)) throw new ComponentError('component_invalid', `${c.id} is covered twice (RFC 9421 §2.5)`);
    ids.add(c.id);
  }
  const params: Record<string, unknown> = {};
  for (const p of INTEGER_PARAMS) {
    const v = raw.get(p);
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new ComponentError('component_invalid', `${p} must be a non-negative integer`);
    params[p] = v;
  }
  for (const p of STRING_PARAMS) {
    const v = raw.get(p);
    if (v === undefined) continue;
    if (typeof v !== 'string') throw new ComponentError('component_invalid', `${p} must be a string`);
    params[p] = v;
  }
  return { components, raw, params: params as SignatureParams };
}

/** A member to sign: the components and parameters in payseal's order (created, expires, keyid, alg, nonce, tag). */
export function newInputMember(components: readonly Component[], params: SignatureParams): SignatureInputMember {
  const raw = new Map<string, BareItem>();
  for (const p of ['created', 'expires', 'keyid', 'alg', 'nonce', 'tag'] as const) {
    const v = params[p];
    if (v !== undefined) raw.set(p, v);
  }
  return readInputMember([components.map((c) => [c.name, new Map(c.params)] as Item), raw]);
}

export function serializeInputMember(member: SignatureInputMember): string {
  return serializeInnerList([member.components.map((c) => [c.name, new Map(c.params)] as Item), new Map(member.raw)]);
}

/** The bytes that are signed (UTF-8 of the base; values are field-content, so ASCII in practice). Throws ComponentError. */
export function signatureBase(member: SignatureInputMember, msg: HttpMessage, request: HttpMessage | null): Buffer {
  const lines = member.components.map((c) => `${c.id}: ${componentValue(c, msg, request)}`);
  lines.push(`"@signature-params": ${serializeInputMember(member)}`);
  return Buffer.from(lines.join('\n'), 'utf8');
}
