// Writes the event contract as JSON Schema files into core/schemas/ (`npm run schemas`).
import { mkdirSync, writeFileSync } from 'node:fs';
import { renderJsonSchemas } from '../core/src/events/index.ts';

const dir = new URL('../core/schemas/', import.meta.url);
mkdirSync(dir, { recursive: true });
for (const [name, text] of Object.entries(renderJsonSchemas())) {
  writeFileSync(new URL(name, dir), text);
  console.log(`wrote core/schemas/${name}`);
}
