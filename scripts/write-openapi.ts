/** Regenerates openapi.json from the route schemas (`npm run openapi`); CI fails when it drifts. */
import fs from 'node:fs';
import path from 'node:path';
import { generateOpenApi } from '../test/openapi-doc.js';

const doc = await generateOpenApi();
const file = path.resolve('openapi.json');
fs.writeFileSync(file, JSON.stringify(doc, null, 2) + '\n');
process.stdout.write(`wrote ${file}\n`);
process.exit(0);
