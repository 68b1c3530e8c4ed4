import { PulseError } from '@pulse/core';
import type { DataPolicy } from '@pulse/core/rbac/data-policies';
import { assertFilterable, assertMetricsAllowed, isMaskedDimension, MASK } from '../policy/classify.ts';
import { rowFiltersFor, rowPolicyConditions } from '../policy/row-conditions.ts';
import {
  type BaseMetricDefinition,
  type Grain,
  grains,
  isBaseMetric,
  type MetricDefinition,
  type MetricFilter,
  type MetricFormat,
  metricDependencies,
} from './definition.ts';
import type { MetricQuery } from './query.ts';
import {
  type EventsRollup,
  type EventsSource,
  type MetricSource,
  type RollupGrain,
  type SealedDays,
  type SnapshotChanges,
  type SnapshotRollup,
  type SnapshotSource,
  sealedDayCounts,
  sourcesByName,
} from './sources.ts';
import { type ResolvedRange, zoneOffset } from './time-range.ts';

export type MetricCatalog = ReadonlyMap<string, MetricDefinition>;

export interface ResultColumn {
  name: string;
  kind: 'time' | 'dimension' | 'metric';
  type: 'time' | 'string' | 'number';
  label?: string;
  format?: MetricFormat;
  /** The caller's clearance is below the dimension's: every value reads as '•••'. */
  masked?: boolean;
}

/** How one group of metrics was answered: which table, and whether it was a rollup. */
export interface QueryPlanStep {
  source: string;
  metrics: string[];
  table: string;
  rollup: RollupGrain | null;
  /** Sealed hourly changes that answered the days before the first unsealed one. */
  sealed?: string;
}

export interface CompiledQuery {
  sql: string;
  params: Record<string, unknown>;
  columns: ResultColumn[];
  plan: QueryPlanStep[];
}

const grainRank: Record<Grain, number> = { minute: 0, hour: 1, day: 2, week: 3, month: 4, quarter: 5 };
const rollupMs: Record<RollupGrain, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };
const TZ = '{timezone:String}';

const quote = (name: string) => `\`${name}\``;
const dimCol = (name: string) => `__d_${name}`;
const metricCol = (name: string) => `__m_${name}`;
const toParamTime = (d: Date) => d.toISOString().replace('T', ' ').replace('Z', '');

function invalid(message: string, hint: string, context: Record<string, unknown>): PulseError {
  return new PulseError('INVALID_QUERY', message, { hint, context });
}

/** The metrics a metric is computed from, down to base metrics, each once, dependencies first. */
export function resolveMetrics(names: string[], catalog: MetricCatalog): MetricDefinition[] {
  const ordered: MetricDefinition[] = [];
  const seen = new Set<string>();
  const visit = (name: string, path: string[]) => {
    if (seen.has(name)) return;
    if (path.includes(name))
      throw new PulseError('METRIC_CYCLE', `metric ${[...path, name].join(' → ')} is circular`);
    const m = catalog.get(name);
    if (!m)
      throw invalid(`unknown metric "${name}"`, `choose from: ${[...catalog.keys()].sort().join(', ')}`, {
        metric: name,
        valid: [...catalog.keys()].sort(),
      });
    for (const dep of metricDependencies(m)) visit(dep, [...path, name]);
    seen.add(name);
    ordered.push(m);
  };
  for (const name of names) visit(name, []);
  return ordered;
}

/** The dimensions a metric can be broken down and filtered by. */
export function allowedDimensions(m: MetricDefinition, catalog: MetricCatalog): string[] {
  let dims: string[];
  if (isBaseMetric(m)) {
    const source = sourcesByName.get(m.source);
    dims = source ? Object.keys(source.dimensions) : [];
  } else {
    const deps = metricDependencies(m).map((d) => catalog.get(d));
    dims =
      deps.reduce<string[] | undefined>((acc, dep) => {
        const own = dep ? allowedDimensions(dep, catalog) : [];
        return acc === undefined ? own : acc.filter((d) => own.includes(d));
      }, undefined) ?? [];
  }
  return m.dimensions ? dims.filter((d) => m.dimensions?.includes(d)) : dims;
}

/** The grains a metric can be bucketed by (its own list, narrowed by what it is made of). */
export function allowedGrains(m: MetricDefinition, catalog: MetricCatalog): Grain[] {
  const deps = metricDependencies(m).map((d) => catalog.get(d));
  return m.grains.filter((g) => deps.every((dep) => !dep || allowedGrains(dep, catalog).includes(g)));
}

