/**
 * Component identifiers and their values (RFC 9421 §2). An identifier is an sf-string name with parameters
 * (§2.1, §2.2, §2.4): a lowercased field name, or a derived component (@method, @target-uri, @authority,
 * @scheme, @request-target, @path, @query, @query-param;name=…, @status). Field parameters: `sf` (re-serialize a
 * structured field, §2.1.1), `key` (one Dictionary member, §2.1.2), `bs` (each line as a Byte Sequence,
 * §2.1.3), `req` (take it from the request a response answers, §2.4). `tr` (trailers) is refused: payseal is
 * never given trailers. A missing component is an error, never an empty value (§2.5: the signer must not sign
 * it and the verifier must fail).
 */
import { parseDictionary, parseItem, parseList, serializeDictionary, serializeItem, serializeList, type BareItem, type Item } from 'structured-headers';
import type { HttpMessage } from './message.ts';

export type ComponentFailure = 'component_invalid' | 'component_missing' | 'component_ambiguous';

export class ComponentError extends Error {
  constructor(
    readonly failure: ComponentFailure,
    message: string,
  ) {
    super(message);
    this.name = 'ComponentError';
  }
}

const DERIVED = new Set(['@method', '@target-uri', '@authority', '@scheme', '@request-target', '@path', '@query', '@query-param', '@status']);
const FIELD_PARAMS = new Set(['sf', 'key', 'bs', 'req']);
/** Fields whose structured type payseal knows (RFC 9421 §4, RFC 9530 §2); others are tried Dictionary → List → Item. */
const DICTIONARY_FIELDS = new Set(['signature', 'signature-input', 'content-digest', 'repr-digest', 'accept-signature', 'want-content-digest']);

/** A covered component: the parsed identifier; `id` is its serialization, as it appears in the signature base. */
export interface Component {
  readonly name: string;
  readonly params: ReadonlyMap<string, BareItem>;
  readonly id: string;
}

function fail(failure: ComponentFailure, message: string): never {
  throw new ComponentError(failure, message);
}

/** From a parsed inner-list item (Signature-Input) or a caller's identifier string ("content-type", "@query-param;name=\"a\""). */
export function toComponent(item: Item): Component {
  const [name, params] = item;
  if (typeof name !== 'string' || name === '') fail('component_invalid', 'a component name must be a non-empty sf-string');
  if (name !== name.toLowerCase()) fail('component_invalid', `component ${name} must be lowercase (RFC 9421 §2.1)`);
  const derived = name.startsWith('@');
  if (derived && !DERIVED.has(name)) fail('component_invalid', `unknown derived component ${name}`);
  for (const [k, v] of params) {
    const ok = derived ? (k === 'req' && v === true) || (k === 'name' && name === '@query-param' && typeof v === 'string') : FIELD_PARAMS.has(k) && (k === 'key' ? typeof v === 'string' : v === true);
    if (!ok) fail('component_invalid', `parameter ${k} is not valid on ${name}`);
  }
  if (name === '@query-param' && typeof params.get('name') !== 'string') fail('component_invalid', '@query-param needs a name parameter');
  if (params.has('sf') && (params.has('bs') || params.has('key'))) fail('component_invalid', `${name}: sf cannot be combined with bs or key`);
  if (params.has('bs') && params.has('key')) fail('component_invalid', `${name}: bs cannot be combined with key`);
  return { name, params, id: serializeItem(item) };
}

