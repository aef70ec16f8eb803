/**
 * KEK files (files.ts) and the live ring (ring.ts): the private-mode rule and its one allowance, the atomic
 * 0600 write, staging refusing to overwrite another staged KEK, installation by rename (idempotent), and a
 * ring that accepts and promotes without ever losing a KEK it held.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { codeOf } from '../../../test/support/errors.ts';
import { assertPrivateKekFile, embeddedKekPath, installStagedKek, readStagedKek, stageKek, stagedKekPath, writePrivateFileAtomic } from './files.ts';
import { generateKekText, parseKek } from './kek.ts';
import { LiveKekRing } from './ring.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
function dir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'payseal-kekfiles-'));
  dirs.push(d);
  return d;
}

describe('KEK files', () => {
  it('a private file passes; group or other bits fail with config_invalid naming chmod 600', () => {
    const file = path.join(dir(), 'k');
    fs.writeFileSync(file, generateKekText());
    for (const mode of [0o600, 0o400]) {
      fs.chmodSync(file, mode);
      expect(() => assertPrivateKekFile(file, 'X')).not.toThrow();
    }
    for (const mode of [0o640, 0o604, 0o620, 0o602, 0o666]) {
      fs.chmodSync(file, mode);
      expect(codeOf(() => assertPrivateKekFile(file, 'X'))).toBe('config_invalid');
      expect(() => assertPrivateKekFile(file, 'X')).toThrow(`chmod 600 ${file}`);
    }
    expect(codeOf(() => assertPrivateKekFile(path.join(dir(), 'missing'), 'X'))).toBe('config_invalid');
  });

  it('writes atomically with mode 0600, replacing what was there, leaving no temp file', () => {
    const d = dir();
    const file = path.join(d, 'kek');
    fs.writeFileSync(file, 'old', { mode: 0o644 });
    writePrivateFileAtomic(file, 'new\n');
    expect(fs.readFileSync(file, 'utf8')).toBe('new\n');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(d)).toEqual(['kek']);
  });

  it('stages a KEK once, refuses another while one is staged, and installs it by rename (twice is fine)', () => {
    const d = dir();
    const oldText = generateKekText();
    fs.writeFileSync(embeddedKekPath(d), oldText + '\n', { mode: 0o600 });
    const text = generateKekText();
    const kek = parseKek(text, 't');
    expect(readStagedKek(d)).toBeNull();
    stageKek(d, kek, text);
    stageKek(d, kek, text);
    expect(readStagedKek(d)?.id).toBe(kek.id);
    const other = generateKekText();
    expect(codeOf(() => stageKek(d, parseKek(other, 'o'), other))).toBe('conflict');
    expect(installStagedKek(d, 'ffffffffffffffff')).toBe(false);
    expect(fs.readFileSync(embeddedKekPath(d), 'utf8').trim()).toBe(oldText);
    expect(installStagedKek(d, kek.id)).toBe(true);
    expect(fs.existsSync(stagedKekPath(d))).toBe(false);
    expect(fs.readFileSync(embeddedKekPath(d), 'utf8').trim()).toBe(text);
    expect(installStagedKek(d, kek.id)).toBe(true);
  });
});

describe('LiveKekRing', () => {
  it('accepts a KEK for unwrapping once, and promotes a held one, keeping the old current held', () => {
    const [a, b] = [parseKek(generateKekText(), 'a'), parseKek(generateKekText(), 'b')];
    const ring = new LiveKekRing(a);
    expect(ring.accept(a)).toBe(false);
    expect(ring.accept(b)).toBe(true);
    expect(ring.accept(b)).toBe(false);
    expect(ring.ids()).toEqual([a.id, b.id]);
    ring.promote(b.id);
    expect(ring.current).toBe(b);
    expect(ring.previous).toEqual([a]);
    ring.promote('not-held');
    expect(ring.current).toBe(b);
  });
});