function validate(q: MetricQuery, catalog: MetricCatalog): MetricDefinition[] {
  const resolved = resolveMetrics(q.metrics, catalog);
  const requested = q.metrics.map((n) => catalog.get(n) as MetricDefinition);
  const dims = requested
    .map((m) => allowedDimensions(m, catalog))
    .reduce((acc, d) => acc.filter((x) => d.includes(x)));
  for (const d of [...q.dimensions, ...q.filters.map((f) => f.dimension)])
    if (!dims.includes(d))
      throw invalid(
        `dimension "${d}" is not available for ${q.metrics.join(', ')}`,
        dims.length
          ? `choose from: ${dims.join(', ')}`
          : 'these metrics share no dimension; query them separately',
        { dimension: d, valid: dims },
      );
  if (new Set(q.dimensions).size !== q.dimensions.length)
    throw invalid('a dimension is listed twice', 'list each dimension once', { dimensions: q.dimensions });
  if (q.grain)
    for (const m of requested) {
      const allowed = allowedGrains(m, catalog);
      if (!allowed.includes(q.grain))
        throw invalid(
          `metric "${m.name}" cannot be bucketed by ${q.grain}`,
          `choose from: ${allowed.join(', ')}`,
          {
            metric: m.name,
            grain: q.grain,
            valid: allowed,
          },
        );
    }
  const fields = new Set(['time', ...q.dimensions, ...q.metrics]);
  for (const o of q.orderBy ?? [])
    if (!fields.has(o.field))
      throw invalid(`cannot order by "${o.field}"`, `choose from: ${[...fields].join(', ')}`, {
        field: o.field,
        valid: [...fields],
      });
  return resolved;
}

/** Rollups answer only when their UTC buckets tile the query's range and buckets exactly. */
function rollupFits(grain: RollupGrain, range: ResolvedRange, timeZone: string, needed: Grain[]): boolean {
  const step = rollupMs[grain];
  if (range.from.getTime() % step !== 0 || range.to.getTime() % step !== 0) return false;
  if (needed.some((g) => grainRank[g] < grainRank[grain])) return false;
  if (needed.length === 0 || grain === 'minute') return true;
  // Buckets of an hour or coarser are cut in the query's zone: its offset must be whole units.
  const unit = needed.every((g) => g === 'hour') || grain === 'hour' ? rollupMs.hour : rollupMs.day;
  const span = range.to.getTime() - range.from.getTime();
  const samples = Math.min(2000, Math.ceil(span / 86_400_000) + 1);
  for (let i = 0; i <= samples; i++) {
    const at = range.from.getTime() + Math.floor((span * i) / samples);
    if (zoneOffset(at, timeZone) % unit !== 0) return false;
  }
  return true;
}

/** A bucket start as a DateTime in the query's zone. */
function bucketExpr(grain: Grain, t: string): string {
  switch (grain) {
    case 'minute':
      return `toDateTime(toStartOfMinute(${t}), ${TZ})`;
    case 'hour':
      return `toDateTime(toStartOfHour(${t}, ${TZ}), ${TZ})`;
    case 'day':
      return `toDateTime(toStartOfDay(${t}, ${TZ}), ${TZ})`;
    case 'week':
      return `toDateTime(toStartOfWeek(${t}, 1, ${TZ}), ${TZ})`;
    case 'month':
      return `toDateTime(toStartOfMonth(${t}, ${TZ}), ${TZ})`;
    case 'quarter':
      return `toDateTime(toStartOfQuarter(${t}, ${TZ}), ${TZ})`;
  }
}

const formatBucket = (bt: string) => `formatDateTime(${bt}, '%Y-%m-%d %H:%i:%S', ${TZ})`;

class Params {
  readonly values: Record<string, unknown> = {};
  private n = 0;
  add(value: unknown, type: string): string {
    const name = `p${this.n++}`;
    this.values[name] = value;
    return `{${name}:${type}}`;
  }
}

function filterSql(sql: string, type: 'string' | 'number', f: MetricFilter, params: Params): string {
  const scalar = type === 'number' ? 'Float64' : 'String';
  const cast = (v: string | number) => (type === 'number' ? Number(v) : String(v));
  const list = Array.isArray(f.value) ? f.value.map(cast) : [cast(f.value)];
  const one = list[0] as string | number;
  switch (f.op) {
    case 'eq':
      return `${sql} = ${params.add(one, scalar)}`;
    case 'neq':
      return `${sql} != ${params.add(one, scalar)}`;
    case 'in':
      return `${sql} IN ${params.add(list, `Array(${scalar})`)}`;
    case 'not_in':
      return `${sql} NOT IN ${params.add(list, `Array(${scalar})`)}`;
    case 'contains':
      return `positionCaseInsensitiveUTF8(toString(${sql}), ${params.add(String(one), 'String')}) > 0`;
    case 'gt':
      return `${sql} > ${params.add(one, scalar)}`;
    case 'gte':
      return `${sql} >= ${params.add(one, scalar)}`;
    case 'lt':
      return `${sql} < ${params.add(one, scalar)}`;
    case 'lte':
      return `${sql} <= ${params.add(one, scalar)}`;
  }
}

