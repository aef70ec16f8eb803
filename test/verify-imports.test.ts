/**
 * src/verify's import graph (DESIGN.md "Rooms": verify sees only crypto and pure format code; STYLE rule 1):
 * every module reachable from src/verify and from the offline commands (src/cli/verify.ts, src/cli/ledger.ts),
 * through static imports, re-exports, type imports and literal dynamic imports, must stay inside src/crypto,
 * src/errors.ts, the ledger's pure format files and src/verify itself, and use no package outside a short
 * allowlist: no store (pg, PGlite), no express, no network module, no configuration, nothing from src/keys or
 * src/api. The worker's tsx bootstrap is a string evaluated in the worker, checked here too.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SPECIFIER = /(?:^|\n)\s*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]|import\(\s*(['"`])([^'"`]+)\2\s*\)/g;

interface Graph {
  readonly files: Set<string>;
  readonly packages: Map<string, string>;
  readonly dynamic: string[];
}

function walk(entries: readonly string[]): Graph {
  const graph: Graph = { files: new Set(), packages: new Map(), dynamic: [] };
  const pending = [...entries];
  while (pending.length > 0) {
    const file = pending.pop() as string;
    if (graph.files.has(file)) continue;
    graph.files.add(file);
    const source = readFileSync(join(ROOT, file), 'utf8');
    if (/\bimport\(\s*[^'"`\s)]/.test(source)) graph.dynamic.push(file);
    for (const m of source.matchAll(SPECIFIER)) {
      const spec = (m[1] ?? m[3]) as string;
      if (spec.startsWith('.')) pending.push(relative(ROOT, resolve(ROOT, dirname(file), spec)));
      else if (!graph.packages.has(spec)) graph.packages.set(spec, file);
    }
  }
  return graph;
}

const verifyRoom = readdirSync(join(ROOT, 'src/verify'))
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
  .map((f) => `src/verify/${f}`);

// src/grammar.ts (API.md's names and versions, pure) is read by src/crypto's envelope parser and by the format modules.
const ALLOWED_FILES = [/^src\/verify\/[^/]+\.ts$/, /^src\/crypto\/[^/]+\.ts$/, /^src\/(errors|grammar)\.ts$/, /^src\/ledger\/format\/(entry|checkpoint|export|digests)\.ts$/, /^src\/cli\/(verify|ledger)\.ts$/];
const ALLOWED_PACKAGES = [
  'node:crypto',
  'node:fs',
  'node:os',
  'node:path',
  'node:url',
  'node:module',
  'node:worker_threads',
  '@noble/curves/ed25519.js',
  '@noble/curves/nist.js',
  '@noble/curves/secp256k1.js',
  '@noble/hashes/sha2.js',
  '@noble/hashes/sha3.js',
  'node-forge',
  'canonicalize',
  'commander',
];
const FORBIDDEN = /^(pg|pg-.*|@electric-sql\/.*|express|helmet|pino|prom-client|zod|jose|(node:)?(net|http|https|http2|tls|dgram|dns|child_process|cluster))$/;

describe('src/verify import graph', () => {
  const graph = walk([...verifyRoom, 'src/cli/verify.ts', 'src/cli/ledger.ts']);

  it('reaches only src/verify, src/crypto, src/errors.ts and the ledger format files', () => {
    const outside = [...graph.files].filter((f) => !ALLOWED_FILES.some((r) => r.test(f)));
    expect(outside).toEqual([]);
    expect([...graph.files].filter((f) => /^src\/(keys|api|messages)\/|^src\/config\.ts$|appender|ledger-store|page\.ts/.test(f))).toEqual([]);
    // The walk really follows imports: it reaches crypto and the ledger format from verify.
    expect(graph.files).toContain('src/crypto/sign.ts');
    expect(graph.files).toContain('src/ledger/format/entry.ts');
  });

  it('uses no store, no HTTP, no network module, no configuration; only allowlisted packages', () => {
    const packages = [...graph.packages.keys()];
    expect(packages.filter((p) => FORBIDDEN.test(p))).toEqual([]);
    expect(packages.filter((p) => !ALLOWED_PACKAGES.includes(p)).map((p) => `${p} (from ${graph.packages.get(p)})`)).toEqual([]);
    expect(packages).toEqual(expect.arrayContaining(['@noble/curves/nist.js', 'node-forge', 'node:worker_threads']));
  });

  it('has no dynamic import with a computed specifier, except the worker bootstrap, which loads only tsx and the worker module', () => {
    expect(graph.dynamic).toEqual(['src/verify/_ledger-pool.ts']);
    const pool = readFileSync(join(ROOT, 'src/verify/_ledger-pool.ts'), 'utf8');
    expect(pool).toMatch(/new URL\('\.\/_ledger-worker\.ts', import\.meta\.url\)/);
    expect(pool).toMatch(/new URL\('\.\/_ledger-worker\.js', import\.meta\.url\)/);
    expect(pool).toMatch(/require\.resolve\('tsx\/package\.json'\)/);
    expect([...pool.matchAll(/import\(\$\{JSON\.stringify\((.+?)\)\}\)/g)].map((m) => m[1])).toEqual(['tsxApiUrl()', 'worker']);
  });

  it('the walker catches a forbidden import when one is there (it can fail)', () => {
    const g = walk(['src/cli/main.ts']);
    expect([...g.files].some((f) => f.startsWith('src/keys/'))).toBe(true);
  });
});
