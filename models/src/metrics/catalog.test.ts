import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkVersions, loadMetricCatalog, metricsDir, readLock } from './catalog.ts';

const dirs: string[] = [];
const copy = () => {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-catalog-'));
  cpSync(metricsDir, dir, { recursive: true });
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('metric catalog', () => {
  it('loads every shipped definition and matches the version lock', () => {
    const catalog = loadMetricCatalog();
    expect(catalog.metrics.size).toBeGreaterThan(50);
    expect(checkVersions(catalog, readLock())).toEqual([]);
  });

  it('refuses a changed definition that kept its version, and accepts it once bumped', () => {
    const dir = copy();
    const file = join(dir, 'social.yaml');
    const changed = readFileSync(file, 'utf8').replace(
      'description: Times posts were shown, by the day the views happened (activity date).',
      'description: Times posts were shown on screen, by activity date.',
    );
    writeFileSync(file, changed);
    expect(checkVersions(loadMetricCatalog(dir), readLock(dir))).toEqual([
      'social.yaml: impressions changed but its version is still 1; bump it to 2',
    ]);
    writeFileSync(
      file,
      changed.replace(
        'by activity date.\n    owner: social-analytics\n    version: 1',
        'by activity date.\n    owner: social-analytics\n    version: 2',
      ),
    );
    expect(checkVersions(loadMetricCatalog(dir), readLock(dir))).toEqual([
      'social.yaml: impressions is now version 2; run "npm run metrics:lock" to record it',
    ]);
  });

  it('reports every problem at once, with its file and metric', () => {
    const dir = copy();
    writeFileSync(
      join(dir, 'broken.yaml'),
      `metrics:
  - name: bad_sum
    label: Bad
    description: A sum over a source that does not exist.
    owner: me
    version: 1
    category: social
    type: sum
    source: nowhere
    expression: x
  - name: bad_ratio
    label: Bad ratio
    description: Divides by a metric nobody defined.
    owner: me
    version: 1
    category: crm
    type: ratio
    numerator: new_leads
    denominator: ghosts
  - name: Bad-Name
    label: x
    description: short
    owner: me
    version: 0
    category: crm
    type: count
    source: crm_changes
`,
    );
    expect(() => loadMetricCatalog(dir)).toThrowError(
      expect.objectContaining({
        code: 'METRIC_CATALOG_INVALID',
        context: {
          problems: expect.arrayContaining([
            expect.stringMatching(/^broken\.yaml: metrics\[2\] \(Bad-Name\)\.name: use lower_snake_case/),
            expect.stringMatching(/^broken\.yaml: metrics\[2\] \(Bad-Name\)\.version: /),
            expect.stringMatching(/^broken\.yaml: bad_sum: unknown source "nowhere"/),
            expect.stringMatching(/^broken\.yaml: bad_ratio: unknown metric "ghosts"/),
          ]),
        },
      }),
    );
  });
});
