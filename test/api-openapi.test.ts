/**
 * The OpenAPI document against what is actually served. The (method, path) pairs come from two independent
 * places: express's live router (app.router.stack, descending into nested routers through `handle.stack`) and
 * the `/openapi.json` the running server answers. They must be equal in both directions, so a route mounted
 * without being documented, or documented without being mounted, fails here. The document is also checked to be
 * structurally OpenAPI 3.1 (OAS 3.1.0 §4.8): version string, info, path templating matched by path parameters,
 * responses on every operation, bearer security on every /v1 route and none elsewhere, and every local `$ref`
 * resolving. No validator package is used: these are the rules payseal relies on, written out.
 */
import express, { type Express } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, startApi, type ApiHarness } from './support/api.ts';

let api: ApiHarness;
let doc: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

beforeAll(async () => {
  api = await startApi();
  const res = await request(api.url, 'GET', '/openapi.json');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  doc = res.json;
});
afterAll(async () => api?.close());

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

interface Layer {
  readonly rawPath?: unknown;
  readonly route?: { readonly path: unknown; readonly methods: Record<string, boolean> };
  readonly handle?: { readonly stack?: readonly Layer[] };
}

/** Every (METHOD path) the router serves, path in express syntax, walking nested routers with their mount path. */
function servedRoutes(app: Express): string[] {
  const out: string[] = [];
  const walk = (stack: readonly Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        // A route path given as an array or a regexp could not be documented one to one; refuse it outright.
        expect(typeof layer.route.path, `route path ${String(layer.route.path)}`).toBe('string');
        for (const [method, on] of Object.entries(layer.route.methods)) {
          if (on && method !== '_all') out.push(`${method.toUpperCase()} ${prefix}${layer.route.path as string}`);
        }
      } else if (Array.isArray(layer.handle?.stack)) {
        const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
        walk(layer.handle.stack, prefix + mount);
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '');
  return out.sort();
}

/** Every (METHOD path) the document lists, path converted back from `{name}` to `:name`. */
function documentedRoutes(document: Record<string, any>): string[] { // eslint-disable-line @typescript-eslint/no-explicit-any
  const out: string[] = [];
  for (const [path, item] of Object.entries(document.paths as Record<string, Record<string, unknown>>)) {
    for (const method of HTTP_METHODS) {
      if (item[method] !== undefined) out.push(`${method.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ':$1')}`);
    }
  }
  return out.sort();
}

function difference(a: readonly string[], b: readonly string[]): string[] {
  const other = new Set(b);
  return a.filter((x) => !other.has(x));
}

/** RFC 6901 JSON pointer inside the document (only local `#/...` references are allowed). */
function resolvePointer(root: unknown, ref: string): unknown {
  if (!ref.startsWith('#')) return undefined;
  let node: unknown = root;
  for (const raw of ref.slice(1).split('/').slice(1)) {
    const token = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, token)) return undefined;
    node = (node as Record<string, unknown>)[token];
  }
  return node;
}

function collectRefs(node: unknown, at: string, out: [string, string][]): void {
  if (Array.isArray(node)) node.forEach((v, i) => collectRefs(v, `${at}/${i}`, out));
  else if (typeof node === 'object' && node !== null) {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') out.push([at, v]);
      else collectRefs(v, `${at}/${k}`, out);
    }
  }
}

function operations(document: Record<string, any>): [string, string, Record<string, any>][] { // eslint-disable-line @typescript-eslint/no-explicit-any
  return Object.entries(document.paths as Record<string, Record<string, any>>).flatMap(([path, item]) => // eslint-disable-line @typescript-eslint/no-explicit-any
    HTTP_METHODS.filter((m) => item[m] !== undefined).map((m) => [path, m, item[m]] as [string, string, Record<string, any>])); // eslint-disable-line @typescript-eslint/no-explicit-any
}

describe('router ↔ /openapi.json', () => {
  it('the live router and the served document list the same (method, path) pairs, both ways', () => {
    const served = servedRoutes(api.app);
    const documented = documentedRoutes(doc);
    expect(served.length).toBeGreaterThanOrEqual(20);
    expect(difference(served, documented), 'served but not documented').toEqual([]);
    expect(difference(documented, served), 'documented but not served').toEqual([]);
    // No pair twice: two mounts of one route would answer with whichever comes first.
    expect(new Set(served).size).toBe(served.length);
  });

  it('the comparison notices an undocumented route and a documented-but-unserved one (it can fail)', () => {
    const extra = express.Router();
    extra.get('/debug/:id', (_req, res) => void res.end());
    api.app.use('/v1', extra);
    try {
      expect(difference(servedRoutes(api.app), documentedRoutes(doc))).toEqual(['GET /v1/debug/:id']);
    } finally {
      (api.app as unknown as { router: { stack: unknown[] } }).router.stack.pop();
    }
    const ghost = structuredClone(doc);
    ghost.paths['/v1/ghost/{name}'] = { put: { responses: { 200: { description: 'x' } } } };
    expect(difference(documentedRoutes(ghost), servedRoutes(api.app))).toEqual(['PUT /v1/ghost/:name']);
  });

  it('the routes open without a token are exactly the probes, metrics, JWKS and the document itself', () => {
    const open = operations(doc).filter(([, , op]) => Array.isArray(op.security) && op.security.length === 0).map(([p, m]) => `${m.toUpperCase()} ${p}`);
    expect(open.sort()).toEqual(['GET /.well-known/jwks.json', 'GET /healthz', 'GET /metrics', 'GET /openapi.json', 'GET /readyz']);
  });
});

