import type { DataPolicy } from '@pulse/core/rbac/data-policies';
import type { MetricSource } from '../metrics/sources.ts';

/** Adds a value as a query parameter and returns its `{name:Type}` placeholder. */
export type AddParam = (value: unknown, type: string) => string;

/**
 * The row filters of a policy that bind a source: those on dimensions the source carries. A
 * source without the dimension is not about it (a pipeline policy says nothing about social posts),
 * so it is read unfiltered by that policy.
 */
export function rowFiltersFor(
  policy: DataPolicy | undefined,
  source: MetricSource,
): { dimension: string; values: string[] }[] {
  if (!policy || policy.unrestricted) return [];
  return policy.rowFilters.filter((f) => f.dimension in source.dimensions);
}

/**
 * WHERE conditions for a policy's row filters on one source, values as parameters. `dimSql`
 * gives the dimension's expression in the table being read (raw table or rollup).
 */
export function rowPolicyConditions(
  policy: DataPolicy | undefined,
  source: MetricSource,
  dimSql: (dimension: string) => string,
  add: AddParam,
): string[] {
  return rowFiltersFor(policy, source).map((f) => {
    // No allowed value (a member without the attribute a policy reads) allows no row.
    if (f.values.length === 0) return '0';
    const sql = dimSql(f.dimension);
    const typed = source.dimensions[f.dimension]?.type === 'number' ? `toString(${sql})` : sql;
    return `${typed} IN ${add(f.values, 'Array(String)')}`;
  });
}
