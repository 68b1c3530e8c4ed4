import { SettingsMap } from '@clickhouse/client';
import type { Classification, DataPolicy } from '@pulse/core/rbac/data-policies';
import { isCleared } from '@pulse/core/rbac/data-policies';
import { metricSources } from '../metrics/sources.ts';
import { dimensionClassification } from './classify.ts';

/**
 * Where each policy dimension lives in each warehouse table, for surfaces that read tables
 * directly (the SQL endpoint, drill-downs): the sources' dimension expressions for the tables
 * they read, the rollups' columns, and the raw tables no source reads as a whole.
 */
export const tableDimensions: ReadonlyMap<string, Record<string, string>> = (() => {
  const map = new Map<string, Record<string, string>>();
  const add = (table: string, dims: Record<string, string>) => map.set(table, { ...map.get(table), ...dims });
  for (const s of metricSources) {
    // Parenthesised subqueries read tables that are listed on their own.
    if (/^[a-z_]+$/.test(s.from))
      add(s.from, Object.fromEntries(Object.entries(s.dimensions).map(([n, d]) => [n, d.sql])));
    for (const r of s.rollups) add(r.table, r.dimensions);
  }
  add('social_posts', {
    platform: 'platform',
    account_id: 'account_id',
    post_id: 'post_id',
    campaign_id: 'campaign_id',
    media_type: 'media_type',
  });
  add('social_comments', { platform: 'platform', account_id: 'account_id', post_id: 'post_id' });
  add('ingest_errors', {});
  return map;
})();

/**
 * Raw columns that are not dimensions but carry personal or sensitive data, with their level;
 * drill-downs, exports and the SQL endpoint mask or refuse them like dimensions.
 */
export const rawColumnClassifications: Readonly<Record<string, Classification>> = {
  user_id: 'restricted',
  anonymous_id: 'restricted',
  previous_id: 'restricted',
  actor_id: 'restricted',
  context: 'restricted', // IP address, user agent, location
  email: 'restricted',
  name: 'restricted',
  author_id: 'restricted',
  author_handle: 'restricted',
  attributes: 'restricted',
  payload: 'restricted',
  text: 'confidential',
  owner_id: 'confidential',
};

/** Dimensions a row policy can name: those whose expression needs no query parameter. */
export function policyDimensions(): string[] {
  const names = new Set<string>();
  for (const s of metricSources)
    for (const [n, d] of Object.entries(s.dimensions)) if (!d.sql.includes('{')) names.add(n);
  return [...names].sort();
}

/** A table's stream family, from its name (`product_…`, `social_…`, `crm_…`); undefined for others. */
const familyOf = (table: string) => /^(product|social|crm)_/.exec(table)?.[1];

/** Every dimension some table of the family carries, per family. */
const familyDimensions: ReadonlyMap<string, ReadonlySet<string>> = (() => {
  const map = new Map<string, Set<string>>();
  for (const [table, dims] of tableDimensions) {
    const family = familyOf(table);
    if (family === undefined) continue;
    const set = map.get(family) ?? new Set<string>();
    for (const d of Object.keys(dims)) set.add(d);
    map.set(family, set);
  }
  return map;
})();

/**
 * The expression of each row filter on `table`, or undefined when the filter does not concern it.
 * A filter on a dimension the table lacks, while another table of its family carries it (a rollup
 * without that dimension, such as daily actors without the event type), denies the table: its
 * rows aggregate data the policy hides, so it fails closed (`'0'`) instead of showing the total.
 * A dimension no table of the family carries (a social platform for product data) leaves it alone.
 */
export function rowFilterSql(
  table: string,
  dimension: string,
  quote: (value: string) => string,
  values: readonly string[],
): string | undefined {
  const sql = tableDimensions.get(table)?.[dimension];
  if (sql === undefined) {
    const family = familyOf(table);
    return family !== undefined && familyDimensions.get(family)?.has(dimension) ? '0' : undefined;
  }
  return values.length === 0 ? '0' : `toString(${sql}) IN (${values.map(quote).join(', ')})`;
}

/**
 * The ClickHouse `additional_table_filters` setting for a principal: every known table is held to
 * the workspace, and to the policy's row filters on the dimensions it carries. ClickHouse applies
 * these after reading each table, wherever it appears in a query (joins and subqueries too), so a
 * hand-written SQL query cannot step around them. Put it in the query's own SETTINGS clause,
 * `SELECT … SETTINGS additional_table_filters = ${additionalTableFilters(policy, ws)}` (its text is
 * a map literal): on chDB, `clickhouse_settings` become session-wide SETs that outlive the query.
 * Every value goes in as `unhex('…')`, so no request value is ever parsed as SQL and the text has
 * no backslash for any layer to re-escape.
 */
export function additionalTableFilters(policy: DataPolicy | undefined, workspaceId: string): SettingsMap {
  const filters = policy && !policy.unrestricted ? policy.rowFilters : [];
  const entries = [...tableDimensions.keys()].map((table) => {
    const conditions = [`workspace_id = ${hexLiteral(workspaceId)}`];
    for (const f of filters) {
      const condition = rowFilterSql(table, f.dimension, hexLiteral, f.values);
      if (condition !== undefined) conditions.push(condition);
    }
    // SettingsMap writes `{'table':'filter'}` without escaping: the filter's quotes are doubled here.
    return [table, conditions.join(' AND ').replaceAll("'", "''")] as const;
  });
  return SettingsMap.from(Object.fromEntries(entries));
}

/** Columns of each table the caller may not read (the SQL endpoint refuses or masks them). */
export function maskedColumns(policy: DataPolicy | undefined): Record<string, string[]> {
  if (!policy || policy.unrestricted) return {};
  const out: Record<string, string[]> = {};
  for (const [table, dims] of tableDimensions) {
    const hidden = new Set<string>();
    for (const [name, sql] of Object.entries(dims))
      if (/^[a-z_]+$/.test(sql) && !isCleared(policy.clearance, dimensionClassification(name, policy)))
        hidden.add(sql);
    for (const [column, level] of Object.entries(rawColumnClassifications))
      if (!isCleared(policy.clearance, level)) hidden.add(column);
    out[table] = [...hidden].sort();
  }
  return out;
}

/** A request value as an expression that cannot be read as anything but that string. */
const hexLiteral = (value: string) => `unhex('${Buffer.from(value, 'utf8').toString('hex')}')`;
