#!/usr/bin/env node
// Entry point of the `payseal` command. The sources are TypeScript; tsx compiles them on load so that
// `npx payseal` works straight after `npm ci`, with no build step to forget.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