/** A caller's identifier: as in the signature base (`"@query-param";name="a"`) or bare (`@query-param;name="a"`, `content-type`). */
export function parseComponentId(text: string): Component {
  const bare = /^([^;"\s]+)(;.*)?$/.exec(text);
  let item: Item;
  try {
    item = parseItem(bare ? `"${bare[1]}"${bare[2] ?? ''}` : text);
  } catch {
    return fail('component_invalid', `${JSON.stringify(text.slice(0, 80))} is not a component identifier`);
  }
  return toComponent(item);
}

/** RFC 9421 §2.1: each line's leading and trailing whitespace removed, the lines joined by ", ". */
function combined(lines: readonly string[]): string {
  return lines.map((l) => l.trim()).join(', ');
}

function structured(name: string, value: string, key: string | undefined): string {
  const attempts = DICTIONARY_FIELDS.has(name) || key !== undefined ? ['dictionary'] : ['dictionary', 'list', 'item'];
  for (const kind of attempts) {
    try {
      if (kind === 'dictionary') {
        const dict = parseDictionary(value);
        if (key === undefined) return serializeDictionary(dict);
        const member = dict.get(key);
        if (member === undefined) fail('component_missing', `${name} has no member ${key}`);
        return Array.isArray(member[0]) ? serializeList([member]) : serializeItem(member as Item);
      }
      if (kind === 'list') return serializeList(parseList(value));
      return serializeItem(parseItem(value));
    } catch (e) {
      if (e instanceof ComponentError) throw e;
    }
  }
  return fail('component_invalid', `${name} is not a structured field`);
}

function fieldValue(c: Component, msg: HttpMessage): string {
  const lines = msg.fields.get(c.name);
  if (lines === undefined || lines.length === 0) fail('component_missing', `the message has no ${c.name} field`);
  if (c.params.has('bs')) return lines.map((l) => `:${Buffer.from(l.trim(), 'latin1').toString('base64')}:`).join(', ');
  const value = combined(lines);
  if (c.params.has('sf') || c.params.has('key')) return structured(c.name, value, c.params.get('key') as string | undefined);
  return value;
}

/** The target URI's parts as sent, not normalized by a URL parser (RFC 9421 §2.2.6: before decoding). */
function uriParts(msg: HttpMessage, name: string): { scheme: string; authority: string; path: string; query: string | null } {
  if (msg.targetUri === null) fail('component_missing', `${name} needs the request's target_uri`);
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?/.exec(msg.targetUri);
  if (m === null) fail('component_invalid', 'target_uri is not an absolute URI');
  return { scheme: (m[1] as string).toLowerCase(), authority: m[2] as string, path: m[3] || '/', query: m[4] ?? null };
}

/** RFC 9110 §4.2.3 normalization of the authority: lowercase host, default port dropped. */
function authorityOf(scheme: string, authority: string): string {
  const a = authority.toLowerCase();
  if ((scheme === 'https' && a.endsWith(':443')) || (scheme === 'http' && a.endsWith(':80'))) return a.slice(0, a.lastIndexOf(':'));
  return a;
}

/** The application/x-www-form-urlencoded percent-encode set (WHATWG URL), space as %20 (RFC 9421 §2.2.8). */
function formEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()~]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
}

function queryParam(msg: HttpMessage, wanted: string): string {
  const { query } = uriParts(msg, '@query-param');
  const values = [...new URLSearchParams(query ?? '')].filter(([k]) => formEncode(k) === wanted).map(([, v]) => v);
  if (values.length === 0) fail('component_missing', `the query has no parameter ${wanted}`);
  if (values.length > 1) fail('component_ambiguous', `the query has parameter ${wanted} more than once (RFC 9421 §2.2.8): cover @query instead`);
  return formEncode(values[0] as string);
}

function derivedValue(c: Component, msg: HttpMessage): string {
  switch (c.name) {
    case '@method':
      if (msg.method === null) fail('component_missing', '@method needs the request method');
      return msg.method;
    case '@status':
      if (msg.status === null) fail('component_missing', '@status needs the response status');
      return String(msg.status);
    case '@target-uri':
      uriParts(msg, c.name);
      return msg.targetUri as string;
    case '@authority': {
      const u = uriParts(msg, c.name);
      return authorityOf(u.scheme, u.authority);
    }
    case '@scheme':
      return uriParts(msg, c.name).scheme;
    case '@path':
      return uriParts(msg, c.name).path;
    case '@query':
      return `?${uriParts(msg, c.name).query ?? ''}`;
    case '@request-target': {
      const u = uriParts(msg, c.name);
      return u.query === null ? u.path : `${u.path}?${u.query}`;
    }
    default:
      return queryParam(msg, c.params.get('name') as string);
  }
}

/** The component's value in this message (or, with `req`, in the request it answers). */
export function componentValue(c: Component, msg: HttpMessage, request: HttpMessage | null): string {
  let source = msg;
  if (c.params.get('req') === true) {
    if (request === null) fail('component_missing', `${c.id} needs the request this response answers`);
    source = request;
  }
  const value = c.name.startsWith('@') ? derivedValue(c, source) : fieldValue(c, source);
  if (/[\r\n]/.test(value)) fail('component_invalid', `${c.id} has a line break in its value`);
  return value;
}
