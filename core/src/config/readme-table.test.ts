import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { configKeys, renderConfigTable, replaceConfigTable } from './index.ts';

const readmePath = fileURLToPath(new URL('../../../README.md', import.meta.url));

describe('README config table', () => {
  it('lists every key with its default and meaning', () => {
    const table = renderConfigTable();
    for (const name of Object.keys(configKeys)) expect(table).toContain(`| \`${name}\` |`);
  });

  it('is up to date (run `npm run config:docs` when this fails)', () => {
    const readme = readFileSync(readmePath, 'utf8');
    expect(replaceConfigTable(readme)).toBe(readme);
  });
});
