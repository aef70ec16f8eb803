/**
 * The architecture rule of docs/ARCHITECTURE.md, checked over the import graph of src/: every relative import
 * (static, `export … from`, dynamic `import()`) is resolved to a file, and the room of the importer must be
 * allowed to import the room of the target by the table below. The table already names the rooms that are
 * arriving (messages, ledger, verify, client), so they land under the rule. Also: src/verify and src/crypto
 * reach no store or network package, src/client imports nothing from the rest of src at run time (types only),
 * only tests import test code, format modules import only crypto and leaves, and no file in src is over 250 lines.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../src');
const MAX_LINES = 250;

/** Shared leaves at the top of src/: pure modules any room may import. */
const LEAVES = ['errors', 'grammar'];

/**
 * Room → the rooms it may import (besides itself and the leaves). Read top to bottom: crypto is the floor,
 * keys builds on it, clients/messages/ledger on keys, runtime composes them for a process, api and cli are the
 * doors. verify (the offline verifier) sees only crypto and pure format code; client sees nothing.
 * A format folder (`<room>/format*`) is a pure leaf over crypto (FORMAT_MAY_IMPORT): the ledger's entry format
 * and its per-op digests are imported by the rooms that record (keys, clients, messages) as well as by verify,
 * so every writer and the auditor's verifier hash the same bytes; that creates no cycle, because a format
 * module imports nothing above crypto.
 */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  errors: [],
  grammar: [],
  config: [],
  crypto: [],
  keys: ['crypto', 'config', 'ledger/format'],
  clients: ['keys', 'crypto', 'config', 'ledger/format'],
  messages: ['keys', 'crypto', 'ledger/format'],
  httpsig: ['messages', 'keys', 'crypto'],
  ledger: ['messages', 'keys', 'crypto', 'config'],
  verify: ['crypto', 'messages/format', 'ledger/format'],
  runtime: ['keys', 'clients', 'messages', 'httpsig', 'ledger', 'crypto', 'config'],
  api: ['runtime', 'keys', 'clients', 'messages', 'httpsig', 'ledger', 'crypto', 'config'],
  cli: ['api', 'runtime', 'keys', 'clients', 'messages', 'httpsig', 'ledger', 'verify', 'crypto', 'config'],
  client: [],
};

/** What a module in a format folder may import besides its own folder and the leaves. */
const FORMAT_MAY_IMPORT = ['crypto'];

/** Packages that touch a store or the network: never in the pure rooms. */
const IMPURE_PACKAGES = /^(pg|@electric-sql\/|express|helmet|node:(net|http|https|http2|dgram|tls|fs|child_process))/;
const PURE_ROOMS = new Set(['crypto', 'verify', 'grammar']);

interface Import {
  readonly spec: string;
  readonly typeOnly: boolean;
}

