import { PulseError } from '@pulse/core';
import type { DataPolicy } from '@pulse/core/rbac/data-policies';
import { maskedColumns, rowFilterSql, tableDimensions } from '@pulse/warehouse/policy/table-policy';

/**
 * What the engine enforces on one SQL-tab query, beyond read-only: a row filter per table and
 * columns that may not be read at all.
 */
export interface SqlRestrictions {
  /** Unqualified table name → boolean SQL expression every row read from it must satisfy. */
  tableFilters: Map<string, string>;
  /** Unqualified table name → columns this caller may not read. */
  deniedColumns: Map<string, ReadonlySet<string>>;
}

/**
 * What a row/column policy adds (warehouse/src/policy, `additionalTableFilters(policy)`): extra
 * row filters per table, and the columns it masks, which the SQL tab refuses to read because
 * ClickHouse has no per-query column mask.
 */
export interface PolicyRestrictions {
  tableFilters?: Readonly<Record<string, string>>;
  deniedColumns?: Readonly<Record<string, readonly string[]>>;
}

/** Workspace ids are uuids (or slugs in tests); anything else never reaches a setting's text. */
const workspaceIdPattern = /^[A-Za-z0-9_-]{1,64}$/;

/** Every Pulse table restricted to the caller's workspace: the base of every SQL-tab query. */
export function workspaceRestrictions(workspaceId: string, tables: readonly string[]): SqlRestrictions {
  if (!workspaceIdPattern.test(workspaceId))
    throw new PulseError('SQL_INVALID', 'the workspace id cannot be used in a table filter', {
      context: { workspaceId },
    });
  const predicate = `workspace_id = ${quoteString(workspaceId)}`;
  return { tableFilters: new Map(tables.map((t) => [t, predicate])), deniedColumns: new Map() };
}

/**
 * THE place where a row/column policy is merged into the SQL tab's restrictions. Filters are
 * AND-ed with the workspace filter (a policy can only narrow what a caller sees), denied columns
 * are added up. A policy naming a table the workspace filter does not know is refused rather
 * than ignored, so a typo in a policy never widens access.
 */
export function mergePolicyRestrictions(
  base: SqlRestrictions,
  policy: PolicyRestrictions | undefined,
): SqlRestrictions {
  if (!policy) return base;
  const tableFilters = new Map(base.tableFilters);
  for (const [table, filter] of Object.entries(policy.tableFilters ?? {})) {
    const current = tableFilters.get(table);
    if (current === undefined)
      throw new PulseError('SQL_POLICY_INVALID', `the data policy filters unknown table "${table}"`, {
        hint: 'Fix the row policy: it names a table the SQL tab does not serve.',
      });
    tableFilters.set(table, `(${current}) AND (${filter})`);
  }
  const deniedColumns = new Map(base.deniedColumns);
  for (const [table, columns] of Object.entries(policy.deniedColumns ?? {}))
    deniedColumns.set(table, new Set([...(deniedColumns.get(table) ?? []), ...columns]));
  return { tableFilters, deniedColumns };
}

/**
 * A principal's data policy (row policies, column classification) as SQL-tab restrictions: the
 * same per-table conditions `additionalTableFilters` gives the metric layer, without the
 * workspace part (added by `workspaceRestrictions`), and the columns above the caller's clearance.
 */
export function policyRestrictions(policy: DataPolicy | undefined): PolicyRestrictions | undefined {
  if (!policy || policy.unrestricted) return undefined;
  const tableFilters: Record<string, string> = {};
  for (const table of tableDimensions.keys()) {
    const conditions = policy.rowFilters
      .map((f) => rowFilterSql(table, f.dimension, quoteString, f.values))
      .filter((c): c is string => c !== undefined);
    if (conditions.length > 0) tableFilters[table] = conditions.join(' AND ');
  }
  return { tableFilters, deniedColumns: maskedColumns(policy) };
}

/** `additional_table_filters` as a ClickHouse map literal: {'table':'expression', …}. */
export function renderTableFilters(filters: ReadonlyMap<string, string>): string {
  return `{${[...filters].map(([table, expression]) => `${quoteString(table)}:${quoteString(expression)}`).join(', ')}}`;
}

export function quoteString(value: string): string {
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}
