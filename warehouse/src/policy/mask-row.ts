import { type DataPolicy, isCleared } from '@pulse/core/rbac/data-policies';
import { metricSources } from '../metrics/sources.ts';
import { dimensionClassification, MASK } from './classify.ts';
import { rawColumnClassifications, tableDimensions } from './table-policy.ts';

const dimensionNames = new Set(metricSources.flatMap((s) => Object.keys(s.dimensions)));

/**
 * A raw row (drill-down, export) with every field above the caller's clearance replaced by
 * {@link MASK}: dimensions by their classification, personal raw columns (e-mail, user ids, IP
 * context, …) by theirs. Other fields pass unchanged; `null` stays `null` (nothing to hide).
 */
export function maskRow<T extends Record<string, unknown>>(row: T, policy: DataPolicy | undefined): T {
  if (!policy || policy.unrestricted) return row;
  const out: Record<string, unknown> = { ...row };
  for (const key of Object.keys(out)) {
    const level = dimensionNames.has(key)
      ? dimensionClassification(key, policy)
      : rawColumnClassifications[key];
    if (level && !isCleared(policy.clearance, level) && out[key] !== null) out[key] = MASK;
  }
  return out as T;
}

/**
 * Whether a raw row passes the policy's row filters, judged on its fields named like the filtered
 * dimensions. Given the `table` it came from, only filters on dimensions that table carries bind
 * (as in compiled queries); without it every filter binds. A row missing a binding field is
 * refused (fail closed). Better still, read with `additionalTableFilters` so the warehouse never
 * returns such rows; this is the check for rows that arrive some other way.
 */
export function isRowAllowed(
  row: Record<string, unknown>,
  policy: DataPolicy | undefined,
  table?: string,
): boolean {
  if (!policy || policy.unrestricted) return true;
  // An unknown table binds every filter (fail closed).
  const carried = table === undefined ? undefined : tableDimensions.get(table);
  return policy.rowFilters.every((f) => {
    if (carried && !(f.dimension in carried)) return true;
    const value = row[f.dimension];
    return value !== undefined && value !== null && f.values.includes(String(value));
  });
}
