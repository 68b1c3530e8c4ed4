// Rewrites the config table in README.md from core/config's key catalog.
import { readFileSync, writeFileSync } from 'node:fs';
import { replaceConfigTable } from '../core/src/config/index.ts';

const path = new URL('../README.md', import.meta.url);
const before = readFileSync(path, 'utf8');
const after = replaceConfigTable(before);
writeFileSync(path, after);
console.log(
  before === after ? 'README.md config table already up to date' : 'README.md config table updated',
);
