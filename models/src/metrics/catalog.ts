import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PulseError } from '@pulse/core';
import {
  allowedDimensions,
  allowedGrains,
  isBaseMetric,
  type MetricCatalog,
  type MetricDefinition,
  metricDefinitionSchema,
  resolveMetrics,
  sourcesByName,
} from '@pulse/warehouse';
import { parse } from 'yaml';

/** Where the shipped definitions live: `models/metrics/*.yaml`. */
export const metricsDir = fileURLToPath(new URL('../../metrics', import.meta.url));
export const lockFile = (dir: string) => join(dir, 'catalog.lock.json');

export interface LoadedMetric {
  definition: MetricDefinition;
  file: string;
  /** sha256 of the definition as parsed, so formatting changes do not count as changes. */
  hash: string;
}

export interface Catalog {
  metrics: ReadonlyMap<string, MetricDefinition>;
  entries: LoadedMetric[];
}

const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );

/**
 * Loads and checks every metric definition: each file against the schema, then the catalog as a
 * whole (sources, expressions, filters, dependencies, cycles, name clashes). All problems are
 * reported in one error, each with its file and metric.
 */
export function loadMetricCatalog(dir: string = metricsDir): Catalog {
  const problems: string[] = [];
  const entries: LoadedMetric[] = [];
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .sort();
  for (const file of files) {
    let doc: unknown;
    try {
      doc = parse(readFileSync(join(dir, file), 'utf8'));
    } catch (err) {
      problems.push(`${file}: not valid YAML: ${(err as Error).message}`);
      continue;
    }
    const list = (doc as { metrics?: unknown } | null)?.metrics;
    if (!Array.isArray(list)) {
      problems.push(`${file}: expected a top-level "metrics:" list`);
      continue;
    }
    list.forEach((raw, i) => {
      const parsed = metricDefinitionSchema.safeParse(raw);
      const label = `${file}: metrics[${i}]${(raw as { name?: string })?.name ? ` (${(raw as { name: string }).name})` : ''}`;
      if (!parsed.success) {
        for (const issue of parsed.error.issues)
          problems.push(`${label}.${issue.path.join('.')}: ${issue.message}`);
        return;
      }
      entries.push({
        definition: parsed.data,
        file,
        hash: createHash('sha256').update(canonical(parsed.data)).digest('hex').slice(0, 16),
      });
    });
  }
  const metrics = new Map<string, MetricDefinition>();
  const dimensionNames = new Set([...sourcesByName.values()].flatMap((s) => Object.keys(s.dimensions)));
  for (const { definition: m, file } of entries) {
    if (metrics.has(m.name)) problems.push(`${file}: metric "${m.name}" is defined twice`);
    if (dimensionNames.has(m.name) || m.name === 'time')
      problems.push(`${file}: metric "${m.name}" has the name of a dimension; pick another`);
    metrics.set(m.name, m);
  }
  for (const { definition: m, file } of entries)
    problems.push(...checkMetric(m, metrics).map((p) => `${file}: ${m.name}: ${p}`));
  if (problems.length)
    throw new PulseError(
      'METRIC_CATALOG_INVALID',
      `${problems.length} problem(s) in the metric catalog:\n  ${problems.join('\n  ')}`,
      {
        hint: `fix the definitions in ${dir}`,
        context: { problems },
      },
    );
  return { metrics, entries };
}

function checkMetric(m: MetricDefinition, catalog: MetricCatalog): string[] {
  const problems: string[] = [];
  if (isBaseMetric(m)) {
    const source = sourcesByName.get(m.source);
    if (!source)
      return [`unknown source "${m.source}"; choose from: ${[...sourcesByName.keys()].join(', ')}`];
    if (m.type !== 'count' && !m.expression) problems.push(`a ${m.type} metric needs an expression`);
    for (const f of m.filters)
      if (!(f.dimension in source.dimensions))
        problems.push(`filter on unknown dimension "${f.dimension}" of source ${source.name}`);
    if (source.kind === 'snapshot') {
      if (m.type !== 'sum') problems.push('metrics over a snapshot source are sums of its values');
      if (m.expression && !(m.expression in source.values))
        problems.push(
          `"${m.expression}" is not a value of ${source.name}; choose from: ${Object.keys(source.values).join(', ')}`,
        );
      if (m.filters.length) problems.push('metrics over a snapshot source take no filters');
      if (m.per) problems.push('"per" applies to distinct counts over event sources');
    } else {
      if (m.snapshot)
        problems.push(`"snapshot" applies only to snapshot sources; ${source.name} is an event source`);
      if (m.per && m.type !== 'count_distinct') problems.push('"per" applies to count_distinct metrics');
    }
    for (const d of m.dimensions ?? [])
      if (!(d in source.dimensions))
        problems.push(`allowed dimension "${d}" is not a dimension of ${source.name}`);
  }
  try {
    resolveMetrics([m.name], catalog);
    if (allowedGrains(m, catalog).length === 0 && m.grains.length)
      problems.push('no grain is allowed by it and its parts');
    allowedDimensions(m, catalog);
  } catch (err) {
    problems.push((err as Error).message);
  }
  return problems;
}

export type VersionLock = Record<string, { version: number; hash: string }>;

export function readLock(dir: string = metricsDir): VersionLock {
  const file = lockFile(dir);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as VersionLock) : {};
}

/**
 * A changed definition must carry a higher version than the one recorded in the lock file:
 * dashboards, reports and caches key on name + version, so a silent change would serve two
 * different numbers under one name. Returns what is wrong, empty when all is well.
 */
export function checkVersions(catalog: Catalog, lock: VersionLock): string[] {
  const problems: string[] = [];
  for (const { definition: m, hash, file } of catalog.entries) {
    const locked = lock[m.name];
    if (!locked) {
      problems.push(`${file}: ${m.name} is new; run "npm run metrics:lock" to record it`);
      continue;
    }
    if (m.version < locked.version)
      problems.push(`${file}: ${m.name} version went down from ${locked.version} to ${m.version}`);
    else if (locked.hash !== hash && m.version === locked.version)
      problems.push(
        `${file}: ${m.name} changed but its version is still ${m.version}; bump it to ${m.version + 1}`,
      );
    else if (locked.hash !== hash || locked.version !== m.version)
      problems.push(
        `${file}: ${m.name} is now version ${m.version}; run "npm run metrics:lock" to record it`,
      );
  }
  return problems;
}

export function writeLock(catalog: Catalog, dir: string = metricsDir): VersionLock {
  const lock: VersionLock = Object.fromEntries(
    [...catalog.entries]
      .sort((a, b) => a.definition.name.localeCompare(b.definition.name))
      .map((e) => [e.definition.name, { version: e.definition.version, hash: e.hash }]),
  );
  writeFileSync(lockFile(dir), `${JSON.stringify(lock, null, 2)}\n`);
  return lock;
}