interface Unit {
  source: MetricSource;
  metrics: BaseMetricDefinition[];
  per: 'day' | 'week' | 'month' | undefined;
  mode: 'delta' | 'level' | undefined;
}

function groupUnits(base: BaseMetricDefinition[]): Unit[] {
  const units = new Map<string, Unit>();
  for (const m of base) {
    const source = sourcesByName.get(m.source);
    if (!source)
      throw new PulseError('METRIC_INVALID', `metric "${m.name}" names unknown source "${m.source}"`);
    const mode = source.kind === 'snapshot' ? (m.snapshot ?? 'delta') : undefined;
    const key = `${m.source}|${m.per ?? ''}|${mode ?? ''}`;
    const unit = units.get(key) ?? { source, metrics: [], per: m.per, mode };
    unit.metrics.push(m);
    units.set(key, unit);
  }
  return [...units.values()];
}

const measureKey = (m: BaseMetricDefinition) => (m.type === 'count' ? 'count' : `${m.type}:${m.expression}`);

function dimensionTyped(sql: string, type: 'string' | 'number'): string {
  return type === 'number' ? `toInt64(${sql})` : `toString(${sql})`;
}

interface Context {
  q: MetricQuery;
  range: ResolvedRange;
  params: Params;
  allMetrics: BaseMetricDefinition[];
  policy: DataPolicy | undefined;
  /** Requested dimensions the caller sees masked: compiled as a constant, no column needed. */
  masked: ReadonlySet<string>;
}

/** A requested dimension as a typed output column, or the mask when the caller may not see it. */
function dimensionColumn(ctx: Context, d: string, sql: string, type: 'string' | 'number'): string {
  return ctx.masked.has(d)
    ? `${ctx.params.add(MASK, 'String')} AS ${dimCol(d)}`
    : `${dimensionTyped(sql, type)} AS ${dimCol(d)}`;
}

/** Dimensions a unit must be able to evaluate (so a rollup answers only if it carries them all). */
function neededDimensions(ctx: Context, unit: Unit, metricFilters: boolean): Set<string> {
  const { q } = ctx;
  return new Set([
    ...q.dimensions.filter((d) => !ctx.masked.has(d)),
    ...q.filters.map((f) => f.dimension),
    ...(metricFilters ? unit.metrics.flatMap((m) => m.filters.map((f) => f.dimension)) : []),
    ...rowFiltersFor(ctx.policy, unit.source).map((f) => f.dimension),
  ]);
}

function metricColumns(ctx: Context, own: Map<string, string>): string {
  return ctx.allMetrics
    .map((m) => `${own.get(m.name) ?? 'CAST(NULL AS Nullable(Float64))'} AS ${metricCol(m.name)}`)
    .join(', ');
}