function walk(dir: string, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

export function importsOf(source: string): Import[] {
  const out: Import[] = [];
  const text = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  for (const m of text.matchAll(/(?:^|[;\n])\s*(import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/g)) {
    out.push({ spec: m[3]!, typeOnly: m[2] !== undefined });
  }
  for (const m of text.matchAll(/\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push({ spec: m[1]!, typeOnly: false });
  return out;
}

/** "keys" for src/keys/…, "errors" for src/errors.ts, "messages/format" for src/messages/format*.ts or …/format/…. */
export function roomOf(file: string): string {
  const rel = path.relative(SRC, file).split(path.sep);
  if (rel.length === 1) return rel[0]!.replace(/\.ts$/, '').replace(/\.test$/, '');
  return rel[0]!;
}

function formatRoomOf(file: string): string | null {
  const rel = path.relative(SRC, file).split(path.sep);
  return rel.length > 1 && rel.slice(1).some((part) => part.startsWith('format')) ? `${rel[0]}/format` : null;
}

/** Every breach of the rule in these files (absolute path → source). */
function violations(files: ReadonlyMap<string, string>): string[] {
  const found: string[] = [];
  for (const [file, source] of files) {
    const from = roomOf(file);
    const name = path.relative(SRC, file);
    const isTest = file.endsWith('.test.ts');
    const lines = source.split('\n').length - (source.endsWith('\n') ? 1 : 0);
    if (lines > MAX_LINES) found.push(`${name}: ${lines} lines (more than ${MAX_LINES})`);
    for (const imp of importsOf(source)) {
      if (!imp.spec.startsWith('.')) {
        if (PURE_ROOMS.has(from) && !isTest && IMPURE_PACKAGES.test(imp.spec)) found.push(`${name}: ${from} must not import ${imp.spec}`);
        continue;
      }
      const target = path.resolve(path.dirname(file), imp.spec);
      if (!target.startsWith(SRC + path.sep)) {
        if (!isTest) found.push(`${name}: imports ${imp.spec}, outside src/`);
        continue;
      }
      const to = roomOf(target);
      const format = formatRoomOf(target);
      const fromFormat = formatRoomOf(file);
      if (fromFormat !== null) {
        if (LEAVES.includes(to) || FORMAT_MAY_IMPORT.includes(to) || format === fromFormat) continue;
        found.push(`${name}: a format module may import only crypto, the leaves and its own folder, not ${imp.spec}`);
        continue;
      }
      if (to === from || LEAVES.includes(to)) continue;
      if (from === 'client' && imp.typeOnly) continue;
      const allowed = ALLOWED[from];
      if (allowed === undefined) {
        found.push(`${name}: room ${from} is not in the table of test/architecture.test.ts (add it and docs/ARCHITECTURE.md)`);
        continue;
      }
      if (allowed.includes(to) || (format !== null && allowed.includes(format))) continue;
      found.push(`${name}: ${from} may not import ${to} (${imp.spec})`);
    }
  }
  return found;
}

describe('architecture (docs/ARCHITECTURE.md)', () => {
  it('every import in src/ follows the room table, and no file in src/ is over 250 lines', () => {
    const files = new Map(walk(SRC).map((f) => [f, fs.readFileSync(f, 'utf8')] as const));
    expect(files.size).toBeGreaterThan(50);
    expect(violations(files)).toEqual([]);
  });

  it('the import scanner sees static, re-export, type-only and dynamic imports, and ignores comments', () => {
    const found = importsOf(
      [
        "import { a } from '../keys/a.ts';",
        "import type { B } from '../api/b.ts';",
        "export { c } from './c.ts';",
        "import './side.ts';",
        "const d = await import('../cli/d.ts');",
        "// import { e } from '../e.ts';",
        "/* import { f } from '../f.ts'; */",
      ].join('\n'),
    );
    expect(found).toEqual([
      { spec: '../keys/a.ts', typeOnly: false },
      { spec: '../api/b.ts', typeOnly: true },
      { spec: './c.ts', typeOnly: false },
      { spec: './side.ts', typeOnly: false },
      { spec: '../cli/d.ts', typeOnly: false },
    ]);
  });

  it('catches a crossing import, a runtime import into client, a store package in verify, test code in src, a long file', () => {
    const at = (rel: string) => path.join(SRC, rel);
    const files = new Map([
      [at('keys/bad.ts'), "import { createApp } from '../api/app.ts';\n"],
      [at('crypto/bad.ts'), "import { KeyService } from '../keys/types.ts';\n"],
      [at('verify/bad.ts'), "import pg from 'pg';\nimport { x } from '../keys/store/db.ts';\nimport { f } from '../ledger/format.ts';\n"],
      [at('client/bad.ts'), "import type { SignResult } from '../keys/operations/sign.ts';\nimport { PaysealError } from '../crypto/index.ts';\n"],
      [at('api/bad.ts'), "import { poll } from '../../test/support/poll.ts';\n"],
      [at('api/long.ts'), 'x\n'.repeat(251)],
      [at('cli/ok.ts'), "const { serve } = await import('../api/serve.ts');\n"],
      [at('keys/ok.ts'), "import { signDigests } from '../ledger/format/digests.ts';\n"],
      [at('keys/bad2.ts'), "import { LedgerAppender } from '../ledger/appender.ts';\n"],
      [at('ledger/format/bad.ts'), "import { x } from '../../keys/store/db.ts';\nimport { y } from '../appender.ts';\nimport { z } from './entry.ts';\n"],
    ]);
    expect(violations(files)).toEqual([
      'keys/bad.ts: keys may not import api (../api/app.ts)',
      'crypto/bad.ts: crypto may not import keys (../keys/types.ts)',
      'verify/bad.ts: verify must not import pg',
      'verify/bad.ts: verify may not import keys (../keys/store/db.ts)',
      'client/bad.ts: client may not import crypto (../crypto/index.ts)',
      'api/bad.ts: imports ../../test/support/poll.ts, outside src/',
      'api/long.ts: 251 lines (more than 250)',
      'keys/bad2.ts: keys may not import ledger (../ledger/appender.ts)',
      'ledger/format/bad.ts: a format module may import only crypto, the leaves and its own folder, not ../../keys/store/db.ts',
      'ledger/format/bad.ts: a format module may import only crypto, the leaves and its own folder, not ../appender.ts',
    ]);
  });
});
