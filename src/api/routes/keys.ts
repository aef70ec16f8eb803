/**
 * Key routes (API.md "Keys"): create, list, read, rotate, configure, revoke and destroy a version. Each
 * handler validates, authorises (keys:manage to change, keys:read to read) and calls one KeyService method;
 * KeyInfo never carries private material. Extensions: creating a verify-only key from a partner's public key
 * (`import`), importing its next version, rotating with pre-publication, and a key's RFC 9421 policy.
 * The irreversible steps (PATCH raising min_version, revoke, destroy) take an optional `"reason"`, recorded
 * with the change.
 * Extension: low_s_only (ECDSA verification policy) on PATCH.
 */
import { z } from 'zod';
import { defineRoute, parseWith, type AnyRouteDef } from '../route.ts';
import { MAX_REASON_LENGTH, MAX_VERSION } from '../../grammar.ts';
import { keyInfo, nameField, versionParam } from './_schemas.ts';
import { MAX_PUBLISH_FIRST_SECONDS } from '../../keys/rotate.ts';
import { parsePolicy, policySchema } from '../../httpsig/index.ts';

/** Extension: a partner's public key, exactly one of the three forms (src/crypto/import-public.ts checks it). */
const importField = z
  .strictObject({
    public_key_pem: z.string().max(65_536).optional().meta({ description: 'SPKI PEM ("BEGIN PUBLIC KEY"); DSA keys come this way' }),
    jwk: z.record(z.string(), z.unknown()).optional().meta({ description: 'a public JWK (RFC 7517); its kid becomes the partner key id' }),
    certificate_pem: z.string().max(65_536).optional().meta({ description: 'an X.509 certificate: subject, issuer, serial and validity are kept' }),
    kid: z.string().max(256).optional().meta({ description: "the partner's own key id (RFC 9421 keyid), accepted besides <name>:v<N>" }),
  })
  .meta({ description: 'extension: create a verify-only key from a partner public key; the type is read from the key' });

const createKeyBody = z
  .strictObject({
    name: nameField,
    type: z.string().max(64).optional().meta({ description: 'a key type of API.md, e.g. ecdsa-p256, ed25519, aes-256-gcm (not with import)' }),
    rotation_period: z.string().max(32).nullable().optional().meta({ description: '"90d", "12h", … or null' }),
    import: importField.optional(),
  })
  .refine((b) => (b.type === undefined) !== (b.import === undefined), { message: 'give either type or import' })
  .refine((b) => b.import === undefined || b.rotation_period == null, { message: 'an imported key has no rotation_period: the partner rotates it' });

const rotateBody = z
  .strictObject({
    publish_first_seconds: z.number().int().min(0).max(MAX_PUBLISH_FIRST_SECONDS).optional().meta({
      description: 'extension: publish the new version now (JWK Set, public keys, bundle) and make it sign only after this many seconds',
    }),
  })
  .optional();

const reason = z.string().max(MAX_REASON_LENGTH).optional().meta({ description: 'why (extension): recorded with the change' });

const configureKeyBody = z.strictObject({
  rotation_period: z.string().max(32).nullable().optional(),
  min_version: z.number().int().min(1).max(MAX_VERSION).optional(),
  http_signature_policy: policySchema.nullable().optional().meta({ description: "extension: the key's RFC 9421 verification policy; null clears it" }),
  reason,
  low_s_only: z.boolean().optional().meta({ description: 'ECDSA keys only: verify accepts only low-S signatures in the requested encoding' }),
});

/** revoke and destroy take no body, or one with a reason. */
const versionChangeBody = z.strictObject({ reason }).optional();

const manage = () => ['keys:manage'];
const read = () => ['keys:read'];
const keyInfoReply = { description: 'the key', schema: keyInfo };
const notFound = { description: 'key_not_found' };

export const keyRoutes: AnyRouteDef[] = [
  defineRoute({
    method: 'post',
    path: '/v1/keys',
    summary: 'Create a key with version 1',
    scopes: manage,
    body: createKeyBody,
    responses: { 201: keyInfoReply, 409: { description: 'key_exists' } },
    async handle({ body, actor, deps }) {
      const keys = deps.runtime.keys;
      const info = body.import ? await keys.importKey(body.name, body.import, actor) : await keys.create(body.name, body.type as string, body.rotation_period ?? null, actor);
      return { status: 201, json: info };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/v1/keys/:name/import',
    summary: "Extension: an imported key's next version, from the partner's new public key (its rotation)",
    scopes: manage,
    body: importField,
    responses: { 200: keyInfoReply, 404: notFound, 400: { description: 'key_type_mismatch: not an imported key, or another type' } },
    async handle({ params, body, actor, deps }) {
      return { json: await deps.runtime.keys.importVersion(params.name!, body, actor) };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/v1/keys',
    summary: 'List keys',
    scopes: read,
    responses: { 200: { description: 'every key', schema: z.object({ keys: z.array(keyInfo) }) } },
    async handle({ deps }) {
      return { json: { keys: await deps.runtime.keys.list() } };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/v1/keys/:name',
    summary: 'Read one key',
    scopes: read,
    responses: { 200: keyInfoReply, 404: notFound },
    async handle({ params, deps }) {
      return { json: await deps.runtime.keys.get(params.name!) };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/v1/keys/:name/rotate',
    summary: 'Add a new newest version (extension: publish_first_seconds pre-publishes it)',
    scopes: manage,
    body: rotateBody,
    responses: { 200: keyInfoReply, 404: notFound, 400: { description: 'key_verify_only: an imported key' }, 409: { description: 'conflict: a version is already pending' } },
    async handle({ params, body, actor, deps }) {
      return { json: await deps.runtime.keys.rotate(params.name!, actor, { publishFirstSeconds: body?.publish_first_seconds }) };
    },
  }),
  defineRoute({
    method: 'patch',
    path: '/v1/keys/:name',
    summary: 'Change rotation_period or low_s_only, or raise min_version',
    scopes: manage,
    body: configureKeyBody,
    responses: { 200: keyInfoReply, 404: notFound },
    async handle({ params, body, actor, deps }) {
      const policy = body.http_signature_policy;
      const change = policy === undefined ? body : { ...body, http_signature_policy: policy === null ? null : parsePolicy(policy, 'http_signature_policy') };
      return { json: await deps.runtime.keys.configure(params.name!, change, actor) };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/v1/keys/:name/versions/:version/revoke',
    summary: 'Revoke a version: it never verifies or decrypts again',
    scopes: manage,
    body: versionChangeBody,
    responses: { 200: keyInfoReply, 404: { description: 'key_not_found, key_version_not_found' }, 409: { description: 'conflict: the newest version' } },
    async handle({ params, body, actor, deps }) {
      const version = parseWith(versionParam, params.version);
      return { json: await deps.runtime.keys.revoke(params.name!, version, actor, body?.reason) };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/v1/keys/:name/versions/:version/destroy',
    summary: 'Erase a version\'s private material; a signing key\'s public half still verifies',
    scopes: manage,
    body: versionChangeBody,
    responses: { 200: keyInfoReply, 404: { description: 'key_not_found, key_version_not_found' }, 409: { description: 'conflict: the newest version' } },
    async handle({ params, body, actor, deps }) {
      const version = parseWith(versionParam, params.version);
      return { json: await deps.runtime.keys.destroy(params.name!, version, actor, body?.reason) };
    },
  }),
];