function eventsUnit(
  ctx: Context,
  unit: Unit & { source: EventsSource },
): { sql: string; step: QueryPlanStep } {
  const { q, params } = ctx;
  const source = unit.source;
  const neededDims = neededDimensions(ctx, unit, true);
  const neededGrains = [q.grain, unit.per].filter((g): g is Grain => g !== undefined);
  const rollup: EventsRollup | undefined = q.useRollups
    ? [...source.rollups]
        .sort((a, b) => rollupMs[b.grain] - rollupMs[a.grain])
        .find(
          (r) =>
            [...neededDims].every((d) => d in r.dimensions) &&
            unit.metrics.every((m) => measureKey(m) in r.measures) &&
            rollupFits(r.grain, ctx.range, q.timezone, neededGrains),
        )
    : undefined;
  const t = rollup ? 'bucket' : source.time;
  const dimSql = (d: string) =>
    rollup ? (rollup.dimensions[d] as string) : (source.dimensions[d]?.sql as string);
  const dimType = (d: string) => source.dimensions[d]?.type ?? 'string';
  const cond = (filters: MetricFilter[]) =>
    filters.map((f) => filterSql(dimSql(f.dimension), dimType(f.dimension), f, params)).join(' AND ');
  // The metric's own filters (new users: event = Signed Up) become WHERE conditions when this is
  // the query's only group of metrics and they all share them: the engine then reads only the
  // matching rows instead of merging every row's state conditionally. The rows this drops could
  // only have produced zeros, which the answer leaves out anyway; a per-day average keeps the
  // conditional form, since its days without a match count as zero.
  const first = unit.metrics[0];
  const whereFilters =
    first &&
    !unit.per &&
    ctx.allMetrics.length === unit.metrics.length &&
    first.filters.length > 0 &&
    unit.metrics.every((m) => JSON.stringify(m.filters) === JSON.stringify(first.filters))
      ? first.filters
      : [];
  const aggregate = (m: BaseMetricDefinition) => {
    const c = cond(whereFilters.length ? [] : m.filters);
    if (rollup) {
      const measure = rollup.measures[measureKey(m)] as { column: string; merge: string };
      return c ? `${measure.merge}If(${measure.column}, ${c})` : `${measure.merge}(${measure.column})`;
    }
    const fn = m.type === 'count' ? 'count' : m.type === 'sum' ? 'sum' : 'uniqExact';
    // Distinct values are counted by a 64-bit hash: uniqExact of a string hashes it to 128 bits,
    // and a set of 64-bit keys takes half the memory and time (3.0 -> 1.3 s over 75M events). Two
    // values share a hash with odds of ~n²/2⁶⁵: under one in ten million at a million values.
    const args =
      m.type === 'count'
        ? []
        : [m.type === 'count_distinct' ? `cityHash64(${m.expression as string})` : (m.expression as string)];
    return c ? `${fn}If(${[...args, c].join(', ')})` : `${fn}(${args.join(', ')})`;
  };
  const where = [
    'workspace_id = {workspace:String}',
    `${t} >= {from:DateTime64(3, 'UTC')}`,
    `${t} < {to:DateTime64(3, 'UTC')}`,
    ...q.filters.map((f) => filterSql(dimSql(f.dimension), dimType(f.dimension), f, params)),
    ...rowPolicyConditions(ctx.policy, source, dimSql, (v, type) => params.add(v, type)),
    ...(whereFilters.length ? [cond(whereFilters)] : []),
  ];
  const dims = q.dimensions.map((d) => dimensionColumn(ctx, d, dimSql(d), dimType(d)));
  const dimNames = q.dimensions.map(dimCol);
  const bucket = q.grain ? formatBucket(bucketExpr(q.grain, t)) : "''";
  const from = rollup ? rollup.table : source.from;
  let sql: string;
  // Per-day answers sealed for finished days (DAU as numbers) stand in for the rollup's states
  // on the days before the first unsealed one.
  const sealed =
    rollup?.sealed &&
    unit.per === 'day' &&
    rollup.grain === 'day' &&
    unit.metrics.every((m) => measureKey(m) === rollup.sealed?.measure && m.filters.length === 0)
      ? rollup.sealed
      : undefined;
  const sealedUntil = `__sealed_${rollup?.table ?? ''}`;
  if (unit.per) {
    const inner = new Map(unit.metrics.map((m) => [m.name, `toFloat64(${aggregate(m)})`]));
    const innerCols = unit.metrics.map((m) => `${inner.get(m.name)} AS ${metricCol(m.name)}`).join(', ');
    const outer = new Map(unit.metrics.map((m) => [m.name, `toNullable(avg(${metricCol(m.name)}))`]));
    const perGroup = ['__bucket', '__per', ...dimNames].join(', ');
    const computed =
      `SELECT ${bucket} AS __bucket, ${bucketExpr(unit.per, t)} AS __per, ${[...dims, innerCols].join(', ')} ` +
      `FROM ${from} WHERE ${[...where, ...(sealed ? [`bucket >= ${sealedUntil}`] : [])].join(' AND ')} GROUP BY ${perGroup}`;
    const perDay = sealed
      ? `${computed} UNION ALL SELECT ${bucket} AS __bucket, ${bucketExpr(unit.per, t)} AS __per, ` +
        unit.metrics.map((m) => `toFloat64(sum(${sealed.column})) AS ${metricCol(m.name)}`).join(', ') +
        ` FROM ${sealed.table} WHERE ${[...where, `bucket < ${sealedUntil}`].join(' AND ')} GROUP BY ${perGroup}`
      : computed;
    sql =
      (sealed ? `WITH ${sealedUntilSql(sealed)} AS ${sealedUntil} ` : '') +
      `SELECT __bucket, ${[...dimNames, metricColumns(ctx, outer)].join(', ')} FROM (${perDay}` +
      `) GROUP BY ${['__bucket', ...dimNames].join(', ')}`;
  } else {
    const own = new Map(unit.metrics.map((m) => [m.name, `toNullable(toFloat64(${aggregate(m)}))`]));
    sql =
      `SELECT ${[`${bucket} AS __bucket`, ...dims, metricColumns(ctx, own)].join(', ')} ` +
      `FROM ${from} WHERE ${where.join(' AND ')} GROUP BY ${['__bucket', ...dimNames].join(', ')}`;
  }
  return {
    sql,
    step: {
      source: source.name,
      metrics: unit.metrics.map((m) => m.name),
      table: rollup ? rollup.table : source.from.startsWith('(') ? `${source.name} (subquery)` : source.from,
      rollup: rollup?.grain ?? null,
      ...(sealed ? { sealed: sealed.table } : {}),
    },
  };
}

