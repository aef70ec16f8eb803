/**
 * The shape of `payseal/client` itself: it runs inside other services, so it imports nothing of payseal's
 * server code at runtime (only node built-ins, jose and canonicalize), its public names are deliberate (no
 * `export *`), and its files follow the house rules (a header comment, at most 250 lines).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as client from '../src/client/index.ts';

const DIR = join(import.meta.dirname, '../src/client');
const files = readdirSync(DIR).filter((f) => f.endsWith('.ts'));

describe('payseal/client', () => {
  it('runtime imports are only sibling modules, node built-ins, jose and canonicalize', () => {
    for (const file of files) {
      const text = readFileSync(join(DIR, file), 'utf8');
      for (const [, typeOnly, from] of text.matchAll(/^(?:import|export)\s+(type\s+)?[^'";]*?from\s+'([^']+)'/gm)) {
        if (typeOnly) continue;
        expect(/^\.\/[\w-]+\.ts$/.test(from!) || from!.startsWith('node:') || ['jose', 'canonicalize'].includes(from!), `${file} imports ${from}`).toBe(true);
      }
    }
  });

  it('exports these runtime names, by name', () => {
    expect(Object.keys(client).sort()).toEqual(['KeysApi', 'MessagesApi', 'PaysealClient', 'PaysealClientError', 'isBatchItemError', 'isPaysealClientError', 'paysealMiddleware']);
    expect(readFileSync(join(DIR, 'index.ts'), 'utf8')).not.toMatch(/export \*/);
  });

  it('every file opens with a header comment and stays under 250 lines', () => {
    for (const file of files) {
      const text = readFileSync(join(DIR, file), 'utf8');
      expect(text.startsWith('/**'), file).toBe(true);
      expect(text.split('\n').length, file).toBeLessThanOrEqual(250);
    }
  });
});
