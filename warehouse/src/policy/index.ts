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
