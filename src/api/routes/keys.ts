/**
 * Key routes (API.md "Keys"): create, list, read, rotate, configure (rotation_period, min_version and the
 * extension low_s_only), revoke and destroy a version. Each handler validates, authorises (keys:manage to
 * change, keys:read to read) and calls one KeyService method; KeyInfo never carries private material.
 */
import { z } from 'zod';
import { defineRoute, parseWith, type AnyRouteDef } from '../route.ts';
import { MAX_VERSION } from '../../grammar.ts';
import { keyInfo, nameField, versionParam } from './_schemas.ts';

const createKeyBody = z.strictObject({
  name: nameField,
  type: z.string().max(64).meta({ description: 'a key type of API.md, e.g. ecdsa-p256, ed25519, aes-256-gcm' }),
  rotation_period: z.string().max(32).nullable().optional().meta({ description: '"90d", "12h", … or null' }),
});

const configureKeyBody = z.strictObject({
  rotation_period: z.string().max(32).nullable().optional(),
  min_version: z.number().int().min(1).max(MAX_VERSION).optional(),
  low_s_only: z.boolean().optional().meta({ description: 'ECDSA keys only: verify accepts only low-S signatures in the requested encoding' }),
});

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
      return { status: 201, json: await deps.runtime.keys.create(body.name, body.type, body.rotation_period ?? null, actor) };
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
    summary: 'Add a new newest version',
    scopes: manage,
    responses: { 200: keyInfoReply, 404: notFound },
    async handle({ params, actor, deps }) {
      return { json: await deps.runtime.keys.rotate(params.name!, actor) };
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
      return { json: await deps.runtime.keys.configure(params.name!, body, actor) };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/v1/keys/:name/versions/:version/revoke',
    summary: 'Revoke a version: it never verifies or decrypts again',
    scopes: manage,
    responses: { 200: keyInfoReply, 404: { description: 'key_not_found, key_version_not_found' }, 409: { description: 'conflict: the newest version' } },
    async handle({ params, actor, deps }) {
      const version = parseWith(versionParam, params.version);
      return { json: await deps.runtime.keys.revoke(params.name!, version, actor) };
    },
  }),
  defineRoute({
    method: 'post',
    path: '/v1/keys/:name/versions/:version/destroy',
    summary: 'Erase a version\'s private material; a signing key\'s public half still verifies',
    scopes: manage,
    responses: { 200: keyInfoReply, 404: { description: 'key_not_found, key_version_not_found' }, 409: { description: 'conflict: the newest version' } },
    async handle({ params, actor, deps }) {
      const version = parseWith(versionParam, params.version);
      return { json: await deps.runtime.keys.destroy(params.name!, version, actor) };
    },
  }),
];
