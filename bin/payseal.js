#!/usr/bin/env node
// Entry point of the `payseal` command: runs the compiled build in dist/ (`npm run build`, which `npm ci`
// runs through the `prepare` script). Nothing is compiled at run time.
import { existsSync } from 'node:fs';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('payseal: dist/ is missing; run `npm run build` (npm ci runs it) first\n');
  process.exit(2);
}
await import(main.href);