const FROM = "{from:DateTime64(3, 'UTC')}";
const TO = "{to:DateTime64(3, 'UTC')}";

/**
 * The first UTC day from which a sealed table cannot be used: the first day whose row count now
 * differs from the count the seal job sealed it with — late rows, an erasure, a day not sealed
 * yet. Far in the future when none differs.
 */
function sealedUntilSql(sealed: SealedDays): string {
  return (
    "(SELECT if(countIf(n != s) = 0, toDateTime('2105-01-01 00:00:00', 'UTC'), minIf(bucket, n != s)) " +
    `FROM (${sealedDayCounts(sealed)}))`
  );
}

function snapshotUnit(
  ctx: Context,
  unit: Unit & { source: SnapshotSource },
): { sql: string; step: QueryPlanStep } {
  const { q, params } = ctx;
  const source = unit.source;
  const neededDims = neededDimensions(ctx, unit, false);
  const valueName = (m: BaseMetricDefinition) => m.expression as string;
  const neededGrains = q.grain ? [q.grain] : [];
  const rollup: SnapshotRollup | undefined = q.useRollups
    ? [...source.rollups]
        .sort((a, b) => rollupMs[b.grain] - rollupMs[a.grain])
        .find(
          (r) =>
            [...neededDims].every((d) => d in r.dimensions) &&
            unit.metrics.every((m) => valueName(m) in r.values) &&
            rollupFits(r.grain, ctx.range, q.timezone, neededGrains),
        )
    : undefined;
  // Sealed hourly changes answer the days before the first unsealed one; the rest is computed
  // per entity as below, for the entities seen from that day on only.
  const changes: SnapshotChanges | undefined =
    q.useRollups &&
    source.changes &&
    [...neededDims].every((d) => d in (source.changes?.dimensions ?? {})) &&
    unit.metrics.every((m) => valueName(m) in (source.changes?.values ?? {})) &&
    rollupFits('hour', ctx.range, q.timezone, neededGrains)
      ? source.changes
      : undefined;
  // The live part starts at the cut: for a delta the first unsealed day or the range's start,
  // whichever is later; a level needs every change, so its live part starts at the first unsealed
  // day even before the range.
  const sealedUntil = `__sealed_${source.name}`;
  const withSealed = changes ? `WITH ${sealedUntilSql(changes)} AS ${sealedUntil} ` : '';
  const cut = !changes
    ? FROM
    : unit.mode === 'level'
      ? `least(${sealedUntil}, ${TO})`
      : `least(greatest(${FROM}, ${sealedUntil}), ${TO})`;
  const t = rollup ? 'bucket' : source.time;
  const dimSql = (d: string) =>
    rollup ? (rollup.dimensions[d] as string) : (source.dimensions[d]?.sql as string);
  const dimType = (d: string) => source.dimensions[d]?.type ?? 'string';
  const dims = q.dimensions.map((d) => dimensionColumn(ctx, d, dimSql(d), dimType(d)));
  const dimNames = q.dimensions.map(dimCol);
  const epoch = `toDateTime(0, ${TZ})`;
  // A level's live changes between the cut and the range's start: part of the level the range
  // starts from, not a bucket of its own.
  const beforeRange = `toDateTime(1, ${TZ})`;
  const value = (m: BaseMetricDefinition) =>
    rollup ? (rollup.values[valueName(m)] as string) : `argMax(${source.values[valueName(m)]}, ${t})`;
  const entity = rollup ? rollup.entity : source.entity;
  const table = rollup ? rollup.table : source.from;
  const where = [
    'workspace_id = {workspace:String}',
    `${t} < ${TO}`,
    ...q.filters.map((f) => filterSql(dimSql(f.dimension), dimType(f.dimension), f, params)),
    ...rowPolicyConditions(ctx.policy, source, dimSql, (v, type) => params.add(v, type)),
    ...(changes
      ? [
          `${entity} IN (SELECT ${entity} FROM ${table} WHERE workspace_id = {workspace:String} AND ${t} >= ${cut} AND ${t} < ${TO})`,
        ]
      : []),
  ];
  const step: QueryPlanStep = {
    source: source.name,
    metrics: unit.metrics.map((m) => m.name),
    table: rollup ? rollup.table : source.from,
    rollup: rollup?.grain ?? null,
    ...(changes ? { sealed: changes.table } : {}),
  };
  const groupBy = ['__bucket', ...dimNames].join(', ');
  if (!q.grain) {
    // A KPI tile: one value per dimension group, so each entity reduces to two values (its
    // latest before the range and its latest inside it) in one GROUP BY, with no window.
    const inside = `${t} >= ${cut}`;
    const valueIf = (m: BaseMetricDefinition, cond: string) =>
      rollup
        ? (rollup.values[valueName(m)] as string).replace(
            /argMaxMerge\((\w+)\)/g,
            `argMaxMergeIf($1, ${cond})`,
          )
        : `argMaxIf(${source.values[valueName(m)]}, ${t}, ${cond})`;
    const perEntity =
      `SELECT ${entity} AS __entity, countIf(${inside}) AS __n, countIf(${t} >= ${FROM}) AS __r, ` +
      [
        ...dims,
        ...unit.metrics.flatMap((m, i) => [
          `toFloat64(${valueIf(m, inside)}) AS __e${i}`,
          `toFloat64(${valueIf(m, `NOT (${inside})`)}) AS __s${i}`,
        ]),
      ].join(', ') +
      ` FROM ${table} WHERE ${where.join(' AND ')} GROUP BY ${['__entity', ...dimNames].join(', ')}`;
    if (changes) {
      // Live: the change of each entity seen since the cut; sealed: every change before it (from
      // the range's start for a delta, from the beginning for a level), with the posts or deals
      // seen in the range counted so a group is listed only if something in it was.
      const live =
        `SELECT ${['__r AS __k', ...dimNames, ...unit.metrics.map((_, i) => `__e${i} - __s${i} AS __c${i}`)].join(', ')}` +
        ` FROM (${perEntity}) WHERE __n > 0`;
      const sealed = sealedSelect(ctx, unit, changes, cut, "''");
      const own = new Map(unit.metrics.map((m, i) => [m.name, `toNullable(sum(__c${i}))`]));
      const sql =
        `SELECT ${["'' AS __bucket", ...dimNames, metricColumns(ctx, own)].join(', ')} ` +
        `FROM (${sealed} UNION ALL ${live}) GROUP BY ${groupBy} HAVING sum(__k) > 0`;
      return { sql: withSealed + sql, step };
    }
    // delta: entities seen in the range add their change; level: every entity adds its latest
    // value, and a group is listed only if something in it was seen in the range (as with a grain).
    const own = new Map(
      unit.metrics.map((m, i) => [
        m.name,
        unit.mode === 'level'
          ? `toNullable(sum(if(__n > 0, __e${i}, __s${i})))`
          : `toNullable(sum(__e${i} - __s${i}))`,
      ]),
    );
    const sql =
      `SELECT ${["'' AS __bucket", ...dimNames, metricColumns(ctx, own)].join(', ')} FROM (${perEntity})` +
      (unit.mode === 'level'
        ? ` GROUP BY ${groupBy} HAVING sum(__n) > 0`
        : ` WHERE __n > 0 GROUP BY ${groupBy}`);
    return { sql: withSealed + sql, step };
  }
  const latest =
    `SELECT ${entity} AS __entity, ` +
    `if(${t} < ${cut}, ${epoch}, ${changes ? `if(${t} < ${FROM}, ${beforeRange}, ${bucketExpr(q.grain, t)})` : bucketExpr(q.grain, t)}) AS __bt, ` +
    [...dims, ...unit.metrics.map((m, i) => `toFloat64(${value(m)}) AS __v${i}`)].join(', ') +
    ` FROM ${table} WHERE ${where.join(' AND ')}` +
    ` GROUP BY ${['__entity', '__bt', ...dimNames].join(', ')}`;
  const windowed =
    `SELECT __bt, ${[...dimNames, ...unit.metrics.map((_, i) => `__v${i} - lagInFrame(__v${i}, 1, 0) OVER w AS __c${i}`)].join(', ')}` +
    ` FROM (${latest}) WINDOW w AS (PARTITION BY __entity ORDER BY __bt ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)`;
  // With sealed changes the live part starts at the cut: its entities' values before the cut are
  // in the sealed part already, so only its changes after the cut are added.
  const deltas = changes
    ? `SELECT __bt, ${[...dimNames, ...unit.metrics.map((_, i) => `__c${i}`)].join(', ')} FROM (${windowed}) WHERE __bt != ${epoch}` +
      ` UNION ALL SELECT __bt, ${[...dimNames, ...unit.metrics.map((_, i) => `__c${i}`)].join(', ')}` +
      ` FROM (${sealedSelect(ctx, unit, changes, cut, `if(bucket < ${FROM}, ${epoch}, ${bucketExpr(q.grain, 'bucket')})`)})`
    : windowed;
  const byBucket = ['__bt', ...dimNames].join(', ');
  if (unit.mode === 'level') {
    const partition = dimNames.length ? `PARTITION BY ${dimNames.join(', ')} ` : '';
    const levels = unit.metrics
      .map(
        (_m, i) =>
          `sum(sum(__c${i})) OVER (${partition}ORDER BY __bt ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS __l${i}`,
      )
      .join(', ');
    const own = new Map(unit.metrics.map((m, i) => [m.name, `toNullable(__l${i})`]));
    const sql =
      `SELECT ${[`${formatBucket('__bt')} AS __bucket`, ...dimNames, metricColumns(ctx, own)].join(', ')} FROM (` +
      `SELECT ${byBucket}, ${levels} FROM (${deltas}) GROUP BY ${byBucket}` +
      `) WHERE __bt > ${beforeRange}`;
    return { sql: withSealed + sql, step };
  }
  const own = new Map(unit.metrics.map((m, i) => [m.name, `toNullable(sum(__c${i}))`]));
  const sql =
    `SELECT ${[`${formatBucket('__bt')} AS __bucket`, ...dimNames, metricColumns(ctx, own)].join(', ')}` +
    ` FROM (${deltas}) WHERE __bt != ${epoch} GROUP BY ${byBucket}`;
  return { sql: withSealed + sql, step };
}

