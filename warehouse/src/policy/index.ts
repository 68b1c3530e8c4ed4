/**
 * Row and column policies, enforced where queries are compiled.
 *
 * - Row filters (`DataPolicy.rowFilters`, resolved by `resolveDataPolicy` in @pulse/core) bind
 *   every source, rollup and table that carries the dimension: AND across dimensions, OR within
 *   one. A source without the dimension is not about it and is read unfiltered by that filter.
 * - A dimension above the caller's clearance is grouped as one masked value (MASK) and may not
 *   be filtered on; a metric above it (or one it is computed from) is refused (`*_FORBIDDEN`).
 * - Admins (`unrestricted`) and calls without a policy read everything.
 */
export type { Classification, DataPolicy } from '@pulse/core/rbac/data-policies';
export {
  assertFilterable,
  assertMetricsAllowed,
  dimensionClassification,
  isMaskedDimension,
  MASK,
  metricClassification,
} from './classify.ts';
export { isRowAllowed, maskRow } from './mask-row.ts';
export { type AddParam, rowFiltersFor, rowPolicyConditions } from './row-conditions.ts';
export {
  additionalTableFilters,
  maskedColumns,
  policyDimensions,
  rawColumnClassifications,
} from './table-policy.ts';