describe('structurally OpenAPI 3.1', () => {
  it('declares openapi 3.1.x, an info object and the bearer security scheme', () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(typeof doc.info?.title).toBe('string');
    expect(typeof doc.info?.version).toBe('string');
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(Object.keys(doc.paths).every((p) => p.startsWith('/'))).toBe(true);
  });

  it('every operation has a summary and responses keyed by status codes, each with a description', () => {
    for (const [path, method, op] of operations(doc)) {
      const where = `${method} ${path}`;
      expect(typeof op.summary, where).toBe('string');
      const statuses = Object.keys(op.responses ?? {});
      expect(statuses.length, where).toBeGreaterThan(0);
      for (const status of statuses) {
        expect(status, where).toMatch(/^([1-5][0-9]{2}|[1-5]XX|default)$/);
        expect(typeof op.responses[status].description, `${where} ${status}`).toBe('string');
      }
      expect(statuses.some((s) => s.startsWith('2')), `${where} has a success response`).toBe(true);
    }
  });

  it('path templates and path parameters match one to one, every parameter required (OAS 3.1 §4.8.12.1)', () => {
    for (const [path, method, op] of operations(doc)) {
      const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
      const params = ((op.parameters ?? []) as { name: string; in: string; required?: boolean }[]).filter((p) => p.in === 'path');
      expect(params.map((p) => p.name).sort(), `${method} ${path}`).toEqual(templated);
      expect(params.every((p) => p.required === true), `${method} ${path}`).toBe(true);
    }
  });

  it('every /v1 operation requires the bearer scheme and documents 401, 403 and 503; open routes declare security: []', () => {
    const schemes = Object.keys(doc.components.securitySchemes);
    for (const [path, method, op] of operations(doc)) {
      const where = `${method} ${path}`;
      expect(Array.isArray(op.security), where).toBe(true);
      if (path.startsWith('/v1/')) {
        expect(op.security.length, where).toBeGreaterThan(0);
        for (const requirement of op.security) for (const name of Object.keys(requirement)) expect(schemes, where).toContain(name);
        for (const status of ['401', '403', '503']) expect(Object.keys(op.responses), where).toContain(status);
      } else {
        expect(op.security, where).toEqual([]);
      }
    }
  });

  it('request bodies are application/json with a schema; bodies are documented on every route that needs one', () => {
    for (const [path, method, op] of operations(doc)) {
      if (op.requestBody === undefined) continue;
      expect(Object.keys(op.requestBody.content), `${method} ${path}`).toEqual(['application/json']);
      expect(typeof op.requestBody.content['application/json'].schema, `${method} ${path}`).toBe('object');
    }
    const withBody = operations(doc).filter(([, , op]) => op.requestBody !== undefined).map(([p, m]) => `${m} ${p}`);
    for (const needed of ['post /v1/keys', 'post /v1/clients', 'patch /v1/keys/{name}', 'post /v1/keys/{name}/sign', 'post /v1/hash']) {
      expect(withBody).toContain(needed);
    }
  });

  it('every $ref is local and resolves, and the shared Error schema is referenced', () => {
    const refs: [string, string][] = [];
    collectRefs(doc, '#', refs);
    expect(refs.length).toBeGreaterThan(0);
    for (const [at, ref] of refs) expect(resolvePointer(doc, ref), `${ref} at ${at}`).toBeDefined();
    expect(refs.some(([, ref]) => ref === '#/components/schemas/Error')).toBe(true);
    expect(resolvePointer(doc, '#/components/schemas/Error')).toMatchObject({ type: 'object', required: ['error'] });
    // The checker itself tells a dangling reference apart.
    expect(resolvePointer(doc, '#/components/schemas/Nope')).toBeUndefined();
  });

  it('schemas use JSON Schema 2020-12 type names only (OpenAPI 3.1 has no `nullable`)', () => {
    const TYPES = new Set(['null', 'boolean', 'object', 'array', 'number', 'string', 'integer']);
    const bad: string[] = [];
    const walk = (node: unknown, at: string) => {
      if (Array.isArray(node)) node.forEach((v, i) => walk(v, `${at}/${i}`));
      else if (typeof node === 'object' && node !== null) {
        const o = node as Record<string, unknown>;
        if ('nullable' in o) bad.push(`${at}: nullable`);
        if (typeof o.type === 'string' && !TYPES.has(o.type)) bad.push(`${at}: type ${o.type}`);
        if (Array.isArray(o.type) && !o.type.every((t) => TYPES.has(t as string))) bad.push(`${at}: type ${String(o.type)}`);
        for (const [k, v] of Object.entries(o)) if (k !== 'example' && k !== 'examples') walk(v, `${at}/${k}`);
      }
    };
    walk(doc.paths, '#/paths');
    walk(doc.components.schemas, '#/components/schemas');
    expect(bad).toEqual([]);
  });
});