/**
 * Sealed changes before the cut, grouped by `bucketSql` (a time bucket, or '' for a tile) and the
 * requested dimensions: from the range's start for a delta; for a level from the beginning (the
 * level before the range lands in the bucket `bucketSql` gives times before it). `__k` counts the
 * entities seen inside the range.
 */
function sealedSelect(
  ctx: Context,
  unit: Unit & { source: SnapshotSource },
  changes: SnapshotChanges,
  cut: string,
  bucketSql: string,
): string {
  const { q, params } = ctx;
  const source = unit.source;
  const dimSql = (d: string) => changes.dimensions[d] as string;
  const dimType = (d: string) => source.dimensions[d]?.type ?? 'string';
  const where = [
    'workspace_id = {workspace:String}',
    `bucket < ${cut}`,
    ...(unit.mode === 'level' ? [] : [`bucket >= ${FROM}`]),
    ...q.filters.map((f) => filterSql(dimSql(f.dimension), dimType(f.dimension), f, params)),
    ...rowPolicyConditions(ctx.policy, source, dimSql, (v, type) => params.add(v, type)),
  ];
  const dims = q.dimensions.map((d) => dimensionColumn(ctx, d, dimSql(d), dimType(d)));
  const values = unit.metrics.map((m, i) => `toFloat64(sum(${m.expression as string})) AS __c${i}`);
  const n = `sumIf(snapshots, bucket >= ${FROM}) AS __k`;
  const selected =
    bucketSql === "''" ? [n, ...dims, ...values] : [`${bucketSql} AS __bt`, ...dims, ...values];
  const groupBy = [...(bucketSql === "''" ? [] : ['__bt']), ...q.dimensions.map(dimCol)];
  return (
    `SELECT ${selected.join(', ')} FROM ${changes.table} WHERE ${where.join(' AND ')}` +
    (groupBy.length ? ` GROUP BY ${groupBy.join(', ')}` : '')
  );
}

