/**
 * Records each metric's version and definition hash in models/metrics/catalog.lock.json.
 * Run after changing a definition and bumping its version: `npm run metrics:lock`.
 */
import { checkVersions, loadMetricCatalog, readLock, writeLock } from '@pulse/models';

if (process.argv.includes('--help')) {
  console.log(
    "usage: npm run metrics:lock\n\nChecks the metric catalog and records every metric's version and hash.\nRefuses when a changed metric kept its version.",
  );
  process.exit(0);
}
const catalog = loadMetricCatalog();
const refused = checkVersions(catalog, readLock()).filter(
  (p) => p.includes('bump it') || p.includes('went down'),
);
if (refused.length) {
  console.error(`Not recorded:\n  ${refused.join('\n  ')}`);
  process.exit(1);
}
writeLock(catalog);
console.log(`Recorded ${catalog.entries.length} metrics in models/metrics/catalog.lock.json`);
