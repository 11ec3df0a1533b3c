#!/usr/bin/env node
// Entry of the `papo` command. The TypeScript build (npm run build) produces dist/.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(cli))) {
  process.stderr.write('papo: dist/ is missing; run `npm run build` (npm start does it for you).\n');
  process.exit(1);
}
await import(cli.href);