function compositeSql(m: MetricDefinition): string {
  switch (m.type) {
    case 'ratio':
      return `${metricCol(m.numerator)} / nullIf(${metricCol(m.denominator)}, 0)`;
    case 'share':
      return `${metricCol(m.of)} / nullIf(sum(${metricCol(m.of)}) OVER (PARTITION BY __bucket), 0)`;
    case 'derived':
      return `(${m.expression.replace(/[a-z][a-z0-9_]*/g, (name) => metricCol(name))})`;
    default:
      throw new Error(`not a composite metric: ${m.type}`);
  }
}

/**
 * Compiles a metric query into one ClickHouse statement. Each group of metrics that reads the
 * same source becomes a subquery over the coarsest rollup that can answer it (else the raw
 * table); the groups are combined by time bucket and dimensions, and ratio, derived and share
 * metrics are computed on top. Request values appear only as query parameters.
 *
 * A data `policy` is enforced here, so every surface that runs metric queries honours it: its row
 * filters become WHERE conditions of every group that reads a source carrying the dimension (a
 * rollup answers only if it carries that dimension too), dimensions above the caller's clearance
 * are grouped as one masked value, and filters on them or metrics above it are refused.
 */
export function compileMetricQuery(
  q: MetricQuery,
  catalog: MetricCatalog,
  range: ResolvedRange,
  workspaceId: string,
  policy?: DataPolicy,
): CompiledQuery {
  const resolved = validate(q, catalog);
  assertMetricsAllowed(policy, resolved);
  assertFilterable(
    policy,
    q.filters.map((f) => f.dimension),
  );
  const masked = new Set(q.dimensions.filter((d) => isMaskedDimension(d, policy)));
  const base = resolved.filter(isBaseMetric);
  const composites = resolved.filter((m) => !isBaseMetric(m));
  const params = new Params();
  const ctx: Context = { q, range, params, allMetrics: base, policy, masked };
  const parts = groupUnits(base).map((unit) =>
    unit.source.kind === 'events'
      ? eventsUnit(ctx, unit as Unit & { source: EventsSource })
      : snapshotUnit(ctx, unit as Unit & { source: SnapshotSource }),
  );
  const dimNames = q.dimensions.map(dimCol);
  const union = parts.map((p) => p.sql).join('\nUNION ALL\n');
  // A total (no grain, no dimension) is always one row, even when nothing matched: "0 deals won"
  // is an answer, not an absence. Counts and sums of events read 0 then; levels and ratios NULL.
  const total = !q.grain && q.dimensions.length === 0;
  const zeroWhenEmpty = (m: BaseMetricDefinition) => total && sourcesByName.get(m.source)?.kind === 'events';
  const combined = total
    ? `SELECT '' AS __bucket, ${base
        .map((m) =>
          zeroWhenEmpty(m)
            ? `coalesce(any(${metricCol(m.name)}), 0) AS ${metricCol(m.name)}`
            : `any(${metricCol(m.name)}) AS ${metricCol(m.name)}`,
        )
        .join(', ')} FROM (${union})`
    : `SELECT ${['__bucket', ...dimNames, ...base.map((m) => `any(${metricCol(m.name)}) AS ${metricCol(m.name)}`)].join(', ')}` +
      ` FROM (${union}) GROUP BY ${['__bucket', ...dimNames].join(', ')}`;
  const withComposites = composites.length
    ? `SELECT *, ${composites.map((m) => `${compositeSql(m)} AS ${metricCol(m.name)}`).join(', ')} FROM (${combined})`
    : combined;
  const output = [
    ...(q.grain ? ['__bucket AS `time`'] : []),
    ...q.dimensions.map((d) => `${dimCol(d)} AS ${quote(d)}`),
    ...q.metrics.map((m) => `${metricCol(m)} AS ${quote(m)}`),
  ];
  const orderBy = (
    q.orderBy ??
    (q.grain
      ? [{ field: 'time', direction: 'asc' as const }]
      : [{ field: q.metrics[0] as string, direction: 'desc' as const }])
  ).map((o) => `${quote(o.field)} ${o.direction.toUpperCase()} NULLS LAST`);
  // Ties are broken by every output column, so equal queries page the same way.
  const tieBreak = [...(q.grain ? ['`time`'] : []), ...q.dimensions.map(quote)];
  // Conditional aggregates leave rows where no requested metric has anything (a feature-users
  // breakdown meets page views with no feature): such rows say nothing and are left out.
  const anything = total ? '1' : q.metrics.map((m) => `coalesce(${metricCol(m)}, 0) != 0`).join(' OR ');
  const sql =
    `SELECT ${output.join(', ')} FROM (${withComposites})\nWHERE ${anything}\n` +
    `ORDER BY ${[...orderBy, ...tieBreak].join(', ')}\nLIMIT {limit:UInt32}`;

  params.values.workspace = workspaceId;
  params.values.from = toParamTime(range.from);
  params.values.to = toParamTime(range.to);
  params.values.timezone = q.timezone;
  params.values.limit = q.limit + 1;

  const columns: ResultColumn[] = [
    ...(q.grain ? [{ name: 'time', kind: 'time' as const, type: 'time' as const }] : []),
    ...q.dimensions.map((d) => {
      const source = [...sourcesByName.values()].find((s) => d in s.dimensions);
      return {
        name: d,
        kind: 'dimension' as const,
        type: masked.has(d) ? ('string' as const) : (source?.dimensions[d]?.type ?? ('string' as const)),
        ...(masked.has(d) ? { masked: true } : {}),
      };
    }),
    ...q.metrics.map((name) => {
      const m = catalog.get(name) as MetricDefinition;
      return { name, kind: 'metric' as const, type: 'number' as const, label: m.label, format: m.format };
    }),
  ];
  return { sql, params: params.values, columns, plan: parts.map((p) => p.step) };
}

export { grains };
